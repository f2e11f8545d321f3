"""Tests of echoassess.synthetic: the generator every accuracy number rests on."""

from __future__ import annotations

import csv
import shutil
import subprocess

import numpy as np
import pytest

from echoassess import InvalidParameterError, load_clip
from echoassess.synthetic import (
    SceneParams,
    colour_lut,
    generate_clip,
    generate_study,
    load_truth,
    make_cohort,
)

SMALL = dict(rows=150, cols=200, n_frames=12, start_phase=0.0)


@pytest.fixture(scope="module")
def clip():
    return generate_clip(SceneParams(**SMALL, pisa=True, noise_level=0.8), rng=11)


@pytest.fixture(scope="module")
def post_clip():
    return generate_clip(SceneParams(**SMALL, post_clip=True, n_jets=2, jet_width_cm=1.2), rng=5)


def _grey(frames: np.ndarray) -> np.ndarray:
    return (frames[..., 0] == frames[..., 1]) & (frames[..., 1] == frames[..., 2])


def _box_interior(truth, shape):
    """The colour box's interior: its bounds minus the grey outline."""
    x0, y0, x1, y1 = truth.colour_box_xyxy
    inside = np.zeros(shape, bool)
    inside[y0 : y1 + 1, x0 : x1 + 1] = True
    return inside


# -- parameters ----------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("rows", 10),
        ("cols", 5000),
        ("depth_cm", -1.0),
        ("nyquist_cm_s", float("nan")),
        ("n_jets", 9),
        ("n_jets", 1.5),
        ("colour_map", "rainbow"),
        ("post_clip", "yes"),
        ("noise_level", 2.0),
    ],
)
def test_bad_parameters_name_the_parameter(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        SceneParams(**{field: value})


def test_generate_clip_rejects_non_params():
    with pytest.raises(InvalidParameterError, match="params"):
        generate_clip({"rows": 100})


def test_random_params_are_deterministic_and_varied():
    a = [SceneParams.random(s) for s in range(12)]
    assert a == [SceneParams.random(s) for s in range(12)]
    assert len({p.colour_map for p in a}) == 2
    assert len({p.nyquist_cm_s for p in a}) > 6
    post = SceneParams.random(3, post_clip=True)
    assert post.post_clip and post.jet_length_cm <= 3.2
    for p in a:  # at least one full cardiac cycle
        assert p.n_frames * p.frame_time_ms >= p.rr_ms


# -- determinism -------------------------------------------------------------------
def test_same_seed_same_clip_other_seed_other_clip():
    p = SceneParams(rows=120, cols=160, n_frames=6, start_phase=0.05)
    a, b = generate_clip(p, rng=4), generate_clip(p, rng=np.random.default_rng(4))
    c = generate_clip(p, rng=5)
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.truth.jet_labels, b.truth.jet_labels)
    assert a.study == b.study
    assert not np.array_equal(a.frames, c.frames)


# -- truth vs pixels -----------------------------------------------------------------
def test_truth_is_exactly_the_jet_coloured_pixels(clip):
    t = clip.truth
    frames = clip.frames
    coloured = ~_grey(frames)
    box = _box_interior(t, frames.shape[1:3])
    # every truth / confounder pixel is coloured, inside the colour box, and they are disjoint
    assert np.all(coloured[t.masks]) and np.all(coloured[t.confounder_masks])
    assert not np.any(t.masks & ~box[None])
    assert not np.any(t.masks & t.confounder_masks)
    # inside the box, the coloured pixels are exactly jet + confounders
    assert np.array_equal(coloured & box[None], (t.masks | t.confounder_masks))
    # jets only in systole, and present there
    sys = t.phase == "systole"
    assert sys.any() and (~sys).any()
    assert t.areas_cm2[~sys].max() == 0
    assert t.areas_cm2[sys].max() > 0.5
    assert t.phase[t.max_frame] == "systole"
    assert t.confounder_masks.any()  # inflow, PISA, specks are there to fool a threshold


def test_areas_counts_and_max_frame(clip):
    t = clip.truth
    px = t.spacing_cm[0] * t.spacing_cm[1]
    assert np.allclose(t.areas_cm2, t.masks.sum(axis=(1, 2)) * px)
    assert np.allclose(t.jet_areas_cm2.sum(axis=1), t.areas_cm2)
    assert t.max_frame == int(np.argmax(t.areas_cm2))
    assert np.array_equal(t.n_jets, (t.jet_areas_cm2 > 0).sum(axis=1))


