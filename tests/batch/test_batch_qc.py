"""Batch: hints announced, QC pictures and index, tidy tables, duplicates, labels
(issue 13, items 6 and 7)."""

from __future__ import annotations

import os
import re
import shutil
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

from echoassess import run_batch
from echoassess.cli import app
from echoassess.compare import COMPARISON_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from echoassess.synthetic import generate_study

    root = tmp_path_factory.mktemp("qc")
    data = root / "data"
    pre, post = generate_study(3, rows=240, cols=320, n_frames=12)
    pre_path = pre.save(data / "pre.dcm")[0]
    post_path = post.save(data / "post.dcm")[0]
    shutil.copy(post_path, data / "zz_copy_of_post.dcm")  # the same instance again
    (data / "empty.dcm").write_bytes(b"")
    cut = pre_path.read_bytes()
    (data / "cut.dcm").write_bytes(cut[: len(cut) // 2])  # a clip that fails
    (root / "hints.csv").write_text("file,nyquist_cm_s\npre.dcm,58\n")
    (root / "pairs.csv").write_text(f"patient,pre,post\ncase-A,{pre_path},{post_path}\n")
    outputs = run_batch(
        [data],
        root / "out",
        executor="serial",
        qc=True,
        hints=root / "hints.csv",
        pairs=root / "pairs.csv",
    )
    assert outputs.exit_code == 1  # cut.dcm failed
    return root, root / "out"


def test_counts_stay_integers_and_values_are_rounded(batch):
    _, out = batch
    text = (out / "clips.csv").read_text()
    clips = pd.read_csv(out / "clips.csv", dtype=str, keep_default_na=False)
    ok = clips[clips["status"] == "ok"]
    assert set(ok["frames"]) == {"12"} and set(ok["n_jets"]) <= {"1", "2", "3"}
    assert (clips.loc[clips["status"] == "failed", "frames"] == "").all()
    for col, decimals in (("frame_rate_hz", 2), ("frame_time_ms", 3), ("max_jet_area_cm2", 3)):
        for v in ok[col]:
            assert len(v.split(".")[1]) <= decimals if "." in v else True, (col, v)
    assert "30.00003" not in text
    comp = pd.read_csv(out / "comparisons.csv", dtype=str, keep_default_na=False)
    assert re.fullmatch(r"\d+", comp.loc[0, "pre_max_frame"])
    assert re.fullmatch(r"\d+", comp.loc[0, "post_n_jets"])


def test_every_table_is_world_readable_but_the_salt_is_not(batch):
    _, out = batch
    for name in ("clips.csv", "errors.csv", "skipped.csv", "comparisons.csv", "index.html", "cohort.png"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    for p in (out / "results").glob("*.json"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "salt.key").stat().st_mode) == 0o600


def test_duplicate_instance_is_kept_once_and_listed_in_skipped(batch):
    _, out = batch
    skipped = pd.read_csv(out / "skipped.csv")
    dup = skipped[skipped["file"].str.endswith("zz_copy_of_post.dcm")]
    assert len(dup) == 1
    assert dup.iloc[0]["reason"].startswith("duplicate of data/post.dcm (same SOP Instance UID")
    clips = pd.read_csv(out / "clips.csv")
    row = clips[clips["file"].str.endswith("zz_copy_of_post.dcm")].iloc[0]
    assert row["status"] == "skipped" and pd.isna(row["max_jet_area_cm2"])
    assert (skipped["reason"] == "empty (0 bytes)").sum() == 1


def test_one_comparison_schema_and_the_manifest_label_kept(batch, tmp_path):
    root, out = batch
    comp = pd.read_csv(out / "comparisons.csv")
    assert list(comp.columns) == list(COMPARISON_COLUMNS)
    assert comp.loc[0, "patient"] == "case-A" and comp.loc[0, "basis"] == "manifest"
    res = runner.invoke(
        app,
        [
            "compare",
            str(root / "data" / "pre.dcm"),
            str(root / "data" / "post.dcm"),
            "--out",
            str(tmp_path / "c"),
            "--no-animate",
        ],
    )
    assert res.exit_code == 0, res.output
    single = pd.read_csv(tmp_path / "c" / "comparison.csv")
    assert list(single.columns) == list(comp.columns)
    assert single.loc[0, "basis"] == "compare"
    assert single.loc[0, "post_max_jet_area"] == comp.loc[0, "post_max_jet_area"]


def test_hints_used_are_announced(batch):
    _, out = batch
    clips = pd.read_csv(out / "clips.csv")
    pre = clips[clips["file"].str.endswith("/pre.dcm")].iloc[0]
    assert pre["user_inputs"].startswith("Nyquist limit: user 58 cm/s")
    assert pre["nyquist_cm_s"] == 58
    post = clips[clips["file"].str.endswith("/post.dcm")].iloc[0]
    assert pd.isna(post["user_inputs"])
    comp = pd.read_csv(out / "comparisons.csv")
    assert comp.loc[0, "pre_user_inputs"].startswith("Nyquist limit: user 58 cm/s")


def test_qc_pictures_reports_and_index(batch):
    _, out = batch
    index = (out / "index.html").read_text()
    pngs = [p for p in sorted((out / "qc" / "clips").glob("*.png")) if p.name in index]
    assert len(pngs) == 2  # pre and post; the duplicate, the empty and the cut file have none
    report = out / "qc" / "pairs" / "001" / "report.html"
    assert report.exists()
    page = report.read_text()
    assert "Nyquist limit: user 58 cm/s" in page  # the pair report used the clip's hints
    index = (out / "index.html").read_text()
    links = re.findall(r'(?:href|src)="([^"]+)"', index)
    assert "qc/pairs/001/report.html" in links
    assert {f"qc/clips/{p.name}" for p in pngs} <= set(links)
    for link in links:
        assert (out / link).exists(), link
    assert "case-A" in index and "SYN" not in index


def test_qc_off_removes_a_stale_index(batch, tmp_path):
    root, out = batch
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    res = runner.invoke(
        app,
        [
            "batch",
            str(root / "data" / "pre.dcm"),
            "--out",
            str(copy),
            "-q",
            "-j",
            "1",
            "--hints",
            str(root / "hints.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert not (copy / "index.html").exists()
    assert os.path.exists(copy / "clips.csv")
