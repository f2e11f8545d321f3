"""analyze_clip end to end: sample data against its truth, small synthetic clips in
both encodings, box exclusion, hints, calibration and error paths."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicomfiles import dcm_file

import echoassess
from echoassess import AnalysisParams, analyze_clip
from echoassess.errors import InvalidParameterError, NoColourFlowError
from echoassess.synthetic import SceneParams, generate_clip, load_truth

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    s = int(a.sum()) + int(b.sum())
    return 1.0 if s == 0 else 2.0 * float((a & b).sum()) / s


@pytest.fixture(scope="module")
def small_clip():
    return generate_clip(SceneParams(rows=240, cols=320, n_frames=12, noise_level=0.3), rng=1)


@pytest.fixture(scope="module")
def small_paths(small_clip, tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    return {enc: small_clip.save(d / f"small_{enc}.dcm", encoding=enc)[0] for enc in ("rgb", "jpeg")}


@pytest.mark.parametrize("which", ["pre", "post"])
def test_sample_data_against_truth(which):
    path = SAMPLE / f"patient01_{which}.dcm"
    truth = load_truth(SAMPLE / f"patient01_{which}.truth.npz")
    r = analyze_clip(path, keep_masks=True)
    assert r.frames == truth.n_frames and r.calibrated
    assert r.max_jet_area_cm2 == pytest.approx(truth.max_area_cm2, rel=0.10)
    assert r.n_jets_at_max == int(truth.n_jets[truth.max_frame])
    systolic = np.array([p == "systole" for p in truth.phase])
    dices = [_dice(r.masks[i], truth.masks[i]) for i in np.flatnonzero(systolic)]
    assert np.median(dices) >= 0.88
    assert _dice(r.masks[truth.max_frame], truth.masks[truth.max_frame]) >= 0.85
    # nothing in diastole, phases as in the truth on nearly every frame
    assert not r.masks[~systolic].any()
    got = np.array([f.phase == "systole" for f in r.per_frame])
    assert (got == systolic).mean() >= 0.85
    assert r.jet_area_class == echoassess.results.jet_area_class(truth.max_area_cm2)


@pytest.mark.parametrize("encoding", ["rgb", "jpeg"])
def test_small_clip_both_encodings(small_clip, small_paths, encoding):
    truth = small_clip.truth
    r = analyze_clip(small_paths[encoding], keep_masks=True)
    # a 240 x 320 clip: a one-pixel rim is ~10 % of the jet (rel 0.12 before the
    # view-agnostic jet rules, which do not widen jets by a rim rule)
    assert r.max_jet_area_cm2 == pytest.approx(truth.max_area_cm2, rel=0.15)
    i = truth.max_frame
    assert _dice(r.masks[i], truth.masks[i]) >= 0.85
    assert r.diagnostics.colour_bar_source == "detected"
    assert r.diagnostics.colour_box_source == "regions"


def test_masks_only_on_request_and_results_export(small_paths):
    r = analyze_clip(small_paths["rgb"])
    assert r.masks is None
    d = r.to_dict()
    json.dumps(d)  # JSON-ready
    for key in (
        "frames",
        "frame_time_ms",
        "pixel_spacing_cm",
        "per_frame",
        "max_jet_area_cm2",
        "max_frame",
        "n_jets_at_max",
        "jet_area_class",
        "settings",
        "params",
        "algorithm_version",
    ):
        assert key in d
    assert set(d["per_frame"][0]) >= {"index", "time_ms", "phase", "jet_area_cm2", "n_jets"}
    assert d["params"] == AnalysisParams().to_dict()
    assert d["algorithm_version"].endswith(echoassess.__version__)
    df = r.to_frame()
    assert len(df) == r.frames and df["is_max"].sum() == 1
    m = analyze_clip(small_paths["rgb"], keep_masks=True).masks
    assert m.dtype == bool and m.shape == (r.frames, 240, 320)


def test_nothing_outside_the_colour_box_counts(small_clip, tmp_path):
    """A mosaic painted outside the colour box, in every frame, changes nothing."""
    frames = small_clip.frames.copy()
    x0, y0, x1, y1 = small_clip.truth.colour_box_xyxy
    rng = np.random.default_rng(5)
    patch = small_clip.lut[rng.integers(0, small_clip.lut.shape[0], (frames.shape[0], 30, 30)), 0]
    frames[:, y1 + 2 : y1 + 32, x0 : x0 + 30] = patch[:, : max(0, min(30, 240 - y1 - 2))]
    frames[:, 40:70, 5:35] = patch
    painted = dataclasses.replace(small_clip, frames=frames)
    path, _ = painted.save(tmp_path / "painted.dcm")
    r = analyze_clip(path, keep_masks=True)
    ref = analyze_clip(small_clip.save(tmp_path / "plain.dcm")[0], keep_masks=True)
    outside = np.ones((240, 320), bool)
    outside[y0 : y1 + 1, x0 : x1 + 1] = False
    assert not r.masks[:, outside].any()
    assert r.max_jet_area_px == ref.max_jet_area_px


def test_uncalibrated_clip_in_pixels_and_spacing_scales_area(small_paths, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(small_paths["rgb"])
    del ds.SequenceOfUltrasoundRegions
    path = tmp_path / "nocal.dcm"
    ds.save_as(path)
    r = analyze_clip(path)
    assert not r.calibrated and r.max_jet_area_cm2 is None and r.max_jet_area_px > 0
    assert r.diagnostics.colour_box_source == "pixels"
    assert r.to_dict()["area_unit"] == "px" and r.jet_area_class is None
    r1 = analyze_clip(path, spacing_cm=0.05)
    r2 = analyze_clip(path, spacing_cm=0.10)
    assert r1.max_jet_area_cm2 == pytest.approx(r1.max_jet_area_px * 0.05**2)
    assert r2.max_jet_area_cm2 == pytest.approx(r2.max_jet_area_px * 0.10**2)
    # size thresholds are physical, so the pixel masks barely change: the area
    # scales with the spacing squared
    # (window and band sizes are rounded to whole pixels: a few per cent)
    assert r2.max_jet_area_cm2 == pytest.approx(4 * r1.max_jet_area_cm2, rel=0.05)


def test_hints_and_settings(small_clip, small_paths):
    truth = small_clip.truth
    vx, vy = truth.valve_xy
    r = analyze_clip(small_paths["rgb"], valve_xy=(vx, vy + 3), nyquist_cm_s=62)
    assert r.diagnostics.annulus_source == "user point + jets"
    (x1, y1), (x2, y2) = r.diagnostics.annulus_xy
    assert abs((x1 + x2) / 2 - vx) < 15 and abs((y1 + y2) / 2 - vy) < 15
    assert r.acquisition.nyquist_cm_s == 62
    assert r.max_jet_area_cm2 == pytest.approx(truth.max_area_cm2, rel=0.15)
    # an LA region of interest: nothing outside it counts
    roi = (0, int(vy), int(vx), 239)
    rr = analyze_clip(small_paths["rgb"], roi_xyxy=roi, keep_masks=True)
    assert not rr.masks[:, :, int(vx) + 1 :].any()
    assert rr.max_jet_area_px <= r.max_jet_area_px


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"valve_xy": (5000, 10)}, "outside the 320 x 240 image"),
        ({"valve_xy": "abc"}, "must be two numbers"),
        ({"roi_xyxy": (10, 10, 5, 50)}, "x1 > x0"),
        ({"roi_xyxy": (1, 2, 3)}, "four numbers"),
        ({"roi_xyxy": (0, 0, 5, 5)}, "does not overlap the colour box"),
        ({"nyquist_cm_s": -3}, "nyquist_cm_s"),
        ({"params": {"min_chroma": 3}}, "AnalysisParams"),
    ],
)
def test_bad_hints_raise(small_paths, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        analyze_clip(small_paths["rgb"], **kwargs)


def test_grey_clip_raises_no_colour_flow(tmp_path, small_clip):
    grey = small_clip.frames.mean(axis=-1, keepdims=True).astype(np.uint8).repeat(3, axis=-1)
    path, _ = dataclasses.replace(small_clip, frames=grey).save(tmp_path / "grey.dcm")
    with pytest.raises(NoColourFlowError, match="grey.dcm: no colour-Doppler flow"):
        analyze_clip(path)


def test_real_grey_echo_without_colour_flow_raises():
    with pytest.raises(NoColourFlowError, match="examples_ybr_color.dcm"):
        analyze_clip(dcm_file("examples_ybr_color.dcm"))