def test_colours_come_from_the_legend_and_jets_alias(clip):
    t = clip.truth
    x0, y0, x1, y1 = t.colour_bar_xyxy
    frame = clip.frames[t.max_frame]
    bar = frame[y0 : y1 + 1, x0 : x1 + 1]
    assert np.array_equal(bar[:, 0], clip.lut[:, 0])  # the drawn legend is the table
    legend = {tuple(c) for c in clip.lut.reshape(-1, 3)}
    m = t.masks[t.max_frame]
    jet_colours = frame[m]
    assert all(tuple(c) in legend for c in jet_colours)
    # the legend reads top = toward (red/yellow), bottom = away (blue/cyan)
    top, bottom = clip.lut[2, 0].astype(int), clip.lut[-3, 0].astype(int)
    assert top[0] > top[2] + 100 and bottom[2] > bottom[0] + 100
    # away flow -> blue dominates, but the aliased core shows red/yellow too
    blue = jet_colours[:, 2].astype(int) > jet_colours[:, 0]
    red = jet_colours[:, 0].astype(int) > jet_colours[:, 2] + 50
    assert blue.mean() > 0.4 and red.mean() > 0.05


def test_variance_map_adds_green():
    c = generate_clip(SceneParams(**SMALL, colour_map="vendor_b", turbulence=0.9), rng=2)
    t = c.truth
    jet = c.frames[t.max_frame][t.masks[t.max_frame]].astype(int)
    greenish = (jet[:, 1] > jet[:, 0] + 40) & (jet[:, 1] > jet[:, 2] + 40)
    assert greenish.mean() > 0.05
    lut = colour_lut("vendor_b", 64, 8)
    assert lut.shape == (64, 8, 3) and lut[..., 1].mean(axis=0)[-1] > lut[..., 1].mean(axis=0)[0]
    # every coloured legend entry is clearly non-grey, so "coloured" is unambiguous
    for name in ("vendor_a", "vendor_b"):
        lut = colour_lut(name, 128, 8).reshape(-1, 3).astype(int)
        spread = lut.max(axis=1) - lut.min(axis=1)
        assert np.all((spread >= 25) | (lut.sum(axis=1) == 0))


def test_areas_scale_with_spacing_squared():
    base = dict(rows=240, cols=320, n_frames=12, start_phase=0.0, noise_level=0.0, pisa=False)
    near = generate_clip(SceneParams(**base, depth_cm=14.0), rng=8)
    far = generate_clip(SceneParams(**base, depth_cm=20.0), rng=8)
    sn, sf = near.truth.spacing_cm[0], far.truth.spacing_cm[0]
    assert sf / sn == pytest.approx(20 / 14, rel=1e-3)
    # the same physical jet: similar cm^2, pixel counts in the ratio of spacing squared
    an, af = near.truth.max_area_cm2, far.truth.max_area_cm2
    assert af == pytest.approx(an, rel=0.2)
    pn = near.truth.masks[near.truth.max_frame].sum()
    pf = far.truth.masks[far.truth.max_frame].sum()
    assert pn / pf == pytest.approx((sf / sn) ** 2, rel=0.2)


def test_post_clip_has_jets_either_side_and_a_shadow(post_clip):
    t = post_clip.truth
    assert t.post_clip and t.clip_xy is not None
    assert t.n_jet_sources == 2 and t.n_jets[t.max_frame] == 2
    assert np.array_equal(t.n_components, t.n_jets)  # counting regions counts jets
    xs = [o[0] for o in t.orifices_xy]
    assert min(xs) < t.clip_xy[0] < max(xs)
    # acoustic shadow: the column of pixels straight below the clip is dark
    frame = post_clip.frames[t.max_frame].astype(int)
    cx, cy = int(round(t.clip_xy[0])), int(round(t.clip_xy[1]))
    apex_x, apex_y = t.sector["apex_x"], t.sector["apex_y"]
    ux, uy = cx - apex_x, cy - apex_y
    n = np.hypot(ux, uy)
    below = [frame[int(cy + uy / n * d), int(cx + ux / n * d)] for d in range(8, 30)]
    grey_below = [v[0] for v in below if v[0] == v[1] == v[2]]
    assert np.mean(grey_below) < 25


def test_wall_hugging_jet_reaches_the_wall():
    p = SceneParams(**SMALL, jet_angle_deg=45.0, wall_hugging=True, jet_length_cm=5.0)
    t = generate_clip(p, rng=3).truth
    m = t.masks[t.max_frame]
    ys, xs = np.nonzero(m)
    # eccentric toward the lateral (right) wall: the jet's mass lies right of the valve
    assert xs.mean() > t.valve_xy[0] + 3


# -- DICOM -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory, clip):
    out = tmp_path_factory.mktemp("synthetic")
    return {enc: clip.save(out / f"clip_{enc}.dcm", encoding=enc)[0] for enc in ("rgb", "jpeg", "jpeg420")}


