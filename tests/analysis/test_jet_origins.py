"""Where jets leave the valve: late-starting jets and the convergence neck
(pipeline helpers, on drawn masks with a horizontal annulus at row 10, atrium below)."""

from __future__ import annotations

import numpy as np

from echoassess.analysis.origins import _late_origins, orifice_positions, track_origins
from echoassess.analysis.params import AnalysisParams
from echoassess.analysis.screen import Scale
from echoassess.analysis.valve_search import ValveSearch, _necks
from echoassess.segmentation import label_by_origins
from echoassess.valve import Origin

H, W = 90, 80
YY, XX = np.mgrid[0:H, 0:W].astype(np.float32)
T_, D_ = XX - 40, YY - 10  # along the annulus, depth into the atrium


def test_a_jet_starting_late_beside_a_large_one_gets_its_own_origin():
    """A post-clip jet whose first millimetres hide in the device's shadow starts
    20 px into the atrium: within 1 cm only a small part of it is seen, far less
    than 15 % of its large neighbour's, yet it is a jet of its own."""
    big = (np.abs(XX - 25) < 2 + 0.5 * D_) & (D_ >= 0) & (D_ < 60)
    late = (np.abs(XX - 60) < 3) & (D_ >= 20) & (D_ < 60)
    jet = big | late
    found = [(-19.0, -11.0)]  # the big jet's origin
    near_late = int((late & (D_ <= 30)).sum())
    near_big = int((big & (D_ <= 30)).sum())
    assert near_late < 0.15 * near_big  # the old rule dropped it
    out = _late_origins(jet, T_, D_, found, band_px=10, start_px=20, min_px=36)
    assert len(out) == 1 and 15 <= 0.5 * (out[0][0] + out[0][1]) <= 25
    # a fragment smaller than a jet is not one
    crumb = (np.abs(XX - 60) < 2) & (D_ >= 20) & (D_ < 23)
    assert _late_origins(big | crumb, T_, D_, found, band_px=10, start_px=20, min_px=36) == []


def test_a_late_jet_lying_against_its_neighbour_keeps_the_origin_it_showed_apart():
    """A late-starting jet (20 px into the atrium) beside a jet that widens: on
    three frames the two are apart near the valve, on three the big one has
    widened against the late one's side, whose start is then a shelf on the big
    one's flank, not a dip of its own. It stays a jet there (it was merged into
    its neighbour: one of two post-clip jets at the maximal frame); a late start
    never seen apart, or seen on a single frame, gives none."""
    late = (np.abs(XX - 54) < 4) & (D_ >= 20) & (D_ < 60)

    def big(spread: float) -> np.ndarray:
        return (np.abs(XX - 40) < 2 + spread * D_) & (D_ >= 0) & (D_ < 60)

    apart, against = big(0.2) | late, big(0.5) | late
    runs = _tracked([apart] * 3 + [against] * 3)
    assert [len(runs[i]) for i in range(6)] == [2] * 6
    lab, n = label_by_origins(against, T_, D_, runs[5], band_px=20)
    assert n == 2 and lab[50, 54] == 2 and lab[50, 40] == 1
    assert [len(r) for r in _tracked([against] * 6).values()] == [1] * 6
    assert [len(r) for r in _tracked([apart] + [against] * 5).values()] == [1] * 6
    # nor where its neighbour's origin comes within the origin gap (4 px) of its
    # stretch: there the two would be one origin (a jet's neck and its body)
    wide = against | ((np.abs(XX - 40) < 8) & (D_ >= 0) & (D_ < 10))  # origin -7..7, late one 11..17
    assert [len(r) for r in _tracked([apart] * 3 + [wide] * 3).values()] == [2, 2, 2, 1, 1, 1]


def _hourglass(before_turbulent: bool):
    """Two frames of one flow region: a wide part (rows 12-34), a neck (35-37) and
    a wide part past it (38-60)."""
    width = np.where(YY < 35, 10, np.where(YY < 38, 2, 8))
    comp = (np.abs(XX - 40) <= width) & (YY >= 12) & (YY <= 60)
    upstream, downstream = comp & (YY < 35), comp & (YY >= 38)
    turb = upstream if before_turbulent else downstream
    # TTE (side +1): the jet flows away from the probe (negative velocity);
    # venous inflow runs toward it (positive)
    vel = np.where(turb, np.where((XX + YY) % 2 == 0, 0.8, -0.8), 0.0).astype(np.float32)
    vel[comp & ~turb] = 0.5 if before_turbulent else -0.5
    flows = np.stack([comp, comp])
    turbs = np.stack([turb, turb])
    velocity = np.stack([vel, vel])
    cluster = [Origin(f, 40.0, 13.0, int(turb.sum())) for f in (0, 1)]
    search = ValveSearch(
        flows,
        turbs,
        velocity,
        np.zeros(flows.shape, np.uint8),
        apex=(40.0, 0.0),
        offset=(0, 0),
        ecg_systolic=None,
        scale=Scale(1 / 20.0),  # 20 px per cm
        close_px=1,
        view="tte",
        file_view=None,
    )
    return _necks(cluster, search, YY - 12, 1, AnalysisParams())


