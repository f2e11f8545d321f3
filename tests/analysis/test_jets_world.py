"""The jet measurement on clips from the world generator, one per failure mode of
issue 10 (each clip shows the mode it tests; truth by construction).

1 jets aliased to the edge, 2 coarse mosaic with dark streaks, 3 a tilted annulus,
4 tight PISA rings, 5 ECG cursors of any colour and frozen traces, 6 non-apical
views (PLAX), 7 coloured overlays inside the colour box, 8 TEE; plus mirrored
displays and the "cannot measure" answer."""

from __future__ import annotations

import numpy as np
import pytest
from _world_clips import benchmark_study

from echoassess import analyze_clip
from echoassess.synthetic import WorldParams, generate_world_clip

SIZE = dict(rows=360, cols=480)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    s = int(a.sum()) + int(b.sum())
    return 1.0 if s == 0 else 2.0 * float((a & b).sum()) / s


def _clip(tmp_path, seed, *, post_clip=False, encoding="rgb", **kw):
    p = WorldParams.random(seed, post_clip=post_clip, **SIZE, **kw)
    clip = generate_world_clip(p, rng=seed)
    path = clip.save(tmp_path / f"c{seed}.dcm", encoding=encoding)[0]
    return clip, path


def _check_measured(clip, r, *, area_rel=0.15, dice_min=0.8):
    t = clip.truth
    assert r.status == "measured", (r.status, r.status_reason)
    assert r.max_jet_area_cm2 == pytest.approx(t.max_area_cm2, rel=area_rel)
    i = t.max_frame
    assert _dice(r.masks[i], t.masks[i]) >= dice_min
    # no jet area on truly diastolic frames
    dia = np.array([ph == "diastole" for ph in t.phase])
    assert r.masks[dia].sum() <= 0.02 * t.masks.sum()


def test_jet_aliased_to_its_edge(tmp_path):
    """Mode 1: no slow outer shell; the rim's direction is random."""
    clip, path = _clip(tmp_path, 21, view="a4c", texture="edge_aliased", artefacts="clean")
    _check_measured(clip, analyze_clip(path, keep_masks=True))


def test_coarse_mosaic_with_dark_streaks(tmp_path):
    """Mode 2: large single-colour patches and dark streaks inside the jet."""
    clip, path = _clip(tmp_path, 12, view="a3c", texture="coarse", artefacts="frozen_ecg", encoding="jpeg")
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    assert r.diagnostics.colour_cell_px >= 2


def test_tilted_annulus(tmp_path):
    """Mode 3: an apical annulus tilted 25 degrees."""
    clip, path = _clip(tmp_path, 33, view="a4c", texture="fine", artefacts="clean", annulus_tilt_deg=25.0)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    assert abs(r.diagnostics.annulus_tilt_deg) > 10


def test_tight_pisa_rings_are_not_jet(tmp_path):
    """Mode 4: a flow-convergence dome with tight aliasing rings on the LV side."""
    clip, path = _clip(
        tmp_path, 44, view="tee_me4c", texture="fine", artefacts="clean", pisa=True, pisa_rings=True
    )
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    conf = clip.truth.confounder_masks
    assert (r.masks & conf).sum() <= 0.05 * r.masks.sum()


@pytest.mark.parametrize(
    "artefacts, source", [("cursor_colour", "ECG agrees"), ("frozen_ecg", "frozen ECG agrees")]
)
def test_phase_from_a_coloured_cursor_or_a_frozen_trace(tmp_path, artefacts, source):
    """Mode 5: a cursor that is not white, and a frozen trace with no cursor."""
    clip, path = _clip(
        tmp_path, 55, view="a4c", texture="fine", artefacts=artefacts, cursor_rgb=(255, 220, 0)
    )
    r = analyze_clip(path)
    assert source in r.diagnostics.systole_source
    agree = np.mean([f.phase == t for f, t in zip(r.per_frame, clip.truth.phase)])
    assert agree >= 0.9


