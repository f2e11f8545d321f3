"""The acquisition settings a result records come from the file unless given."""

from __future__ import annotations

from pathlib import Path

import pytest

import echoassess

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "patient01_pre.dcm"


@pytest.fixture(scope="module")
def clip():
    return echoassess.load_clip(SAMPLE)


def test_nyquist_and_depth_from_the_file(clip):
    r = echoassess.analyze_clip(clip)
    assert r.acquisition.nyquist_cm_s == pytest.approx(clip.nyquist_cm_s, abs=0.01)
    assert r.acquisition.nyquist_cm_s == pytest.approx(62.0, abs=0.1)
    assert r.acquisition.nyquist_source.startswith("file")
    assert r.acquisition.depth_cm == pytest.approx(16.0, abs=0.05)
    assert r.acquisition.velocity_unit == "cm/s"


def test_user_nyquist_wins_and_a_depth_for_a_calibrated_file_is_named_not_used(clip):
    r = echoassess.analyze_clip(clip, nyquist_cm_s=50.0, depth_cm=15.0)
    assert r.acquisition.nyquist_cm_s == 50.0 and r.acquisition.nyquist_source == "user"
    # the areas use the file's calibration, so the depth recorded is the file's (issue 13)
    assert r.acquisition.depth_cm == pytest.approx(16.0, abs=0.05)
    assert r.acquisition.depth_source.startswith("file")
    inputs = {e["input"]: e for e in r.user_inputs}
    assert inputs["depth_cm"]["used"] is False and inputs["nyquist_cm_s"]["used"] is True
    assert any("imaging depth given (15 cm) differs from the file's (16.0 cm)" in w for w in r.warnings)