def test_the_neck_between_a_convergence_dome_and_its_jet_is_the_orifice():
    necks = _hourglass(before_turbulent=False)
    assert len(necks) == 2 and all(34 <= o.y <= 39 for o in necks)  # the neck: rows 35-37


def test_a_jet_tip_touching_venous_inflow_is_not_a_neck():
    """The narrow join between a jet (turbulent, upstream) and smooth inflow
    running against it (downstream) once put the annulus 1 cm inside the atrium."""
    assert _hourglass(before_turbulent=True) == []


# -- a second orifice far along the valve ------------------------------------------
def _cluster(x, y, frames, area=100):
    return [Origin(f, x + 0.2 * f, y, area) for f in frames]


def test_an_orifice_far_along_a_tilted_valve_stretches_the_annulus():
    """Post-clip jets either side of a large device lie further apart than one
    cluster of orifices; on a tilted annulus the far one is also deeper along the
    beam. Seen on the same frames at the same depth from the line, it is a second
    orifice of the valve: the segment is stretched to hold it."""
    from echoassess.analysis.valve_search import _hold_siblings
    from echoassess.valve import Annulus

    px_per_cm = 40.0
    v = AnalysisParams().valve
    c, s = np.cos(np.radians(15)), np.sin(np.radians(15))
    ann = Annulus(100.0, 100.0, c, s, -s, c, v.annulus_half_length_cm * px_per_cm)
    main = _cluster(100 + 4 * -s, 100 + 4 * c, range(6))  # 4 px past the line
    far = 2.4 * px_per_cm  # 2.4 cm along the valve, 1.5 px deeper off the line
    sib = _cluster(100 + far * c + 5.5 * -s, 100 + far * s + 5.5 * c, range(1, 6), area=60)
    out = _hold_siblings(ann, main, [main, sib], px_per_cm, v)
    lo, hi = ann.half_length_px, out.half_length_px
    assert hi > lo  # stretched ...
    (x1, y1), (x2, y2) = out.points
    assert np.hypot(x1 - 100 + lo * c, y1 - 100 + lo * s) < 1  # ... the near end kept ...
    t_far = (x2 - 100) * c + (y2 - 100) * s
    assert far < t_far <= far + (v.sibling_margin_cm + 0.2) * px_per_cm  # ... past the sibling
    assert (out.ux, out.uy, out.nx, out.ny) == (ann.ux, ann.uy, ann.nx, ann.ny)  # same line

    # not a sibling: on other frames (another valve's flow), ...
    other_frames = _cluster(100 + far * c, 100 + far * s, range(10, 16))
    # ... well past the line (a piece of the jet, or flow deep in the atrium), ...
    deep = _cluster(100 + far * c - 30 * s, 100 + far * s + 30 * c, range(6))
    # ... a speck, or too far along for one valve
    speck = _cluster(100 + far * c, 100 + far * s, range(6), area=2)
    beyond = _cluster(100 + 6 * px_per_cm * c, 100 + 6 * px_per_cm * s, range(6))
    for c_ in (other_frames, deep, speck, beyond):
        assert _hold_siblings(ann, main, [main, c_], px_per_cm, v) == ann


def _two_orifices(touching: bool) -> np.ndarray:
    """Two post-clip jets from orifices 14 px apart (t = -8 and +6): apart at the
    valve, or touching there (one flat run along the annulus, no valley)."""
    left = (np.abs(T_ + 8) <= 4) & (D_ >= 0) & (D_ < 50)
    right = (np.abs(T_ - 6) <= 4) & (D_ >= 0) & (D_ < 50)
    bridge = (T_ > -5) & (T_ < 3) & (D_ >= 0) & (D_ < 50) if touching else np.zeros_like(left)
    return left | right | bridge


def _tracked(frames: list[np.ndarray]) -> dict[int, list[tuple[float, float]]]:
    masks = np.stack(frames)
    return track_origins(
        masks, dict(enumerate(masks)), T_, D_, band_px=10, gap_px=4, track_px=7, start_px=20, min_px=20
    )


