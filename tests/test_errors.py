"""Every bad input raises its named EchoAssessError, with the file name."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pydicom
import pytest
from dicomfiles import dcm_file, read_dataset, save_variant
from pydicom.encaps import encapsulate, generate_frames

import echoassess
from echoassess import (
    CalibrationError,
    CorruptPixelDataError,
    DicomReadError,
    EchoAssessError,
    FrameIndexError,
    InvalidDimensionsError,
    InvalidParameterError,
    NoPixelDataError,
    NotDicomError,
    TruncatedFileError,
    UnsupportedEncodingError,
    load_clip,
)


def test_hierarchy_and_message():
    for cls in (
        NotDicomError,
        TruncatedFileError,
        NoPixelDataError,
        UnsupportedEncodingError,
        CorruptPixelDataError,
        InvalidDimensionsError,
    ):
        assert issubclass(cls, DicomReadError) and issubclass(cls, EchoAssessError)
    assert issubclass(CalibrationError, EchoAssessError)
    assert issubclass(FrameIndexError, IndexError)
    assert issubclass(InvalidParameterError, ValueError)
    err = TruncatedFileError("/data/a.dcm", "cut short", hint="copy it again")
    assert str(err) == "/data/a.dcm: cut short (hint: copy it again)"
    assert (err.path, err.reason, err.hint) == ("/data/a.dcm", "cut short", "copy it again")
    again = pickle.loads(pickle.dumps(err))  # crosses process pools and Dask
    assert type(again) is TruncatedFileError and str(again) == str(err)


def test_missing_file(tmp_path):
    with pytest.raises(DicomReadError, match="nothere.dcm: file does not exist"):
        load_clip(tmp_path / "nothere.dcm")


def test_directory(tmp_path):
    with pytest.raises(DicomReadError, match="is a directory"):
        load_clip(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"patient notes, not an image\n" * 20, b"", b"\x89PNG\r\n\x1a\n" + bytes(300)],
    ids=["text", "empty", "png"],
)
def test_not_dicom(tmp_path, content):
    path = tmp_path / "notes.dcm"
    path.write_bytes(content)
    with pytest.raises((NotDicomError, TruncatedFileError), match="notes.dcm"):
        load_clip(path)


def test_text_file_is_not_dicom(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("Echo report\n" * 50)
    with pytest.raises(NotDicomError, match=r"report.txt: not a DICOM file"):
        load_clip(path)


@pytest.mark.parametrize("name", ["US1_UNCR.dcm", "color3d_jpeg_baseline.dcm"])
@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated_in_pixel_data(tmp_path, name, keep):
    src = dcm_file(name)
    data = open(src, "rb").read()
    path = tmp_path / f"cut_{name}"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(TruncatedFileError, match=f"cut_{name}.*(pixel data|fragment)"):
        load_clip(path)


def test_truncated_in_header(tmp_path):
    data = open(dcm_file("color3d_jpeg_baseline.dcm"), "rb").read()
    path = tmp_path / "cut_header.dcm"
    path.write_bytes(data[:2000])  # inside the header, before pixel data
    with pytest.raises(DicomReadError, match="cut_header.dcm"):
        load_clip(path)


@pytest.mark.parametrize("name", ["test-SR.dcm", "reportsi.dcm", "waveform_ecg.dcm"])
def test_no_pixel_data(name):
    with pytest.raises(NoPixelDataError, match=f"{name}: no pixel data"):
        load_clip(dcm_file(name))


def test_unsupported_transfer_syntax(tmp_path):
    ds = read_dataset("examples_ybr_color.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 video
    path = save_variant(ds, tmp_path / "mpeg.dcm")
    with pytest.raises(UnsupportedEncodingError, match="mpeg.dcm: transfer syntax MPEG2"):
        load_clip(path)


def test_unsupported_photometric_interpretation(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    path = save_variant(ds, tmp_path / "hsv.dcm", PhotometricInterpretation="HSV")
    with pytest.raises(UnsupportedEncodingError, match="hsv.dcm: photometric interpretation 'HSV'"):
        load_clip(path)


def test_float_pixel_data_refused(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    del ds.PixelData
    ds.FloatPixelData = np.zeros(10, np.float32).tobytes()
    path = save_variant(ds, tmp_path / "float.dcm")
    with pytest.raises(UnsupportedEncodingError, match="float.dcm: FloatPixelData"):
        load_clip(path)


def test_corrupt_jpeg_fragments(tmp_path):
    ds = read_dataset("examples_ybr_color.dcm")
    frames = list(generate_frames(ds.PixelData, number_of_frames=30))
    rng = np.random.default_rng(0)
    frames[3] = rng.integers(0, 256, size=len(frames[3]), dtype=np.uint8).tobytes()
    ds.PixelData = encapsulate(frames)
    path = save_variant(ds, tmp_path / "garbled.dcm")
    clip = load_clip(path)  # the header is fine
    clip.frame(2)  # other frames still decode
    with pytest.raises(CorruptPixelDataError, match="garbled.dcm: frame 3 cannot be decoded"):
        clip.frame(3)
    with pytest.raises(CorruptPixelDataError, match="frame 3"):
        list(clip.iter_frames())


def test_undecodable_file():
    # 12-bit JPEG Extended with a misplaced marker: no installed decoder reads it
    clip = load_clip(dcm_file("JPEG-lossy.dcm"))
    with pytest.raises(CorruptPixelDataError, match="JPEG-lossy.dcm: frame 0"):
        clip.frame(0)


def test_malformed_encapsulation(tmp_path):
    src = dcm_file("examples_ybr_color.dcm")
    data = bytearray(open(src, "rb").read())
    first_item = data.index(b"\xfe\xff\x00\xe0", data.index(b"\xe0\x7f\x10\x00"))
    second = data.index(b"\xfe\xff\x00\xe0", first_item + 8)
    data[second : second + 4] = b"\x12\x34\x56\x78"
    path = tmp_path / "badtag.dcm"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptPixelDataError, match="badtag.dcm: malformed encapsulated"):
        load_clip(path)


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"NumberOfFrames": 0}, "no frames"),
        ({"Rows": 0}, "absurd image size"),
        ({"Columns": 60000}, "absurd image size"),
        ({"NumberOfFrames": 5000}, "5000 frames but the pixel data holds only 30"),
        ({"NumberOfFrames": 10**7}, "absurd NumberOfFrames"),
        ({"Rows": 16000, "Columns": 16000}, "MiB"),
        ({"SamplesPerPixel": 1}, "SamplesPerPixel is 1"),
        ({"BitsAllocated": 12}, "BitsAllocated 12"),
        ({"Rows": None}, "missing: Rows"),
    ],
    ids=[
        "zero-frames",
        "zero-rows",
        "huge-columns",
        "frames-vs-fragments",
        "absurd-frames",
        "huge-frame",
        "samples",
        "bits",
        "no-rows",
    ],
)
def test_hostile_or_broken_dimensions(tmp_path, changes, match):
    ds = read_dataset("examples_ybr_color.dcm")
    path = save_variant(ds, tmp_path / "hostile.dcm", **changes)
    with pytest.raises(InvalidDimensionsError, match=f"hostile.dcm: .*{match}"):
        load_clip(path)


def test_native_header_far_larger_than_file(tmp_path):
    """Rows x Columns x Frames far beyond the file: refused before any allocation."""
    ds = read_dataset("US1_UNCR.dcm")
    path = save_variant(ds, tmp_path / "big.dcm", NumberOfFrames=20000)
    with pytest.raises(TruncatedFileError, match=r"big.dcm: pixel data holds 921600 bytes but"):
        load_clip(path)


def test_frame_index_out_of_range():
    clip = load_clip(dcm_file("examples_ybr_color.dcm"))
    with pytest.raises(FrameIndexError, match="examples_ybr_color.dcm: frame 30 requested"):
        clip.frame(30)
    with pytest.raises(FrameIndexError):
        clip.frame(-31)
    with pytest.raises(FrameIndexError, match="not an integer"):
        clip.frame("first")
    with pytest.raises(InvalidParameterError, match="increasing"):
        list(clip.iter_frames([3, 1]))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"spacing_cm": -0.1}, "spacing_cm=-0.1"),
        ({"spacing_cm": (0.1,)}, "spacing_cm"),
        ({"spacing_cm": float("nan")}, "spacing_cm"),
        ({"depth_cm": 0}, "depth_cm=0"),
        ({"depth_cm": "deep"}, "depth_cm='deep'"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=f"US1_UNCR.dcm: {match}"):
        load_clip(dcm_file("US1_UNCR.dcm"), **kwargs)


def test_depth_without_a_sector(tmp_path):
    ds = read_dataset("US1_UNCR.dcm")
    ds.PixelData = np.zeros((480, 640, 3), np.uint8).tobytes()
    path = save_variant(ds, tmp_path / "black.dcm")
    with pytest.raises(CalibrationError, match="black.dcm: depth_cm given but no imaging sector"):
        load_clip(path, depth_cm=15)


def test_unusable_region_items_are_reported_not_fatal(tmp_path, caplog):
    ds = read_dataset("color3d_jpeg_baseline.dcm")
    item = ds.SequenceOfUltrasoundRegions[0]
    broken = pydicom.Dataset()
    broken.RegionSpatialFormat = 1
    broken.RegionDataType = 2  # no location at all
    ds.SequenceOfUltrasoundRegions.append(broken)
    path = save_variant(ds, tmp_path / "halfregion.dcm")
    clip = load_clip(path)
    assert len(clip.regions) == 1 and clip.regions[0].x0 == item.RegionLocationMinX0
    assert any("region 2: unusable" in p for p in clip.region_problems)
    assert clip.spacing_cm is not None
    assert "halfregion.dcm: ultrasound region 2" in caplog.text


def test_errors_from_a_copy_keep_the_original_readable(tmp_path):
    """A failure on one file leaves other clips usable (no shared state)."""
    good = tmp_path / "good.dcm"
    shutil.copy(dcm_file("examples_ybr_color.dcm"), good)
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"nope")
    with pytest.raises(EchoAssessError):
        load_clip(bad)
    assert load_clip(good).frame(0).shape == (240, 320, 3)
    assert echoassess.load_clip is load_clip
