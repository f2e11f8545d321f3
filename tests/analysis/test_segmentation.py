"""mosaic and segmentation: mosaic detection at the colour-cell scale, atrial jet masks at any
annulus angle, systole, jet origins along the annulus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from echoassess.mosaic import colour_cell_px, turbulence_map, turbulent_mask
from echoassess.segmentation import (
    atrial_jet_mask,
    detect_systole,
    label_by_origins,
    origins_along,
    remove_small,
)
from echoassess.valve import annulus_from_points


def _coarse_mosaic(rng, shape, cell):
    h, w = shape
    cells = rng.uniform(-1, 1, (h // cell + 1, w // cell + 1)).astype(np.float32)
    return np.kron(cells, np.ones((cell, cell), np.float32))[:h, :w]


def test_turbulence_low_for_smooth_and_aliased_flow_high_for_mosaic(rng):
    yy, xx = np.mgrid[0:30, 0:30]
    smooth = np.mod(0.07 * xx + 0.5, 2).astype(np.float32) - 1  # wraps from +1 to -1 smoothly
    assert smooth.max() > 0.9 and smooth.min() < -0.9
    flow = np.ones((30, 30), bool)
    assert turbulence_map(smooth, flow, window_px=5)[5:25, 5:25].max() < 0.1
    mosaic = rng.uniform(-1, 1, (30, 30)).astype(np.float32)
    assert np.median(turbulence_map(mosaic, flow, window_px=5)[5:25, 5:25]) > 0.6
    assert turbulence_map(mosaic, np.zeros_like(flow), window_px=5).max() == 0


def test_tight_pisa_rings_are_smooth_at_any_lag():
    """Failure mode 4: flow-convergence hemispheres with tight aliasing rings
    (a ring every 4 px) are smooth flow, not mosaic."""
    yy, xx = np.mgrid[0:60, 0:60].astype(np.float32)
    r = np.hypot(xx - 30, yy - 70)
    rings = (np.mod(r / 2.0 + 1, 2) - 1).astype(np.float32)  # a full wrap every 4 px
    flow = r < 60
    for lag in (1, 3, 5):
        t = turbulence_map(rings, flow, window_px=9, lag_px=lag)
        assert np.median(t[20:50, 15:45]) < 0.2, lag


def test_coarse_mosaic_is_turbulent_at_its_cell_size(rng):
    """Failure mode 2: a coarse mosaic (6 px cells) reads as smooth at a
    one-pixel lag but as turbulent once the lag matches its cells."""
    v = _coarse_mosaic(rng, (60, 60), 6)
    flow = np.ones_like(v, bool)
    cell = colour_cell_px(v, flow, flow)
    assert 3 <= cell <= 7
    fine = turbulence_map(v, flow, window_px=7, lag_px=1)
    scaled = turbulence_map(v, flow, window_px=3 * cell | 1, lag_px=cell)
    assert np.median(scaled[10:50, 10:50]) > 0.5
    assert np.median(scaled[10:50, 10:50]) > np.median(fine[10:50, 10:50]) + 0.2


def test_colour_cell_of_a_fine_mosaic_and_of_nothing(rng):
    v = rng.uniform(-1, 1, (50, 50)).astype(np.float32)
    on = np.ones_like(v, bool)
    assert colour_cell_px(v, on, on) == 1
    assert colour_cell_px(v, on, np.zeros_like(on)) == 1


def test_turbulent_mask_uses_variance_and_drops_specks():
    v = np.zeros((20, 20), np.float32)
    flow = np.zeros((20, 20), bool)
    flow[2:12, 2:12] = True
    var = np.zeros_like(v)
    var[2:12, 2:12] = 0.9
    t = turbulent_mask(v, flow, var, window_px=3, min_area_px=4)
    assert t[2:12, 2:12].all() and t.sum() == 100
    speck = np.zeros_like(flow)
    speck[15, 15] = True
    assert not turbulent_mask(v, speck, np.full_like(v, 0.9), window_px=3, min_area_px=4).any()


def test_remove_small():
    m = np.zeros((10, 10), bool)
    m[0, 0] = m[5:8, 5:8] = True
    assert remove_small(m, 2).sum() == 9


def _scene(rng, *, tilt_deg=0.0, side=1, h=120, w=120, cell=1, streaks=False, pisa=True):
    """A jet leaving an annulus through (60, 50) at ``tilt_deg``, into the
    atrium on the far (``side=1``, TTE) or near (``side=-1``, TEE) side of the
    probe at (60, -200), a smooth PISA dome on the other side."""
    apex = (60.0, -200.0)
    a = math.radians(tilt_deg)
    p1 = (60 - 25 * math.cos(a), 50 - 25 * math.sin(a))
    p2 = (60 + 25 * math.cos(a), 50 + 25 * math.sin(a))
    ann = annulus_from_points(p1, p2, apex_xy=apex, side=side)
    t, d = ann.coords((h, w))
    jet = (d >= 0) & (d < 45) & (np.abs(t) < 3 + 0.35 * d)
    v = np.zeros((h, w), np.float32)
    mos = rng.uniform(-1, 1, (h, w)).astype(np.float32) if cell == 1 else _coarse_mosaic(rng, (h, w), cell)
    v[jet] = mos[jet]
    flow = jet.copy()
    if streaks:  # dark near-zero streaks across the jet
        for k in range(8, 40, 9):
            streak = jet & (np.abs(d - k) < 1)
            flow &= ~streak
    if pisa:
        r = np.hypot(t, d)
        dome = (d < 0) & (r < 14)
        v[dome] = np.mod(-((14 / np.maximum(r[dome], 1)) ** 2) * 0.3 + 1, 2) - 1
        flow |= dome
    return v, flow, jet, ann, t, d


@pytest.mark.parametrize("tilt_deg, side", [(0, 1), (25, 1), (-30, 1), (0, -1), (20, -1)])
def test_atrial_jet_mask_at_any_tilt_and_side(rng, tilt_deg, side):
    """Failure modes 3 and 8: a tilted annulus and a TEE view (atrium toward
    the probe): the jet is kept whole, the PISA dome on the ventricular side never counts."""
    v, flow, jet, ann, t, d = _scene(rng, tilt_deg=tilt_deg, side=side)
    turb = turbulent_mask(v, flow, window_px=7, min_area_px=10)
    m = atrial_jet_mask(
        flow,
        turb,
        t=t,
        d=d,
        half_length_px=25,
        band_px=4,
        max_depth_px=80,
        max_half_width_px=60,
        min_core_px=20,
    )
    assert not (m & (d < 0)).any()
    dice = 2 * (m & jet).sum() / (m.sum() + jet.sum())
    assert dice > 0.95


def test_dark_streaks_inside_a_coarse_jet_are_filled(rng):
    """Failure mode 2: dark near-zero streaks do not cut a jet in pieces."""
    v, flow, jet, ann, t, d = _scene(rng, cell=5, streaks=True)
    cell = colour_cell_px(v, flow, jet)
    turb = turbulent_mask(v, flow, window_px=3 * cell | 1, lag_px=cell, min_area_px=10)
    m = atrial_jet_mask(
        flow,
        turb,
        t=t,
        d=d,
        half_length_px=25,
        band_px=4,
        max_depth_px=80,
        max_half_width_px=60,
        min_core_px=20,
        close_px=2 * cell + 1,
    )
    assert (m & jet).sum() / jet.sum() > 0.93
    assert m[jet & ~flow].mean() > 0.8  # the streak pixels are part of the jet


def test_jet_edge_aliased_without_a_slow_rim_is_kept(rng):
    """Failure mode 1: a jet aliased right to its edge (no smooth rim, rim
    colours random) is a jet: no rule on the rim's direction rejects it."""
    v, flow, jet, ann, t, d = _scene(rng, pisa=False)
    assert np.isclose(np.mean(v[jet] < 0), 0.5, atol=0.1)  # rim direction is a coin flip
    turb = turbulent_mask(v, flow, window_px=7, min_area_px=10)
    m = atrial_jet_mask(
        flow,
        turb,
        t=t,
        d=d,
        half_length_px=25,
        band_px=4,
        max_depth_px=80,
        max_half_width_px=60,
        min_core_px=20,
        velocity=v,
        jet_sign=-1,
        min_attachment_px=20,
    )
    assert (m & jet).sum() / jet.sum() > 0.95


