"""JPEG codestreams: the colour space they hold, and a fast decoder for 8-bit frames.

Two readers of the markers before the first scan, both our own (pydicom's
parser of them is private):

* :func:`labelled_rgb_colour_space` says which colour space a codestream whose
  DICOM header says RGB really holds, as IJG libjpeg (pydicom's reference
  decoder) reads it; the loader corrects the photometric interpretation with it;
* :func:`parse_header` says whether libjpeg-turbo (OpenCV) may decode a frame
  instead of pydicom: :func:`decode_rgb`.

pydicom's pipeline (pylibjpeg's libjpeg, then a YCbCr -> RGB conversion in
numpy) is the reference; this module decodes the same codestreams several
times faster, and only when it can promise the same colours:

* the codestream is complete (SOI first, EOI last), 8-bit, 3 components,
  Huffman baseline/extended (SOF0/SOF1) and of the header's size;
* libjpeg-turbo's own guess of the colour space (a JFIF marker, else an Adobe
  APP14 marker's transform, else component IDs 1,2,3 / 'R','G','B') is the
  colour space the reference applies (the DICOM header's photometric
  interpretation, corrected by :func:`labelled_rgb_colour_space`).

Anything else returns ``None`` and the caller decodes with pydicom. Decoded
frames differ from the reference by a few grey levels at sharp chroma edges
(libjpeg-turbo interpolates the 4:2:2 chroma, pylibjpeg replicates it);
``tests/dicom/test_jpeg.py`` states and checks the tolerance.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

__all__ = [
    "JpegHeader",
    "FrameParameters",
    "parse_header",
    "frame_parameters",
    "labelled_rgb_colour_space",
    "decode_rgb",
    "FAST_MAX_ABS_DIFF",
    "FAST_MEAN_ABS_DIFF",
]

#: How far a fast-decoded frame may be from the reference's (grey levels per
#: channel): the largest difference on any pixel, and the mean over the frame.
#: The reference decodes with libjpeg-turbo too (pydicom's Pillow plugin) and
#: converts YCbCr to RGB in floating point, libjpeg-turbo in integers. Measured:
#: identical on every pydicom test file; at most 1 on 1-3 pixels per frame
#: (mean 1e-6) on synthetic clips.
FAST_MAX_ABS_DIFF = 2
FAST_MEAN_ABS_DIFF = 0.001

_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
_FAST_SOF = {0xC0, 0xC1}  # Huffman baseline / extended sequential
_OTHER_SOF = {0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_ANY_SOF = _FAST_SOF | _OTHER_SOF | {0xF7}  # SOF0..SOF15 and JPEG-LS SOF55
_APP = range(0xE0, 0xF0)  # APP0..APP15


@dataclass(frozen=True)
class JpegHeader:
    """What the markers before the first scan say about a codestream."""

    sof: int  # the SOFn marker's second byte (0xC0, 0xC1)
    precision: int
    rows: int
    cols: int
    component_ids: tuple[int, ...]
    colour_space: str  # "YCbCr" or "RGB": libjpeg-turbo's guess for 3 components
    complete: bool  # ends with EOI (trailing zero padding allowed)


def parse_header(data: bytes | memoryview) -> JpegHeader | None:
    """Parse the markers up to the first SOS; ``None`` when the stream is not
    one the fast path decodes (or not a JPEG stream at all).

    Examples
    --------
    >>> parse_header(b"not a jpeg") is None
    True
    """
    n = len(data)
    if n < 4 or bytes(data[:2]) != _SOI:
        return None
    pos, jfif, adobe, sof = 2, False, None, None
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        length = (data[pos + 2] << 8) | data[pos + 3]
        if length < 2 or pos + 2 + length > n:
            return None
        seg = bytes(data[pos + 4 : pos + 2 + length])
        if marker == 0xE0 and length >= 16 and seg[:5] == b"JFIF\x00":
            jfif = True  # libjpeg-turbo asks for the 14-byte JFIF body
        elif marker == 0xEE and length >= 14 and seg[:5] == b"Adobe":
            adobe = seg[11]
        elif marker in _FAST_SOF:
            if len(seg) < 6:
                return None
            ncomp = seg[5]
            if len(seg) < 6 + 3 * ncomp:
                return None
            ids = tuple(seg[6 + 3 * k] for k in range(ncomp))
            sof = (marker, seg[0], (seg[1] << 8) | seg[2], (seg[3] << 8) | seg[4], ids)
        elif marker in _OTHER_SOF:
            return None
        elif marker == 0xDA:  # start of scan: the header is over
            break
        pos += 2 + length
    else:
        return None
    if sof is None:
        return None
    marker, precision, rows, cols, ids = sof
    if jfif:
        space = "YCbCr"
    elif adobe is not None:
        space = "RGB" if adobe == 0 else "YCbCr"
    elif ids == (82, 71, 66):
        space = "RGB"
    else:
        space = "YCbCr"  # ids 1, 2, 3 or anything else: libjpeg-turbo assumes YCbCr
    tail = bytes(data[-8:]).rstrip(b"\x00")
    return JpegHeader(marker, precision, rows, cols, ids, space, tail.endswith(_EOI))


@dataclass(frozen=True)
class FrameParameters:
    """The frame header (SOFn) of any JPEG or JPEG-LS codestream, and its APPn segments."""

    precision: int
    rows: int
    cols: int
    component_ids: tuple[int, ...]
    #: APPn marker (0xE0..0xEF) -> the segment's payload, the last of each kind,
    #: in the order each kind first appears
    app: dict[int, bytes]

    @property
    def components(self) -> int:
        return len(self.component_ids)


def frame_parameters(data: bytes | memoryview) -> FrameParameters | None:
    """The frame parameters, skipping every segment before the SOFn marker;
    ``None`` when the stream does not start with SOI or ends before its frame header.

    Lenient on purpose (no fill bytes or restart markers expected before the
    frame header): it reads what IJG libjpeg would use to guess the colour space.

    Examples
    --------
    >>> jfif = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
    >>> sof = bytes.fromhex("ffc0001108001000100301220002110103110100")
    >>> info = frame_parameters(jfif + sof)
    >>> info.rows, info.cols, info.component_ids, info.app[0xE0][:4]
    (16, 16, (1, 2, 3), b'JFIF')
    >>> frame_parameters(b"not a jpeg") is None
    True
    """
    src = bytes(data)
    if src[0:2] != _SOI:
        return None
    app: dict[int, bytes] = {}
    offset = 2
    try:
        while not (len(src) >= offset + 2 and src[offset] == 0xFF and src[offset + 1] in _ANY_SOF):
            (length,) = struct.unpack(">H", src[offset + 2 : offset + 4])
            if len(src) >= offset + 2 and src[offset] == 0xFF and src[offset + 1] in _APP:
                app[src[offset + 1]] = src[offset + 4 : offset + 2 + length]
            offset += length + 2
        offset += 2  # at the frame header's length
        precision = src[offset + 2]
        (rows,) = struct.unpack(">H", src[offset + 3 : offset + 5])
        (cols,) = struct.unpack(">H", src[offset + 5 : offset + 7])
        n_components = src[offset + 7]
        ids = tuple(src[offset + 8 + 3 * k] for k in range(n_components))
    except (IndexError, struct.error):
        return None
    return FrameParameters(precision, rows, cols, ids, app)


def labelled_rgb_colour_space(data: bytes | memoryview) -> str | None:
    """The colour space of a codestream whose DICOM header says RGB.

    The header is trusted (``"RGB"``) unless the codestream positively says
    YCbCr, as IJG libjpeg reads it: a JFIF marker, an Adobe APP14 marker with
    transform 1, or (with no Adobe marker) component IDs 1, 2, 3; then
    ``"YBR_FULL_422"``. ``None`` for a codestream without 3 components.

    Examples
    --------
    >>> sof = bytes.fromhex("ffd8ffc0001108001000100301220002110103110100")
    >>> labelled_rgb_colour_space(sof)  # component IDs 1, 2, 3
    'YBR_FULL_422'
    >>> labelled_rgb_colour_space(sof.replace(bytes([1, 0x22, 0, 2]), bytes([82, 0x22, 0, 71])))
    'RGB'
    """
    info = frame_parameters(data)
    if info is None:
        return "RGB"
    if info.components != 3:
        return None
    for marker in info.app.values():
        if marker.startswith(b"Adobe") and len(marker) >= 12:
            return "YBR_FULL_422" if marker[11] == 1 else "RGB"
    if any(m.startswith(b"JFIF") for m in info.app.values()):
        return "YBR_FULL_422"
    if info.component_ids == (1, 2, 3):
        return "YBR_FULL_422"
    return "RGB"


def decode_rgb(data: bytes | memoryview, *, rows: int, cols: int, colour_space: str) -> np.ndarray | None:
    """Decode one frame to ``(rows, cols, 3) uint8`` RGB, or ``None`` when the
    fast path cannot promise the reference's result.

    Parameters
    ----------
    data : bytes
        One frame's JPEG codestream.
    rows, cols : int
        The image size the DICOM header gives.
    colour_space : {"YCbCr", "RGB"}
        The colour space the reference decoder takes the samples to be in.
    """
    head = parse_header(data)
    if (
        head is None
        or not head.complete
        or head.precision != 8
        or len(head.component_ids) != 3
        or (head.rows, head.cols) != (rows, cols)
        or head.colour_space != colour_space
    ):
        return None
    import cv2

    buf = np.frombuffer(data, np.uint8)
    flags = cv2.IMREAD_IGNORE_ORIENTATION
    rgb_flag = getattr(cv2, "IMREAD_COLOR_RGB", None)
    try:
        if rgb_flag is not None:
            out = cv2.imdecode(buf, rgb_flag | flags)
        else:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR | flags)
            if out is not None:
                out = cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    except cv2.error:
        return None
    if out is None or out.shape != (rows, cols, 3) or out.dtype != np.uint8:
        return None
    return out