def test_plax_without_hint_cannot_measure_and_with_annulus_measures_mr_only(tmp_path):
    """Mode 6: a parasternal clip with MR and AI: without hints it says it
    cannot locate the valve (never a false "no jet"); with the annulus it
    measures the MR jet only, in systole only."""
    clip, path = _clip(tmp_path, 9, view="plax", texture="fine", artefacts="clean", ai_jet=True)
    r = analyze_clip(path)
    assert r.status in ("cannot_measure", "measured")
    assert r.status != "no_jet"
    if r.status == "cannot_measure":
        assert r.max_jet_area_cm2 is None
        assert any("--annulus" in w for w in r.warnings)
    h = analyze_clip(path, annulus=clip.truth.annulus_xy, keep_masks=True)
    _check_measured(clip, h, area_rel=0.2, dice_min=0.75)
    sys_frames = set(h.systolic_frames)
    truth_sys = {i for i, ph in enumerate(clip.truth.phase) if ph == "systole"}
    assert len(sys_frames - truth_sys) <= 1


def test_coloured_overlays_inside_the_box_are_never_flow(tmp_path):
    """Mode 7: the box outline and depth marks drawn in colour-bar colours."""
    clip, path = _clip(tmp_path, 77, view="a2c", texture="fine", artefacts="overlays")
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    assert r.diagnostics.static_overlay_px > 0
    frames = clip.frames
    static = (frames.max(axis=0).astype(int) - frames.min(axis=0)).max(axis=-1) == 0
    coloured = (frames[0].max(axis=-1).astype(int) - frames[0].min(axis=-1)) > 40
    assert not (r.masks.any(axis=0) & static & coloured).any()


@pytest.mark.parametrize("view", ["tee_me4c", "tee_comm", "tee_lvot"])
def test_tee_post_clip_jets(tmp_path, view):
    """Mode 8: TEE, the atrium under the probe, jets toward it; post-clip jets counted."""
    clip, path = _clip(
        tmp_path, 88, view=view, texture="fine", artefacts="clean", post_clip=True, encoding="jpeg"
    )
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    assert r.diagnostics.view == "tee"
    assert r.n_jets_at_max == clip.truth.n_jets[clip.truth.max_frame]


def test_mirrored_apical_clip(tmp_path):
    clip, path = _clip(
        tmp_path, 66, view="a4c", texture="variance", artefacts="clean", mirrored=True, post_clip=True
    )
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r)
    assert r.n_jets_at_max == clip.truth.n_jets[clip.truth.max_frame]


def test_view_hint_overrides_and_is_recorded(tmp_path):
    clip, path = _clip(
        tmp_path,
        44,
        view="tee_me4c",
        texture="fine",
        artefacts="clean",
        dicom_view_code=False,
        series_names_view=False,
    )
    r = analyze_clip(path, view="tee")
    assert r.diagnostics.view == "tee" and r.diagnostics.view_source == "user"


def _lvot_post_study(tmp_path, seed: int):
    """The post clip of a world study drawn as ``benchmarks/accuracy_world.py``
    draws patient ``seed`` (TEE long axis, edge-aliased jets, coloured cursor,
    600 x 800), saved uncompressed."""
    from echoassess.synthetic import generate_world_study

    _, post = generate_world_study(
        np.random.default_rng([seed, 11]),
        patient=seed % 999 + 1,
        view="tee_lvot",
        texture="edge_aliased",
        artefacts="cursor_colour",
        rows=600,
        cols=800,
    )
    path = post.save(tmp_path / f"lvot{seed}_post.dcm", encoding="rgb")[0]
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r)
    assert r.n_jets_at_max == post.truth.n_jets[post.truth.max_frame] == 2


def test_tee_lvot_outflow_larger_than_the_jet_is_passed_over(tmp_path):
    """TEE long-axis view: turbulent flow in the outflow tract beside the valve,
    seen on more frames and three times the area of the post-clip jets, is the
    largest flow; the annulus it gives lies steeply across the beam, so the
    valve is looked for at the next flow (this clip once read "cannot measure")."""
    _lvot_post_study(tmp_path, 9108)


def test_a_diastolic_flow_larger_than_the_jet_gives_way_to_the_systolic_one(tmp_path):
    """TEE long-axis view with an ECG: the largest turbulent flow beside the valve
    is diastolic by the ECG (five times the jets' area); the valve is found at
    the systolic flow (this clip once measured the wrong flow, 26 % off)."""
    _lvot_post_study(tmp_path, 9104)


