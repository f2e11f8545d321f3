"""Post-clip clips of the world benchmark's seen seeds (15000s, eighth round)
where two jets either side of the device fooled the annulus or the count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_jets_world import _benchmark_clip, _check_measured

from echoassess import analyze_clip


def _tilt_error_deg(r, truth) -> float:
    (a1, b1), (a2, b2) = truth.annulus_xy
    (c1, d1), (c2, d2) = r.diagnostics.annulus_xy
    t_true = math.degrees(math.atan2(b2 - b1, a2 - a1)) % 180
    t_found = math.degrees(math.atan2(d2 - d1, c2 - c1)) % 180
    e = abs(t_true - t_found)
    return min(e, 180 - e)


@pytest.mark.parametrize(
    ("seed", "view", "texture", "artefacts", "was"),
    [
        (15020, "tee_comm", "variance", "no_ecg", 33.4),
        (15007, "a2c", "coarse", "frozen_ecg", 28.5),
    ],
)
def test_the_annulus_is_the_bright_line_the_jets_cross_narrowest(
    tmp_path, seed, view, texture, artefacts, was
):
    """Two post-clip jets, one starting inside its flow-convergence dome. A bright
    tissue line through the other jet's orifice ran, tilted 15 deg off, into that
    dome, which then counted as jet (+33 % and +28 % jet area, the two worst of
    the fresh seeds). Of the bright lines through the jets' orifices the annulus
    is now the one the flow crosses narrowest."""
    post, path = _benchmark_clip(tmp_path, seed, view, texture, artefacts, post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.1, dice_min=0.9)
    assert _tilt_error_deg(r, post.truth) < 6.0
    assert r.n_jets_at_max == int(post.truth.n_jets[post.truth.max_frame]) == 2


def test_a_small_jet_whose_mosaic_thins_out_is_counted_on_most_frames(tmp_path):
    """Apical 3-chamber post-clip clip (variance map, zoomed; seed 15027): beside
    the large jet, a small one (0.2 cm^2) whose turbulent core is below the
    valve's minimum (0.05 cm^2) on most systolic frames. It was counted on 5 of
    27 frames with both jets; a jet with a thinner core now counts where jets
    with a full core started on other frames (the same orifice)."""
    post, path = _benchmark_clip(tmp_path, 15027, "a3c", "variance", "zoom", post=True)
    r = analyze_clip(path)
    assert r.status == "measured"
    assert r.n_jets_at_max == 2
    counted = np.array([f.n_jets for f in r.per_frame])
    true = np.asarray(post.truth.n_jets)
    both = (true == 2) & (counted > 0)
    assert (counted[both] == 2).mean() >= 0.6  # 18 of 27 frames; 5 before
    # and nothing else with it: the maximal area is the true one
    assert abs(r.max_jet_area_cm2 - post.truth.max_area_cm2) <= 0.05 * post.truth.max_area_cm2


def test_a_thin_jet_aliased_to_its_edge_is_counted_at_the_maximal_frame(tmp_path):
    """Apical 4-chamber post-clip clip (jet aliased to its edge, no ECG; seed
    17025): the smaller jet (0.16 cm^2) holds 20 turbulent pixels at the maximal
    frame, under the 29 its orifice needs, and was dropped there (1 of 2 jets)."""
    post, path = _benchmark_clip(tmp_path, 17025, "a4c", "edge_aliased", "no_ecg", post=True)
    r = analyze_clip(path)
    assert r.status == "measured"
    assert r.n_jets_at_max == int(post.truth.n_jets[post.truth.max_frame]) == 2


def test_aortic_regurgitation_beside_the_valve_is_not_chained_to_the_mitral_jets(tmp_path):
    """TEE long-axis post-clip clip with aortic regurgitation and no ECG (seed 9201,
    the eleventh never-tuned family's worst clip, +327 %): the AI jet's origins
    (diastole) and the two MR jets' (systole) lie 1.7 cm apart and chained into
    one flow by distance; the valve fitted between them, across the ventricle,
    took in the AI jet and the LV outflow on every frame. Flows that start in
    different frames are now two, and their directions tell the mitral one."""
    post, path = _benchmark_clip(tmp_path, 9201, "tee_lvot", "fine", "no_ecg", post=True)
    assert post.truth.ai_masks is not None and post.truth.ai_masks.any()
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.1, dice_min=0.9)  # and no jet area on diastolic frames
    assert r.n_jets_at_max == 2


def test_venous_flow_at_a_jet_tip_is_not_taken_for_its_aliasing_ring(tmp_path):
    """TEE commissural post-clip clip (jets aliased to their edge, zoomed; seed
    18001, the eleventh round's fresh seeds, +24.3 %): a pulmonary vein's flow,
    away from the probe, meets one jet's tip across a velocity wrap and was kept
    as the jet's own aliasing ring. A ring lies in the jet's shell; this flow
    runs 2 cm away from the jet, and is now cut off."""
    post, path = _benchmark_clip(tmp_path, 18001, "tee_comm", "edge_aliased", "zoom", post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.05, dice_min=0.9)
    assert r.n_jets_at_max == 2


def test_a_zoomed_uncalibrated_tee_clip_is_not_read_as_transthoracic(tmp_path):
    """TEE commissural clip, zoomed, with no calibration (seed 12002): on the
    assumed 16 cm scale its jet lay 7.6 cm from the probe, read as a
    transthoracic depth, and the annulus went to the jet's far end (-39 %). On
    an assumed scale a depth of 7.5-10 cm is no evidence: with no flow direction
    to go by either, the analysis asks for the view."""
    pre, path = _benchmark_clip(tmp_path, 12002, "tee_comm", "coarse", "zoom", post=False)
    assert not pre.truth.calibrated
    r = analyze_clip(path)
    assert r.status == "cannot_measure" and r.max_jet_area_cm2 is None
    assert any("--view" in w for w in r.warnings)
    h = analyze_clip(path, view="tee")
    assert h.status == "measured"


def test_one_jets_starts_along_the_beam_do_not_tilt_the_annulus(tmp_path):
    """Apical 4-chamber post-clip clip, one jet (variance map, coloured overlays;
    seed 19018, the twelfth round's fresh seeds). No tissue line stood out, so the
    annulus followed the line through the jet's starts: they spread along the beam
    (the turbulence begins at different depths frame to frame), the line lay 52 deg
    off the beam's perpendicular and the clip said "cannot measure" (a parasternal
    view?). Starts spread along a line steeper than the tissue search allows are
    not orifices side by side."""
    post, path = _benchmark_clip(tmp_path, 19018, "a4c", "variance", "overlays", post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.1, dice_min=0.9)
    assert r.n_jets_at_max == 1
