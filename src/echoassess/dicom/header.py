"""Read a DICOM header and check it against the file before anything is decoded.

The first stage of a clip's path: :func:`read_header` reads the header once
(without pixel data), converts every element while errors can still be named,
and walks the pixel data element's items by seeking, without reading them
(:class:`PixelLayout`). :func:`check_image` then refuses, with a reason, any
header that would make a decoder allocate or seek beyond what the file holds:
absurd sizes, frame counts the fragments cannot hold, offset tables pointing
outside the data, truncated native pixel data.

pydicom's own messages are never shown: they may quote a damaged value, and
any element (the PatientID among them) can be the damaged one.
"""

from __future__ import annotations

import math
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np

from .. import bounds
from ..errors import (
    CorruptPixelDataError,
    DicomReadError,
    EchoAssessError,
    InvalidDimensionsError,
    NoPixelDataError,
    NotDicomError,
    TruncatedFileError,
    UnsupportedEncodingError,
)
from ._elements import int_value

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = [
    "PixelLayout",
    "ImageGeometry",
    "SUPPORTED_PHOTOMETRIC",
    "JPEG_BASELINE_LIKE",
    "read_header",
    "check_image",
    "reading_header",
    "uid_name",
]

# Limits that no real echo clip comes near; beyond them a header is refused
# before anything is allocated (all plausibility bounds live in echoassess.bounds).
MAX_SIDE_PX = bounds.MAX_SIDE_PX
MAX_FRAME_BYTES = bounds.MAX_FRAME_BYTES
MAX_FRAMES = bounds.MAX_FRAMES

#: The photometric interpretations the loader turns into RGB.
SUPPORTED_PHOTOMETRIC = frozenset(
    {
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_ICT",
        "YBR_RCT",
        "PALETTE COLOR",
        "MONOCHROME1",
        "MONOCHROME2",
    }
)
_KNOWN_PHOTOMETRIC = SUPPORTED_PHOTOMETRIC | {
    "ARGB",
    "CMYK",
    "HSV",
    "YBR_PARTIAL_422",
    "YBR_PARTIAL_420",
    "XYB",
}
#: JPEG Baseline (Process 1) and JPEG Extended (Process 2 and 4).
JPEG_BASELINE_LIKE = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})

_PIXEL_TAGS = {
    (0x7FE0, 0x0010): "PixelData",
    (0x7FE0, 0x0008): "FloatPixelData",
    (0x7FE0, 0x0009): "DoubleFloatPixelData",
}
_ITEM = (0xFFFE, 0xE000)
_SEQ_DELIM = (0xFFFE, 0xE0DD)
_CUT_SHORT = "the file was probably cut short while copying"


@dataclass(frozen=True)
class PixelLayout:
    """Where the pixel data element lies in the file and how it is stored.

    Attributes
    ----------
    keyword : str
        ``"PixelData"`` (or the float pixel keywords, which are refused).
    encapsulated : bool
        Compressed frames in fragment items.
    value_offset : int
        Byte offset of the element's value in the file (0 when not streamable).
    value_length : int
        Bytes of the value (all items for encapsulated data).
    n_fragments : int
        Encapsulated only: data fragments, excluding the offset table.
    first_fragment_offset : int or None
        Byte offset of the first data fragment's value.
    streamable : bool
        False: decode from a fully read dataset (deflated files, or files whose
        meta header misstates the VR encoding).
    """

    keyword: str
    encapsulated: bool
    value_offset: int
    value_length: int
    n_fragments: int
    first_fragment_offset: int | None
    streamable: bool = True


@dataclass(frozen=True)
class ImageGeometry:
    """The Image Pixel module's numbers, checked."""

    rows: int
    cols: int
    samples_per_pixel: int
    bits_allocated: int
    photometric_interpretation: str
    n_frames: int


