"""The libjpeg-turbo decode path (``load_clip(..., decoder="libjpeg-turbo")``) against
pydicom's pipeline, the reference: frames within the stated tolerance on every
real and synthetic JPEG file, the same colour decisions, the same errors on
damaged data, and what it does to jet areas."""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import pytest
from dicomfiles import dcm_file, read_dataset

from echoassess import analyze_clip, load_clip
from echoassess.dicom.jpeg import (
    FAST_MAX_ABS_DIFF,
    FAST_MEAN_ABS_DIFF,
    decode_rgb,
    frame_parameters,
    labelled_rgb_colour_space,
    parse_header,
)
from echoassess.errors import EchoAssessError, InvalidParameterError
from echoassess.synthetic import SceneParams, WorldParams, generate_clip, generate_world_clip

# every JPEG Baseline/Extended file of pydicom and pydicom-data that echoassess reads
# (header colour, what the codestream says, fast frames expected)
JPEG_FILES = [
    ("color3d_jpeg_baseline.dcm", True),  # YBR_FULL_422, JFIF
    ("examples_ybr_color.dcm", True),
    ("SC_rgb_jpeg_dcmtk.dcm", True),  # YBR_FULL
    ("SC_rgb_jpeg_lossy_gdcm.dcm", True),
    ("SC_rgb_small_odd_jpeg.dcm", True),  # 3 x 3 pixels
    ("SC_rgb_dcmtk_+eb+cr.dcm", True),  # RGB samples, Adobe transform 0
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", True),
    ("SC_rgb_dcmtk_+eb+cy+n2.dcm", True),
    ("SC_rgb_dcmtk_+eb+cy+np.dcm", True),
    ("SC_rgb_dcmtk_+eb+cy+s2.dcm", True),
    ("SC_rgb_dcmtk_+eb+cy+s4.dcm", True),
    ("SC_rgb_jpeg_app14_dcmd.dcm", True),  # RGB with an Adobe marker
    ("SC_jpeg_no_color_transform_2.dcm", True),
    # header RGB, no marker, component IDs neither 1,2,3 nor R,G,B: pydicom keeps
    # the samples as RGB, libjpeg-turbo would convert them: the fast path refuses
    ("SC_jpeg_no_color_transform.dcm", False),
    ("JPGExtended.dcm", False),  # 12-bit monochrome: not for libjpeg-turbo via OpenCV
]


def _assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape and got.dtype == np.uint8
    diff = np.abs(got.astype(np.int16) - want)
    assert diff.max() <= FAST_MAX_ABS_DIFF, f"{what}: max |diff| {diff.max()}"
    assert diff.mean() <= FAST_MEAN_ABS_DIFF, f"{what}: mean |diff| {diff.mean():.3f}"


@pytest.mark.parametrize("name,fast", JPEG_FILES, ids=[f[0] for f in JPEG_FILES])
def test_fast_frames_are_within_tolerance_of_pydicom_on_real_files(name, fast):
    path = dcm_file(name)
    ref = load_clip(path, decoder="pydicom")
    clip = load_clip(path, decoder="libjpeg-turbo")
    assert ref.decoder == "pydicom"
    # frame 0 really goes through libjpeg-turbo (or really falls back)
    assert (clip._frames.fast_frame(clip._frames.frame_bytes(0), 0) is not None) == fast
    for i, (got, want) in enumerate(zip(clip.iter_frames(), ref.iter_frames())):
        _assert_close(got, want, f"{name} frame {i}")
        if not fast:
            np.testing.assert_array_equal(got, want)  # every frame fell back to pydicom
        if i >= 7:
            break
    np.testing.assert_array_equal(clip.frame(-1), list(clip.iter_frames([clip.n_frames - 1]))[0])


