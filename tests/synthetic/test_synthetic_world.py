"""Tests of the world renderer: random views, jet textures and artefacts with exact truth."""

from __future__ import annotations

import numpy as np
import pytest

from echoassess import InvalidParameterError
from echoassess.synthetic import (
    ARTEFACT_SETS,
    TEXTURES,
    VIEWS,
    WorldParams,
    family_of,
    generate_world_clip,
    generate_world_study,
    load_truth,
)

SMALL = dict(rows=240, cols=320)
TEE = ("tee_me4c", "tee_comm", "tee_lvot")


def _clip(seed, **kw):
    kw = {**SMALL, **kw}
    post = kw.pop("post_clip", False)
    p = WorldParams.random(seed, post_clip=post, **kw)
    return generate_world_clip(p, rng=seed)


def _grey(frames: np.ndarray) -> np.ndarray:
    return (frames[..., 0] == frames[..., 1]) & (frames[..., 1] == frames[..., 2])


@pytest.fixture(scope="module")
def clips():
    """One short clip per (view, texture, artefacts) triple, rotating the others."""
    out = []
    i = 0
    for view in VIEWS:
        for j, texture in enumerate(TEXTURES):
            i += 1
            art = ARTEFACT_SETS[(i + j) % len(ARTEFACT_SETS)]
            out.append(
                _clip(
                    i,
                    view=view,
                    texture=texture,
                    artefacts=art,
                    post_clip=bool(i % 3 == 0),
                    n_frames=10,
                    frame_rate_hz=20.0,
                    heart_rate_bpm=75.0,
                    start_phase=0.95,
                )
            )
    for k, art in enumerate(ARTEFACT_SETS):  # every artefact set at least once
        out.append(_clip(100 + k, view=VIEWS[k % len(VIEWS)], artefacts=art, n_frames=6))
    return out


# -- parameters -------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("view", "psax"),
        ("texture", "smooth"),
        ("artefacts", "dirty"),
        ("rows", 100),
        ("cols", 5000),
        ("nyquist_cm_s", float("nan")),
        ("n_jets", 1.5),
        ("mirrored", "yes"),
        ("cursor_rgb", (300, 0, 0)),
        ("colour_map", "rainbow"),
    ],
)
def test_bad_parameters_name_the_parameter(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        WorldParams(**{field: value})


def test_random_fixes_the_axes_and_round_trips():
    p = WorldParams.random(4, view="plax", texture="variance", artefacts="zoom", **SMALL)
    assert family_of(p) == ("plax", "variance", "zoom")
    assert WorldParams.from_dict(p.to_dict()) == p
    assert p.replace(n_jets=2).n_jets == 2
    with pytest.raises(InvalidParameterError, match="view"):
        WorldParams.random(1, view="psax")
    with pytest.raises(InvalidParameterError, match="WorldParams"):
        generate_world_clip(None, rng=0)  # type: ignore[arg-type]


def test_same_seed_same_clip():
    a = _clip(7, n_frames=5)
    b = _clip(7, n_frames=5)
    c = _clip(8, n_frames=5)
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.truth.jet_labels, b.truth.jet_labels)
    assert not np.array_equal(a.frames, c.frames) if a.frames.shape == c.frames.shape else True


# -- truth ------------------------------------------------------------------------
def test_every_family_renders(clips):
    seen = {(c.truth.view, c.truth.texture) for c in clips}
    assert seen == {(v, t) for v in VIEWS for t in TEXTURES}
    assert {c.truth.artefacts for c in clips} == set(ARTEFACT_SETS)
    for c in clips:
        assert c.frames.dtype == np.uint8 and c.frames.shape[-1] == 3
        assert c.truth.la_mask is not None and c.truth.la_mask.any()
        assert c.truth.annulus_xy is not None


