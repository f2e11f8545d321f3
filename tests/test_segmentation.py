"""segmentation: mosaic detection, valve line, jet masks, systole, jet labelling."""

from __future__ import annotations

import numpy as np

from echoassess.segmentation import (
    detect_systole,
    estimate_valve_row,
    jet_mask,
    label_jets,
    refine_valve_row,
    remove_small,
    turbulence_map,
    turbulent_mask,
)


def _jet_scene(rng, *, h=80, w=80, jets=((40, 20),), valve_row=30, pisa=True, inflow=False):
    """Flow maps with hand-placed jets below ``valve_row``: mosaic cores,
    blue (away) rims, an optional smooth PISA dome above the valve and an
    optional smooth red (toward) region."""
    v = np.zeros((h, w), np.float32)
    flow = np.zeros((h, w), bool)
    yy, xx = np.mgrid[0:h, 0:w]
    for cx, half in jets:
        jet = (yy >= valve_row) & (yy < valve_row + 40) & (np.abs(xx - cx) <= 2 + (yy - valve_row) // 4)
        jet &= np.abs(xx - cx) <= half
        core = jet & (np.abs(xx - cx) <= (yy - valve_row) // 4)
        v[jet] = -0.5  # smooth blue rim
        v[core] = rng.uniform(-1, 1, core.sum())  # aliased mosaic
        flow |= jet
    if pisa:
        cx = jets[0][0]
        r = np.hypot(xx - cx, yy - valve_row)
        dome = (yy < valve_row) & (r < 12)
        v[dome] = np.mod(-(12 / np.maximum(r[dome], 1)) ** 2 * 0.4 + 1, 2) - 1  # smooth, aliased shells
        flow |= dome
    if inflow:
        red = (yy > 50) & (yy < 75) & (xx > 60) & (xx < 75)
        v[red] = 0.4
        flow |= red
    return v, flow


def test_turbulence_low_for_smooth_and_aliased_flow_high_for_mosaic(rng):
    yy, xx = np.mgrid[0:30, 0:30]
    smooth = np.mod(0.07 * xx + 0.5, 2).astype(np.float32) - 1  # wraps from +1 to -1 smoothly
    assert smooth.max() > 0.9 and smooth.min() < -0.9
    flow = np.ones((30, 30), bool)
    assert turbulence_map(smooth, flow, window_px=5)[5:25, 5:25].max() < 0.1
    mosaic = rng.uniform(-1, 1, (30, 30)).astype(np.float32)
    assert np.median(turbulence_map(mosaic, flow, window_px=5)[5:25, 5:25]) > 0.6
    assert turbulence_map(mosaic, np.zeros_like(flow), window_px=5).max() == 0


def test_turbulent_mask_uses_variance_and_drops_specks(rng):
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


def test_valve_row_between_pisa_and_mosaic():
    s = np.zeros(60)
    m = np.zeros(60)
    s[10:30] = 15  # PISA shells
    m[26:30] = 3  # some PISA pixels near the orifice look turbulent
    m[30:55] = 25  # the jet's mosaic
    s[30:55] = 4  # the jet's rim
    assert estimate_valve_row(s, m) == 30
    assert estimate_valve_row(np.zeros(10), np.zeros(10)) is None


def test_valve_row_without_pisa_is_the_top_of_the_mosaic():
    s = np.zeros(60)
    m = np.zeros(60)
    m[3] = 1  # a stray turbulent speck high up
    m[35:50] = 20
    assert estimate_valve_row(s, m) == 35


def test_refine_valve_row_snaps_to_bright_tissue():
    prof = np.full(100, 30.0)
    prof[48:50] = 180
    prof[5] = 250  # something bright, but too far away
    assert refine_valve_row(prof, 44, search_px=10) in (48, 49)


def test_jet_mask_excludes_pisa_and_keeps_rim(rng):
    v, flow = _jet_scene(rng)
    turb = turbulent_mask(v, flow, window_px=3, min_area_px=4)
    m = jet_mask(flow, turb, valve_row=30, min_core_px=10, away=flow & (v < 0))
    assert not m[:30].any()  # PISA excluded
    assert m[30:].sum() == flow[30:].sum()  # whole jet, rim included


def test_jet_mask_rejects_smooth_toward_flow_and_respects_roi(rng):
    v, flow = _jet_scene(rng, jets=((25, 15),), pisa=False, inflow=True)
    turb = turbulent_mask(v, flow, window_px=3, min_area_px=4)
    m = jet_mask(flow, turb, valve_row=30, min_core_px=10, away=flow & (v < 0))
    assert not m[:, 60:].any()  # the red smooth region has no mosaic and moves toward
    roi = np.zeros_like(flow)
    roi[:, :25] = True
    m2 = jet_mask(flow, turb, valve_row=30, roi=roi, min_core_px=10)
    assert m2.any() and not m2[:, 25:].any()


def test_jet_mask_rejects_aliased_inflow_by_its_rim(rng):
    h = w = 40
    yy, xx = np.mgrid[0:h, 0:w]
    region = (np.abs(xx - 20) < 12) & (yy > 5) & (yy < 35)
    v = np.where(region, 0.5, 0).astype(np.float32)  # red rim (toward)
    core = (np.abs(xx - 20) < 7) & (yy > 10) & (yy < 30)
    v[core] = rng.uniform(-1, 1, core.sum())
    turb = turbulent_mask(v, region, window_px=3, min_area_px=4)
    assert turb.sum() > 50
    assert not jet_mask(region, turb, valve_row=0, min_core_px=10, away=region & (v < 0)).any()
    assert jet_mask(region, turb, valve_row=0, min_core_px=10, away=region & (v > 0)).any()


def test_detect_systole_closes_gaps_and_drops_lone_frames():
    px = np.array([0, 0, 50, 60, 5, 70, 80, 0, 0, 0, 90, 0, 0])
    got = detect_systole(px, min_jet_px=30).astype(int).tolist()
    assert got == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_two_jets_counted_separately_even_when_they_merge(rng):
    v, flow = _jet_scene(rng, jets=((25, 12), (55, 12)), pisa=False)
    flow[62:70, 25:56] = True  # the two jets touch downstream
    labels, n = label_jets(flow, valve_row=30, band_px=6, min_seed_px=3, min_jet_px=10)
    assert n == 2
    assert labels[35, 25] == 1 and labels[35, 55] == 2


def test_three_separate_jets_and_tiny_pieces(rng):
    m = np.zeros((50, 90), bool)
    for cx in (15, 45, 75):
        m[10:40, cx - 4 : cx + 5] = True
    m[45, 5] = True  # a 1-px piece far away: joins the nearest jet, not a new one
    labels, n = label_jets(m, valve_row=10, band_px=5, min_seed_px=3, min_jet_px=20)
    assert n == 3 and sorted(np.bincount(labels.ravel())[1:].tolist()) == [270, 270, 271]
    # without a valve line, connected components are the jets
    labels, n = label_jets(m, valve_row=None, min_jet_px=20)
    assert n == 3


def test_two_orifices_joined_by_a_strip_along_the_leaflets_are_two_jets():
    from echoassess.segmentation import label_jets

    m = np.zeros((30, 24), bool)
    m[4:6, 2:22] = True  # thin flow along the closed leaflets joining both orifices
    m[4:26, 2:8] = True  # jet 1
    m[4:26, 15:21] = True  # jet 2
    labels, n = label_jets(m, valve_row=4, band_px=8, min_seed_px=6, min_jet_px=20)
    assert n == 2
    assert set(np.unique(labels[10:26, 2:8])) == {1} and set(np.unique(labels[10:26, 15:21])) == {2}


def test_a_notch_in_one_jet_is_not_a_second_origin():
    from echoassess.segmentation import label_jets

    m = np.zeros((30, 24), bool)
    m[4:26, 2:18] = True
    m[8:16, 4] = False  # a one-pixel slit leaves a sliver on the left in the lower band
    labels, n = label_jets(m, valve_row=4, band_px=8, min_seed_px=6, min_jet_px=20)
    assert n == 1
