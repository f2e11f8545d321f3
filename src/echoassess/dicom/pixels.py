"""Decode a clip's frames to ``(rows, cols, 3) uint8`` RGB, one at a time.

Every storage comes out the same: RGB (both planar configurations),
YBR_FULL / YBR_FULL_422 / YBR_ICT / YBR_RCT, JPEG files whose header says RGB
but whose codestream holds YCbCr (:func:`decode_options` corrects the
header), PALETTE COLOR (8- or 16-bit entries, :mod:`.palette`) and
MONOCHROME1/2.

pydicom's pipeline (``pydicom.pixels.pixel_array`` / ``iter_pixels``) is the
reference decoder. It decodes 8-bit JPEG Baseline/Extended through its Pillow
plugin (libjpeg-turbo, the JPEG decoder most viewers use) and falls back to
its other plugins (pylibjpeg's libjpeg) for a frame Pillow refuses; every
other transfer syntax goes through pydicom's first available plugin. With
``decoder="libjpeg-turbo"`` 8-bit JPEG
Baseline/Extended colour frames go through :func:`echoassess.dicom.jpeg.decode_rgb`
when it can promise the reference's colour space, and through pydicom otherwise.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import CorruptPixelDataError, EchoAssessError
from ._elements import int_value
from .header import JPEG_BASELINE_LIKE, ImageGeometry, PixelLayout
from .jpeg import labelled_rgb_colour_space
from .palette import Palette, read_palette

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = [
    "FrameDecoder",
    "decode_options",
    "fast_colour_space",
    "reference_plugin",
    "scale_to_uint8",
    "DECODERS",
]

logger = logging.getLogger("echoassess")

#: The values of ``load_clip(decoder=...)``.
DECODERS = ("pydicom", "libjpeg-turbo")


def decode_options(p: Path, header: Dataset, layout: PixelLayout) -> dict[str, Any]:
    """Options for pydicom's decoder: the photometric interpretation the
    codestream really holds, when a JPEG labelled RGB holds YCbCr."""
    opts: dict[str, Any] = {}
    pi = str(header.get("PhotometricInterpretation", "")).strip()
    ts = header.file_meta.get("TransferSyntaxUID")
    if pi == "RGB" and layout.encapsulated and ts in JPEG_BASELINE_LIKE:
        actual = _codestream_colour_space(p, layout)
        if actual is not None and actual != "RGB":
            logger.info("%s: header says RGB but the JPEG codestream holds %s", p, actual)
            opts["photometric_interpretation"] = actual
    return opts


def _codestream_colour_space(p: Path, layout: PixelLayout) -> str | None:
    """What :func:`~echoassess.dicom.jpeg.labelled_rgb_colour_space` says of the first fragment."""
    if layout.first_fragment_offset is None:
        return None
    with open(p, "rb") as f:
        f.seek(layout.first_fragment_offset)
        head = f.read(65536)
    return labelled_rgb_colour_space(head)


def fast_colour_space(header: Dataset, layout: PixelLayout, decode_opts: dict[str, Any]) -> str | None:
    """The colour space (``"YCbCr"`` / ``"RGB"``) the reference decoder gives the
    samples of an 8-bit 3-component JPEG Baseline/Extended clip that the fast
    path may decode, or ``None`` (pydicom decodes every frame)."""
    if not layout.encapsulated or not layout.streamable or layout.value_offset <= 0:
        return None
    if not _jpeg_8bit(header) or int_value(header, "SamplesPerPixel") != 3:
        return None
    pi = decode_opts.get(
        "photometric_interpretation", str(header.get("PhotometricInterpretation", "")).strip()
    )
    if pi in ("YBR_FULL", "YBR_FULL_422"):
        return "YCbCr"
    if pi == "RGB":
        return "RGB"
    return None


def _jpeg_8bit(header: Dataset) -> bool:
    """8-bit samples in JPEG Baseline/Extended (what libjpeg-turbo decodes)."""
    return (
        header.file_meta.get("TransferSyntaxUID") in JPEG_BASELINE_LIKE
        and int_value(header, "BitsAllocated") == 8
        and int_value(header, "BitsStored") in (None, 8)
    )


def reference_plugin(header: Dataset) -> str:
    """pydicom's decoding plugin for the reference decode: ``"pillow"``
    (libjpeg-turbo) for 8-bit JPEG Baseline/Extended when it is available,
    else ``""`` (pydicom's first available plugin)."""
    if not _jpeg_8bit(header):
        return ""
    from pydicom.pixels import get_decoder

    try:
        ts = header.file_meta.get("TransferSyntaxUID")
        return "pillow" if "pillow" in get_decoder(ts).available_plugins else ""
    except Exception:
        return ""


class FrameDecoder:
    """Decodes the frames of one file on demand; holds no pixels.

    Parameters
    ----------
    path : pathlib.Path
    header : pydicom.Dataset
        The header read by :func:`~echoassess.dicom.header.read_header`.
    layout : PixelLayout
    image : ImageGeometry
        The checked image numbers (:func:`~echoassess.dicom.header.check_image`).
    decoder : {"pydicom", "libjpeg-turbo"}
    """

    def __init__(
        self,
        path: Path,
        header: Dataset,
        layout: PixelLayout,
        image: ImageGeometry,
        *,
        decoder: str = "pydicom",
    ) -> None:
        self.path = path
        self._header = header
        self._layout = layout
        self.n_frames = image.n_frames
        self.shape: tuple[int, int, int] = (image.rows, image.cols, 3)
        self.photometric_interpretation = image.photometric_interpretation
        self._options = decode_options(path, header, layout)
        self._palette: Palette | None = None
        self._dataset: Dataset | None = None
        #: the colour space a fast (libjpeg-turbo) decode must find, or None:
        #: every frame goes through pydicom
        self.fast_colour = (
            fast_colour_space(header, layout, self._options) if decoder == "libjpeg-turbo" else None
        )
        #: pydicom's decoding plugin for the reference path ("" = its first available)
        self._plugin = reference_plugin(header)

    @property
    def decoder(self) -> str:
        """``"libjpeg-turbo"`` when frames are decoded by the fast path (with
        pydicom as the fallback for any frame it cannot promise), else ``"pydicom"``."""
        return "libjpeg-turbo" if self.fast_colour is not None else "pydicom"

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (a checked index) as ``(rows, cols, 3) uint8`` RGB."""
        if self.fast_colour is not None:
            fast = self.fast_frame(self.frame_bytes(i), i)
            if fast is not None:
                return fast
        return self._reference_frame(i)

    def iter_frames(self, wanted: list[int] | None) -> Iterator[np.ndarray]:
        """Frames ``wanted`` (checked, increasing; all when ``None``), one at a time."""
        if self.fast_colour is not None:
            yield from self._iter_fast(wanted)
        else:
            yield from self._iter_reference(wanted)

    def _reference_frame(self, i: int, *, fallback_only: bool = False) -> np.ndarray:
        """Frame ``i`` decoded by pydicom's pipeline (the reference)."""
        from pydicom.pixels import pixel_array

        if self._plugin and not fallback_only:
            try:
                with decoding(self.path, i):
                    arr = pixel_array(
                        self._source(), index=i, raw=False, decoding_plugin=self._plugin, **self._options
                    )
                return self._to_rgb(arr, i)
            except CorruptPixelDataError:  # Pillow refuses it: pydicom's other plugins decide
                pass
        with decoding(self.path, i):
            arr = pixel_array(self._source(), index=i, raw=False, **self._options)
        return self._to_rgb(arr, i)

    def frame_bytes(self, i: int) -> bytes | None:
        """The codestream of frame ``i``, or ``None`` when the fragments cannot
        be told apart (the reference decoder then reports the damage)."""
        from pydicom.encaps import get_frame

        try:
            with open(self.path, "rb") as f, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f.seek(self._layout.value_offset)
                return get_frame(
                    f, i, number_of_frames=self.n_frames, extended_offsets=self._extended_offsets()
                )
        except Exception:
            return None

    def _extended_offsets(self) -> tuple[bytes, bytes] | None:
        h = self._header
        if "ExtendedOffsetTable" in h and "ExtendedOffsetTableLengths" in h:
            return h.ExtendedOffsetTable, h.ExtendedOffsetTableLengths
        return None

    def fast_frame(self, data: bytes | None, i: int) -> np.ndarray | None:
        """Frame ``i`` decoded by libjpeg-turbo, or ``None`` (use the reference)."""
        if data is None or self.fast_colour is None:
            return None
        from .jpeg import decode_rgb

        rows, cols, _ = self.shape
        with decoding(self.path, i):
            return decode_rgb(data, rows=rows, cols=cols, colour_space=self.fast_colour)

    def _iter_fast(self, wanted: list[int] | None) -> Iterator[np.ndarray]:
        """Frames from the encapsulated fragments, one at a time, decoded by
        libjpeg-turbo; any frame it cannot promise goes through pydicom, and
        fragments that cannot be split into frames hand the rest to pydicom."""
        from pydicom.encaps import generate_frames

        order = list(range(self.n_frames)) if wanted is None else wanted
        want = set(order)
        last = order[-1] if order else -1
        done = 0
        with open(self.path, "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f.seek(self._layout.value_offset)
            chunks = generate_frames(
                f, number_of_frames=self.n_frames, extended_offsets=self._extended_offsets()
            )
            for i in range(last + 1):
                try:
                    data = next(chunks)
                except Exception:  # damaged item structure: pydicom reports it
                    break
                if i not in want:
                    continue
                frame = self.fast_frame(data, i)
                yield frame if frame is not None else self._reference_frame(i)
                done += 1
        if done < len(order):
            yield from self._iter_reference(order[done:])

    def _iter_reference(self, wanted: list[int] | None) -> Iterator[np.ndarray]:
        from pydicom.pixels import iter_pixels

        order = list(range(self.n_frames)) if wanted is None else list(wanted)
        plugin: dict[str, Any] = {"decoding_plugin": self._plugin} if self._plugin else {}
        k = 0
        while k < len(order):
            it = iter_pixels(self._source(), indices=order[k:], raw=False, **plugin, **self._options)
            for i in order[k:]:
                try:
                    with decoding(self.path, i):
                        arr = next(it)
                except CorruptPixelDataError:
                    if not plugin:
                        raise
                    # Pillow refuses this frame: pydicom's other plugins decide,
                    # then Pillow goes on from the next one
                    yield self._reference_frame(i, fallback_only=True)
                    k += 1
                    break
                yield self._to_rgb(arr, i)
                k += 1

    def _source(self) -> str | Dataset:
        """What pydicom decodes from: the path (streaming, the normal case) or,
        for files pydicom cannot stream (deflated, or whose meta header
        misstates the VR encoding), the whole dataset read once."""
        if not self._layout.streamable:
            if self._dataset is None:
                import pydicom

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._dataset = pydicom.dcmread(self.path)
            return self._dataset
        return os.fspath(self.path)

    def _to_rgb(self, arr: np.ndarray, index: int) -> np.ndarray:
        pi = self.photometric_interpretation
        if pi == "PALETTE COLOR":
            if self._palette is None:
                self._palette = read_palette(self.path, self._header)
            arr = self._palette.apply(arr)
        elif pi.startswith("MONOCHROME"):
            arr = monochrome_to_uint8(arr, self._header, invert=pi == "MONOCHROME1")
            arr = np.repeat(arr[..., None], 3, axis=-1)
        elif arr.dtype != np.uint8:
            bits = int(self._header.get("BitsStored", 8) or 8)
            arr = scale_to_uint8(arr, bits)
        if arr.shape != self.shape:
            raise CorruptPixelDataError(
                self.path,
                f"frame {index} decoded to shape {arr.shape}, expected {self.shape}",
            )
        return np.ascontiguousarray(arr, dtype=np.uint8)


class decoding:
    """Turn decoder failures into CorruptPixelDataError naming file and frame."""

    def __init__(self, path: Path, index: int) -> None:
        self.path, self.index = path, index
        self._warnings = warnings.catch_warnings()

    def __enter__(self) -> None:
        self._warnings.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        self._warnings.__exit__(exc_type, exc, tb)
        if exc is None or isinstance(exc, EchoAssessError):
            return False
        if isinstance(exc, MemoryError):
            # the header's size was checked; a decoder asking for more memory
            # follows sizes written inside damaged compressed data
            raise CorruptPixelDataError(
                self.path,
                f"frame {self.index} cannot be decoded: its compressed data asks "
                "for more memory than the header's image size",
                hint="the file is damaged",
            ) from None
        if isinstance(exc, (KeyboardInterrupt, StopIteration, GeneratorExit)):
            return False
        if isinstance(exc, Exception):
            raise CorruptPixelDataError(
                self.path,
                f"frame {self.index} cannot be decoded: {type(exc).__name__}",
                hint="the compressed data is damaged or in a form the decoder does not support",
            ) from exc
        return False


def scale_to_uint8(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    """Samples of ``bits_stored`` bits rescaled to 0..255.

    >>> scale_to_uint8(np.array([0, 2048, 4095], np.uint16), 12)
    array([  0, 128, 255], dtype=uint8)
    """
    if arr.dtype == np.uint8:
        return arr
    top = float(2**bits_stored - 1)
    scaled = np.rint(np.clip(arr.astype(np.float64), 0, top) * (255.0 / top))
    return scaled.astype(np.uint8)


def monochrome_to_uint8(arr: np.ndarray, header: Dataset, *, invert: bool) -> np.ndarray:
    """A MONOCHROME frame in 0..255 (signed samples shifted, MONOCHROME1 inverted)."""
    bits = int(header.get("BitsStored", header.BitsAllocated) or 8)
    if arr.dtype.kind == "i":  # signed: shift to the unsigned range
        arr = arr.astype(np.int64) + 2 ** (bits - 1)
    if bits == 8 and arr.dtype == np.uint8:
        out = arr
    else:
        out = scale_to_uint8(arr.astype(np.uint32), bits)
    return 255 - out if invert else out
