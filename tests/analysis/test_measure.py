"""measure: jet areas (cm^2 and px), per-frame and per-clip summaries."""

from __future__ import annotations

import numpy as np
import pytest

from echoassess.measure import measure_frame, measure_jets, pixel_area_cm2, summarize_clip


def _labels():
    lab = np.zeros((20, 30), np.int32)
    lab[2:6, 3:8] = 1  # 20 px
    lab[10:19, 15:25] = 2  # 90 px
    return lab


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_area_scales_with_spacing_squared(scale):
    lab = _labels()
    base = measure_jets(lab, 2, spacing_cm=(0.04, 0.05))
    scaled = measure_jets(lab, 2, spacing_cm=(0.04 * scale, 0.05 * scale))
    for a, b in zip(base, scaled):
        assert a.area_px == b.area_px
        assert b.area_cm2 == pytest.approx(a.area_cm2 * scale**2)
    assert [j.area_px for j in base] == [20, 90]
    assert base[1].area_cm2 == pytest.approx(90 * 0.04 * 0.05)


def test_centroids_and_boxes_in_frame_coordinates():
    jets = measure_jets(_labels(), 2, spacing_cm=None, offset_xy=(100, 50))
    assert jets[0].centroid_xy == pytest.approx((105.0, 53.5))
    assert jets[1].bbox_xyxy == (115, 60, 124, 68)
    assert jets[0].area_cm2 is None


def test_uncalibrated_frame_reports_pixels_only():
    m = measure_frame(4, _labels(), 2, phase="systole", time_ms=None, spacing_cm=None)
    assert (m.jet_area_px, m.jet_area_cm2, m.n_jets) == (110, None, 2)
    assert pixel_area_cm2(None) is None


def test_clip_summary_max_over_systole_only():
    sp = (0.1, 0.1)
    big = np.ones((10, 10), np.int32)  # 100 px, but diastolic: ignored
    small = np.zeros((10, 10), np.int32)
    small[:5, :6] = 1  # 30 px
    mid = np.zeros((10, 10), np.int32)
    mid[:5, :8] = 1  # 40 px
    frames = [
        measure_frame(0, big, 1, phase="diastole", time_ms=0.0, spacing_cm=sp),
        measure_frame(1, small, 1, phase="systole", time_ms=20.0, spacing_cm=sp),
        measure_frame(2, mid, 1, phase="systole", time_ms=40.0, spacing_cm=sp),
        measure_frame(3, None, 0, phase="diastole", time_ms=60.0, spacing_cm=sp),
    ]
    jets = {2: measure_jets(mid, 1, spacing_cm=sp)}
    r = summarize_clip(
        frames,
        jets,
        source="x.dcm",
        frame_time_ms=20.0,
        spacing_cm=sp,
        calibration_source="regions",
        algorithm_version="v",
        params={"a": 1},
    )
    assert r.max_frame == 2 and r.max_jet_area_px == 40
    assert r.max_jet_area_cm2 == pytest.approx(0.4)
    assert r.mean_systolic_jet_area_cm2 == pytest.approx(0.35)
    assert r.n_jets_at_max == 1 and r.jet_area_class == "mild"
    d = r.to_dict()
    assert d["max_frame"] == 2 and d["per_frame"][0]["phase"] == "diastole"
    assert d["algorithm_version"] == "v" and d["params"] == {"a": 1}


def test_ase_classes_from_area():
    sp = (1.0, 1.0)
    for px, cls in [(3, "mild"), (7, "moderate"), (12, "severe")]:
        lab = np.zeros((4, 4), np.int32)
        lab.ravel()[:px] = 1
        fm = [measure_frame(0, lab, 1, phase="systole", time_ms=None, spacing_cm=sp)]
        r = summarize_clip(
            fm, {}, source="x", frame_time_ms=None, spacing_cm=sp, calibration_source="user spacing"
        )
        assert r.jet_area_class == cls
