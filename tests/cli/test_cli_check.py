"""`echoassess check`: summary, --json, --masks, --overlay, hints and error paths."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from echoassess import analyze_clip
from echoassess.cli import app
from echoassess.synthetic import SceneParams, generate_clip, load_truth

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
POST = SAMPLE / "patient01_post.dcm"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    clip = generate_clip(SceneParams(rows=240, cols=320, n_frames=12), rng=2)
    d = tmp_path_factory.mktemp("cli")
    return clip, clip.save(d / "small.dcm", encoding="jpeg")[0]


def test_check_summary_on_sample_data():
    res = runner.invoke(app, ["check", str(POST)])
    assert res.exit_code == 0, res.output
    truth = load_truth(SAMPLE / "patient01_post.truth.npz")
    assert "patient01_post.dcm" in res.output and "max jet area" in res.output
    assert f"jets at max    {int(truth.n_jets[truth.max_frame])}" in res.output
    assert "not a full MR grade" in res.output
    assert "Nyquist 62.0 cm/s, frame rate 30.0 Hz, depth 16.0 cm" in res.output  # from the file
    assert "SYNTHETIC^PATIENT" not in res.output and "SYN001" not in res.output


def test_check_json_is_exactly_to_dict(small):
    _, path = small
    res = runner.invoke(app, ["check", str(path), "--json", "--nyquist", "60"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    want = analyze_clip(path, nyquist_cm_s=60).to_dict()
    assert got == json.loads(json.dumps(want))
    for key in (
        "frames",
        "frame_time_ms",
        "pixel_spacing_cm",
        "per_frame",
        "max_jet_area_cm2",
        "max_frame",
        "n_jets_at_max",
        "jet_area_class",
    ):
        assert key in got
    assert set(got["per_frame"][0]) >= {"index", "time_ms", "phase", "jet_area_cm2", "n_jets"}
    assert got["settings"]["nyquist_cm_s"] == 60


def test_check_writes_masks_and_overlay(small, tmp_path):
    clip, path = small
    npz, png = tmp_path / "m.npz", tmp_path / "o.png"
    res = runner.invoke(app, ["check", str(path), "--masks", str(npz), "--overlay", str(png)])
    assert res.exit_code == 0, res.output
    masks = np.load(npz)["masks"]
    assert masks.dtype == bool and masks.shape == (12, 240, 320)
    assert masks[clip.truth.max_frame].sum() > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_check_hints_are_passed(small):
    clip, path = small
    vx, vy = clip.truth.valve_xy
    res = runner.invoke(
        app,
        [
            "check",
            str(path),
            "--json",
            "--valve",
            f"{vx:.0f},{vy:.0f}",
            "--roi",
            f"0,{vy:.0f},319,239",
            "--spacing-cm",
            "0.05",
        ],
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert got["settings"]["annulus_source"] == "user point + jets"
    assert got["settings"]["roi_xyxy"] == [0, round(vy), 319, 239]
    assert got["pixel_spacing_cm"] == [0.05, 0.05]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--valve", "12"], "--valve '12' must be 2 comma-separated numbers"),
        (["--roi", "1,2,x,4"], "--roi '1,2,x,4' must be 4 comma-separated numbers"),
        (["--roi", "50,50,10,10"], "x1 > x0"),
        (["--valve", "9999,5"], "outside the"),
        (["--depth-cm", "16", "--spacing-cm", "0.05"], "either --depth-cm or --spacing-cm"),
    ],
)
def test_check_bad_options_fail_cleanly(small, args, match):
    _, path = small
    res = runner.invoke(app, ["check", str(path), *args])
    assert res.exit_code == 2  # usage
    assert "error:" in res.output and match in res.output
    assert "Traceback" not in res.output


def test_check_missing_file_and_grey_clip_fail_cleanly(small, tmp_path):
    res = runner.invoke(app, ["check", str(tmp_path / "nope.dcm")])
    assert res.exit_code == 2 and "error:" in res.output and "nope.dcm" in res.output
    clip, _ = small
    grey = clip.frames.mean(axis=-1, keepdims=True).astype(np.uint8).repeat(3, axis=-1)
    path, _ = dataclasses.replace(clip, frames=grey).save(tmp_path / "grey.dcm")
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 1 and "no colour-Doppler flow" in res.output
    assert "Traceback" not in res.output