def test_post_clip_jets_far_apart_on_a_tilted_annulus(tmp_path):
    """Three post-clip jets on a large (x1.3) heart, the annulus tilted 15 degrees:
    the outer orifices lie 2.3 cm apart, further than one cluster of orifices, and
    the far one deeper along the beam. Every jet is counted and measured (the
    segment was once fitted to the upstream jet alone: 2 of 3 jets, 55 % of the area)."""
    import dataclasses

    p = WorldParams.random(42, post_clip=True, **SIZE, view="a4c", texture="fine", artefacts="clean")
    p = dataclasses.replace(p, heart_scale=1.3, annulus_tilt_deg=-15.0, calibrated=True, touching=False)
    clip = generate_world_clip(p, rng=42)
    path = clip.save(tmp_path / "far.dcm", encoding="rgb")[0]
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r, area_rel=0.05)
    assert r.n_jets_at_max == clip.truth.n_jets[clip.truth.max_frame] == 3


def _benchmark_clip(tmp_path, seed, view, texture, artefacts, *, post):
    """The pre or post clip of patient ``seed`` of ``benchmarks/accuracy_world.py``
    (its family given; frame size and encoding as the benchmark rotates them)."""
    clips, encoding = benchmark_study(seed, view, texture, artefacts)
    clip = clips[1] if post else clips[0]
    return clip, clip.save(tmp_path / f"{seed}_{int(post)}.dcm", encoding=encoding)[0]


def test_a_parasternal_jet_is_not_cut_by_a_narrower_line_through_its_body(tmp_path):
    """Parasternal long-axis clip whose file names no view (jet aliased to its
    edge, frozen ECG; seed 16010, ninth round's fresh seeds): the brightest
    tissue line at the jet's start lies steeply across the beam (the
    parasternal annulus) and the analysis said "cannot measure". A dimmer line
    through the same start, 1.6 cm downstream across the jet's body, is
    crossed by less flow; chosen as the annulus by the flow-crossing rule, it
    measured half the jet (4.28 for 8.26 cm^2). A steep brightest line at the
    main orifice now says "cannot measure" whichever line is chosen; with the
    true annulus the jet is measured."""
    clip, path = _benchmark_clip(tmp_path, 16010, "plax", "edge_aliased", "frozen_ecg", post=False)
    r = analyze_clip(path)
    assert r.status == "cannot_measure", (r.status, r.max_jet_area_cm2)
    assert r.max_jet_area_cm2 is None
    assert any("--annulus" in w for w in r.warnings)
    h = analyze_clip(path, annulus=clip.truth.annulus_xy, view="tte", keep_masks=True)
    _check_measured(clip, h, area_rel=0.1, dice_min=0.9)


def test_post_clip_jets_touching_at_the_valve_on_some_frames(tmp_path):
    """Three post-clip jets (apical 2-chamber, variance map; a fresh seed of the
    world benchmark, 11000): the two close orifices are seen apart on most
    systolic frames, but on the maximal frame their jets touch all along the
    valve band. They are still two jets there (counted as one before: 2 of 3)."""
    post, path = _benchmark_clip(tmp_path, 11000, "a2c", "variance", "cursor_colour", post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r)
    assert r.n_jets_at_max == post.truth.n_jets[post.truth.max_frame] == 3


def test_parasternal_clip_the_file_does_not_name_is_never_a_false_no_jet(tmp_path):
    """A parasternal clip (variance map, frozen ECG; a fresh seed of the world
    benchmark, 12003) whose file names no view. It said 0.09 cm^2 for a 5 cm^2
    jet (the valve found 29 deg off the beam's perpendicular, its jets holding
    3 % of the systolic turbulence); then it could not measure. Decoded by
    libjpeg-turbo instead of pylibjpeg (one grey level here and there), the
    valve search now fits the annulus across the flow convergence, 2.5 cm
    upstream and 68 deg off, and measures the right jet 19 % large (20 % since
    a jet's aliasing ring is no longer cut off as inflow; another frame is now
    the largest): never again a false "no jet" or a near-zero area, and with
    the annulus it measures within 15 %."""
    pre, path = _benchmark_clip(tmp_path, 12003, "plax", "variance", "frozen_ecg", post=False)
    r = analyze_clip(path, keep_masks=True)
    if r.status == "cannot_measure":
        assert r.max_jet_area_cm2 is None
        assert "turbulent flow of systole" in r.status_reason
        assert any("--annulus" in w for w in r.warnings)
    else:  # the right jet, if not within 15 %
        _check_measured(pre, r, area_rel=0.25, dice_min=0.7)
    h = analyze_clip(path, annulus=pre.truth.annulus_xy, view="tte", keep_masks=True)
    _check_measured(pre, h, area_rel=0.15, dice_min=0.85)