class reading_header:
    """Turn any pydicom failure while the header is used into a DicomReadError.

    pydicom converts element values lazily, on first access, so a damaged
    value can raise long after ``dcmread`` returned. The message is our own:
    pydicom's may quote the damaged value, which can be a patient's name or ID.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        if exc is None or isinstance(exc, EchoAssessError) or not isinstance(exc, Exception):
            return False
        if isinstance(exc, MemoryError):
            raise InvalidDimensionsError(
                self.path,
                "the header announces more data than can be held in memory",
                hint="the file is damaged",
            ) from None
        raise DicomReadError(
            self.path,
            f"damaged DICOM header: an element cannot be read ({type(exc).__name__})",
            hint="the file is damaged; re-export it from the archive",
        ) from None


# -- reading -------------------------------------------------------------------------
def read_header(p: Path) -> tuple[Dataset, PixelLayout | None]:
    """The header (every element converted) and the pixel data's layout.

    Raises
    ------
    DicomReadError, NotDicomError, TruncatedFileError, InvalidDimensionsError,
    CorruptPixelDataError
        The message names the file and, where it helps, the damaged element's tag.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    size = _check_path(p)
    bad_tag: Any = None
    try:
        with open(p, "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                header = pydicom.dcmread(f, stop_before_pixels=True)
            except InvalidDicomError:
                raise NotDicomError(
                    p,
                    "not a DICOM file (no 'DICM' preamble marker)",
                    hint="only DICOM Part 10 files can be read",
                ) from None
            ts = header.file_meta.get("TransferSyntaxUID")
            # convert every element now, inside this try: pydicom otherwise
            # converts lazily, on first use, far from here
            for elem in header.file_meta.iterall():
                bad_tag = elem.tag
            for elem in header.iterall():
                bad_tag = elem.tag
            bad_tag = None
            if ts is not None and ts.is_deflated:
                layout = _layout_from_dataset(p)
            else:
                layout = _scan_pixel_element(p, f, header, size)
    except EchoAssessError:
        raise
    except PermissionError:
        raise DicomReadError(p, "permission denied") from None
    except MemoryError:
        raise InvalidDimensionsError(
            p,
            "the header announces more data than can be held in memory",
            hint="the file is damaged",
        ) from None
    except (EOFError, struct.error, OSError) as exc:
        raise TruncatedFileError(p, f"file ends inside the DICOM header ({type(exc).__name__})") from None
    except Exception as exc:  # pydicom raises many kinds on garbage
        if size < 132 or _looks_truncated(exc):
            raise TruncatedFileError(p, "file ends inside the DICOM header") from None
        where = "" if bad_tag is None else f" after element {_tag_text(bad_tag)}"
        raise NotDicomError(
            p,
            f"unreadable DICOM header: a damaged element{where} ({type(exc).__name__})",
            hint="the file is damaged; re-export it from the archive",
        ) from None
    if len(header) == 0:
        raise NotDicomError(p, "no DICOM data elements after the preamble")
    return header, layout


def _check_path(p: Path) -> int:
    """The file's size; a DicomReadError when it is missing, a folder or empty."""
    if not p.exists():
        raise DicomReadError(p, "file does not exist")
    if p.is_dir():
        raise DicomReadError(p, "is a directory, not a DICOM file", hint="use `echoassess batch` for folders")
    size = p.stat().st_size
    if size == 0:
        raise NotDicomError(
            p, "empty (0 bytes)", hint="the copy or export probably failed; copy the file again"
        )
    return size


def _tag_text(tag: Any) -> str:
    try:
        return f"({int(tag) >> 16:04X},{int(tag) & 0xFFFF:04X})"
    except (TypeError, ValueError):
        return "?"


def _looks_truncated(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        w in text
        for w in ("end of file", "eof", "unexpected end", "truncat", "expected 4 bytes", "expected 8 bytes")
    )


def _layout_from_dataset(p: Path) -> PixelLayout | None:
    """Pixel layout of a deflated file, which must be inflated to be read."""
    import pydicom
    from pydicom.encaps import generate_fragments

    ds = pydicom.dcmread(p)
    for keyword in _PIXEL_TAGS.values():
        if keyword in ds:
            break
    else:
        return None
    data = ds[keyword].value
    encapsulated = bool(ds.file_meta.TransferSyntaxUID.is_encapsulated)
    n_fragments = sum(1 for _ in generate_fragments(data)) - 1 if encapsulated else 0
    return PixelLayout(keyword, encapsulated, 0, len(data), n_fragments, None, False)


def _scan_pixel_element(p: Path, f: IO[bytes], header: Dataset, size: int) -> PixelLayout | None:
    """Read the pixel data element's header and walk its items without reading them."""
    little = header.original_encoding[1]
    end = "<" if little in (None, True) else ">"
    head = f.read(8)
    if len(head) < 8:
        return None
    group, elem = struct.unpack(end + "HH", head[:4])
    if (group, elem) not in _PIXEL_TAGS:
        return None
    keyword = _PIXEL_TAGS[(group, elem)]
    # decide explicit/implicit VR from the bytes themselves: some files lie
    # in their meta header and pydicom silently switches per element
    explicit = head[4:6] in (b"OB", b"OW", b"OF", b"OD", b"OL", b"UN", b"OV")
    ts = header.file_meta.get("TransferSyntaxUID")
    streamable = ts is None or ts.is_implicit_VR != explicit
    if explicit:
        rest = f.read(4)
        if len(rest) < 4:
            raise TruncatedFileError(p, "file ends inside the pixel data element header")
        (length,) = struct.unpack(end + "L", rest)
    else:
        (length,) = struct.unpack(end + "L", head[4:8])
    value_offset = f.tell()
    if length != 0xFFFFFFFF:
        if value_offset + length > size:
            raise TruncatedFileError(
                p,
                f"pixel data announces {length} bytes but the file holds only {size - value_offset}",
                hint=_CUT_SHORT,
            )
        return PixelLayout(keyword, False, value_offset, length, 0, None, streamable)
    end_pos, n_items, first_fragment = _walk_items(p, f, value_offset, size)
    return PixelLayout(
        keyword, True, value_offset, end_pos - value_offset, n_items - 1, first_fragment, streamable
    )


def _walk_items(p: Path, f: IO[bytes], value_offset: int, size: int) -> tuple[int, int, int | None]:
    """Walk encapsulated items (always little endian) by seeking.

    Returns the offset of the sequence delimiter, the number of items (the
    basic offset table included) and the offset of the first data fragment.
    """
    n_items = 0
    first_fragment = None
    pos = value_offset
    while True:
        f.seek(pos)
        item = f.read(8)
        if len(item) < 8:
            raise TruncatedFileError(
                p,
                f"encapsulated pixel data ends after {max(n_items - 1, 0)} fragments "
                "without its sequence delimiter",
                hint=_CUT_SHORT,
            )
        g, e, item_len = struct.unpack("<HHL", item)
        if (g, e) == _SEQ_DELIM:
            break
        if (g, e) != _ITEM or item_len == 0xFFFFFFFF:
            raise CorruptPixelDataError(
                p,
                f"malformed encapsulated pixel data: found tag ({g:04X},{e:04X}) "
                f"where a fragment item was expected at byte {pos}",
            )
        pos += 8 + item_len
        if pos > size:
            raise TruncatedFileError(
                p, f"fragment {n_items} of the pixel data runs past the end of the file", hint=_CUT_SHORT
            )
        if n_items == 1:
            first_fragment = pos - item_len
        n_items += 1
    if n_items == 0:
        raise CorruptPixelDataError(p, "encapsulated pixel data has no basic offset table item")
    return pos, n_items, first_fragment


# -- checking ------------------------------------------------------------------------
def check_image(p: Path, header: Dataset, layout: PixelLayout | None) -> tuple[PixelLayout, ImageGeometry]:
    """Refuse a header that cannot be decoded or does not fit the file.

    Returns
    -------
    (PixelLayout, ImageGeometry)
        The layout (now known to exist) and the checked image numbers.

    Raises
    ------
    NoPixelDataError, UnsupportedEncodingError, InvalidDimensionsError,
    TruncatedFileError, CorruptPixelDataError
    """
    layout = _check_pixel_element(p, header, layout)
    image = _check_pixel_module(p, header)
    frame_bytes = image.rows * image.cols * image.samples_per_pixel * max(image.bits_allocated, 8) // 8
    if frame_bytes > MAX_FRAME_BYTES:
        raise InvalidDimensionsError(
            p,
            f"one frame would need {frame_bytes / 1024**2:.0f} MiB (limit {MAX_FRAME_BYTES // 1024**2} MiB)",
        )
    if layout.encapsulated:
        _check_fragments(p, header, layout, image.n_frames)
    else:
        expected = _native_length(image)
        if layout.value_length < expected:
            raise TruncatedFileError(
                p,
                f"pixel data holds {layout.value_length} bytes but {image.n_frames} frames of "
                f"{image.rows} x {image.cols} need {expected}",
                hint="the file is truncated or NumberOfFrames/Rows/Columns is wrong",
            )
    return layout, image


def _check_pixel_element(p: Path, header: Dataset, layout: PixelLayout | None) -> PixelLayout:
    """Integer pixel data in a transfer syntax an installed decoder reads."""
    from pydicom.pixels import get_decoder

    if layout is None:
        kind = uid_name(header.get("SOPClassUID"), "unknown SOP class")
        raise NoPixelDataError(
            p,
            f"no pixel data in this DICOM object ({kind})",
            hint="structured reports and measurement objects hold no image",
        )
    if layout.keyword != "PixelData":
        raise UnsupportedEncodingError(
            p, f"{layout.keyword} (floating-point pixels) is not an ultrasound image"
        )
    ts = header.file_meta.get("TransferSyntaxUID")
    if ts is None:
        raise UnsupportedEncodingError(p, "file meta information has no Transfer Syntax UID")
    ts_name = uid_name(ts, "an unknown transfer syntax")
    try:
        decoder = get_decoder(ts)
    except Exception:  # NotImplementedError, or ValueError for a UID pydicom cannot classify
        raise UnsupportedEncodingError(
            p,
            f"transfer syntax {ts_name} cannot be decoded",
            hint="convert it with e.g. `gdcmconv --raw` or `dcmdjpeg`",
        ) from None
    if not decoder.is_available:
        raise UnsupportedEncodingError(
            p,
            f"no installed plugin decodes {ts_name}",
            hint="pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle",
        )
    return layout


def _check_pixel_module(p: Path, header: Dataset) -> ImageGeometry:
    """Rows, columns, samples, bits, photometric interpretation and frames, all plausible."""
    rows, cols = int_value(header, "Rows"), int_value(header, "Columns")
    spp = int_value(header, "SamplesPerPixel")
    bits = int_value(header, "BitsAllocated")
    pi = str(header.get("PhotometricInterpretation", "")).strip()
    if rows is None or cols is None or spp is None or bits is None or not pi:
        missing = [
            k
            for k, v in (
                ("Rows", rows),
                ("Columns", cols),
                ("SamplesPerPixel", spp),
                ("BitsAllocated", bits),
                ("PhotometricInterpretation", pi),
            )
            if v in (None, "")
        ]
        raise InvalidDimensionsError(p, f"image attributes missing: {', '.join(missing)}")
    if pi not in SUPPORTED_PHOTOMETRIC:
        shown = repr(pi) if pi in _KNOWN_PHOTOMETRIC else "an unrecognised value"
        raise UnsupportedEncodingError(
            p,
            f"photometric interpretation {shown} is not supported",
            hint=f"supported: {', '.join(sorted(SUPPORTED_PHOTOMETRIC))}",
        )
    if not 0 < rows <= MAX_SIDE_PX or not 0 < cols <= MAX_SIDE_PX:
        raise InvalidDimensionsError(
            p,
            f"absurd image size {rows} x {cols} (rows x columns)",
            hint=f"each side must be 1..{MAX_SIDE_PX}",
        )
    expected_spp = 1 if pi in ("PALETTE COLOR", "MONOCHROME1", "MONOCHROME2") else 3
    if spp != expected_spp:
        raise InvalidDimensionsError(p, f"SamplesPerPixel is {spp} but {pi} needs {expected_spp}")
    if bits not in (1, 8, 16, 32):
        raise InvalidDimensionsError(p, f"BitsAllocated {bits} is not 1, 8, 16 or 32")
    return ImageGeometry(rows, cols, spp, bits, pi, _check_frame_count(p, header))


def _check_frame_count(p: Path, header: Dataset) -> int:
    raw_frames = header.get("NumberOfFrames", 1)
    try:
        n_frames = 1 if raw_frames in (None, "") else int(raw_frames)
    except (TypeError, ValueError):
        raise InvalidDimensionsError(p, "NumberOfFrames is not a number") from None
    if n_frames <= 0:
        raise InvalidDimensionsError(p, f"NumberOfFrames is {n_frames}: the clip has no frames")
    if n_frames > MAX_FRAMES:
        raise InvalidDimensionsError(p, f"absurd NumberOfFrames {n_frames} (limit {MAX_FRAMES})")
    return n_frames


def _check_fragments(p: Path, header: Dataset, layout: PixelLayout, n_frames: int) -> None:
    if layout.n_fragments == 0:
        raise NoPixelDataError(p, "encapsulated pixel data holds no fragments")
    has_eot = "ExtendedOffsetTable" in header
    if n_frames > layout.n_fragments and not has_eot:
        raise InvalidDimensionsError(
            p,
            f"header announces {n_frames} frames but the pixel data holds only "
            f"{layout.n_fragments} compressed fragments",
            hint="the NumberOfFrames value is wrong or the file is damaged",
        )
    if has_eot:
        _check_extended_offset_table(p, header, layout, n_frames)
    _check_basic_offset_table(p, layout)


def uid_name(uid: Any, unknown: str) -> str:
    """The registered name of a UID, or ``unknown``: never the raw value, which a
    damaged or hostile file may fill with anything.

    >>> uid_name("1.2.840.10008.1.2.4.50", "?")
    'JPEG Baseline (Process 1) (1.2.840.10008.1.2.4.50)'
    >>> uid_name("PATIENT^NAME", "an unknown transfer syntax")
    'an unknown transfer syntax'
    """
    from pydicom.uid import UID_dictionary

    # looked up, never built into a pydicom UID: that validates the value and
    # warns with it quoted
    text = uid if isinstance(uid, str) else None
    entry = UID_dictionary.get(text) if text else None
    return f"{entry[0]} ({text})" if entry else unknown


_BAD_TABLE = "the pixel data's {} points outside the data"
_DAMAGED = "the file is damaged"


def _check_extended_offset_table(p: Path, header: Dataset, layout: PixelLayout, n_frames: int) -> None:
    """Refuse an extended offset table that points outside the pixel data."""
    try:
        offsets = np.frombuffer(header.ExtendedOffsetTable, "<u8")
        lengths = (
            np.frombuffer(header.ExtendedOffsetTableLengths, "<u8")
            if "ExtendedOffsetTableLengths" in header
            else None
        )
    except (TypeError, ValueError, AttributeError):
        raise CorruptPixelDataError(p, "unreadable extended offset table", hint=_DAMAGED) from None
    if lengths is None or len(offsets) != n_frames or len(lengths) != n_frames:
        raise CorruptPixelDataError(
            p, f"the extended offset table does not list the {n_frames} frames", hint=_DAMAGED
        )
    ends = offsets.astype(object) + lengths.astype(object)  # no uint64 wrap-around
    if (np.any(np.diff(offsets.astype(object)) <= 0) if n_frames > 1 else False) or any(
        e > layout.value_length for e in ends
    ):
        raise CorruptPixelDataError(p, _BAD_TABLE.format("extended offset table"), hint=_DAMAGED)


def _check_basic_offset_table(p: Path, layout: PixelLayout) -> None:
    """Refuse a basic offset table that points outside the pixel data: the
    decoder follows it and would seek, or try to read, far beyond the file."""
    span = layout.value_length
    if not layout.streamable or layout.value_offset <= 0:
        return
    with open(p, "rb") as f:
        f.seek(layout.value_offset)
        head = f.read(8)
        if len(head) < 8:
            return
        (bot_len,) = struct.unpack("<L", head[4:8])
        if bot_len == 0:
            return
        if bot_len % 4 or bot_len > span:
            raise CorruptPixelDataError(p, _BAD_TABLE.format("basic offset table"), hint=_DAMAGED)
        bot = np.frombuffer(f.read(bot_len), "<u4").astype(np.int64)
    if len(bot) and (bot[0] != 0 or np.any(np.diff(bot) <= 0) or bot[-1] >= span):
        raise CorruptPixelDataError(p, _BAD_TABLE.format("basic offset table"), hint=_DAMAGED)


def _native_length(image: ImageGeometry) -> int:
    """Bytes that ``n_frames`` native (uncompressed) frames need."""
    rows, cols, spp, bits = image.rows, image.cols, image.samples_per_pixel, image.bits_allocated
    if bits == 1:
        return math.ceil(rows * cols * spp * image.n_frames / 8)
    per_frame = rows * cols * spp * bits // 8
    if image.photometric_interpretation == "YBR_FULL_422":
        per_frame = per_frame * 2 // 3
    return per_frame * image.n_frames
