"""``echoassess info`` as a user runs it, and the docstring examples."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from dicomfiles import dcm_file, read_dataset, save_variant
from typer.testing import CliRunner

from echoassess.cli import app

runner = CliRunner()


def test_info_text():
    result = runner.invoke(app, ["info", dcm_file("color3d_jpeg_baseline.dcm")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "color3d_jpeg_baseline.dcm" in out
    assert "120 x 480 x 640 px" in out
    assert "SonoSite" in out
    assert "33.33 ms/frame" in out and "FrameTime" in out
    assert "0.05105 x 0.05105 cm" in out


def test_info_json_has_no_patient_identity(tmp_path):
    ds = read_dataset("color3d_jpeg_baseline.dcm")
    path = save_variant(ds, tmp_path / "named.dcm", PatientName="ROE^RICHARD", PatientID="ID-4242")
    result = runner.invoke(app, ["info", "--json", str(path)])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["frames"] == 120 and data["pixel_spacing_cm"][0] == pytest.approx(0.0510497)
    assert data["calibration_source"] == "regions"
    assert "ROE" not in result.output and "ID-4242" not in result.output


def test_info_uncalibrated_and_overrides():
    path = dcm_file("US1_UNCR.dcm")
    result = runner.invoke(app, ["info", path])
    assert "uncalibrated: the file has no SequenceOfUltrasoundRegions" in result.output
    result = runner.invoke(app, ["info", "--spacing-cm", "0.04", path])
    assert "0.04000 x 0.04000 cm/px (user spacing)" in result.output


def test_info_bad_file_is_a_clean_error(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n" * 100)
    result = runner.invoke(app, ["info", str(bad)])
    assert result.exit_code == 1
    assert "error:" in result.output and "notes.txt: not a DICOM file" in result.output
    assert "Traceback" not in result.output


def test_module_entry_point_and_version():
    out = subprocess.run(
        [sys.executable, "-m", "echoassess", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("echoassess ")
    out = subprocess.run(
        [sys.executable, "-m", "echoassess", "--help"], capture_output=True, text=True, check=True
    )
    assert "info" in out.stdout
