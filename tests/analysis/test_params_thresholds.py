"""The thresholds that were inline in the valve search and the ECG reader are
:class:`AnalysisParams` (issue 14): their defaults are the former inline values
and keep the numbers, and a change reaches the analysis and the batch's params
hash (so cached batch results are redone)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from echoassess import AnalysisParams, analyze_clip
from echoassess.batch.records import params_hash
from echoassess.ecg import read_ecg, read_frozen_ecg

ROOT = Path(__file__).resolve().parents[2]
PRE = ROOT / "sample_data" / "patient01_pre.dcm"
GOLDEN = ROOT / "tests" / "golden" / "measurements.json"

#: each new parameter and the inline value it replaced
FORMER_INLINE = {
    # analysis/valve_search.py
    "other_flow_min_weight": 0.2,
    "diastolic_main_share": 0.5,
    "systolic_alternative_weight": 0.1,
    "systolic_alternative_share": 0.6,
    "diastolic_reject_share": 0.3,
    "merge_shared_frames": 0.5,
    "merge_min_weight": 0.15,
    "merge_upstream_cm": 0.5,
    "neck_max_offset_cm": 2.5,
    "neck_max_inflow_fraction": 0.4,
    "tissue_max_tilt_deg": 45.0,
    "tissue_downstream_cm": 1.6,
    "neck_downstream_cm": 0.5,
    # ecg.py
    "r_wave_fraction": 0.6,
    "min_rr_ms": 250.0,
    "max_rr_ms": 2500.0,
    "trace_min_level": 70,
    "trace_min_chroma": 35,
    "min_r_spike_px": 8.0,
    "file_rr_agreement": 0.25,
    "frozen_rr_agreement": 0.2,
}


@pytest.fixture(scope="module")
def pre():
    return analyze_clip(PRE)


def test_the_defaults_are_the_former_inline_values():
    d = AnalysisParams().to_dict()
    assert {k: d[k] for k in FORMER_INLINE} == FORMER_INLINE


@pytest.mark.parametrize("name", sorted(FORMER_INLINE))
def test_changing_a_threshold_changes_the_params_hash(name):
    value = FORMER_INLINE[name] * 1.5 + 0.1
    changed = AnalysisParams(**{name: int(value) if isinstance(FORMER_INLINE[name], int) else value})
    assert changed.to_dict()[name] != FORMER_INLINE[name]
    assert params_hash(changed) != params_hash(AnalysisParams())


def test_the_defaults_given_explicitly_reproduce_the_snapshot(pre):
    golden = json.loads(GOLDEN.read_text())["patient01_pre"]
    r = analyze_clip(PRE, AnalysisParams(**FORMER_INLINE))
    for res in (pre, r):
        assert res.max_jet_area_px == golden["max_jet_area_px"]
        assert [f.jet_area_px for f in res.per_frame] == [f[1] for f in golden["per_frame"]]


def test_a_valve_threshold_reaches_the_analysis(pre):
    # an annulus held perpendicular to the beam fits the sample's valve differently
    r = analyze_clip(PRE, AnalysisParams(tissue_max_tilt_deg=0.0))
    assert r.max_jet_area_px != pre.max_jet_area_px


def test_the_rr_range_reaches_the_ecg_reading(pre):
    assert pre.diagnostics.ecg_rr_ms == pytest.approx(857.1, abs=0.1)
    r = analyze_clip(PRE, AnalysisParams(max_rr_ms=800.0))
    assert r.diagnostics.ecg_rr_ms is None


def _trace():
    xs = np.arange(0, 400.0)
    ys = np.full(400, 50.0)
    ys[[100, 300]] = 20  # two R waves, 30 px tall
    ys[200] = 35  # a wave half as tall
    return xs, ys


def test_the_ecg_reader_takes_the_r_wave_fraction_and_rr_range():
    cursor, times = np.linspace(50, 350, 11), np.arange(11) * 100.0
    assert read_ecg(cursor, times, _trace()).rr_ms == pytest.approx(666.67, abs=0.01)
    # a lower fraction counts the small wave as an R wave too
    assert read_ecg(cursor, times, _trace(), r_wave_fraction=0.4).rr_ms == pytest.approx(333.33, abs=0.01)
    assert read_ecg(cursor, times, _trace(), max_rr_ms=600.0) is None
    assert read_ecg(cursor, times, _trace(), r_wave_fraction=0.4, min_rr_ms=400.0) is None


def test_the_frozen_ecg_reader_takes_the_rr_range():
    times = np.arange(12) * 100.0
    assert read_frozen_ecg(times, 100.0, _trace()).rr_ms == pytest.approx(600.0)
    assert read_frozen_ecg(times, 100.0, _trace(), max_rr_ms=500.0) is None
    assert read_frozen_ecg(times, 100.0, _trace(), min_rr_ms=700.0) is None


def test_the_ecg_trace_thresholds_reach_the_analysis(pre):
    # a trace colour level above any pixel finds no trace: no ECG to agree with the flow
    assert "ECG agrees" in pre.diagnostics.systole_source
    r = analyze_clip(PRE, AnalysisParams(trace_min_level=255))
    assert r.diagnostics.ecg_rr_ms is None and "ECG" not in str(r.diagnostics.systole_source)
    # R waves taller than the screen: none is seen
    assert analyze_clip(PRE, AnalysisParams(min_r_spike_px=1000.0)).diagnostics.ecg_rr_ms is None


def test_the_post_teer_thresholds_are_parameters_and_reach_the_measures(pre):
    """The vena contracta and LA defaults are AnalysisParams (so in the params hash)
    and reach the measures."""
    from echoassess.analysis.params import PostTeerParams

    d = AnalysisParams().to_dict()
    assert {k: d[k] for k in ("vc_search_cm", "vc_max_tilt_deg", "la_reach_cm", "la_max_edge_frac")} == {
        "vc_search_cm": 1.0,
        "vc_max_tilt_deg": 30.0,
        "la_reach_cm": 9.0,
        "la_max_edge_frac": 0.08,
    }
    assert params_hash(AnalysisParams(la_core_level=0.3)) != params_hash(AnalysisParams())
    assert AnalysisParams(post_teer=PostTeerParams(vc_track_cm=0.2)).post_teer.vc_track_cm == 0.2
    # no turning of the neck: the post-clip sample's slanted necks are wider, as
    # before the chord (the pre-clip jet's neck lies square to its annulus)
    post = ROOT / "sample_data" / "patient01_post.dcm"
    turned = analyze_clip(post).post_teer
    straight = analyze_clip(post, AnalysisParams(vc_max_tilt_deg=0.0)).post_teer
    assert [s.vc_width_cm > t.vc_width_cm for s, t in zip(straight.jets, turned.jets, strict=True)] == [
        True,
        True,
    ]
    # rays that end within 1 cm of the core never close an atrium: cannot measure
    short = analyze_clip(PRE, AnalysisParams(la_reach_cm=1.0)).post_teer
    assert pre.post_teer.la_status == "measured" and short.la_status == "cannot_measure"