def test_jets_only_in_systole_inside_the_box_on_the_la_side(clips):
    for c in clips:
        tr = c.truth
        dia = tr.phase == "diastole"
        assert not tr.masks[dia].any()
        if tr.params["n_jets"]:
            assert tr.max_area_cm2 > 0
        x0, y0, x1, y1 = tr.colour_box_xyxy
        ys, xs = np.nonzero(tr.masks.any(axis=0))
        if not len(xs):
            continue
        assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= y0 and ys.max() <= y1
        # the LA side of the annulus line is the side of the LA pool
        (ax, ay), (bx, by) = tr.annulus_xy
        nx, ny = -(by - ay), bx - ax
        ly, lx = np.nonzero(tr.la_mask)
        side = np.sign(np.mean((lx - ax) * nx + (ly - ay) * ny))
        dist = ((xs - ax) * nx + (ys - ay) * ny) * side / np.hypot(nx, ny)
        assert dist.min() > -2.0, (tr.view, dist.min())
        # the jet pixels are coloured (but the dark dropout streaks inside a
        # coarse mosaic, which belong to the jet's area) and are not confounders
        on = tr.masks[tr.max_frame]
        uncoloured = _grey(c.frames[tr.max_frame])[on]
        if tr.params.get("mosaic") == "coarse" or tr.texture == "coarse":
            assert uncoloured.mean() < 0.35
        else:
            assert not uncoloured.any()
        assert not (tr.confounder_masks & tr.masks).any()


def test_orifices_sit_on_the_annulus(clips):
    for c in clips:
        tr = c.truth
        (ax, ay), (bx, by) = tr.annulus_xy
        a, b = np.array([ax, ay]), np.array([bx, by])
        for o in tr.orifices_xy:
            t = np.clip(np.dot(np.array(o) - a, b - a) / np.dot(b - a, b - a), 0, 1)
            assert np.hypot(*(np.array(o) - (a + t * (b - a)))) < 0.3 / tr.spacing_cm[0]
        assert len(tr.vc_width_cm) == len(tr.orifices_xy)
        assert all(0 < w < 1.6 for w in tr.vc_width_cm)


def test_each_jet_is_one_region_and_jets_touch_only_when_told(clips):
    from scipy import ndimage as ndi

    for c in clips:
        tr = c.truth
        for k in np.flatnonzero(tr.n_jets):
            for j in range(1, tr.n_jet_sources + 1):
                m = tr.jet_labels[k] == j
                if m.any():
                    assert ndi.label(m, structure=np.ones((3, 3)))[1] == 1
            if not tr.params["touching"]:
                assert tr.n_components[k] == tr.n_jets[k]


def _outer_rim_colours(c):
    """RGB of the jet's lateral rim on the max frame: away from the orifice, the LA
    wall and the colour-box edge (where the aliased core is cut, not shelled)."""
    from scipy import ndimage as ndi

    tr = c.truth
    k = tr.max_frame
    m = tr.masks[k]
    rim = m & ~ndi.binary_erosion(m, structure=np.ones((3, 3)))
    yy, xx = np.mgrid[: m.shape[0], : m.shape[1]]
    o = tr.orifices_xy[0]
    rim &= np.hypot(xx - o[0], yy - o[1]) * tr.spacing_cm[0] > 0.6
    rim &= ndi.binary_erosion(tr.la_mask, iterations=3)
    x0, y0, x1, y1 = tr.colour_box_xyxy
    box = np.zeros_like(m)
    box[y0 + 4 : y1 - 3, x0 + 4 : x1 - 3] = True
    return c.frames[k][rim & box].astype(int)


ONE_JET = dict(
    texture="fine",
    nyquist_cm_s=60.0,
    n_jets=1,
    wall_hugging=False,
    jet_angle_deg=0.0,
    pisa=False,
    artefacts="clean",
    n_frames=8,
    frame_rate_hz=20.0,
    heart_rate_bpm=75.0,
    start_phase=0.95,
)


@pytest.mark.parametrize("view", TEE)
@pytest.mark.parametrize("seed", [3, 4])
def test_tee_jets_flow_toward_the_probe_at_their_rim(view, seed):
    rgb = _outer_rim_colours(_clip(seed, view=view, **ONE_JET))
    assert len(rgb) > 20
    assert (rgb[:, 0] > rgb[:, 2]).mean() > 0.75  # red/yellow: toward the probe


@pytest.mark.parametrize("view", ["a4c", "a2c", "a3c", "plax"])
def test_tte_jets_flow_away_from_the_probe_at_their_rim(view):
    rgb = _outer_rim_colours(_clip(3, view=view, **ONE_JET))
    assert len(rgb) > 20
    assert (rgb[:, 2] > rgb[:, 0]).mean() > 0.75  # blue/cyan: away from the probe


