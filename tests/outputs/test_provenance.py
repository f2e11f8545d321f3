"""User inputs that change a number are named everywhere; conflicts with the file
warn; hints that cut a detected jet warn (issue 13, items 1 and 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from typer.testing import CliRunner

from echoassess import analyze_clip, load_clip
from echoassess.cli import app
from echoassess.provenance import describe_inputs
from echoassess.synthetic import SceneParams, generate_clip

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A small calibrated clip (16 cm deep, 62 cm/s) and the same without regions."""
    d = tmp_path_factory.mktemp("prov")
    pre, post = (
        generate_clip(SceneParams(rows=240, cols=320, n_frames=12, post_clip=k), rng=2) for k in (False, True)
    )
    cal = pre.save(d / "cal.dcm")[0]
    post_cal = post.save(d / "post_cal.dcm")[0]
    out = []
    for src in (cal, post_cal):
        ds = pydicom.dcmread(src)
        del ds.SequenceOfUltrasoundRegions
        ds.save_as(d / f"unc_{src.name}")
        out.append(d / f"unc_{src.name}")
    return cal, post_cal, out[0], out[1]


def _check_json(*args):
    res = runner.invoke(app, ["check", *map(str, args), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_spacing_override_is_named_and_warned_and_keeps_the_file_depth(clips):
    cal = clips[0]
    file_dx = load_clip(cal).spacing_cm[0]
    d = _check_json(cal, "--spacing-cm", "0.05")
    (entry,) = d["user_inputs"]
    assert entry["input"] == "spacing_cm" and entry["file_value"][0] == pytest.approx(file_dx)
    assert entry["text"] == f"calibration: user 0.05 cm/px, overriding the file's {file_dx:.4g} cm/px"
    assert any("differs from the file's calibration" in w for w in d["warnings"])
    # the file's depth stays known (was: "imaging depth is not recorded")
    assert d["settings"]["depth_cm"] == pytest.approx(16.0, abs=0.1)
    res = runner.invoke(app, ["check", str(cal), "--spacing-cm", "0.05"])
    assert "user input     calibration: user 0.05 cm/px, overriding the file's" in res.output
    assert "warning: the pixel spacing given" in res.output


def test_a_matching_spacing_is_named_without_a_warning(clips):
    cal = clips[0]
    dx = load_clip(cal).spacing_cm[0]
    r = analyze_clip(load_clip(cal, spacing_cm=dx))
    assert [e["input"] for e in r.user_inputs] == ["spacing_cm"]
    assert not any("pixel spacing given" in w for w in r.warnings)


def test_depth_conflicting_with_the_file_is_warned_and_the_file_depth_kept(clips):
    d = _check_json(clips[0], "--depth-cm", "12")
    assert d["settings"]["depth_cm"] == pytest.approx(16.0, abs=0.1)
    assert d["settings"]["depth_source"].startswith("file")
    assert any("imaging depth given (12 cm) differs from the file's (16.0 cm)" in w for w in d["warnings"])
    assert d["user_inputs"][0]["input"] == "depth_cm" and d["user_inputs"][0]["used"] is False


def test_compare_depth_calibrates_an_uncalibrated_pair_and_the_report_says_so(clips, tmp_path):
    from echoassess.workflows import ClipInputs, UserCalibration, compare_files

    depth = UserCalibration(depth_cm=16)
    out = compare_files(
        ClipInputs(clips[2], depth), ClipInputs(clips[3], depth), tmp_path / "o", animate=False
    )
    c = out.comparison
    for res in (c.pre, c.post):
        assert res.calibration_source == "depth + sector"
        assert res.acquisition.depth_cm == 16 and res.acquisition.depth_source == "user"
        assert res.user_inputs[0]["text"].startswith("calibration: user depth 16 cm")
    assert not any("imaging depth is not recorded" in w for w in c.warnings)
    page = out.report.read_text()
    assert "calibration: user depth 16 cm over the imaging sector" in page
    row = out.files["csv"].read_text()
    assert "calibration: user depth 16 cm" in row
    saved = json.loads(out.files["json"].read_text())
    assert saved["pre"]["user_inputs"][0]["input"] == "depth_cm"


def test_nyquist_and_view_conflicts_warn():
    entries, warnings = describe_inputs(None, nyquist_cm_s=45.0, file_nyquist_cm_s=62.0)
    assert entries[0]["text"] == "Nyquist limit: user 45 cm/s, overriding the file's 62 cm/s"
    assert warnings and "differs from the file's (62 cm/s)" in warnings[0]
    from types import SimpleNamespace as NS

    clip = NS(calibration_source="regions", metadata=NS(view="tee"), depth_cm=None, user_depth_cm=None)
    entries, warnings = describe_inputs(clip, view="tte")
    assert entries[0]["text"] == "view: user TTE (the file says TEE)"
    assert "contradicts the file's (TEE)" in warnings[0]


def test_readme_hint_example_that_cuts_the_jet_is_warned_and_named():
    """README's `--valve 340,300 --roi 250,300,450,420` on the sample post clip (item 2)."""
    res = runner.invoke(
        app, ["check", str(SAMPLE / "patient01_post.dcm"), "--valve", "340,300", "--roi", "250,300,450,420"]
    )
    assert res.exit_code == 0, res.output
    assert "user input     valve point: user (340, 300) px" in res.output
    assert "user input     region of interest: user (250, 300)-(450, 420) px" in res.output
    assert "warning: the hints (--valve, --roi) cut the jet found without them" in res.output


def test_a_hint_that_keeps_the_jet_does_not_warn(clips):
    cal = clips[0]
    auto = analyze_clip(cal)
    (x1, y1), (x2, y2) = auto.diagnostics.annulus_xy
    hinted = analyze_clip(cal, annulus=((x1, y1), (x2, y2)))
    assert hinted.user_inputs[0]["input"] == "annulus"
    assert not any("cut the jet" in w for w in hinted.warnings)
