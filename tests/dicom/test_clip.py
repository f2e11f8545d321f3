"""The DICOM loader on real files in every encoding, timing and calibration."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicomfiles import dcm_file, read_dataset, save_variant
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, pixel_array
from pydicom.sequence import Sequence
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit

import echoassess
from echoassess import load_clip
from echoassess.dicom.jpeg import FAST_MAX_ABS_DIFF, FAST_MEAN_ABS_DIFF
from echoassess.fan import Sector, sector_mask


def reference_rgb(path: str, index: int) -> np.ndarray:
    """pydicom's own RGB conversion of one frame, scaled to 8 bits.

    8-bit JPEG Baseline/Extended is decoded by pydicom's Pillow plugin
    (libjpeg-turbo), everything else by pydicom's first available plugin.
    YBR -> RGB is pydicom's (``raw=False``); palette images go through
    pydicom's ``apply_color_lut`` (16-bit entries keep their high byte);
    monochrome images are scaled from BitsStored to 8 bits and replicated.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
        jpeg8 = ds.file_meta.TransferSyntaxUID in (JPEGBaseline8Bit, JPEGExtended12Bit) and ds.BitsStored == 8
        arr = pixel_array(ds, index=index, **({"decoding_plugin": "pillow"} if jpeg8 else {}))
    pi = ds.PhotometricInterpretation
    if pi == "PALETTE COLOR":
        rgb = apply_color_lut(arr, ds)
        if rgb.dtype != np.uint8:
            rgb = rgb.astype(np.uint32)
            if rgb.max() > 255:
                rgb = rgb >> 8
        return rgb.astype(np.uint8)
    if pi.startswith("MONOCHROME"):
        bits = ds.BitsStored
        a = arr.astype(np.int64)
        if ds.PixelRepresentation == 1:
            a += 2 ** (bits - 1)
        if not (bits == 8 and arr.dtype == np.uint8):
            a = np.rint(np.clip(a, 0, 2**bits - 1) * (255 / (2**bits - 1)))
        a = a.astype(np.uint8)
        if pi == "MONOCHROME1":
            a = 255 - a
        return np.repeat(a[..., None], 3, axis=-1)
    if arr.dtype != np.uint8:
        bits = ds.BitsStored
        arr = np.rint(arr.astype(np.float64) * (255 / (2**bits - 1))).astype(np.uint8)
    return arr


# (file, frames, what it covers)
REAL_FILES = [
    ("color3d_jpeg_baseline.dcm", 120, "SonoSite multi-frame JPEG Baseline YBR_FULL_422"),
    ("examples_ybr_color.dcm", 30, "multi-frame JPEG Baseline YBR_FULL_422"),
    ("JPGLosslessP14SV1_1s_1f_8b.dcm", 1, "Philips EPIQ JPEG Lossless MONOCHROME2"),
    ("US1_UNCR.dcm", 1, "GE uncompressed RGB"),
    ("US1_J2KR.dcm", 1, "JPEG 2000 lossless YBR_RCT"),
    ("US1_J2KI.dcm", 1, "JPEG 2000 lossy YBR_ICT"),
    ("color-pl.dcm", 1, "RGB planar configuration 1"),
    ("color-px.dcm", 1, "RGB planar configuration 0"),
    ("OBXXXX1A_rle_2frame.dcm", 2, "Philips palette colour, RLE"),
    ("OBXXXX1A_expb_2frame.dcm", 2, "palette colour, explicit big endian"),
    ("gdcm-US-ALOKA-16.dcm", 1, "16-bit palette, implicit little endian"),
    ("gdcm-US-ALOKA-16_big.dcm", 1, "16-bit palette, big endian"),
    ("examples_palette.dcm", 1, "8-bit palette"),
    ("examples_rgb_color.dcm", 1, "uncompressed RGB"),
    ("SC_rgb_expb_2frame.dcm", 2, "RGB explicit big endian multi-frame"),
    ("SC_rgb_rle_2frame.dcm", 2, "RGB RLE multi-frame"),
    ("SC_rgb_rle_16bit.dcm", 1, "16-bit RGB RLE"),
    ("SC_ybr_full_uncompressed.dcm", 1, "uncompressed YBR_FULL"),
    ("SC_ybr_full_422_uncompressed.dcm", 1, "uncompressed YBR_FULL_422"),
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", 1, "JPEG Baseline YBR_FULL"),
    ("SC_rgb_dcmtk_+eb+cr.dcm", 1, "JPEG Baseline true RGB ('R','G','B' ids)"),
    ("SC_jpeg_no_color_transform.dcm", 1, "JPEG Baseline RGB without transform"),
    ("SC_jpeg_no_color_transform_2.dcm", 1, "JPEG Baseline RGB, Adobe transform 0"),
    ("SC_rgb_jpeg_dcmd.dcm", 1, "JPEG Baseline RGB with JFIF marker (holds YBR)"),
    ("SC_rgb_jpeg.dcm", 1, "meta header says explicit VR, data is implicit"),
    ("SC_rgb_jpeg_gdcm.dcm", 1, "JPEG Lossless RGB"),
    ("SC_rgb_jls_lossy_sample.dcm", 1, "JPEG-LS near-lossless RGB"),
    ("emri_small_jpeg_ls_lossless.dcm", 10, "JPEG-LS lossless multi-frame"),
    ("RG1_J2KR.dcm", 1, "MONOCHROME1, JPEG 2000 lossless"),
    ("MR_small_bigendian.dcm", 1, "signed 16-bit monochrome, big endian"),
    ("liver.dcm", 3, "1-bit monochrome multi-frame"),
    ("image_dfl.dcm", 1, "deflated explicit VR little endian"),
]