def test_flow_that_does_not_start_at_the_valve_is_not_a_jet(rng):
    v, flow, jet, ann, t, d = _scene(rng, pisa=False)
    far = (d > 60) & (d < 75) & (np.abs(t) < 8)  # turbulent flow deep in the atrium, alone
    v2, f2 = v.copy(), flow.copy()
    v2[far] = rng.uniform(-1, 1, far.sum())
    f2 |= far
    turb = turbulent_mask(v2, f2, window_px=7, min_area_px=10)
    m = atrial_jet_mask(
        f2,
        turb,
        t=t,
        d=d,
        half_length_px=25,
        band_px=4,
        max_depth_px=110,
        max_half_width_px=60,
        min_core_px=20,
    )
    assert not (m & far).any() and (m & jet).sum() > 0.95 * jet.sum()


def test_smooth_flow_against_the_jet_direction_is_cut_off(rng):
    v, flow, jet, ann, t, d = _scene(rng, pisa=False)
    side = (d > 10) & (d < 40) & (t > 15) & (t < 35)  # venous flow toward the probe touching the jet
    v[side & ~jet] = 0.4
    f2 = flow | side
    turb = turbulent_mask(v, f2, window_px=7, min_area_px=10)
    m = atrial_jet_mask(
        f2,
        turb,
        t=t,
        d=d,
        half_length_px=25,
        band_px=4,
        max_depth_px=80,
        max_half_width_px=60,
        min_core_px=20,
        velocity=v,
        jet_sign=-1,
        min_attachment_px=30,
    )
    assert (m & side & ~jet).sum() < 0.1 * (side & ~jet).sum()