@pytest.mark.parametrize("encoding", ["rgb", "jpeg", "jpeg420"])
def test_dicom_round_trip_through_load_clip(saved, clip, encoding):
    loaded = load_clip(saved[encoding])
    t = clip.truth
    assert loaded.n_frames == clip.n_frames
    assert loaded.spacing_cm == t.spacing_cm
    assert loaded.calibration_source == "regions"
    assert loaded.colour_flow_region.bounds == t.colour_box_xyxy
    assert loaded.frame_time_ms == pytest.approx(t.frame_time_ms, rel=1e-3)
    assert loaded.metadata.heart_rate_bpm == pytest.approx(t.heart_rate_bpm, abs=0.5)
    assert loaded.metadata.modality == "US"
    frames = loaded.read_frames()
    err = np.abs(frames.astype(int) - clip.frames)
    if encoding == "rgb":
        assert loaded.photometric_interpretation == "RGB"
        assert err.max() == 0
    else:
        assert loaded.photometric_interpretation == "YBR_FULL_422"
        assert err.mean() < 3.0
        assert loaded.metadata.transfer_syntax_uid == "1.2.840.10008.1.2.4.50"


def test_jpeg420_halves_the_chroma_both_ways(saved):
    """4:2:0 keeps a quarter of the chroma samples (4:2:2 half): its codestream's
    chroma components are sampled 1x1 against the luma's 2x2 (4:2:2: 2x1)."""
    import pydicom
    from pydicom.encaps import generate_frames

    def sampling(path):
        ds = pydicom.dcmread(path)
        jpg = next(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
        sof = jpg.index(b"\xff\xc0")  # baseline frame header: components after 10 bytes
        n = jpg[sof + 9]
        return [jpg[sof + 11 + 3 * i] for i in range(n)]  # (h << 4) | v per component

    assert sampling(saved["jpeg"]) == [0x21, 0x11, 0x11]
    assert sampling(saved["jpeg420"]) == [0x22, 0x11, 0x11]


def test_truth_file_round_trip(saved, clip):
    t2 = load_truth(saved["rgb"])
    t = clip.truth
    assert np.array_equal(t2.masks, t.masks)
    assert np.array_equal(t2.confounder_masks, t.confounder_masks)
    assert np.allclose(t2.areas_cm2, t.areas_cm2)
    assert t2.colour_box_xyxy == t.colour_box_xyxy and t2.spacing_cm == t.spacing_cm
    assert list(t2.phase) == list(t.phase) and t2.max_frame == t.max_frame
    with pytest.raises(InvalidParameterError, match="no such truth file"):
        load_truth(saved["rgb"].with_name("missing.truth.npz"))


def test_save_and_encoding_errors(clip, tmp_path):
    with pytest.raises(InvalidParameterError, match="encoding"):
        clip.to_dataset(encoding="jpeg2000")
    with pytest.raises(InvalidParameterError, match="jpeg_quality"):
        clip.to_dataset(encoding="jpeg", jpeg_quality=0)
    with pytest.raises(InvalidParameterError, match=r"\.dcm"):
        clip.save(tmp_path / "clip.png")


def test_study_pre_and_post_are_two_series_of_one_study():
    p = dict(rows=120, cols=160, n_frames=4)
    pre, post = generate_study(21, patient=7, **p)
    assert pre.study.patient_name == post.study.patient_name == "SYNTHETIC^PATIENT007"
    assert pre.study.patient_id == "SYN007"
    assert pre.study.study_instance_uid == post.study.study_instance_uid
    assert pre.study.series_instance_uid != post.study.series_instance_uid
    assert pre.study.sop_instance_uid != post.study.sop_instance_uid
    assert post.study.acquisition_datetime > pre.study.acquisition_datetime
    assert not pre.params.post_clip and post.params.post_clip
    assert pre.params.depth_cm == post.params.depth_cm  # same machine settings
    ds = post.to_dataset(encoding="rgb")
    assert ds.SeriesNumber == 2 and ds.StudyInstanceUID == pre.study.study_instance_uid


@pytest.mark.parametrize("encoding", ["rgb", "jpeg"])
def test_dciodvfy_finds_no_errors(saved, encoding):
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed")
    out = subprocess.run([exe, str(saved[encoding])], capture_output=True, text=True, timeout=120)
    report = out.stdout + out.stderr
    errors = [line for line in report.splitlines() if line.startswith("Error")]
    assert not errors, report
    assert "USMultiFrameImage" in report


def test_make_cohort_writes_manifest(tmp_path):
    manifest = make_cohort(tmp_path / "cohort", 2, seed=3, encoding="jpeg", rows=120, cols=160, n_frames=4)
    with open(manifest) as f:
        rows = list(csv.DictReader(f))
    assert [r["patient"] for r in rows] == ["SYN001", "SYN002"]
    assert list(rows[0])[:3] == ["patient", "pre", "post"]
    for r in rows:
        for key in ("pre", "post"):
            path = manifest.parent / r[key]
            assert load_clip(path).n_frames == 4
            assert load_truth(path).n_frames == 4
    with pytest.raises(InvalidParameterError, match="n_patients"):
        make_cohort(tmp_path / "x", 0, seed=1)


# -- shipped sample data -------------------------------------------------------------
def test_sample_data_is_what_the_script_makes():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "sample_data"
    spec = importlib.util.spec_from_file_location("make_sample_data", root / "make_sample_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.check(root) == []
    total = sum(p.stat().st_size for p in root.iterdir() if p.is_file())
    assert total < 5 * 1024**2
    pre, post = (load_truth(root / mod.FILES[k]) for k in ("pre", "post"))
    assert "systole" in set(pre.phase) and "diastole" in set(pre.phase)
    assert pre.max_area_cm2 > 2 * post.max_area_cm2
    assert post.post_clip and post.n_jets[post.max_frame] == 2


@pytest.mark.parametrize("name", ["patient01_pre.dcm", "patient01_post.dcm"])
def test_sample_data_validates_with_dciodvfy(name):
    from pathlib import Path

    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed")
    path = Path(__file__).resolve().parents[2] / "sample_data" / name
    out = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=120)
    errors = [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]
    assert not errors


def test_command_line_writes_a_clip_and_refuses_bad_names(tmp_path, capsys):
    from echoassess.synthetic.__main__ import main

    out = tmp_path / "one.dcm"
    assert (
        main(
            [
                "clip",
                str(out),
                "--seed",
                "2",
                "--rows",
                "120",
                "--cols",
                "160",
                "--encoding",
                "rgb",
                "--png-dir",
                str(tmp_path / "png"),
            ]
        )
        == 0
    )
    assert load_clip(out).shape == (120, 160, 3)
    assert len(list((tmp_path / "png").glob("one_*.png"))) == load_truth(out).n_frames
    assert main(["clip", str(tmp_path / "one.png")]) == 2
    assert "must end in .dcm" in capsys.readouterr().err


def test_pre_and_post_show_the_same_heart():
    pre, post = generate_study(4, rows=120, cols=160, n_frames=3)
    assert pre.params.anatomy_seed == post.params.anatomy_seed is not None
    p = SceneParams(
        rows=240,
        cols=320,
        n_frames=1,
        anatomy_seed=9,
        n_jets=0,
        pisa=False,
        inflow=False,
        pulmonary_vein_flow=False,
        noise_level=0.0,
    )
    a, b = generate_clip(p, rng=1), generate_clip(p, rng=2)
    c = generate_clip(p.replace(anatomy_seed=10), rng=1)
    # the tissue pattern (speckle aside) follows the anatomy seed: compare smoothed frames
    import cv2

    def smooth(clip):
        return cv2.GaussianBlur(clip.frames[0, ..., 0].astype(np.float32), (0, 0), 6)

    same = np.abs(smooth(a) - smooth(b)).mean()
    other = np.abs(smooth(a) - smooth(c)).mean()
    assert same < 0.4 * other
    with pytest.raises(InvalidParameterError, match="anatomy_seed"):
        SceneParams(anatomy_seed=-1)


def test_jet_has_blue_rim_and_aliased_core():
    import cv2

    c = generate_clip(
        SceneParams(
            rows=300, cols=400, n_frames=12, start_phase=0.0, n_jets=1, jet_width_cm=2.4, jet_length_cm=5.0
        ),
        rng=6,
    )
    t = c.truth
    m = t.masks[t.max_frame].astype(np.uint8)
    f = c.frames[t.max_frame].astype(int)
    rim = m.astype(bool) & ~cv2.erode(m, np.ones((3, 3), np.uint8)).astype(bool)
    core = cv2.erode(m, np.ones((9, 9), np.uint8)).astype(bool)
    assert rim.sum() > 50 and core.sum() > 50
    blue = f[..., 2] > f[..., 0]
    assert blue[rim].mean() > 0.7  # slow flow away from the probe at the edge
    assert (~blue)[core].mean() > 0.3  # velocities wrapped past -Nyquist into reds/yellows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_jet_is_one_region_touching_no_other(seed):
    p = SceneParams(
        rows=200,
        cols=260,
        n_frames=10,
        start_phase=0.0,
        n_jets=3,
        jet_width_cm=2.5,
        jet_length_cm=4.0,
        post_clip=bool(seed % 2),
    )
    t = generate_clip(p, rng=seed).truth
    assert t.n_jets.max() >= 2
    assert np.array_equal(t.n_components, t.n_jets)