@pytest.fixture(scope="module")
def synthetic_jpegs(tmp_path_factory):
    d = tmp_path_factory.mktemp("fast")
    paths = [
        generate_clip(SceneParams.random(3, rows=240, cols=320, n_frames=8), rng=3).save(
            d / "apical.dcm", encoding="jpeg"
        )[0]
    ]
    # chroma halved both ways (video-grade archives), heavily compressed
    paths += [
        generate_clip(SceneParams.random(4, rows=240, cols=320, n_frames=8), rng=4).save(
            d / "apical_420.dcm", encoding="jpeg420", jpeg_quality=55
        )[0]
    ]
    for seed, view, texture in ((5, "tee_me4c", "variance"), (6, "plax", "coarse")):
        clip = generate_world_clip(
            WorldParams.random(seed, view=view, texture=texture, rows=300, cols=400, n_frames=8), rng=seed
        )
        paths.append(clip.save(d / f"{view}.dcm", encoding="jpeg")[0])
    return paths


def test_fast_frames_are_within_tolerance_on_synthetic_clips(synthetic_jpegs):
    for path in synthetic_jpegs:
        clip = load_clip(path, decoder="libjpeg-turbo")
        assert clip.decoder == "libjpeg-turbo"
        got, want = clip.read_frames(), load_clip(path, decoder="pydicom").read_frames()
        _assert_close(got, want, path.name)
        np.testing.assert_array_equal(clip.read_frames([1, 5]), got[[1, 5]])
        np.testing.assert_array_equal(clip.read_frames([5, 1]), got[[5, 1]])


def test_the_fast_decoder_is_the_default(synthetic_jpegs):
    assert load_clip(synthetic_jpegs[0]).decoder == "libjpeg-turbo"
    assert load_clip(dcm_file("JPGExtended.dcm")).decoder == "pydicom"  # 12-bit: pydicom's


def test_unknown_decoder_is_refused(synthetic_jpegs):
    with pytest.raises(InvalidParameterError, match="decoder='turbo' must be"):
        load_clip(synthetic_jpegs[0], decoder="turbo")