@pytest.mark.parametrize("name,n_frames,what", REAL_FILES, ids=[r[0] for r in REAL_FILES])
def test_frames_equal_pydicom_rgb(name, n_frames, what):
    path = dcm_file(name)
    clip = load_clip(path, decoder="pydicom")
    assert clip.n_frames == n_frames == len(clip)
    rows, cols = read_dataset(path).Rows, read_dataset(path).Columns
    assert clip.shape == (rows, cols, 3)
    indices = sorted({0, n_frames // 2, n_frames - 1})
    streamed = list(clip.iter_frames(indices))
    for i, got in zip(indices, streamed):
        assert got.dtype == np.uint8 and got.shape == clip.shape
        want = reference_rgb(path, i)
        # bit-exact: the decoders are pydicom's, for lossy files too
        np.testing.assert_array_equal(got, want, err_msg=f"{what}, frame {i}")
        np.testing.assert_array_equal(clip.frame(i), got)
    fast = load_clip(path)  # the default: libjpeg-turbo where it can promise the colours
    for i in indices:
        diff = np.abs(fast.frame(i).astype(np.int16) - reference_rgb(path, i))
        assert diff.max() <= FAST_MAX_ABS_DIFF and diff.mean() <= FAST_MEAN_ABS_DIFF, what


def test_iter_frames_streams_every_frame_in_order():
    path = dcm_file("examples_ybr_color.dcm")
    clip = load_clip(path)
    it = clip.iter_frames()
    assert iter(it) is it  # a generator: nothing decoded before asked
    frames = list(it)
    assert len(frames) == 30
    np.testing.assert_array_equal(frames[17], clip.frame(17))
    np.testing.assert_array_equal(frames[-1], clip.frame(-1))
    stack = clip.read_frames([3, 1])
    np.testing.assert_array_equal(stack[0], frames[3])
    np.testing.assert_array_equal(stack[1], frames[1])


def test_colour_survives_loading():
    """The colour Doppler channels must not be collapsed (EchoNet kept channel 0)."""
    clip = load_clip(dcm_file("color3d_jpeg_baseline.dcm"))
    frame = clip.frame(60)
    r, g, b = (frame[..., k].astype(int) for k in range(3))
    coloured = (np.abs(r - g) > 40) | (np.abs(b - g) > 40)
    assert coloured.sum() > 200


def _strip_app0(codestream: bytes) -> bytes:
    """Remove JFIF APP0 segments from a JPEG codestream."""
    out = bytearray(codestream[:2])
    i = 2
    while i < len(codestream):
        marker = codestream[i : i + 2]
        if marker[0] != 0xFF or marker[1] == 0xDA:
            out += codestream[i:]
            break
        length = int.from_bytes(codestream[i + 2 : i + 4], "big")
        if marker[1] != 0xE0:
            out += codestream[i : i + 2 + length]
        i += 2 + length
    return bytes(out)


@pytest.mark.parametrize("strip_jfif", [False, True], ids=["jfif", "no-jfif"])
def test_jpeg_labelled_rgb_but_holding_ybr(tmp_path, strip_jfif):
    from pydicom.encaps import encapsulate, generate_frames

    ds = read_dataset("examples_ybr_color.dcm")
    truth = load_clip(dcm_file("examples_ybr_color.dcm"))
    frames = list(generate_frames(ds.PixelData, number_of_frames=ds.NumberOfFrames))
    if strip_jfif:
        frames = [_strip_app0(f) for f in frames]
        assert all(b"JFIF" not in f[:64] for f in frames)
    ds.PixelData = encapsulate(frames)
    path = save_variant(ds, tmp_path / "rgb_label.dcm", PhotometricInterpretation="RGB")
    clip = load_clip(path)
    for i in (0, 29):
        np.testing.assert_array_equal(clip.frame(i), truth.frame(i))


def test_jpeg_extended_transfer_syntax(tmp_path):
    """An 8-bit JPEG Extended (Process 2) file decodes like its baseline twin."""
    ds = read_dataset("examples_ybr_color.dcm")
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEGExtended12Bit
    path = save_variant(ds, tmp_path / "extended.dcm")
    clip = load_clip(path)
    assert clip.metadata.transfer_syntax_uid == "1.2.840.10008.1.2.4.51"
    np.testing.assert_array_equal(clip.frame(5), load_clip(dcm_file("examples_ybr_color.dcm")).frame(5))


def test_monochrome1_is_inverted():
    clip = load_clip(dcm_file("RG1_J2KR.dcm"))
    ds = read_dataset("RG1_J2KR.dcm")
    raw = ds.pixel_array
    frame = clip.frame(0)
    hi = np.unravel_index(np.argmax(raw), raw.shape)
    lo = np.unravel_index(np.argmin(raw), raw.shape)
    assert frame[hi][0] < frame[lo][0]  # MONOCHROME1: high values are dark
    assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 1] == frame[..., 2]).all()


