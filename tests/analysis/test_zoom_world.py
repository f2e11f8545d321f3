"""Zoomed displays of the world benchmark's twelfth family (seen since the
twelfth round's final run): the image is cut off above the fan's arc."""

from __future__ import annotations

import numpy as np
import pytest
from test_jets_world import _benchmark_clip, _check_measured

from echoassess import analyze_clip, load_clip
from echoassess.analysis.params import AnalysisParams
from echoassess.analysis.screen import ecg_trace, find_sector


@pytest.fixture(scope="module")
def zoomed_pre(tmp_path_factory):
    """Seed 9250's pre-clip clip: TEE long-axis, fine mosaic, zoomed (1024x768)."""
    return _benchmark_clip(tmp_path_factory.mktemp("zoom"), 9250, "tee_lvot", "fine", "zoom", post=False)


def test_the_ecg_below_a_zoomed_image_is_read_across_its_width(zoomed_pre):
    """The fan found on a zoomed display runs on past the image's bottom edge,
    over the ECG: only the trace's right end (x 719-942) was left, the R wave read
    there was no R wave, and the phase came out half a beat off. The fan now hides
    an ECG only down to the last rows that show the image."""
    _, path = zoomed_pre
    frame = load_clip(path).read_frames([0])[0]
    p = AnalysisParams()
    sector = find_sector(frame, p)
    assert sector is not None
    box = load_clip(path).colour_flow_region.bounds
    xs, _ = ecg_trace(frame, sector, box, p.phase)
    assert xs.min() < 100 and xs.max() > 900  # the whole trace (82-942)


def test_a_zoomed_clips_phase_follows_its_ecg(zoomed_pre):
    """With half the trace the phase was read half a beat off: the aortic jet of
    diastole was measured as the mitral one (-39.5 %, Dice 0, 2.16 cm^2 of false
    diastolic area; the twelfth family's worst)."""
    clip, path = zoomed_pre
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r, area_rel=0.1, dice_min=0.9)
    true_sys = np.array([ph == "systole" for ph in clip.truth.phase])
    ours = np.array([f.phase.value == "systole" for f in r.per_frame])
    assert (ours == true_sys).mean() >= 0.9


def test_an_uncalibrated_zoomed_jet_is_not_cut_at_the_assumed_atrium_depth(tmp_path):
    """Seed 9264's pre-clip clip: zoomed and without calibration, so measured on an
    assumed 16 cm deep image, twice too large a scale for this display. The jet
    (9.3 cm^2) reached past the atrium's 7 cm depth bound in assumed centimetres
    and was cut straight across (-28 %); on an assumed scale the atrium's bounds
    are now twice as long."""
    clip, path = _benchmark_clip(tmp_path, 9264, "tee_lvot", "fine", "zoom", post=False)
    assert load_clip(path).spacing_cm is None
    r = analyze_clip(path, keep_masks=True)
    assert r.status == "measured"
    dx, dy = clip.truth.spacing_cm
    assert r.max_jet_area_px * dx * dy == pytest.approx(clip.truth.max_area_cm2, rel=0.05)
    i = clip.truth.max_frame
    m, t = np.asarray(r.masks[i]) > 0, np.asarray(clip.truth.masks[i]) > 0
    assert 2 * (m & t).sum() / (m.sum() + t.sum()) >= 0.93


def test_small_mitral_jets_beside_a_large_aortic_jet_are_found(tmp_path):
    """Seed 9250's post-clip clip: two small MR jets (0.36 and 0.42 cm^2) and, in
    diastole, an aortic jet with several times their mosaic. The valve was looked
    for on the frames with at least 30 % of the clip's most turbulent one: aortic
    frames only, so the one flow found was diastolic and the clip said "cannot
    measure". The ECG's systole now gets its own most turbulent frames."""
    post, path = _benchmark_clip(tmp_path, 9250, "tee_lvot", "fine", "zoom", post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.1, dice_min=0.9)
    assert r.n_jets_at_max == 2
