"""Result types: JSON-ready dicts, tidy tables, a short repr."""

from __future__ import annotations

import json

import pytest

from echoassess.results import ClipResult, FrameMeasurement, JetMeasurement, jet_area_class


def _result(spacing=(0.05, 0.05)):
    px = 0.0025 if spacing else None
    frames = tuple(
        FrameMeasurement(
            i,
            33.3 * i,
            "systole" if 2 <= i <= 4 else "diastole",
            a,
            None if px is None else a * px,
            1 if a else 0,
        )
        for i, a in enumerate([0, 0, 800, 2400, 1200, 0])
    )
    jet = JetMeasurement(1, 2400, None if px is None else 6.0, (120.5, 200.25), (100, 150, 140, 260))
    return ClipResult(
        source="pre.dcm",
        frames=6,
        frame_time_ms=33.3,
        pixel_spacing_cm=spacing,
        calibration_source="regions" if spacing else None,
        per_frame=frames,
        max_frame=3,
        max_jet_area_px=2400,
        max_jet_area_cm2=None if px is None else 6.0,
        jets_at_max=(jet,),
        mean_systolic_jet_area_cm2=None if px is None else 4.4,
        algorithm_version="0.1.0",
        params={"min_jet_area_px": 30},
    )


def test_to_dict_is_json_ready_and_complete():
    d = _result().to_dict()
    json.dumps(d)
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
        assert key in d
    assert d["jet_area_class"] == "moderate" and d["n_jets_at_max"] == 1
    assert d["per_frame"][3] == {
        "index": 3,
        "time_ms": 99.9,
        "phase": "systole",
        "jet_area_cm2": 6.0,
        "jet_area_px": 2400,
        "n_jets": 1,
    }


def test_uncalibrated_results_flag_pixels():
    r = _result(spacing=None)
    assert r.area_unit == "px" and not r.calibrated and r.jet_area_class is None
    assert r.to_dict()["per_frame"][3]["jet_area_cm2"] is None
    assert "2400 px (uncalibrated)" in repr(r)


def test_to_frame_is_tidy():
    df = _result().to_frame()
    assert list(df.columns) == [
        "source",
        "index",
        "time_ms",
        "phase",
        "jet_area_cm2",
        "jet_area_px",
        "n_jets",
        "is_max",
    ]
    assert len(df) == 6 and df["is_max"].sum() == 1 and df.loc[df.is_max, "index"].item() == 3
    assert _result().systolic_frames == [2, 3, 4]


def test_repr_is_one_short_line():
    text = repr(_result())
    assert text == (
        "<ClipResult pre.dcm: 6 frames, max jet area 6.00 cm² on frame 3, 1 jet(s), class moderate>"
    )


@pytest.mark.parametrize(
    "area,cls", [(3.99, "mild"), (4.0, "moderate"), (10.0, "moderate"), (10.01, "severe")]
)
def test_ase_cut_offs(area, cls):
    assert jet_area_class(area) == cls