def test_a_one_frame_spike_is_left_out_of_the_maximum(tmp_path):
    """Post-clip apical 3-chamber clip (variance map, no ECG; seed 10016 of the world
    benchmark). On one systolic frame the outflow tract's flow beside the valve
    merges into the jet: 3.04 cm^2 between frames of 1.00 and 1.37 (true 1.18). It
    was the clip's maximum (+49 %); now it stays in the per-frame table, is left
    out of the maximum, and a warning names it."""
    post, path = _benchmark_clip(tmp_path, 10016, "a3c", "variance", "no_ecg", post=True)
    r = analyze_clip(path)
    assert r.status == "measured"
    assert r.max_jet_area_cm2 == pytest.approx(post.truth.max_area_cm2, rel=0.05)
    areas = [f.jet_area_px for f in r.per_frame]
    m = r.max_frame
    assert areas[m] <= 1.6 * max(areas[m - 1], areas[m + 1])
    spikes = [w for w in r.warnings if "one-frame artefact" in w]
    if spikes:  # the frame is named, and its area is still reported
        k = int(spikes[0].split("frame(s) ")[1].split(":")[0].split(",")[0])
        assert areas[k] > areas[m] and r.per_frame[k].phase == "systole"


def test_summarize_leaves_excluded_frames_out_of_the_maximum():
    from echoassess.measure import measure_frame, summarize_clip

    lab = np.zeros((4, 4), int)
    frames = []
    for i, n in enumerate([2, 3, 9, 4, 0]):
        lab[:] = 0
        lab.flat[:n] = 1
        frames.append(measure_frame(i, lab, 1, phase="systole", time_ms=None, spacing_cm=(0.1, 0.1)))
    kw = dict(source="x", frame_time_ms=None, spacing_cm=(0.1, 0.1), calibration_source="regions")
    assert summarize_clip(frames, {}, **kw).max_frame == 2
    r = summarize_clip(frames, {}, excluded=[2], **kw)
    assert (r.max_frame, r.max_jet_area_px) == (3, 4)
    assert r.per_frame[2].jet_area_px == 9  # still in the table
    only = summarize_clip(frames[2:3], {}, excluded=[2], **kw)  # nothing else: kept
    assert only.max_frame == 2


def test_mitral_and_aortic_jets_without_an_ecg_told_apart_by_direction(tmp_path):
    """TEE long-axis view, coarse mosaic, no ECG (the sixth never-tuned family,
    seed 9952, seen once): a post-clip mitral jet in systole and aortic
    regurgitation in diastole, far apart. With no ECG to tell systole this was
    "cannot measure"; the mitral jet and the flow converging on its orifice run
    toward the probe (into the atrium of a TEE view), the aortic jet away from
    it, so the mitral flow is chosen and measured."""
    post, path = _benchmark_clip(tmp_path, 9952, "tee_lvot", "coarse", "no_ecg", post=True)
    assert post.truth.ai_masks.any()  # the rival flow is there
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.1, dice_min=0.9)
    assert r.diagnostics.view == "tee"


def test_a_clear_depth_decides_when_an_aliased_rim_points_the_wrong_way(tmp_path):
    """TEE 4-chamber post-clip clip, jets aliased to their edge (seed 10021 of the
    world benchmark, seen): the jets lie 4.4 cm from the probe (transoesophageal),
    but their aliased rims wrap to the other colour, so the flow's direction said
    transthoracic and the answer was "cannot tell TTE from TEE". On a calibrated
    clip a clear depth now decides, and the reason says the rim disagreed."""
    post, path = _benchmark_clip(tmp_path, 10021, "tee_me4c", "edge_aliased", "zoom", post=True)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(post, r, area_rel=0.05, dice_min=0.95)
    assert r.diagnostics.view == "tee" and "aliased?" in r.diagnostics.view_source