def test_detect_systole_closes_gaps_and_drops_lone_frames():
    px = np.array([0, 0, 50, 60, 5, 70, 80, 0, 0, 0, 90, 0, 0])
    got = detect_systole(px, min_jet_px=30).astype(int).tolist()
    assert got == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_two_touching_jets_are_two_jets_at_a_tilted_annulus():
    """Post-clip jets that merge downstream are told apart by their origins
    along a tilted annulus."""
    ann = annulus_from_points((20, 30), (100, 60), apex_xy=(60, -300), side=1)
    t, d = ann.coords((140, 140))
    m = ((np.abs(t + 15) < 5) | (np.abs(t - 15) < 5) | ((d > 30) & (np.abs(t) < 22))) & (d >= 0) & (d < 50)
    origins = origins_along(m, t, d, band_px=4, gap_px=2)
    assert len(origins) == 2
    lab, n = label_by_origins(m, t, d, origins, band_px=4)
    assert n == 2
    assert set(np.unique(lab[m]).tolist()) == {1, 2}
    # each jet's pixels lie on its own side of the middle near the valve
    near = (d < 20) & m
    assert (t[near & (lab == 1)] < 0).all() and (t[near & (lab == 2)] > 0).all()


def test_a_notch_is_not_a_second_origin():
    ann = annulus_from_points((0, 10), (60, 10), apex_xy=(30, -300), side=1)
    t, d = ann.coords((60, 60))
    m = (np.abs(t) < 12) & (d >= 0) & (d < 40)
    m[10:13, 24] = False  # a one-pixel notch at the valve
    assert len(origins_along(m, t, d, band_px=3, gap_px=2)) == 1


@pytest.mark.parametrize("shape", [(34, 8), (8, 34), (3, 3), (1, 40)])
def test_turbulence_on_a_box_narrower_than_the_lag(shape, rng):
    """A colour box a few pixels wide (a damaged header) with a 12 px lag: no
    pixel pairs that far apart, no error (found by the fuzzer)."""
    v = rng.uniform(-1, 1, shape).astype(np.float32)
    flow = np.ones(shape, bool)
    t = turbulence_map(v, flow, window_px=25, lag_px=12)
    assert t.shape == shape and np.isfinite(t).all()
    assert turbulent_mask(v, flow, window_px=25, lag_px=12, coarse_scales=(2, 4)).shape == shape