# -- the codestream's colour space, as libjpeg-turbo guesses it --------------------
def _jfif_stream(rows=16, cols=24) -> bytes:
    img = np.random.default_rng(0).integers(0, 255, (rows, cols, 3), np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


def _without_app0(data: bytes) -> bytes:
    assert data[2:4] == b"\xff\xe0"
    n = int.from_bytes(data[4:6], "big")
    return data[:2] + data[4 + n :]


def _with_ids(data: bytes, ids: tuple[int, int, int]) -> bytes:
    i = data.index(b"\xff\xc0")
    out = bytearray(data)
    for k, cid in enumerate(ids):
        out[i + 10 + 3 * k] = cid
    return bytes(out)


def _adobe(transform: int) -> bytes:
    body = b"Adobe" + b"\x00\x64" + b"\x00\x00" + b"\x00\x00" + bytes([transform])
    return b"\xff\xee" + (len(body) + 2).to_bytes(2, "big") + body


def test_colour_space_guess_follows_libjpeg_turbo():
    jfif = _jfif_stream()
    bare = _without_app0(jfif)
    assert parse_header(jfif).colour_space == "YCbCr"  # JFIF implies YCbCr
    assert parse_header(bare).colour_space == "YCbCr"  # IDs 1, 2, 3
    assert parse_header(_with_ids(bare, (82, 71, 66))).colour_space == "RGB"
    assert parse_header(_with_ids(bare, (0, 1, 2))).colour_space == "YCbCr"  # unknown IDs
    assert parse_header(bare[:2] + _adobe(0) + bare[2:]).colour_space == "RGB"
    assert parse_header(bare[:2] + _adobe(1) + bare[2:]).colour_space == "YCbCr"
    # JFIF wins over Adobe, as in libjpeg-turbo
    assert parse_header(jfif[:2] + _adobe(0) + jfif[2:]).colour_space == "YCbCr"
    head = parse_header(jfif)
    assert (head.rows, head.cols, head.precision, head.complete) == (16, 24, 8, True)


# -- the colour space of a codestream labelled RGB, as IJG libjpeg (the reference) reads it
def test_labelled_rgb_colour_space_follows_libjpeg():
    jfif = _jfif_stream()
    bare = _without_app0(jfif)
    assert labelled_rgb_colour_space(jfif) == "YBR_FULL_422"  # a JFIF marker
    assert labelled_rgb_colour_space(bare) == "YBR_FULL_422"  # IDs 1, 2, 3
    assert labelled_rgb_colour_space(_with_ids(bare, (82, 71, 66))) == "RGB"
    assert labelled_rgb_colour_space(_with_ids(bare, (0, 1, 2))) == "RGB"  # the header is trusted
    assert labelled_rgb_colour_space(bare[:2] + _adobe(0) + bare[2:]) == "RGB"
    assert labelled_rgb_colour_space(bare[:2] + _adobe(1) + bare[2:]) == "YBR_FULL_422"
    # the Adobe marker is looked at before the JFIF marker
    assert labelled_rgb_colour_space(jfif[:2] + _adobe(0) + jfif[2:]) == "RGB"


def test_labelled_rgb_colour_space_trusts_the_header_on_damaged_streams():
    jfif = _jfif_stream()
    i = jfif.index(b"\xff\xc0")
    assert labelled_rgb_colour_space(b"not a jpeg") == "RGB"
    assert labelled_rgb_colour_space(jfif[: i + 6]) == "RGB"  # ends inside the frame header
    grey = bytearray(jfif)
    grey[i + 9] = 1  # one component
    assert labelled_rgb_colour_space(bytes(grey)) is None


def test_frame_parameters_of_any_sof_and_every_app_segment():
    jfif = _jfif_stream(rows=16, cols=24)
    info = frame_parameters(jfif[:2] + _adobe(1) + jfif[2:])
    assert (info.precision, info.rows, info.cols, info.components) == (8, 16, 24, 3)
    assert list(info.app) == [0xEE, 0xE0] and info.app[0xE0].startswith(b"JFIF")
    progressive = jfif.replace(b"\xff\xc0", b"\xff\xc2", 1)
    assert frame_parameters(progressive).component_ids == (1, 2, 3)
    assert parse_header(progressive) is None  # not one the fast path decodes


def test_decode_refuses_what_it_cannot_promise():
    jfif = _jfif_stream()
    assert decode_rgb(jfif, rows=16, cols=24, colour_space="YCbCr") is not None
    assert decode_rgb(jfif, rows=16, cols=24, colour_space="RGB") is None  # colour disagrees
    assert decode_rgb(jfif, rows=17, cols=24, colour_space="YCbCr") is None  # size disagrees
    assert decode_rgb(jfif[:-40], rows=16, cols=24, colour_space="YCbCr") is None  # no EOI
    assert decode_rgb(b"\xff\xd8\xff", rows=16, cols=24, colour_space="YCbCr") is None
    assert decode_rgb(b"", rows=16, cols=24, colour_space="YCbCr") is None
    progressive = cv2.imencode(".jpg", np.zeros((16, 24, 3), np.uint8), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[
        1
    ].tobytes()
    assert decode_rgb(progressive, rows=16, cols=24, colour_space="YCbCr") is None


# -- damaged fragments: the same outcome as the reference -----------------------
def _outcome(path, decoder):
    try:
        return "ok", load_clip(path, decoder=decoder).read_frames()
    except EchoAssessError as exc:
        assert str(path.name) in str(exc)
        return type(exc).__name__, None


@pytest.mark.parametrize("damage", ["truncate_last", "zero_middle", "garbage_frame"])
def test_damaged_fragments_end_as_the_reference_does(synthetic_jpegs, tmp_path, damage):
    from pydicom.encaps import encapsulate, generate_frames

    ds = read_dataset(str(synthetic_jpegs[0]))
    frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    if damage == "truncate_last":
        frames[-1] = frames[-1][: len(frames[-1]) // 2]
    elif damage == "zero_middle":
        b = bytearray(frames[2])
        b[len(b) // 2 : len(b) // 2 + 64] = bytes(64)
        frames[2] = bytes(b)
    else:
        frames[3] = b"\xff\xd8" + bytes(200) + b"\xff\xd9"
    ds.PixelData = encapsulate([f + b"\x00" * (len(f) % 2) for f in frames])
    path = tmp_path / f"{damage}.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path)
    ref_kind, ref_frames = _outcome(path, "pydicom")
    fast_kind, fast_frames = _outcome(path, "libjpeg-turbo")
    if damage == "zero_middle":
        # complete codestream with damaged entropy data: libjpeg-turbo decodes
        # what it can (as libjpeg does); never an unexpected exception
        assert fast_kind in ("ok", ref_kind)
    else:
        assert fast_kind == ref_kind
        if ref_frames is not None:
            np.testing.assert_array_equal(fast_frames[-1], ref_frames[-1])


# -- jet areas -------------------------------------------------------------------
def _areas(result) -> np.ndarray:
    return np.array([f.jet_area_cm2 or 0.0 for f in result.per_frame])


#: generator clips the fast decoder must measure as the reference does
AREA_CLIPS = [
    ("scene", 0, {}),
    ("scene", 1, {}),
    ("world", 2, dict(view="tee_me4c", texture="coarse", artefacts="frozen_ecg")),
    ("world", 3, dict(view="a4c", texture="variance", artefacts="cursor_colour")),
    ("world", 4, dict(view="tee_comm", texture="edge_aliased", artefacts="no_ecg", post_clip=True)),
    ("world", 5, dict(view="a2c", texture="fine", artefacts="overlays", post_clip=True)),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,seed,kw", AREA_CLIPS, ids=[f"{k}{s}" for k, s, _ in AREA_CLIPS])
def test_fast_decoder_leaves_jet_areas_unchanged(tmp_path, kind, seed, kw):
    """Against the reference (pydicom through Pillow, i.e. libjpeg-turbo with
    pydicom's own YCbCr -> RGB), the fast path's frames differ by at most one
    grey level on a few pixels, and every status, per-frame jet area, jet
    count and vena contracta is the same."""
    if kind == "scene":
        clip = generate_clip(SceneParams.random(seed, rows=300, cols=400, n_frames=16), rng=seed)
    else:
        clip = generate_world_clip(WorldParams.random(seed, rows=300, cols=400, n_frames=16, **kw), rng=seed)
    path = clip.save(tmp_path / f"{kind}{seed}.dcm", encoding="jpeg")[0]
    ref_clip, fast_clip = load_clip(path, decoder="pydicom"), load_clip(path, decoder="libjpeg-turbo")
    assert (ref_clip.decoder, fast_clip.decoder) == ("pydicom", "libjpeg-turbo")
    diff = np.abs(fast_clip.read_frames().astype(np.int16) - ref_clip.read_frames())
    assert diff.max() <= FAST_MAX_ABS_DIFF and diff.mean() <= FAST_MEAN_ABS_DIFF
    ref, fast = analyze_clip(ref_clip), analyze_clip(fast_clip)
    assert (fast.status, fast.status_reason) == (ref.status, ref.status_reason)
    np.testing.assert_allclose(_areas(fast), _areas(ref), atol=0.01)
    assert [f.n_jets for f in fast.per_frame] == [f.n_jets for f in ref.per_frame]
    _assert_results_close(
        None if fast.post_teer is None else fast.post_teer.to_dict(),
        None if ref.post_teer is None else ref.post_teer.to_dict(),
    )


def _assert_results_close(a, b, path="post_teer"):
    """Equal structure; numbers within 0.01 (cm, cm^2, ratios)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_results_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_results_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, abs=0.01), path
    else:
        assert a == b, path