def test_edge_aliased_jets_have_a_random_rim():
    fracs = []
    for seed in (3, 4, 5):
        rgb = _outer_rim_colours(_clip(seed, view="tee_me4c", **{**ONE_JET, "texture": "edge_aliased"}))
        fracs.append((rgb[:, 0] > rgb[:, 2]).mean())
    assert 0.2 < np.mean(fracs) < 0.8


def test_mirrored_clip_mirrors_the_anatomy():
    base = WorldParams.random(5, view="a3c", artefacts="clean", **SMALL, n_frames=4)
    a = generate_world_clip(base.replace(mirrored=False), rng=1)
    b = generate_world_clip(base.replace(mirrored=True), rng=1)
    ax = a.truth.sector["apex_x"]
    assert b.truth.sector["apex_x"] == pytest.approx(ax)
    # the LA, annulus and valve reflect about the fan's axis
    la_a = np.nonzero(a.truth.la_mask)[1].mean() - ax
    la_b = np.nonzero(b.truth.la_mask)[1].mean() - ax
    assert la_b == pytest.approx(-la_a, abs=1.5)
    assert b.truth.valve_xy[0] - ax == pytest.approx(-(a.truth.valve_xy[0] - ax), abs=0.01)
    assert b.truth.valve_xy[1] == pytest.approx(a.truth.valve_xy[1])
    assert b.truth.mirrored and not a.truth.mirrored


@pytest.mark.parametrize("artefacts", ["frozen_ecg", "frozen_overlays"])
def test_frozen_ecg_is_identical_in_every_frame(artefacts):
    c = _clip(9, artefacts=artefacts, n_frames=6, frame_counter=True)
    x0, y0, x1, y1 = c.truth.ecg_xyxy
    strip = c.frames[:, y0 : y1 + 1, x0 : x1 + 1]
    assert (strip == strip[0]).all()
    assert (~_grey(strip[0])).any()  # the trace is drawn
    moving = _clip(9, artefacts="cursor_colour", n_frames=6)
    x0, y0, x1, y1 = moving.truth.ecg_xyxy
    strip = moving.frames[:, y0 : y1 + 1, x0 : x1 + 1]
    assert not (strip == strip[0]).all()


def test_no_ecg_has_no_strip():
    c = _clip(10, artefacts="no_ecg", n_frames=3)
    assert c.truth.ecg_xyxy is None


@pytest.mark.parametrize("artefacts", ["overlays", "frozen_overlays"])
def test_overlays_are_static_coloured_and_inside_the_box(artefacts):
    c = _clip(12, artefacts=artefacts, n_frames=6)
    ov = c.truth.overlay_mask
    assert ov is not None and ov.sum() > 10
    px = c.frames[:, ov]
    assert (px == px[0]).all()
    assert not _grey(c.frames[0])[ov].any()
    x0, y0, x1, y1 = c.truth.colour_box_xyxy
    ys, xs = np.nonzero(ov)
    assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= y0 and ys.max() <= y1
    assert c.truth.confounder_masks[:, ov].all() and not c.truth.masks[:, ov].any()


def test_zoom_puts_the_apex_above_the_image():
    c = _clip(13, artefacts="zoom", n_frames=3)
    assert c.truth.sector["apex_y"] < 0
    x0, y0, x1, y1 = c.truth.colour_box_xyxy
    assert (x1 - x0) * (y1 - y0) > 0.15 * SMALL["rows"] * SMALL["cols"]


def test_post_clip_study_shares_the_heart():
    pre, post = generate_world_study(2, view="tee_comm", **SMALL, n_frames=6)
    assert pre.truth.view == post.truth.view == "tee_comm"
    assert post.truth.post_clip and post.truth.clip_xy is not None
    assert pre.truth.annulus_xy == post.truth.annulus_xy
    assert np.array_equal(pre.truth.la_mask, post.truth.la_mask)
    assert 1 <= post.truth.n_jet_sources <= 3
    assert pre.study.study_instance_uid == post.study.study_instance_uid


