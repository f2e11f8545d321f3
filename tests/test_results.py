"""Result types: JSON-ready dicts, tidy tables, a short repr."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from echoassess.results import (
    SETTINGS_KEYS,
    AcquisitionSettings,
    AreaUnit,
    CalibrationSource,
    ClipResult,
    Diagnostics,
    FrameMeasurement,
    JetMeasurement,
    Phase,
    Status,
    jet_area_class,
    round_or_none,
)


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


# -- issue 14: typed settings, enums, from_dict ------------------------------------------
def _full_result():
    from echoassess.postteer import JetPostTeer, PostTeerMeasures

    pt = PostTeerMeasures(
        jets=(JetPostTeer(1, 0.41, 3, 0.38, 8.2, 7.6, ((1.0, 2.0), (3.5, 4.25)), (5.0, 6.0), None, 0.3),),
        vc_sum_cm=0.41,
        la_area_cm2=20.5,
        la_area_px=8200.0,
        la_status="measured",
        la_reason="",
        la_outline_xy=((1.0, 2.0), (3.0, 4.0), (1.0, 6.0)),
        jet_la_ratio=0.29,
        vc_by_frame=((3, (0.41,)),),
    )
    return replace(
        _result(),
        acquisition=AcquisitionSettings(
            nyquist_cm_s=61.6, nyquist_source="user", frame_rate_hz=30.0, depth_cm=16.0, model="M"
        ),
        diagnostics=Diagnostics(
            systole_source="flow",
            colour_box_xyxy=(10, 20, 300, 400),
            colour_bar_source="detected",
            colour_bar_xyxy=(500, 30, 510, 200),
            colour_map_variance=False,
            sector={"apex_x": 320.0, "apex_y": 30.0, "radius_px": 380.0},
            view="tte",
            annulus_xy=((120.5, 150.0), (180.0, 152.5)),
            annulus_tilt_deg=2.4,
            roi_xyxy=(1, 2, 3, 4),
        ),
        identifiers={"sop_instance_uid": "1.2.3"},
        params={"min_jet_area_cm2": 0.05, "coarse_scales": [2, 4]},
        warnings=("a warning",),
        user_inputs=({"input": "nyquist_cm_s", "value": 61.6, "text": "Nyquist 61.6 cm/s (user)"},),
        post_teer=pt,
    )


@pytest.mark.parametrize("make", [_result, _full_result, lambda: _result(spacing=None)])
def test_from_dict_round_trips_to_dict(make):
    r = make()
    d = json.loads(json.dumps(r.to_dict()))  # through JSON, as a results file
    back = ClipResult.from_dict(d)
    assert back.to_dict() == r.to_dict()
    assert back.acquisition == r.acquisition and back.diagnostics == r.diagnostics
    # rounded to the written precision, otherwise the same
    assert [(f.index, f.phase, f.jet_area_px) for f in back.per_frame] == [
        (f.index, f.phase, f.jet_area_px) for f in r.per_frame
    ]
    assert back.jets_at_max == r.jets_at_max and back.post_teer == r.post_teer
    assert ClipResult.from_dict(d, source="/full/path/pre.dcm").source == "/full/path/pre.dcm"


def test_settings_keep_their_json_keys_and_order():
    r = _full_result()
    d = r.to_dict()
    assert list(d["settings"]) == list(SETTINGS_KEYS)
    assert d["settings"]["velocity_unit"] == "cm/s" and d["settings"]["nyquist_cm_s"] == 61.6
    assert d["settings"]["annulus_xy"] == [[120.5, 150.0], [180.0, 152.5]]
    assert d["settings"]["colour_box_xyxy"] == [10, 20, 300, 400]
    assert r.settings["view"] == "tte" and r.diagnostics.view == "tte"
    assert AcquisitionSettings().velocity_unit == "fraction of Nyquist"


def test_from_dict_ignores_unknown_settings_and_fills_missing():
    d = _result().to_dict()
    d["settings"] = {"nyquist_cm_s": 50.0, "gain": 3, "annulus_source": "user"}
    r = ClipResult.from_dict(d)
    assert r.acquisition == AcquisitionSettings(nyquist_cm_s=50.0)
    assert r.diagnostics == Diagnostics(annulus_source="user")


def test_closed_sets_are_string_enums():
    r = _result()
    assert r.status is Status.MEASURED and r.status == "measured"
    assert r.calibration_source is CalibrationSource.REGIONS and r.area_unit is AreaUnit.CM2
    assert _result(spacing=None).area_unit == "px"
    assert all(isinstance(f.phase, Phase) for f in r.per_frame)
    assert r.per_frame[2].phase == "systole" and r.systolic_frames == [2, 3, 4]
    d = r.to_dict()
    # JSON carries plain strings, never enum members
    assert type(d["status"]) is str and type(d["per_frame"][0]["phase"]) is str
    assert type(d["calibration_source"]) is str and type(d["area_unit"]) is str
    assert r.to_frame()["phase"].tolist()[2] == "systole"
    with pytest.raises(ValueError):
        FrameMeasurement(0, None, "ventricle", 0, None, 0)
    with pytest.raises(ValueError):
        replace(r, status="finished")


def test_round_or_none_is_the_one_rounding():
    import importlib

    compare, batch = (importlib.import_module(f"echoassess.{m}") for m in ("compare", "batch"))
    assert round_or_none(2.345678) == 2.3457 and round_or_none(float("nan")) is None
    assert compare._round is round_or_none and not hasattr(batch, "_round")