def test_orifices_seen_apart_stay_apart_where_their_jets_touch_at_the_valve():
    """Two orifices seen apart on three frames: on the frames where their jets
    touch all along the valve band they are still two jets, split halfway between
    the orifices (they were counted as one: the post-clip count at the max frame)."""
    apart, touching = _two_orifices(False), _two_orifices(True)
    runs = _tracked([apart, apart, touching, apart, touching])
    assert [len(runs[i]) for i in range(5)] == [2, 2, 2, 2, 2]
    (a1, b1), (a2, b2) = runs[2]
    assert a1 <= -8 <= b1 < -1 < a2 <= 6 <= b2  # the cut lies between the orifices
    lab, n = label_by_origins(touching, T_, D_, runs[2], band_px=10)
    assert n == 2 and lab[30, 40 - 8] == 1 and lab[30, 40 + 6] == 2


def test_one_wide_jet_is_not_split_without_orifices_seen_apart():
    """A jet as wide as the two touching ones is one jet when no frame shows two
    origins apart; nor does a single frame that shows two (a dropout streak) split it."""
    touching, apart = _two_orifices(True), _two_orifices(False)
    assert [len(r) for r in _tracked([touching] * 4).values()] == [1, 1, 1, 1]
    assert orifice_positions({0: [(-12.0, -4.0), (2.0, 10.0)], 1: [(-12.0, 10.0)]}, max_spread_px=14) == []
    # frames that disagree on where the two orifices are (one jet wandering) give none
    wander = {0: [(-12.0, -4.0), (2.0, 10.0)], 1: [(-40.0, -30.0), (20.0, 30.0)], 2: [(-12.0, 10.0)]}
    assert orifice_positions(wander, max_spread_px=14) == []
    assert len(_tracked([apart, touching, touching, touching])[2]) == 1  # a single frame apart


def test_a_core_cut_off_by_the_colour_box_edge_has_no_orifice():
    """Two turbulent cores seen from a probe above the box: one starts inside the
    box (its upstream end, the deepest part here, is in view), the other runs off
    the box's far edge (its upstream end is outside the box). Only the first
    gets an origin; without the edge both did."""
    from echoassess.fan import box_edge
    from echoassess.valve import core_origins

    depth = (H - YY).astype(np.float32)  # the atrium toward the probe: upstream is deep
    inside = (np.abs(XX - 20) < 4) & (YY >= 20) & (YY < 60)
    cut = (np.abs(XX - 60) < 4) & (YY >= 40)  # reaches the last row of colour
    ever = np.zeros((H, W), bool)
    ever[5:, 5:75] = True  # the colour shown over the clip: the box
    ever[H - 1 :, :] = False
    kw = dict(frame=0, min_area_px=10, end_px=3.0)
    both = core_origins(inside | cut, depth, **kw)
    assert sorted(round(o.x) for o in both) == [20, 60]
    edge = box_edge(ever, (40.0, -200.0))
    kept = core_origins(inside | cut, depth, cut=edge, **kw)
    assert [round(o.x) for o in kept] == [20]


def test_the_annulus_search_starts_at_the_main_orifice_not_at_a_second_jet_beside_it():
    """Post-clip, two jets 1 cm apart across the beam (probe above, 20 px/cm): the
    main one's turbulence starts 10 px up in its flow-convergence dome. The
    annulus line is searched from the main orifice and, for a dome, from the most
    downstream third of the same orifice's starts; the second jet's origins are
    not that third (a tissue line through them tilted the annulus into the main
    jet's dome: +33 % jet area on a TEE commissural clip)."""
    from echoassess.valve import _start_points

    apex = (50.0, -200.0)
    main_x = np.full(12, 40.0)
    main_y = np.array([30.0] * 8 + [34.0] * 4)  # the dome's far edge, and nearer the orifice
    beside_x, beside_y = np.full(8, 60.0), np.full(8, 41.0)
    xs, ys = np.r_[main_x, beside_x], np.r_[main_y, beside_y]
    wts = np.r_[np.full(12, 30.0), np.full(8, 10.0)]
    starts = _start_points(xs, ys, wts, apex_xy=apex, side=1, px_per_cm=20.0)
    assert starts[0] == (40.0, 30.0)
    assert all(abs(x - 40.0) < 2 for x, _ in starts)  # none at the second jet (x = 60)
    assert starts[1][1] == 34.0  # the dome's downstream starts, same orifice
