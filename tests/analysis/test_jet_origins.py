"""Where jets leave the valve: late-starting jets and the convergence neck
(pipeline helpers, on drawn masks with a horizontal annulus at row 10, atrium below)."""

from __future__ import annotations

import numpy as np

from echoassess.analysis.origins import _late_origins
from echoassess.analysis.params import AnalysisParams
from echoassess.analysis.screen import Scale
from echoassess.analysis.valve_search import ValveSearch, _necks
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
