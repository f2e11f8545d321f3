"""FileRecord: one input file of a batch, its record, and when that record is reused."""

from __future__ import annotations

import json
import os

from echoassess.batch import FileRecord, file_key
from echoassess.batch.records import fingerprint, params_hash, read_record
from echoassess.discover import FoundFile
from echoassess.pipeline import AnalysisParams


def test_from_found_reads_size_and_mtime(tmp_path):
    path = tmp_path / "a.dcm"
    path.write_bytes(b"12345")
    rec = FileRecord.from_found(FoundFile(path, "in/a" + chr(0xDCFF) + ".dcm", "folder"))
    assert rec.key == file_key(path) and rec.size == 5 and rec.mtime_ns == path.stat().st_mtime_ns
    assert rec.display == "in/a\\xff.dcm"  # printable: a name that is not UTF-8 as escapes
    assert rec.data is None and rec.status is None and not rec.is_clip


def test_missing_file_has_its_own_key_and_no_stat(tmp_path):
    rec = FileRecord.from_found(FoundFile(tmp_path / "gone", "cd/gone", "DICOMDIR", missing=True))
    assert rec.missing and rec.key.startswith("missing-") and rec.size is None


def test_record_accessors_and_rows(tmp_path):
    data = {
        "status": "failed",
        "kind": "clip",
        "stage": "read",
        "error_type": "TruncatedFileError",
        "reason": "ends early",
        "hint": "copy it again",
        "modality": "US",
        "sop_class": "US Multi-frame Image Storage",
        "identifiers": {"sop_instance_uid": "1.2.3"},
    }
    rec = FileRecord(tmp_path / "x.dcm", "k", "d/x.dcm").with_data(data)
    assert (rec.status, rec.is_clip, rec.sop_instance_uid, rec.result) == ("failed", True, "1.2.3", {})
    assert rec.error_row() == {
        "file": "d/x.dcm",
        "stage": "read",
        "error_type": "TruncatedFileError",
        "reason": "ends early",
        "hint": "copy it again",
        "sop_instance_uid": "1.2.3",
    }
    assert rec.skipped_row("dup")["reason"] == "dup" and rec.skipped_row()["modality"] == "US"


def test_reusable_only_for_the_same_file_settings_and_no_failure(tmp_path):
    fp = fingerprint(AnalysisParams(), b"salt")
    base = FileRecord(tmp_path / "x.dcm", "k", "x.dcm", size=10, mtime_ns=7)
    ok = {"status": "ok", "fingerprint": fp, "size": 10, "mtime_ns": 7}
    assert base.with_data(ok).reusable(fp)
    assert base.with_data({**ok, "status": "skipped"}).reusable(fp)
    assert not base.with_data({**ok, "status": "failed"}).reusable(fp)  # failures are retried
    assert not base.with_data({**ok, "mtime_ns": 8}).reusable(fp)
    assert not base.with_data({**ok, "size": 11}).reusable(fp)
    assert not base.with_data(ok).reusable(fingerprint(AnalysisParams(), b"other salt"))
    assert not base.with_data(ok).reusable(fingerprint(AnalysisParams(min_jet_area_cm2=0.08), b"salt"))
    assert not base.with_data(ok).reusable(fingerprint(AnalysisParams(), b"salt", "hints-digest"))
    assert not FileRecord(tmp_path / "x.dcm", "k", "x.dcm").with_data(ok).reusable(fp)  # no stat
    assert not base.reusable(fp)


def test_params_hash_follows_the_parameters():
    assert params_hash(AnalysisParams()) == params_hash(AnalysisParams())
    assert params_hash(AnalysisParams()) != params_hash(AnalysisParams(min_jet_area_cm2=0.08))


def test_write_then_read_round_trips_and_damage_reads_as_none(tmp_path):
    rec = FileRecord(tmp_path / "x.dcm", "k", "x.dcm").with_data({"status": "ok", "result": {"a": 1}})
    rec.write(tmp_path)
    assert read_record(tmp_path / "k.json") == {"status": "ok", "result": {"a": 1}}
    assert json.loads((tmp_path / "k.json").read_text())["status"] == "ok"
    (tmp_path / "k.json").write_text('{"status": "ok", "fing')
    assert read_record(tmp_path / "k.json") is None
    (tmp_path / "list.json").write_text("[1]")
    assert read_record(tmp_path / "list.json") is None
    assert read_record(tmp_path / "none.json") is None
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]