def test_a_spike_on_the_first_systolic_frame_is_left_out_of_the_maximum(tmp_path):
    """Apical 3-chamber post-clip clip, jets aliased to their edge, no ECG (fresh seed
    13027 of the sixth round, seen once). On the first systolic frame the jet area
    is 1.69 cm^2, the next frame's 0.53 (true 0.45 and 0.57): a jet grows from its
    first frame, so that frame is an artefact. It was the clip's maximum (+127 %)."""
    post, path = _benchmark_clip(tmp_path, 13027, "a3c", "edge_aliased", "no_ecg", post=True)
    r = analyze_clip(path)
    assert r.status == "measured"
    assert r.max_jet_area_cm2 == pytest.approx(post.truth.max_area_cm2, rel=0.1)
    assert any("one-frame artefact" in w for w in r.warnings)


def test_an_aortic_jet_cut_off_by_the_colour_box_is_not_taken_for_the_valve(tmp_path):
    """TEE long-axis post-clip clip, fine mosaic, frozen ECG (the seventh
    never-tuned family, seed 9983, seen once): aortic regurgitation runs into the
    LVOT on 49 of 53 frames and off the colour box's far edge. Its upstream end,
    on the box's edge, was taken for the orifice: the annulus was found along
    the bottom of the box (2.9 cm from the valve) and the LVOT outflow measured
    as a 6.5 cm^2 jet (true 1.9). A flow cut off by the box's edge starts
    outside it, so its end is no orifice; the annulus is now found at the
    valve and both jets are counted. The outflow still spills past the
    (too steep) annulus: the area is +69 %, a known error."""
    import math

    post, path = _benchmark_clip(tmp_path, 9983, "tee_lvot", "fine", "frozen_ecg", post=True)
    r = analyze_clip(path, keep_masks=True)
    truth = post.truth
    (x1, y1), (x2, y2) = r.diagnostics.annulus_xy
    (tx1, ty1), (tx2, ty2) = truth.annulus_xy
    off_cm = math.dist((x1 + x2, y1 + y2), (tx1 + tx2, ty1 + ty2)) / 2 * truth.spacing_cm[0]
    assert off_cm < 0.75
    assert r.n_jets_at_max == truth.n_jets[truth.max_frame] == 2
    assert r.max_jet_area_cm2 < 2 * truth.areas_cm2.max()


def test_a_jets_aliasing_ring_is_not_cut_off_as_inflow(tmp_path):
    """TEE long-axis pre-clip clip, fine mosaic, frozen ECG (the seventh
    never-tuned family, seed 9978, seen once): a wide jet whose slow outer shell
    (toward the probe) wraps past the Nyquist velocity into a band of the
    opposite colour before the mosaic core. That band was cut off as smooth
    flow against the jet's direction (venous inflow): -18 % of the area. It
    meets the shell across a velocity wrap (both sides fast, opposite signs),
    so it is the jet's aliasing ring and stays."""
    pre, path = _benchmark_clip(tmp_path, 9978, "tee_lvot", "fine", "frozen_ecg", post=False)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(pre, r, area_rel=0.05, dice_min=0.95)


def test_a_mosaic_breaking_up_downstream_gives_no_start_far_along_the_beam(tmp_path):
    """Apical 2-chamber pre-clip clip, coarse mosaic, frozen ECG (seed 15024): the
    jet's mosaic breaks into pieces well downstream, and the far third of its
    turbulence starts lay 3.6 cm deeper than the main one. Taken as another jet's
    orifice, it put the annulus across the atrium, no jet crossed it and the clip
    said "cannot measure". Another orifice on the same annulus lies within 1.6 cm
    along the beam."""
    clip, path = _benchmark_clip(tmp_path, 15024, "a2c", "coarse", "frozen_ecg", post=False)
    r = analyze_clip(path, keep_masks=True)
    _check_measured(clip, r, area_rel=0.1, dice_min=0.85)
