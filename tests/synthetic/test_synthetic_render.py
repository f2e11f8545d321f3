"""The pieces both synthetic renderers share (render_common, the colour tables,
the study pairing) and the layers of each renderer, tested alone."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy import ndimage as ndi

from echoassess.errors import InvalidParameterError
from echoassess.synthetic import SceneParams, StudyInfo, WorldParams
from echoassess.synthetic.clip import check_patient, default_study, study_pair
from echoassess.synthetic.colourmaps import WORLD_STOPS, black_rows, colour_lut, world_lut
from echoassess.synthetic.render_common import (
    draw_legend,
    ecg_points,
    flow_colours,
    separate_jets,
    smooth_noise,
    wrap,
)


# -- render_common ------------------------------------------------------------
def test_wrap_aliases_into_one_nyquist_interval():
    u = np.linspace(-3.5, 3.5, 141)
    w = wrap(u)
    assert (w >= -1).all() and (w < 1).all()
    k = (u - w) / 2.0  # a whole number of Nyquist intervals removed
    assert np.allclose(k, np.round(k))
    assert wrap(np.array([0.5]))[0] == 0.5


def test_smooth_noise_is_unit_sd_float32_and_seeded():
    a = smooth_noise(np.random.default_rng(1), (40, 50), 3.0)
    b = smooth_noise(np.random.default_rng(1), (40, 50), 3.0)
    assert a.dtype == np.float32 and a.shape == (40, 50)
    assert abs(float(a.std()) - 1.0) < 1e-4
    assert np.array_equal(a, b)


@pytest.mark.parametrize("n_var", [1, 8])
def test_flow_colours_never_show_the_black_baseline(n_var):
    lut = world_lut("vendor_a", 64, n_var)
    lo, hi = black_rows(64)
    vel = np.linspace(-150, 150, 601)  # through zero and past +/- Nyquist (aliasing)
    var = np.linspace(0, 1, 601)
    colours = flow_colours(lut, vel, var, 60.0)
    assert colours.shape == (601, 3)
    black = lut[lo : hi + 1].reshape(-1, 3)
    shown = {tuple(c) for c in colours}
    assert not shown & {tuple(c) for c in black}
    # slow flow toward the probe is red-ish, away blue-ish
    toward = flow_colours(lut, np.array([20.0]), np.array([0.0]), 60.0)[0]
    away = flow_colours(lut, np.array([-20.0]), np.array([0.0]), 60.0)[0]
    assert toward[0] > toward[2] and away[2] > away[0]


def test_separate_jets_leaves_one_region_per_jet():
    src = np.zeros((20, 30), np.uint8)
    shown = np.zeros((20, 30), bool)
    src[2:8, 2:12] = 1  # jet 1 ...
    src[10:12, 2:5] = 1  # ... and a stray fragment of it
    src[2:8, 12:20] = 2  # jet 2 touching jet 1
    shown[src > 0] = True
    separate_jets(src, shown, 2)
    eight = np.ones((3, 3), bool)
    for j in (1, 2):
        assert ndi.label(shown & (src == j), structure=eight)[1] == 1
    # the jets no longer touch
    grown = ndi.binary_dilation(shown & (src == 1), structure=eight)
    assert not (grown & shown & (src == 2)).any()


def test_separate_jets_keeps_touching_jets_when_asked():
    src = np.zeros((10, 10), np.uint8)
    src[2:6, 2:5], src[2:6, 5:8] = 1, 2
    shown = src > 0
    before = shown.copy()
    separate_jets(src, shown, 2, touching=True)
    assert np.array_equal(shown, before)


def test_separate_jets_keeps_the_piece_at_the_orifice_of_a_crossed_jet():
    # jet 2 (a vertical band) crosses jet 1 and cuts it in two: a small piece at
    # jet 1's orifice (top left) and a larger one past the crossing
    src = np.zeros((20, 20), np.uint8)
    src[2:5, 2:7] = 1  # 15 px at the orifice
    src[10:17, 10:17] = 1  # 49 px past jet 2
    src[:, 7:10] = 2
    shown = src > 0
    before = shown.copy()
    separate_jets(src, shown, 2, touching=True, origins=[(2, 2), (0, 8)])
    # nothing is un-coloured: the far piece is part of the merged plume, jet 2's
    assert np.array_equal(shown, before)
    assert (src[2:5, 2:7] == 1).all() and (src[10:17, 10:17] == 2).all()
    eight = np.ones((3, 3), bool)
    for j in (1, 2):
        assert ndi.label(shown & (src == j), structure=eight)[1] == 1
    # without the orifices the largest piece is kept, as before
    src2 = np.zeros((20, 20), np.uint8)
    src2[2:5, 2:7], src2[10:17, 10:17], src2[:, 7:10] = 1, 1, 2
    shown2 = src2 > 0
    separate_jets(src2, shown2, 2, touching=True)
    assert (src2[10:17, 10:17] == 1).all() and (src2[2:5, 2:7] == 2).all()


def test_ecg_points_span_the_strip_with_one_r_wave_per_beat():
    box = (10, 100, 410, 140)
    pts = ecg_points(box, rr_ms=1000.0, start_phase=0.0, t0=0.0, span=2000.0)
    assert pts.shape == (401, 1, 2) and pts.dtype == np.int32
    xs, ys = pts[:, 0, 0], pts[:, 0, 1]
    assert xs[0] == 10 and xs[-1] == 410
    assert ys.min() >= 100 - 20 and ys.max() <= 140 + 20
    r_waves = xs[ys <= ys.min() + 1]  # the highest points: the R waves at 0, 1000 and 2000 ms
    assert {int(round((x - 10) / 200)) for x in r_waves} == {0, 1, 2}
    assert all(abs(x - (10 + 200 * round((x - 10) / 200))) <= 3 for x in r_waves)


def test_draw_legend_draws_the_table_itself():
    lut = colour_lut("vendor_b", 40, 6)
    img = np.zeros((100, 100, 3), np.uint8)
    draw_legend(img, lut, (10, 20, 15, 59))
    assert np.array_equal(img[20:60, 10:16], lut)


# -- colour tables -------------------------------------------------------------
def test_world_tables_include_the_apical_maps_without_variance():
    for name in ("vendor_a", "vendor_b"):
        assert np.array_equal(world_lut(name, 48, 1), colour_lut(name, 48, 1))
    assert set(WORLD_STOPS) == {"vendor_a", "vendor_b", "ge_like", "philips_like", "siemens_like"}


def test_variance_adds_green():
    lut = world_lut("ge_like", 64, 8)
    assert (lut[:, -1, 1].astype(int) >= lut[:, 0, 1]).all()
    assert (lut[:, -1, 1] > lut[:, 0, 1]).any()
    # the apical velocity-only map ignores a variance request
    assert colour_lut("vendor_a", 64, 8).shape == (64, 1, 3)


# -- studies ---------------------------------------------------------------------
def test_study_pair_is_two_series_of_one_study():
    g = np.random.default_rng(3)
    base = default_study(g, 7)
    pre, post = study_pair(base, g, "pre text", "post text")
    assert pre.patient_id == post.patient_id == "SYN007"
    assert pre.study_instance_uid == post.study_instance_uid
    assert (pre.series_number, post.series_number) == (1, 2)
    assert pre.series_instance_uid != post.series_instance_uid
    assert pre.sop_instance_uid != post.sop_instance_uid
    assert (
        timedelta(minutes=30)
        <= post.acquisition_datetime - pre.acquisition_datetime
        <= timedelta(minutes=120)
    )
    assert (pre.series_description, post.series_description) == ("pre text", "post text")
    assert StudyInfo.random_uid(np.random.default_rng(0)).startswith("2.25.")


@pytest.mark.parametrize("bad", [0, -1, 1_000_000, 2.5, "3"])
def test_check_patient_rejects(bad):
    with pytest.raises(InvalidParameterError, match="patient must be a positive integer"):
        check_patient(bad)


# -- parameters ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rows", 100, r"WorldParams\.rows must be an integer in \[240, 1200\]"),
        ("gain", float("nan"), r"WorldParams\.gain must be a number in \[0\.3, 3\]"),
        ("n_jets", True, r"WorldParams\.n_jets must be an integer"),
        ("pisa", 1, r"WorldParams\.pisa must be True or False"),
        ("view", "psax", r"WorldParams\.view must be one of a4c"),
        ("ecg_rgb", (0, 0, 300), r"WorldParams\.ecg_rgb must be three integers in 0\.\.255"),
    ],
)
def test_world_params_validation_names_the_field(field, value, message):
    with pytest.raises(InvalidParameterError, match=message):
        WorldParams(**{field: value})


def test_world_params_random_draws_every_axis_independently():
    """Fixing one axis does not change the other draws (the axes are drawn first)."""
    free = WorldParams.random(5, rows=240, cols=320)
    fixed = WorldParams.random(5, view=free.view, rows=240, cols=320)
    assert free == fixed
    other = WorldParams.random(5, view="tee_comm" if free.view != "tee_comm" else "a4c", rows=240, cols=320)
    assert (other.texture, other.artefacts, other.rows) == (free.texture, free.artefacts, free.rows)


def test_scene_params_random_is_seeded():
    assert SceneParams.random(4, rows=240, cols=320) == SceneParams.random(4, rows=240, cols=320)
