"""Per-clip hints: the hints CSV, batch --hints (by file name and by SOP Instance UID),
compare --view/--pre-annulus/--post-annulus and check --annulus/--view."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from echoassess.batch import run_batch
from echoassess.cli import app
from echoassess.errors import InvalidParameterError
from echoassess.hints import read_hints
from echoassess.synthetic import WorldParams, generate_world_clip

runner = CliRunner()


@pytest.fixture(scope="module")
def plax(tmp_path_factory):
    """A parasternal clip whose file names the view: without the annulus it
    cannot be measured."""
    d = tmp_path_factory.mktemp("plax")
    p = WorldParams.random(
        9,
        view="plax",
        texture="fine",
        artefacts="clean",
        ai_jet=True,
        rows=360,
        cols=480,
        series_names_view=True,
    )
    clip = generate_world_clip(p, rng=9)
    path = clip.save(d / "plax.dcm")[0]
    return clip, path


def _ann_text(clip):
    (x1, y1), (x2, y2) = clip.truth.annulus_xy
    return f"{x1:.1f},{y1:.1f},{x2:.1f},{y2:.1f}"


def test_read_hints_by_file_and_uid(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text(
        "file,sop_instance_uid,view,annulus,nyquist_cm_s,spacing_cm\n"
        "a/b.dcm,,tee,,61,\n"
        ',1.2.3,tte,"1,2,3,4",,0.05\n'
        "c.dcm,,,,,\n"
    )
    t = read_hints(f)
    assert t.for_path(tmp_path / "a" / "b.dcm").view == "tee"
    assert t.for_path(tmp_path / "a" / "b.dcm").analysis_kwargs() == {"view": "tee", "nyquist_cm_s": 61.0}
    h = t.for_uid("1.2.3")
    assert h.annulus == ((1.0, 2.0), (3.0, 4.0)) and h.load_kwargs() == {"spacing_cm": 0.05}
    assert t.for_path("/elsewhere/c.dcm") is not None  # a bare name matches anywhere
    assert t.for_path(tmp_path / "x.dcm") is None and t.for_uid("9.9") is None


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("view\ntee\n", "needs a header with a 'file' or 'sop_instance_uid' column"),
        ("file,view\nx.dcm,sideways\n", "row 2, column view: 'sideways'"),
        ('file,annulus\nx.dcm,"1,2,3"\n', "row 2, column annulus"),
        ("file,nyquist_cm_s\nx.dcm,-4\n", "row 2, column nyquist_cm_s"),
        ("file,spacing_cm,depth_cm\nx.dcm,0.05,16\n", "either spacing_cm or depth_cm"),
        ("file,view\n,tee\n", "row 2: neither"),
    ],
)
def test_bad_hints_files_are_named_errors(tmp_path, text, match):
    f = tmp_path / "h.csv"
    f.write_text(text)
    with pytest.raises(InvalidParameterError, match=match) as exc:
        read_hints(f)
    assert "h.csv" in str(exc.value)


def test_missing_hints_file_and_folder(tmp_path):
    with pytest.raises(InvalidParameterError, match="does not exist"):
        read_hints(tmp_path / "nope.csv")
    with pytest.raises(InvalidParameterError, match="is a folder"):
        read_hints(tmp_path)


def test_check_with_annulus_measures_what_auto_cannot(plax):
    clip, path = plax
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert "cannot measure" in res.output and "--annulus" in res.output
    res = runner.invoke(app, ["check", str(path), "--json", "--annulus", _ann_text(clip), "--view", "tte"])
    got = json.loads(res.output)
    assert got["status"] == "measured" and got["settings"]["annulus_source"] == "user"
    assert got["max_jet_area_cm2"] == pytest.approx(clip.truth.max_area_cm2, rel=0.2)


@pytest.mark.parametrize("key", ["file", "uid"])
def test_batch_hints_by_file_name_and_by_uid(plax, tmp_path, key):
    clip, path = plax
    hints = tmp_path / "hints.csv"
    if key == "file":
        hints.write_text(f'file,annulus\n{path.name},"{_ann_text(clip)}"\n')
    else:
        hints.write_text(
            f'sop_instance_uid,view,annulus\n{clip.study.sop_instance_uid},tte,"{_ann_text(clip)}"\n'
        )
    plain = run_batch([path], tmp_path / "plain", workers=1)
    hinted = run_batch([path], tmp_path / "hinted", workers=1, hints=hints)
    a = pd.read_csv(plain.clips_csv) if hasattr(plain, "clips_csv") else plain.clips
    b = pd.read_csv(hinted.clips_csv) if hasattr(hinted, "clips_csv") else hinted.clips
    assert pd.isna(a["max_jet_area_cm2"].iloc[0])
    assert b["max_jet_area_cm2"].iloc[0] == pytest.approx(clip.truth.max_area_cm2, rel=0.2)
    rec = json.loads(next((tmp_path / "hinted" / "results").glob("*.json")).read_text())
    assert rec["hints"]["annulus"] and rec["result"]["settings"]["annulus_source"] == "user"
    # a changed hints file redoes the clip on resume
    hints.write_text("file,view\nnothing.dcm,tee\n")
    again = run_batch([path], tmp_path / "hinted", workers=1, hints=hints)
    c = pd.read_csv(again.clips_csv) if hasattr(again, "clips_csv") else again.clips
    assert pd.isna(c["max_jet_area_cm2"].iloc[0])


def test_batch_refuses_a_bad_hints_file_before_running(plax, tmp_path):
    _, path = plax
    bad = tmp_path / "bad.csv"
    bad.write_text("view\ntee\n")
    res = runner.invoke(app, ["batch", str(path), "--out", str(tmp_path / "o"), "--hints", str(bad), "-q"])
    assert res.exit_code == 2
    assert "bad.csv" in res.output and not (tmp_path / "o").exists()


def test_compare_with_per_clip_annulus(plax, tmp_path):
    clip, path = plax
    out = tmp_path / "cmp"
    res = runner.invoke(
        app,
        [
            "compare",
            str(path),
            str(path),
            "--out",
            str(out),
            "--json",
            "--no-animate",
            "--post-annulus",
            _ann_text(clip),
            "--view",
            "tte",
        ],
    )
    assert res.exit_code == 0, res.output
    got = json.loads((out / "comparison.json").read_text())
    assert got["pre"]["status"] == "cannot_measure"
    assert got["post"]["status"] == "measured"
    assert got["post"]["settings"]["annulus_source"] == "user"
    html = (out / "report.html").read_text()
    assert "cannot measure" in html and "annulus from user" in html


def test_batch_names_a_hinted_depth_a_calibrated_file_does_not_use(tmp_path):
    """The batch goes through the same orchestration as check and compare: a depth
    hinted for a file with its own calibration is named (not used), not dropped."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "patient01_pre.dcm"
    hints = tmp_path / "hints.csv"
    hints.write_text(f"file,depth_cm\n{sample.name},9.0\n")
    run_batch([sample], tmp_path / "o", executor="serial", hints=hints)
    rec = json.loads(next((tmp_path / "o" / "results").glob("*.json")).read_text())
    depth = [e for e in rec["result"]["user_inputs"] if e["input"] == "depth_cm"]
    assert len(depth) == 1 and depth[0]["used"] is False and depth[0]["value"] == 9.0
    assert rec["result"]["calibration_source"] != "user depth"