# -- calibration ---------------------------------------------------------------
@pytest.mark.parametrize(
    "name,spacing",
    [
        ("color3d_jpeg_baseline.dcm", 0.05104970559477806),
        ("JPGLosslessP14SV1_1s_1f_8b.dcm", 0.025476696592378157),
        ("OBXXXX1A_rle_2frame.dcm", 0.02622878766196998),
        ("gdcm-US-ALOKA-16.dcm", 0.03826530650258064),
    ],
)
def test_spacing_from_the_2d_region(name, spacing):
    clip = load_clip(dcm_file(name))
    assert clip.calibration_source == "regions"
    assert clip.spacing_cm == pytest.approx((spacing, spacing), rel=1e-12)
    ds = read_dataset(name)
    assert len(clip.regions) == len(ds.SequenceOfUltrasoundRegions)
    for region, item in zip(clip.regions, ds.SequenceOfUltrasoundRegions):
        assert region.bounds == (
            item.RegionLocationMinX0,
            item.RegionLocationMinY0,
            item.RegionLocationMaxX1,
            item.RegionLocationMaxY1,
        )
        assert region.data_type == item.RegionDataType
        assert region.spatial_format == item.RegionSpatialFormat
        assert region.delta_x == pytest.approx(float(item.PhysicalDeltaX))
        assert region.units_y == item.PhysicalUnitsYDirection
    assert clip.spatial_region.is_2d and clip.spatial_region.is_spatial_cm


def test_region_lookup_by_pixel():
    """The Philips file has a 2D tissue region and an ECG waveform region below it."""
    clip = load_clip(dcm_file("OBXXXX1A_rle_2frame.dcm"))
    tissue, ecg = clip.regions
    assert clip.region_at(400, 300) is tissue
    assert clip.region_at(400, 550) is ecg
    assert ecg.data_type_name == "ECG trace" and ecg.units_x_name == "s"
    assert clip.region_at(400, 550, spatial_only=True) is None
    assert clip.region_at(5, 5) is None
    ref = tissue.reference_pixel_x0, tissue.reference_pixel_y0
    assert ref == (340, 36)


