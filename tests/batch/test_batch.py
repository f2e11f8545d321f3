"""Batch processing: discovery, skip reasons, errors, resume, pairing, CLI, kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pandas as pd
import pydicom
import pytest
from batchfiles import (
    SMALL,
    assert_no_identity,
    make_mixed_folder,
    read_table,
    small_cohort,
)
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from echoassess import AnalysisParams, InvalidParameterError, run_batch
from echoassess.batch import CLIP_COLUMNS, file_key
from echoassess.cli import app
from echoassess.cohort import patient_hash
from echoassess.discover import find_files, read_dicomdir, sniff

SALT = "test-salt"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    info = make_mixed_folder(root)
    return root, info


@pytest.fixture(scope="module")
def mixed_run(mixed, tmp_path_factory):
    """One serial run over the mixed folder (shared by the read-only tests)."""
    root, info = mixed
    out = tmp_path_factory.mktemp("out")
    log = out.parent / "run.jsonl"
    result = run_batch([root], out, executor="serial", salt=SALT, log_path=log)
    return root, info, out, result, log


def _row(df: pd.DataFrame, suffix: str) -> pd.Series:
    rows = df[df["file"].str.endswith(suffix)]
    assert len(rows) == 1, f"{len(rows)} rows end with {suffix}: {list(df['file'])}"
    return rows.iloc[0]


# -- discovery --------------------------------------------------------------------------
def test_find_files_walks_recursively_and_dedupes_dicomdir_files(mixed):
    root, info = mixed
    found = find_files([root, root / "cohort"])  # overlapping inputs
    paths = [f.path for f in found]
    assert len(paths) == len(set(paths))
    image = info["dicomdir_image"].resolve()
    entry = next(f for f in found if f.path == image)
    assert entry.via == "DICOMDIR"
    assert entry.display == f"{root.name}/" + image.relative_to(root.resolve()).as_posix()
    assert any(f.path.name == "DICOMDIR" for f in found)
    assert [f.display for f in found] == sorted(f.display for f in found)


def test_find_files_excludes_output_folder_and_rejects_missing_input(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "out" / "results").mkdir(parents=True)
    (tmp_path / "out" / "results" / "k.json").write_text("{}")
    found = find_files([tmp_path], exclude=[tmp_path / "out"])
    assert [f.path.name for f in found] == ["a.txt"]
    assert (
        find_files([tmp_path / "out", tmp_path / "out" / "results" / "k.json"], exclude=[tmp_path / "out"])
        == []
    )
    with pytest.raises(InvalidParameterError, match="input does not exist"):
        find_files([tmp_path / "nope"])


def test_dicomdir_given_directly_lists_only_its_files(mixed, tmp_path):
    root, info = mixed
    found = find_files([info["dicomdir"]])
    assert sorted(f.path.name for f in found) == ["DICOMDIR", info["dicomdir_image"].name]
    assert read_dicomdir(info["dicomdir"]) == [info["dicomdir_image"]]


def test_dicomdir_file_ids_match_case_insensitively_and_missing_files_are_flagged(mixed, tmp_path):
    root, info = mixed
    copy = tmp_path / "cd"
    shutil.copytree(info["dicomdir"].parent, copy)
    image = next(copy.rglob("IM*"))
    image.rename(image.with_name(image.name.lower()))  # e.g. copied by a tool that lower-cases
    assert read_dicomdir(copy / "DICOMDIR") == [image.with_name(image.name.lower())]
    image.with_name(image.name.lower()).unlink()
    found = find_files([copy / "DICOMDIR"])
    missing = [f for f in found if f.missing]
    assert len(missing) == 1 and missing[0].via == "DICOMDIR"


def test_sniff_classifies_without_decoding(mixed):
    root, _ = mixed
    assert sniff(root / "bad" / "notes.txt").kind == "not dicom"
    sr = sniff(root / "bad" / "report_sr.dcm")
    assert (sr.kind, sr.modality, sr.is_ultrasound) == ("dicom", "SR", False)
    assert sniff(root / "export" / "cd1" / "DICOMDIR").kind == "dicomdir"
    clip = sniff(root / "cohort" / "patient001" / "pre.dcm")
    assert (clip.kind, clip.modality, clip.is_ultrasound) == ("dicom", "US", True)


# -- the mixed folder ----------------------------------------------------------------------
def test_mixed_folder_rows_errors_and_exit_code(mixed_run):
    root, info, out, result, _ = mixed_run
    assert result.exit_code == 1
    clips = pd.read_csv(out / "clips.csv")
    assert list(clips.columns) == list(CLIP_COLUMNS)
    # 6 cohort clips + the DICOMDIR's clip analysed; truncated failed; B-mode skipped
    assert sorted(clips["status"]) == ["failed"] + ["ok"] * 7 + ["skipped"]
    for k in (1, 2, 3):
        for role in ("pre", "post"):
            row = _row(clips, f"cohort/patient{k:03d}/{role}.dcm")
            assert row["status"] == "ok" and pd.isna(row["error_type"])
            assert row["area_unit"] == "cm2" and row["frames"] == SMALL["n_frames"]
            assert row["algorithm_version"].startswith("echoassess-jet")
    ddir = _row(clips, info["dicomdir_image"].name)
    assert ddir["status"] == "ok" and ddir["sop_instance_uid"] == info["dicomdir_sop"]
    trunc = _row(clips, "bad/truncated.dcm")
    assert trunc["status"] == "failed" and trunc["error_type"] == "TruncatedFileError"
    assert "bytes" in trunc["reason"]
    bmode = _row(clips, "bmode.dcm")
    assert bmode["status"] == "skipped" and bmode["reason"].startswith("no colour flow")

    errors = pd.read_csv(out / "errors.csv")
    assert list(errors["file"]) == [trunc["file"]]
    assert errors.loc[0, "stage"] == "read" and errors.loc[0, "error_type"] == "TruncatedFileError"

    skipped = pd.read_csv(out / "skipped.csv")
    assert _row(skipped, "bad/notes.txt")["reason"].startswith("not DICOM")
    sr = _row(skipped, "bad/report_sr.dcm")
    assert sr["reason"].startswith("not ultrasound (modality SR")
    assert _row(skipped, "cd1/DICOMDIR")["reason"].startswith("DICOMDIR")
    assert _row(skipped, "bmode.dcm")["reason"].startswith("no colour flow")
    assert _row(skipped, "cohort/manifest.csv")["reason"].startswith("not DICOM")
    # every file found is accounted for exactly once (clips.csv or skipped-only)
    files = set(clips["file"]) | set(skipped["file"])
    assert len(files) == len(find_files([root]))


def test_mixed_folder_anonymised_keys(mixed_run):
    root, info, out, _, _ = mixed_run
    clips = pd.read_csv(out / "clips.csv")
    ok = clips[clips["status"] == "ok"]
    assert ok["sop_instance_uid"].is_unique
    assert ok["patient_hash"].str.fullmatch(r"[0-9a-f]{16}").all()
    for k in (1, 2, 3):
        pre = _row(clips, f"patient{k:03d}/pre.dcm")
        post = _row(clips, f"patient{k:03d}/post.dcm")
        assert pre["patient_hash"] == post["patient_hash"] == patient_hash(f"SYN{k:03d}", SALT.encode())
        assert pre["study_instance_uid"] == post["study_instance_uid"]
        assert pre["series_instance_uid"] != post["series_instance_uid"]
    assert ok["patient_hash"].nunique() == 4
    assert_no_identity(out)


def test_records_are_json_per_file_named_by_key(mixed_run):
    root, info, out, _, _ = mixed_run
    records = sorted((out / "results").glob("*.json"))
    assert len(records) == len(find_files([root]))
    pre = root / "cohort" / "patient001" / "pre.dcm"
    rec = json.loads((out / "results" / f"{file_key(pre)}.json").read_text())
    assert rec["status"] == "ok" and rec["result"]["max_jet_area_cm2"] > 0
    assert rec["size"] == pre.stat().st_size
    # a serial run works in this process: its peak is this test session's so far
    # (the earlier tests' clips included), never above the peak now
    from echoassess.batch.worker import _peak_rss_mb

    assert 20 < rec["peak_rss_mb"] <= _peak_rss_mb() and rec["seconds"] > 0
    assert not list((out / "results").glob(".*"))  # no temporary files left


def test_json_log_has_one_event_per_file(mixed_run):
    root, _, _, _, log = mixed_run
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "end"
    files = [e for e in events if e["event"] == "file"]
    assert len(files) == events[0]["files"] == len(find_files([root]))
    assert events[-1]["failed"] == 1 and events[-1]["ok"] == 7


def test_parquet_matches_csv(mixed_run):
    pytest.importorskip("pyarrow")
    _, _, out, _, _ = mixed_run
    pq = pd.read_parquet(out / "clips.parquet")
    csv = pd.read_csv(out / "clips.csv")
    assert list(pq["file"]) == list(csv["file"])
    pd.testing.assert_series_equal(pq["max_jet_area_cm2"], csv["max_jet_area_cm2"])


# -- resume ---------------------------------------------------------------------------------
@pytest.fixture
def cohort3(tmp_path):
    manifest = small_cohort(tmp_path / "data")
    return tmp_path / "data", manifest


def test_rerun_reuses_records_and_force_redoes(cohort3, tmp_path):
    data, _ = cohort3
    out = tmp_path / "out"
    first = run_batch([data], out, executor="serial", salt=SALT)
    assert first.exit_code == 0 and first.n_ok == 6 and first.n_reused == 0
    table = read_table(out / "clips.csv")
    again = run_batch([data], out, executor="serial", salt=SALT)
    assert again.n_reused == first.n_files and again.n_analysed == 0
    pd.testing.assert_frame_equal(read_table(out / "clips.csv"), table)
    forced = run_batch([data], out, executor="serial", salt=SALT, force=True)
    assert forced.n_reused == 0 and forced.n_analysed == first.n_files
    pd.testing.assert_frame_equal(read_table(out / "clips.csv"), table)


def test_rerun_redoes_changed_files_params_and_salt(cohort3, tmp_path):
    data, _ = cohort3
    out = tmp_path / "out"
    first = run_batch([data], out, executor="serial", salt=SALT)
    clip = data / "patient002" / "post.dcm"
    os.utime(clip, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    touched = run_batch([data], out, executor="serial", salt=SALT)
    assert touched.n_analysed == 1 and touched.n_reused == first.n_files - 1
    other = run_batch([data], out, executor="serial", salt=SALT, params=AnalysisParams(min_jet_area_cm2=0.08))
    assert other.n_analysed == first.n_files
    assert other.clips["params_hash"].nunique() == 1
    assert other.clips["params_hash"].iloc[0] != first.clips["params_hash"].iloc[0]
    salted = run_batch(
        [data], out, executor="serial", salt="another salt", params=AnalysisParams(min_jet_area_cm2=0.08)
    )
    assert salted.n_analysed == first.n_files
    assert set(salted.clips["patient_hash"]).isdisjoint(other.clips["patient_hash"])


def test_failed_files_are_retried_and_stale_temp_files_removed(tmp_path):
    data = tmp_path / "data"
    small_cohort(data, 1)
    good = (data / "patient001" / "pre.dcm").read_bytes()
    (data / "cut.dcm").write_bytes(good[:5000])
    out = tmp_path / "out"
    first = run_batch([data], out, executor="serial", salt=SALT)
    assert first.exit_code == 1 and list(first.errors["file"]) == ["data/cut.dcm"]
    (out / "results" / f".{file_key(data / 'cut.dcm')}.json.abc.tmp").write_text('{"half')
    (data / "cut.dcm").write_bytes(good)  # repaired
    second = run_batch([data], out, executor="serial", salt=SALT)
    assert second.exit_code == 0 and second.n_analysed == 1
    assert not list((out / "results").glob(".*"))


def test_corrupt_record_is_redone(cohort3, tmp_path):
    data, _ = cohort3
    out = tmp_path / "out"
    run_batch([data], out, executor="serial", salt=SALT)
    table = read_table(out / "clips.csv")
    rec = out / "results" / f"{file_key(data / 'patient001' / 'pre.dcm')}.json"
    rec.write_text('{"status": "ok", "fing')
    again = run_batch([data], out, executor="serial", salt=SALT)
    assert again.n_analysed == 1
    pd.testing.assert_frame_equal(read_table(out / "clips.csv"), table)
    assert json.loads(rec.read_text())["status"] == "ok"


def test_salt_is_created_once_in_the_output_folder(cohort3, tmp_path):
    data, _ = cohort3
    out = tmp_path / "out"
    a = run_batch([data], out, executor="serial")
    salt = (out / "salt.key").read_text()
    assert len(salt.strip()) == 64 and (out / "salt.key").stat().st_mode & 0o077 == 0
    b = run_batch([data], out, executor="serial")
    assert (out / "salt.key").read_text() == salt and b.n_reused == b.n_files
    assert list(a.clips["patient_hash"]) == list(b.clips["patient_hash"])


def test_progress_callback_counts_every_file(cohort3, tmp_path):
    data, _ = cohort3
    (data / "notes.txt").write_text("x")
    seen = []
    out = run_batch([data], tmp_path / "out", executor="serial", salt=SALT, progress=seen.append)
    assert seen[0].done == 0 and seen[0].file is None
    assert [p.done for p in seen] == list(range(out.n_files + 1))
    assert seen[-1].ok == 6 and seen[-1].skipped == out.n_files - 6 and seen[-1].failed == 0


def test_no_parquet_without_pyarrow(cohort3, tmp_path, monkeypatch):
    data, _ = cohort3
    out = tmp_path / "out"
    out.mkdir()
    (out / "clips.parquet").write_bytes(b"stale")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = run_batch([data], out, executor="serial", salt=SALT)
    assert result.clips_parquet is None and not (out / "clips.parquet").exists()


# -- pairing ----------------------------------------------------------------------------------
def test_pairs_manifest_by_path(cohort3, tmp_path):
    data, manifest = cohort3
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["batch", str(data), "--out", str(out), "--pairs", str(manifest), "--salt", SALT, "-q", "-j", "2"],
    )
    assert result.exit_code == 0, result.output
    comp = pd.read_csv(out / "comparisons.csv")
    clips = pd.read_csv(out / "clips.csv")
    assert list(comp["status"]) == ["ok"] * 3
    truth = pd.read_csv(manifest)
    for k, row in comp.iterrows():
        assert row["pre_file"].endswith(truth.loc[k, "pre"])
        assert row["post_file"].endswith(truth.loc[k, "post"])
        assert row["patient_hash"] == patient_hash(truth.loc[k, "patient"], SALT.encode())
        assert row["pre_max_jet_area"] == _row(clips, truth.loc[k, "pre"])["max_jet_area_cm2"]
        if pd.notna(row["post_max_jet_area"]):
            assert row["area_reduction"] == pytest.approx(
                row["pre_max_jet_area"] - row["post_max_jet_area"], abs=1.01e-3
            )  # each rounded to 0.001
    assert (out / "cohort.png").stat().st_size > 10_000
    assert_no_identity(out)


def test_pairs_manifest_by_sop_uid_and_missing_entries(cohort3, tmp_path):
    data, manifest = cohort3
    clips = run_batch([data], tmp_path / "first", executor="serial", salt=SALT).clips
    truth = pd.read_csv(manifest)
    uid = {f: _row(clips, f)["sop_instance_uid"] for f in list(truth["pre"]) + list(truth["post"])}
    rows = [{"patient": r.patient, "pre": uid[r.pre], "post": uid[r.post]} for r in truth.itertuples()]
    rows.append({"patient": "SYN004", "pre": "patient004/pre.dcm", "post": "1.2.3.4"})
    by_uid = tmp_path / "by_uid.csv"
    pd.DataFrame(rows).to_csv(by_uid, index=False)
    out = tmp_path / "out"
    result = run_batch([data], out, executor="serial", salt=SALT, pairs=by_uid)
    comp = result.comparisons
    assert list(comp["status"]) == ["ok"] * 3 + ["incomplete"]
    assert "not found" in comp.loc[3, "reason"]
    assert result.exit_code == 1
    assert list(result.errors["stage"]) == ["pair"]
    by_path = run_batch([data], tmp_path / "out2", executor="serial", salt=SALT, pairs=manifest)
    cols = ["patient_hash", "pre_file", "post_file", "pre_max_jet_area", "post_max_jet_area"]
    pd.testing.assert_frame_equal(comp.iloc[:3][cols], by_path.comparisons[cols])


def test_pairs_with_failed_clip_is_incomplete(tmp_path):
    data = tmp_path / "data"
    manifest = small_cohort(data, 2)
    pre = data / "patient002" / "pre.dcm"
    pre.write_bytes(pre.read_bytes()[:4000])
    result = run_batch([data], tmp_path / "out", executor="serial", salt=SALT, pairs=manifest)
    comp = result.comparisons
    assert list(comp["status"]) == ["ok", "incomplete"]
    assert comp.loc[1, "reason"].startswith("pre clip failed: TruncatedFileError")
    assert list(result.errors["stage"]) == ["read", "pair"]


def test_pair_by_study_time(tmp_path):
    data = tmp_path / "data"
    manifest = small_cohort(data, 3)
    # a third series for patient 1, acquired between pre and post, must be ignored
    ds = pydicom.dcmread(data / "patient001" / "pre.dcm")
    when = datetime.strptime(ds.AcquisitionDateTime, "%Y%m%d%H%M%S") + timedelta(minutes=10)
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
    ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(data / "patient001" / "mid.dcm")
    result = run_batch([data], tmp_path / "out", executor="serial", salt=SALT, pair_by="study-time")
    comp = result.comparisons.sort_values("pre_file").reset_index(drop=True)
    truth = pd.read_csv(manifest)
    assert list(comp["status"]) == ["ok"] * 3
    assert len(result.clips) == 7
    for k in range(3):
        assert comp.loc[k, "pre_file"].endswith(truth.loc[k, "pre"])
        assert comp.loc[k, "post_file"].endswith(truth.loc[k, "post"])
        assert comp.loc[k, "basis"] == "study-time"


def test_rerun_without_pairing_removes_old_comparisons(cohort3, tmp_path):
    data, manifest = cohort3
    out = tmp_path / "out"
    paired = run_batch([data], out, executor="serial", salt=SALT, pairs=manifest)
    assert paired.comparisons_csv.exists() and paired.cohort_figure.exists()
    plain = run_batch([data], out, executor="serial", salt=SALT)
    assert plain.comparisons is None and plain.n_analysed == 0
    assert not (out / "comparisons.csv").exists() and not (out / "cohort.png").exists()


def test_pair_by_study_time_single_series_is_unpaired_not_an_error(tmp_path):
    data = tmp_path / "data"
    small_cohort(data, 2)
    (data / "patient002" / "post.dcm").unlink()
    result = run_batch([data], tmp_path / "out", executor="serial", salt=SALT, pair_by="study-time")
    assert sorted(result.comparisons["status"]) == ["ok", "unpaired"]
    assert result.exit_code == 0


# -- usage errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["batch", "{missing}", "--out", "{out}"], "input does not exist"),
        (["batch", "{data}", "--out", "{out}", "--pair-by", "series"], "pair_by must be one of"),
        (["batch", "{data}", "--out", "{out}", "--pairs", "{bad}", "--pair-by", "study-time"], "not both"),
        (["batch", "{data}", "--out", "{out}", "--pairs", "{bad}"], "lacks the column"),
        (["batch", "{data}", "--out", "{out}", "--workers", "0"], ""),
        (["batch", "{data}"], "--out"),
        (
            ["batch", "{data}", "--out", "{out}", "--log-json", "{missing}/log.jsonl"],
            "cannot write the JSON log",
        ),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    data = tmp_path / "data"
    data.mkdir()
    bad = tmp_path / "bad.csv"
    bad.write_text("patient,before,after\nA,x,y\n")
    argv = [a.format(missing=tmp_path / "nope", out=tmp_path / "out", data=data, bad=bad) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_second_batch_on_same_output_is_refused(cohort3, tmp_path):
    from echoassess.batch.outdir import OutputLock

    data, _ = cohort3
    out = tmp_path / "out"
    out.mkdir()
    with OutputLock(out):
        with pytest.raises(InvalidParameterError, match="another batch"):
            run_batch([data], out, executor="serial", salt=SALT)


# -- kill -9 ------------------------------------------------------------------------------------
def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "echoassess", "batch", *args]


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_equals_uninterrupted(tmp_path):
    data = tmp_path / "data"
    small_cohort(data, 6, n_frames=24)  # 12 clips: killed after 3, the rest on the rerun
    (data / "notes.txt").write_text("x")
    total = len(find_files([data]))
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    proc = subprocess.Popen(
        _cli(str(data), "--out", str(killed), "--workers", "1", "--quiet", "--salt", SALT),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = list((killed / "results").glob("*.json")) if killed.exists() else []
            if len(done) >= 3:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the pool's workers, if any survived
        except ProcessLookupError:
            pass
    assert proc.returncode == -signal.SIGKILL
    partial = list((killed / "results").glob("*.json"))
    assert 3 <= len(partial) < total, "the run finished before it could be killed"
    for rec in partial:  # atomic writes: every record present is complete JSON
        assert json.loads(rec.read_text())["status"] in ("ok", "skipped", "failed")
    assert not (killed / "clips.csv").exists()

    rerun = subprocess.run(
        _cli(str(data), "--out", str(killed), "--workers", "2", "--salt", SALT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"({len(partial)} reused" in rerun.stdout
    whole = run_batch([data], clean, executor="serial", salt=SALT)  # uninterrupted, and serial
    assert whole.exit_code == 0
    for name in ("clips.csv", "errors.csv", "skipped.csv"):
        pd.testing.assert_frame_equal(read_table(killed / name), read_table(clean / name))
    assert len(pd.read_csv(clean / "clips.csv")) == 12


def test_lock_file_is_removed_after_the_run(cohort3, tmp_path):
    from echoassess import run_batch

    run_batch([cohort3[0]], tmp_path / "out", executor="serial")
    assert not (tmp_path / "out" / ".batch.lock").exists()


def test_missing_input_creates_nothing(tmp_path):
    from echoassess import run_batch

    with pytest.raises(InvalidParameterError, match="nope: input does not exist"):
        run_batch([tmp_path / "nope"], tmp_path / "out", executor="serial")
    assert not (tmp_path / "out").exists()
