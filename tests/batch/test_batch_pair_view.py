"""A batch pair shares its view, as ``echoassess compare`` does (seed 12019 of the
world benchmark: a TEE commissural study whose post-clip clip alone cannot tell
a transthoracic from a transoesophageal view; its pre-clip clip reads TEE)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _world_clips import benchmark_study  # noqa: E402

from echoassess import analyze_clip  # noqa: E402
from echoassess.batch import run_batch  # noqa: E402
from echoassess.workflows import analyse_pair  # noqa: E402

SALT = b"pair-view-test"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    data = tmp_path_factory.mktemp("pairview") / "data"
    (data / "patient").mkdir(parents=True)
    clips, encoding = benchmark_study(12019, "tee_comm", "edge_aliased", "clean")
    pre = clips[0].save(data / "patient" / "pre.dcm", encoding=encoding)[0]
    post = clips[1].save(data / "patient" / "post.dcm", encoding=encoding)[0]
    for p in data.rglob("*.truth.npz"):
        p.unlink()  # the batch reads every file: keep only the clips
    return data, pre, post


def _record(out: Path, name: str) -> dict:
    recs = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    return next(r for r in recs if r.get("file", "").endswith(name))


def test_the_clip_that_cannot_tell_the_view_takes_its_pairs(study, tmp_path):
    data, pre, post = study
    alone = analyze_clip(post)
    assert alone.status == "cannot_measure" and alone.diagnostics.view is None
    assert analyze_clip(pre).diagnostics.view == "tee"
    out = tmp_path / "out"
    result = run_batch([data], out, executor="serial", salt=SALT, pair_by="study-time")
    assert list(result.comparisons["status"]) == ["ok"]
    assert result.n_shared_view == 1
    rec = _record(out, "post.dcm")
    assert rec["status"] == "ok" and rec["result"]["status"] == "measured"
    assert rec["shared_view"]["view"] == "tee"
    assert rec["result"]["settings"]["view_source"].startswith("the pre-clip acquisition")
    assert any("measured as TEE, the view of the pre-clip" in w for w in rec["result"]["warnings"])
    assert "hints" not in rec  # the user gave none: the view is recorded as shared, not given
    # the same number as `echoassess compare` gives
    px = rec["result"]["max_jet_area_px"]  # an uncalibrated clip: pixels
    assert px > 0
    pair = analyse_pair(pre, post)
    assert pair.comparison.post.max_jet_area_px == px
    row = result.clips[result.clips["file"].str.endswith("post.dcm")].iloc[0]
    assert row["max_jet_area_px"] == px and row["view"] == "tee"
    # a resumed run reuses the shared-view record and analyses nothing again
    again = run_batch([data], out, executor="serial", salt=SALT, pair_by="study-time")
    assert again.n_analysed == 0 and again.n_reused == 2 and again.n_shared_view == 0
    assert _record(out, "post.dcm")["result"]["max_jet_area_px"] == px


def test_without_pairing_nothing_is_shared(study, tmp_path):
    data, _, _ = study
    out = tmp_path / "out"
    run_batch([data], out, executor="serial", salt=SALT)
    rec = _record(out, "post.dcm")
    assert rec["result"]["status"] == "cannot_measure" and "shared_view" not in rec


def test_the_batch_summary_says_a_view_was_shared(study, tmp_path):
    data, _, _ = study
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "echoassess",
            "batch",
            str(data),
            "--out",
            str(tmp_path / "o"),
            "--pair-by",
            "study-time",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "1 clip(s) that alone could not tell a transthoracic from a transoesophageal view" in out.stdout