@pytest.mark.parametrize("name", ["examples_ybr_color.dcm", "examples_palette.dcm"])
def test_region_outside_the_image_is_not_trusted(name):
    """These files were resized/cropped after export but kept their regions."""
    clip = load_clip(dcm_file(name))
    assert clip.regions  # parsed, but not trusted for the scale
    assert clip.spacing_cm is None and not clip.is_calibrated
    assert "outside" in clip.calibration_note
    with pytest.raises(echoassess.CalibrationError, match=f"{name}.*outside"):
        clip.require_spacing_cm()


def _region(x0, y0, x1, y1, *, data_type=1, fmt=1, units=3, delta=0.05):
    item = Dataset()
    item.RegionSpatialFormat = fmt
    item.RegionDataType = data_type
    item.RegionFlags = 0
    item.RegionLocationMinX0, item.RegionLocationMinY0 = x0, y0
    item.RegionLocationMaxX1, item.RegionLocationMaxY1 = x1, y1
    item.PhysicalUnitsXDirection = units
    item.PhysicalUnitsYDirection = units
    item.PhysicalDeltaX = delta
    item.PhysicalDeltaY = delta
    return item


def test_colour_flow_box_picks_its_own_region_not_the_first(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")  # 640 x 480 RGB, no regions
    ds.SequenceOfUltrasoundRegions = Sequence(
        [
            _region(0, 0, 319, 479, delta=0.08),  # left pane, other scale
            _region(320, 0, 639, 479, delta=0.03),  # right pane
            _region(400, 100, 560, 300, data_type=2, delta=0.03),  # colour box in the right pane
        ]
    )
    clip = load_clip(save_variant(ds, tmp_path / "dual.dcm"))
    assert clip.colour_flow_region.bounds == (400, 100, 560, 300)
    assert clip.spacing_cm == pytest.approx((0.03, 0.03))
    assert clip.spatial_region.bounds == (320, 0, 639, 479)


def test_spacing_ignores_a_first_region_in_other_units(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    ds.SequenceOfUltrasoundRegions = Sequence(
        [
            _region(0, 380, 639, 479, fmt=3, data_type=3, units=7, delta=2.5),  # spectral, cm/s
            _region(0, 0, 639, 370, delta=0.04),
        ]
    )
    clip = load_clip(save_variant(ds, tmp_path / "spectral_first.dcm"))
    assert clip.spacing_cm == pytest.approx((0.04, 0.04))


def test_units_other_than_cm_are_refused_for_areas(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    ds.SequenceOfUltrasoundRegions = Sequence([_region(0, 0, 639, 479, units=0, delta=1.0)])
    clip = load_clip(save_variant(ds, tmp_path / "nounits.dcm"))
    assert clip.spacing_cm is None
    assert "not cm" in clip.calibration_note
    with pytest.raises(echoassess.CalibrationError, match="nounits.dcm.*not cm"):
        clip.require_spacing_cm()


def test_user_spacing_overrides(tmp_path):
    clip = load_clip(dcm_file("US1_UNCR.dcm"), spacing_cm=0.03)
    assert clip.spacing_cm == (0.03, 0.03) and clip.calibration_source == "user spacing"
    assert clip.pixel_area_cm2 == pytest.approx(0.0009)
    clip = load_clip(dcm_file("color3d_jpeg_baseline.dcm"), spacing_cm=(0.02, 0.03))
    assert clip.spacing_cm == (0.02, 0.03)


def _fan_clip(tmp_path, sector: Sector) -> Path:
    ds = read_dataset("US1_UNCR.dcm")
    rng = np.random.default_rng(0)
    mask = sector_mask((480, 640), sector)
    img = np.zeros((480, 640, 3), np.uint8)
    img[mask] = rng.integers(20, 200, size=(int(mask.sum()), 1), dtype=np.uint8)
    img[10:20, 20:120] = 255  # some text-like clutter outside the fan
    ds.PixelData = img.tobytes()
    return save_variant(ds, tmp_path / "fan.dcm")


def test_depth_cm_through_the_detected_sector(tmp_path):
    sector = Sector(320.0, 5.0, 440.0, -38.0, 38.0)
    path = _fan_clip(tmp_path, sector)
    clip = load_clip(path, depth_cm=16.0)
    assert clip.calibration_source == "depth + sector"
    expected = 16.0 / 440.0
    assert clip.spacing_cm[0] == pytest.approx(expected, rel=0.02)
    assert clip.spacing_cm[0] == clip.spacing_cm[1]
    assert load_clip(path).spacing_cm is None  # without depth: uncalibrated


def test_the_reader_records_the_depth_and_load_clip_finds_the_fan(tmp_path):
    from echoassess.dicom import CalibrationSource, UserCalibration, choose_calibration, read_clip

    sector = Sector(320.0, 5.0, 440.0, -38.0, 38.0)
    path = _fan_clip(tmp_path, sector)
    read = read_clip(path, depth_cm=16.0)
    assert read.spacing_cm is None and read.user_calibration == UserCalibration(None, 16.0)
    loaded = load_clip(path, depth_cm=16.0)
    assert loaded.calibration_source == CalibrationSource.DEPTH_SECTOR and loaded.user_depth_cm == 16.0
    # the caller that has a sector recalibrates a read clip the same way
    read.calibration = choose_calibration(read.regions, read.user_calibration, sector, image_shape=(480, 640))
    assert read.spacing_cm == (16.0 / 440.0, 16.0 / 440.0) and read.pixel_area_cm2 == pytest.approx(
        (16.0 / 440.0) ** 2
    )


def test_uncalibrated_clip_says_so():
    clip = load_clip(dcm_file("US1_UNCR.dcm"))
    assert not clip.is_calibrated and clip.pixel_area_cm2 is None
    assert "no SequenceOfUltrasoundRegions" in clip.calibration_note


# -- timing --------------------------------------------------------------------
def test_frame_time_from_file():
    clip = load_clip(dcm_file("color3d_jpeg_baseline.dcm"))
    assert clip.timing_source == "FrameTime"
    np.testing.assert_allclose(clip.frame_times_ms, np.arange(120) * 33.333)
    assert clip.frame_time_ms == pytest.approx(33.333)
    assert clip.frame_rate_hz == pytest.approx(30.0, rel=1e-3)


@pytest.mark.parametrize(
    "changes,source,times",
    [
        (
            {"FrameTimeVector": [0, 20, 30, 25], "FrameTime": 40, "CineRate": 10},
            "FrameTimeVector",
            [0, 20, 50, 75],
        ),
        ({"FrameTime": 40, "CineRate": 10}, "FrameTime", [0, 40, 80, 120]),
        ({"CineRate": 50, "RecommendedDisplayFrameRate": 10}, "CineRate", [0, 20, 40, 60]),
        ({"RecommendedDisplayFrameRate": 25}, "RecommendedDisplayFrameRate", [0, 40, 80, 120]),
        ({"FrameTimeVector": [0, 20, 30], "CineRate": 50}, "CineRate", [0, 20, 40, 60]),
        ({}, None, None),
    ],
    ids=["vector", "frame-time", "cine-rate", "display-rate", "bad-vector", "none"],
)
def test_timing_precedence(tmp_path, changes, source, times):
    ds = read_dataset("examples_ybr_color.dcm")
    for kw in ("FrameTime", "FrameTimeVector", "CineRate", "RecommendedDisplayFrameRate"):
        if kw in ds:
            delattr(ds, kw)
    ds.NumberOfFrames = 4
    from pydicom.encaps import encapsulate, generate_frames

    ds.PixelData = encapsulate(list(generate_frames(ds.PixelData, number_of_frames=30))[:4])
    clip = load_clip(save_variant(ds, tmp_path / "t.dcm", **changes))
    assert clip.timing_source == source
    if times is None:
        assert clip.frame_times_ms is None and clip.frame_time_ms is None
    else:
        np.testing.assert_allclose(clip.frame_times_ms, times)


# -- metadata and identity -------------------------------------------------------
def test_metadata_without_patient_identity(tmp_path):
    ds = read_dataset("color3d_jpeg_baseline.dcm")
    path = save_variant(
        ds,
        tmp_path / "named.dcm",
        PatientName="DOE^JANE",
        PatientID="MRN-998877",
        PatientBirthDate="19500101",
        HeartRate=72,
        SeriesDescription="MV colour",
    )
    clip = load_clip(path)
    md = clip.metadata
    assert md.manufacturer == "SonoSite, Inc."
    assert md.sop_instance_uid == ds.SOPInstanceUID
    assert md.study_instance_uid == ds.StudyInstanceUID
    assert md.heart_rate_bpm == 72
    assert md.series_description == "MV colour"
    assert md.is_ultrasound
    text = json.dumps(clip.summary(), default=str) + repr(clip) + repr(md)
    for secret in ("DOE", "JANE", "MRN-998877", "19500101"):
        assert secret not in text
    header = clip.read_header()
    assert "PatientName" not in header and "PatientID" not in header
    assert "PixelData" not in header
    assert clip.read_header(include_patient_identity=True).PatientID == "MRN-998877"


def test_acquisition_datetime_is_parsed():
    clip = load_clip(dcm_file("color3d_jpeg_baseline.dcm"))
    ds = read_dataset("color3d_jpeg_baseline.dcm")
    dt = clip.metadata.acquisition_datetime
    date = (
        ds.get("AcquisitionDateTime")
        or ds.get("AcquisitionDate")
        or ds.get("ContentDate")
        or ds.get("StudyDate")
    )
    assert dt is not None and dt.strftime("%Y%m%d") == str(date)[:8]


def test_depth_and_nyquist_from_the_regions(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    tissue = _region(20, 10, 620, 409, delta=0.04)
    tissue.ReferencePixelX0, tissue.ReferencePixelY0 = 300, 0
    tissue.ReferencePixelPhysicalValueX, tissue.ReferencePixelPhysicalValueY = 0.0, 0.0
    tissue.TransducerFrequency = 3000
    flow = _region(250, 150, 400, 350, data_type=2, delta=0.04)
    flow.PulseRepetitionFrequency = 5000
    ds.SequenceOfUltrasoundRegions = Sequence([tissue, flow])
    clip = load_clip(save_variant(ds, tmp_path / "settings.dcm"))
    assert clip.depth_cm == pytest.approx(399 * 0.04)
    assert clip.nyquist_cm_s == pytest.approx(5000 * 154000 / (4 * 3.0e6))
    summary = clip.summary()
    assert summary["depth_cm"] == clip.depth_cm and summary["nyquist_cm_s"] == clip.nyquist_cm_s
    plain = load_clip(dcm_file("color3d_jpeg_baseline.dcm"))
    assert plain.depth_cm is None and plain.nyquist_cm_s is None


def test_depth_cm_on_a_realistic_screen(tmp_path):
    """The shipped synthetic clip, stripped of its regions: text beside the apex,
    dark lateral walls and tick marks must not bias the sector (and so the scale)."""
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "patient01_pre.dcm"
    calibrated = load_clip(sample)
    ds = read_dataset(str(sample))
    del ds.SequenceOfUltrasoundRegions
    clip = load_clip(save_variant(ds, tmp_path / "noregions.dcm"), depth_cm=16.0)
    assert clip.calibration_source == "depth + sector"
    assert clip.spacing_cm[0] == pytest.approx(calibrated.spacing_cm[0], rel=0.01)


def test_frames_pillow_refuses_fall_back_to_pydicoms_other_plugins(monkeypatch):
    """The reference decodes 8-bit JPEG through pydicom's Pillow plugin; a frame
    Pillow cannot decode goes through pydicom's other plugins (pylibjpeg), and
    the frames after it through Pillow again."""
    import pydicom.pixels.decoders.pillow as pillow_plugin

    path = dcm_file("color3d_jpeg_baseline.dcm")
    want = {i: pixel_array(path, index=i, decoding_plugin="pylibjpeg") for i in (2, 3)}
    pillow = {i: pixel_array(path, index=i, decoding_plugin="pillow") for i in (1, 4)}
    assert not np.array_equal(want[2], pixel_array(path, index=2, decoding_plugin="pillow"))
    real_open, calls = pillow_plugin.Image.open, []

    def open_refusing_two_and_three(fp, *a, **k):
        calls.append(1)
        if len(calls) in (2, 3):
            raise OSError("broken data stream")
        return real_open(fp, *a, **k)

    monkeypatch.setattr(pillow_plugin.Image, "open", open_refusing_two_and_three)
    frames = list(load_clip(path, decoder="pydicom").iter_frames([1, 2, 3, 4]))
    np.testing.assert_array_equal(frames[0], pillow[1])
    np.testing.assert_array_equal(frames[1], want[2])
    np.testing.assert_array_equal(frames[2], want[3])
    np.testing.assert_array_equal(frames[3], pillow[4])