# -- files ------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["rgb", "jpeg"])
def test_save_and_load_truth_round_trip(tmp_path, encoding):
    import pydicom

    c = _clip(
        14,
        view="tee_me4c",
        artefacts="overlays",
        ai_jet=False,
        n_frames=5,
        dicom_view_code=True,
        calibrated=False,
    )
    dcm, truth_path = c.save(tmp_path / "w.dcm", encoding=encoding)
    tr = load_truth(dcm)
    assert np.array_equal(tr.jet_labels, c.truth.jet_labels)
    assert np.array_equal(tr.la_mask, c.truth.la_mask)
    assert np.array_equal(tr.overlay_mask, c.truth.overlay_mask)
    assert (tr.view, tr.texture, tr.artefacts, tr.mirrored) == (
        c.truth.view,
        c.truth.texture,
        c.truth.artefacts,
        c.truth.mirrored,
    )
    assert np.allclose(tr.annulus_xy, c.truth.annulus_xy)
    assert tr.vc_width_cm == pytest.approx(c.truth.vc_width_cm)
    assert not tr.calibrated
    ds = pydicom.dcmread(dcm)
    assert ds.Modality == "US" and int(ds.NumberOfFrames) == 5
    assert "SequenceOfUltrasoundRegions" not in ds
    assert "transesophageal" in ds.ViewCodeSequence[0].CodeMeaning.lower()
    assert "TEE" in list(ds.TransducerData)
    assert ds.pixel_array.shape == c.frames.shape
    assert str(ds.PatientName).startswith("SYNTHETIC^")


def test_calibrated_dicom_has_regions(tmp_path):
    import pydicom

    c = _clip(15, view="plax", artefacts="zoom", n_frames=3, calibrated=True, dicom_view_code=False)
    dcm, _ = c.save(tmp_path / "z.dcm")
    ds = pydicom.dcmread(dcm)
    regions = ds.SequenceOfUltrasoundRegions
    assert len(regions) == 2
    assert regions[0].PhysicalDeltaX == pytest.approx(c.truth.spacing_cm[0])
    assert "ViewCodeSequence" not in ds
    for r in regions:
        assert 0 <= r.RegionLocationMinY0 <= r.RegionLocationMaxY1 < c.frames.shape[1]


def test_old_truth_files_still_load(tmp_path):
    from echoassess.synthetic import SceneParams, generate_clip

    c = generate_clip(SceneParams(rows=120, cols=160, n_frames=3), rng=0)
    path = c.truth.save(tmp_path / "old.truth.npz")
    tr = load_truth(path)
    assert (tr.view, tr.mirrored, tr.la_mask, tr.annulus_xy) == ("a4c", False, None, None)
    assert "view" not in c.truth.to_dict()  # original truth files stay byte-identical


def test_command_line_world_clip(tmp_path, capsys):
    from echoassess.synthetic.__main__ import main

    out = tmp_path / "w.dcm"
    assert (
        main(
            [
                "world",
                str(out),
                "--seed",
                "2",
                "--view",
                "a2c",
                "--texture",
                "coarse",
                "--rows",
                "240",
                "--cols",
                "320",
                "--encoding",
                "rgb",
            ]
        )
        == 0
    )
    assert load_truth(out).view == "a2c"
    assert main(["world", str(out), "--view", "psax"]) == 2
    assert "view" in capsys.readouterr().err


@pytest.mark.parametrize("view", ["a4c", "tee_me4c"])
def test_vena_contracta_is_the_drawn_neck(view):
    c = _clip(5, view=view, rows=400, cols=540, gain=1.0, **{**ONE_JET, "n_frames": 10})
    tr = c.truth
    (ax, ay), (bx, by) = tr.annulus_xy
    v = np.array([bx - ax, by - ay]) / np.hypot(bx - ax, by - ay)
    ys, xs = np.nonzero(tr.jet_labels[tr.max_frame] == 1)
    rel = (np.stack([xs, ys], 1) - np.array(tr.orifices_xy[0])) * tr.spacing_cm[0]
    along, across = rel @ np.array([-v[1], v[0]]), rel @ v
    band = (np.abs(along) > 0.08) & (np.abs(along) < 0.22)
    width = across[band].max() - across[band].min()
    assert width == pytest.approx(tr.vc_width_cm[0], abs=3 * tr.spacing_cm[0])
