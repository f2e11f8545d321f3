"""Read ultrasound DICOM clips: RGB frames, timing and physical calibration.

This is the only module that imports pydicom. :func:`load_clip` reads the
header once, checks it against the file (so a hostile or truncated header is
refused before any decoding), and returns an :class:`EchoClip` that decodes
frames on demand: ``clip.frame(i)`` decodes one frame and ``clip.iter_frames()``
streams them, so memory stays bounded for long clips.

Every frame comes out as ``(rows, cols, 3) uint8`` RGB, whatever the storage:
RGB (both planar configurations), YBR_FULL / YBR_FULL_422 / YBR_ICT / YBR_RCT,
JPEG files whose header says RGB but whose codestream holds YCbCr, PALETTE
COLOR (8- or 16-bit entries) and MONOCHROME1/2.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import struct
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import bounds
from .calibration import (
    UltrasoundRegion,
    colour_flow_region,
    region_containing,
    spatial_region_for,
)
from .errors import (
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
)

__all__ = ["EchoClip", "ClipMetadata", "load_clip", "ULTRASOUND_SOP_CLASSES"]

logger = logging.getLogger("echoassess")

#: Ultrasound Image Storage and Ultrasound Multi-frame Image Storage (current
#: and retired) SOP class UIDs.
ULTRASOUND_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.6.1": "Ultrasound Image Storage",
    "1.2.840.10008.5.1.4.1.1.3.1": "Ultrasound Multi-frame Image Storage",
    "1.2.840.10008.5.1.4.1.1.6": "Ultrasound Image Storage (Retired)",
    "1.2.840.10008.5.1.4.1.1.3": "Ultrasound Multi-frame Image Storage (Retired)",
}

# Limits that no real echo clip comes near; beyond them a header is refused
# before anything is allocated (all plausibility bounds live in echoassess.bounds).
MAX_SIDE_PX = bounds.MAX_SIDE_PX
MAX_FRAME_BYTES = bounds.MAX_FRAME_BYTES
MAX_FRAMES = bounds.MAX_FRAMES

_SUPPORTED_PI = {
    "RGB",
    "YBR_FULL",
    "YBR_FULL_422",
    "YBR_ICT",
    "YBR_RCT",
    "PALETTE COLOR",
    "MONOCHROME1",
    "MONOCHROME2",
}
_PIXEL_TAGS = {
    (0x7FE0, 0x0010): "PixelData",
    (0x7FE0, 0x0008): "FloatPixelData",
    (0x7FE0, 0x0009): "DoubleFloatPixelData",
}
_ITEM = (0xFFFE, 0xE000)
_SEQ_DELIM = (0xFFFE, 0xE0DD)
_JPEG_BASELINE_LIKE = {
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  # JPEG Extended (Process 2 and 4)
}


@dataclass(frozen=True)
class ClipMetadata:
    """Descriptive header fields of a clip, without patient identity.

    Patient name, ID and birth date are deliberately absent: read them with
    :meth:`EchoClip.read_header` if you really need them.
    """

    sop_class_uid: str | None
    modality: str | None
    manufacturer: str | None
    model: str | None
    study_instance_uid: str | None
    series_instance_uid: str | None
    sop_instance_uid: str | None
    acquisition_datetime: datetime | None
    heart_rate_bpm: float | None
    series_description: str | None
    study_description: str | None
    series_number: int | None
    instance_number: int | None
    transfer_syntax_uid: str
    transfer_syntax: str
    photometric_interpretation: str
    #: "tee", "tte" or "parasternal" (a transthoracic parasternal view) when the
    #: header names the probe or view
    #: (ViewCodeSequence, TransducerData, series description), else ``None``.
    view: str | None = None

    @property
    def is_ultrasound(self) -> bool:
        return self.modality == "US" or self.sop_class_uid in ULTRASOUND_SOP_CLASSES

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if self.acquisition_datetime is not None:
            out["acquisition_datetime"] = self.acquisition_datetime.isoformat()
        return out


@dataclass(frozen=True)
class _PixelLayout:
    """What the scan of the pixel data element found."""

    keyword: str
    encapsulated: bool
    value_offset: int
    value_length: int  # bytes of the value (all items for encapsulated data)
    n_fragments: int  # encapsulated only: data fragments, excluding the offset table
    first_fragment_offset: int | None
    streamable: bool = True  # False: decode from a fully read dataset


class EchoClip:
    """An ultrasound clip opened by :func:`load_clip`.

    Frames are decoded on demand; the object itself holds only the header.

    Attributes
    ----------
    path : pathlib.Path
    n_frames : int
    shape : tuple of int
        ``(rows, cols, 3)``, the shape of every frame.
    frame_times_ms : (T,) float64 ndarray or None
        Start time of each frame from the first, in ms; ``None`` when the file
        carries no timing.
    timing_source : str or None
        The attribute the timing came from.
    regions : tuple of UltrasoundRegion
        Every item of the Sequence of Ultrasound Regions, in file order.
    colour_flow_region : UltrasoundRegion or None
        The colour-flow region (RegionDataType 2) when the file has one.
    spacing_cm : tuple of float or None
        ``(dx, dy)`` cm per pixel for the 2D image holding the colour flow, or
        ``None`` when the clip is uncalibrated (areas will be in pixels).
    calibration_source : str or None
        ``"regions"``, ``"user spacing"``, ``"depth + sector"`` or ``None``.
    calibration_note : str
        Why the calibration is what it is, in one line.
    metadata : ClipMetadata
    """

    def __init__(
        self,
        path: Path,
        header: Any,
        layout: _PixelLayout,
        *,
        n_frames: int,
        decode_opts: dict[str, Any],
        regions: tuple[UltrasoundRegion, ...],
        region_problems: tuple[str, ...],
        decoder: str = "pydicom",
    ) -> None:
        self.path = path
        self._header = header
        self._layout = layout
        self._decode_opts = decode_opts
        self.n_frames = n_frames
        rows, cols = int(header.Rows), int(header.Columns)
        self.shape: tuple[int, int, int] = (rows, cols, 3)
        self.photometric_interpretation = str(header.PhotometricInterpretation).strip()
        self.regions = regions
        self.region_problems = region_problems
        self.colour_flow_region = colour_flow_region(regions)
        self.frame_times_ms, self.timing_source = _frame_times(header, n_frames)
        self.metadata = _metadata(header)
        self.spacing_cm: tuple[float, float] | None = None
        self.calibration_source: str | None = None
        self.calibration_note = "not calibrated"
        self._spatial_region: UltrasoundRegion | None = None
        #: the file's own cm/px scale when the user's ``spacing_cm`` replaced it
        self.file_spacing_cm: tuple[float, float] | None = None
        #: the depth the user gave (``depth_cm=``), when it calibrated the clip
        self.user_depth_cm: float | None = None
        self._palette: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._dataset: Any = None
        #: the colour space a fast (libjpeg-turbo) decode must find, or None:
        #: every frame goes through pydicom
        self._fast_colour = (
            _fast_colour_space(header, layout, decode_opts) if decoder == "libjpeg-turbo" else None
        )

    @property
    def decoder(self) -> str:
        """``"libjpeg-turbo"`` when frames are decoded by the fast path (with
        pydicom as the fallback for any frame it cannot promise), else ``"pydicom"``."""
        return "libjpeg-turbo" if self._fast_colour is not None else "pydicom"

    # -- frames --------------------------------------------------------------
    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        rows, cols, _ = self.shape
        cal = (
            f"{self.spacing_cm[0]:.4f} x {self.spacing_cm[1]:.4f} cm/px"
            if self.spacing_cm
            else "uncalibrated"
        )
        return (
            f"<EchoClip {self.path.name}: {self.n_frames} frames {rows}x{cols}, "
            f"{self.metadata.transfer_syntax}, {self.photometric_interpretation}, {cal}>"
        )

    def frame(self, index: int) -> np.ndarray:
        """Decode one frame.

        Parameters
        ----------
        index : int
            ``0 .. n_frames - 1``; negative indices count from the end.

        Returns
        -------
        (rows, cols, 3) uint8 ndarray
            The frame in RGB.

        Raises
        ------
        FrameIndexError
            The index is out of range.
        CorruptPixelDataError
            The frame cannot be decoded.
        """
        i = self._check_index(index)
        if self._fast_colour is not None:
            fast = self._fast_frame(self._frame_bytes(i), i)
            if fast is not None:
                return fast
        return self._reference_frame(i)

    def _reference_frame(self, i: int) -> np.ndarray:
        """Frame ``i`` decoded by pydicom's pipeline (the reference)."""
        from pydicom.pixels import pixel_array

        with _decoding(self.path, i):
            arr = pixel_array(self._source(), index=i, raw=False, **self._decode_opts)
        return self._to_rgb(arr, i)

    def _frame_bytes(self, i: int) -> bytes | None:
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

    def _fast_frame(self, data: bytes | None, i: int) -> np.ndarray | None:
        """Frame ``i`` decoded by libjpeg-turbo, or ``None`` (use the reference)."""
        if data is None or self._fast_colour is None:
            return None
        from ._jpeg import decode_rgb

        rows, cols, _ = self.shape
        with _decoding(self.path, i):
            return decode_rgb(data, rows=rows, cols=cols, colour_space=self._fast_colour)

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
                frame = self._fast_frame(data, i)
                yield frame if frame is not None else self._reference_frame(i)
                done += 1
        if done < len(order):
            yield from self._iter_reference(order[done:])

    def _iter_reference(self, wanted: list[int] | None) -> Iterator[np.ndarray]:
        from pydicom.pixels import iter_pixels

        order = range(self.n_frames) if wanted is None else wanted
        it = iter_pixels(self._source(), indices=wanted, raw=False, **self._decode_opts)
        for i in order:
            with _decoding(self.path, i):
                arr = next(it)
            yield self._to_rgb(arr, i)

    def iter_frames(self, indices: Iterable[int] | None = None) -> Iterator[np.ndarray]:
        """Stream frames one at a time, decoding each only when it is needed.

        Parameters
        ----------
        indices : iterable of int, optional
            The frames wanted, in increasing order; all frames by default.

        Yields
        ------
        (rows, cols, 3) uint8 ndarray
        """
        wanted = None if indices is None else [self._check_index(i) for i in indices]
        if wanted is not None and wanted != sorted(set(wanted)):
            raise InvalidParameterError(
                self.path,
                "iter_frames(indices=...) must be increasing and unique",
                hint="use clip.frame(i) for random access",
            )
        if self._fast_colour is not None:
            yield from self._iter_fast(wanted)
        else:
            yield from self._iter_reference(wanted)

    def read_frames(self, indices: Sequence[int] | None = None) -> np.ndarray:
        """Decode several frames (all by default) into one array.

        Returns
        -------
        (T, rows, cols, 3) uint8 ndarray
            Mind the memory: a long clip is large. Prefer :meth:`iter_frames`.
        """
        idx = list(range(self.n_frames)) if indices is None else list(indices)
        out = np.empty((len(idx), *self.shape), dtype=np.uint8)
        if idx == sorted(set(idx)):
            for k, frame in enumerate(self.iter_frames(idx)):
                out[k] = frame
        else:
            for k, i in enumerate(idx):
                out[k] = self.frame(i)
        return out

    def _source(self) -> Any:
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

    def _check_index(self, index: int) -> int:
        try:
            i = int(index)
        except (TypeError, ValueError):
            raise FrameIndexError(self.path, f"frame index {index!r} is not an integer") from None
        if i < 0:
            i += self.n_frames
        if not 0 <= i < self.n_frames:
            raise FrameIndexError(
                self.path, f"frame {index} requested but the clip has {self.n_frames} frames"
            )
        return i

    def _to_rgb(self, arr: np.ndarray, index: int) -> np.ndarray:
        pi = self.photometric_interpretation
        rows, cols, _ = self.shape
        if pi == "PALETTE COLOR":
            arr = self._apply_palette(arr)
        elif pi.startswith("MONOCHROME"):
            arr = _monochrome_to_uint8(arr, self._header, invert=pi == "MONOCHROME1")
            arr = np.repeat(arr[..., None], 3, axis=-1)
        elif arr.dtype != np.uint8:
            bits = int(self._header.get("BitsStored", 8) or 8)
            arr = _scale_to_uint8(arr, bits)
        if arr.shape != self.shape:
            raise CorruptPixelDataError(
                self.path,
                f"frame {index} decoded to shape {arr.shape}, expected {self.shape}",
            )
        return np.ascontiguousarray(arr, dtype=np.uint8)

    def _apply_palette(self, arr: np.ndarray) -> np.ndarray:
        if self._palette is None:
            self._palette = _palette_luts(self.path, self._header)
        first = int(self._header.RedPaletteColorLookupTableDescriptor[1])
        idx = arr.astype(np.int64) - first
        # each table indexed within its own length: a damaged file may give
        # the green or blue table fewer entries than the red one
        return np.stack([lut[np.clip(idx, 0, len(lut) - 1)] for lut in self._palette], axis=-1)

    # -- calibration --------------------------------------------------------
    @property
    def is_calibrated(self) -> bool:
        return self.spacing_cm is not None

    @property
    def pixel_area_cm2(self) -> float | None:
        """Area of one pixel in cm^2, or ``None`` when uncalibrated."""
        if self.spacing_cm is None:
            return None
        return self.spacing_cm[0] * self.spacing_cm[1]

    @property
    def spatial_region(self) -> UltrasoundRegion | None:
        """The file's calibrated 2D region holding the colour box: its scale is
        :attr:`spacing_cm` unless the user's ``spacing_cm`` replaced it (then
        :attr:`file_spacing_cm`); its reference pixel still gives the depth and apex."""
        return self._spatial_region

    def region_at(
        self,
        x0: float,
        y0: float,
        x1: float | None = None,
        y1: float | None = None,
        *,
        spatial_only: bool = False,
    ) -> UltrasoundRegion | None:
        """The smallest region that contains pixel ``(x0, y0)`` or the box to ``(x1, y1)``.

        With ``spatial_only=True``, only 2D regions calibrated in cm count.
        """
        return region_containing(self.regions, x0, y0, x1, y1, spatial_only=spatial_only)

    @property
    def depth_cm(self) -> float | None:
        """Imaging depth (cm) from the calibrated 2D region's reference pixel.

        ``None`` when the file's region carries no vertical reference pixel.
        """
        region = self._spatial_region
        depth = None if region is None else region.depth_cm
        return depth if bounds.within(depth, bounds.DEPTH_CM) else None

    @property
    def nyquist_cm_s(self) -> float | None:
        """Colour-flow Nyquist velocity (cm/s) from the colour-flow region's
        pulse repetition frequency and transducer frequency (the tissue
        region's transducer frequency when the colour region has none).

        ``None`` when the file does not carry them (the colour bar's printed
        limits are then the only source; pass the value to the analysis).
        """
        value = self._nyquist_from_regions()
        return value if bounds.within(value, bounds.NYQUIST_CM_S) else None

    def _nyquist_from_regions(self) -> float | None:
        flow = self.colour_flow_region
        if flow is None or not flow.pulse_repetition_frequency_hz:
            return None
        try:
            if flow.transducer_frequency_khz:
                return flow.nyquist_cm_s
            holder = self._spatial_region
            if holder is None or not holder.transducer_frequency_khz:
                return None
            from dataclasses import replace

            return replace(flow, transducer_frequency_khz=holder.transducer_frequency_khz).nyquist_cm_s
        except (ArithmeticError, ValueError):  # absurd frequencies: no Nyquist limit
            return None

    def require_spacing_cm(self) -> tuple[float, float]:
        """``spacing_cm``, or a :class:`CalibrationError` saying why there is none."""
        if self.spacing_cm is None:
            raise CalibrationError(
                self.path,
                f"no physical calibration: {self.calibration_note}",
                hint="pass spacing_cm=... or depth_cm=... (the depth shown on screen)",
            )
        return self.spacing_cm

    def read_header(self, *, include_patient_identity: bool = False) -> Any:
        """The pydicom header (without pixel data).

        Patient name, ID, birth date and other identifying attributes are
        removed unless ``include_patient_identity=True``.
        """
        ds = copy.deepcopy(self._header)
        if not include_patient_identity:
            for keyword in _IDENTITY_KEYWORDS:
                if keyword in ds:
                    delattr(ds, keyword)
        return ds

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description of the clip (no patient identity)."""
        return {
            "file": self.path.name,
            "frames": self.n_frames,
            "rows": self.shape[0],
            "columns": self.shape[1],
            "photometric_interpretation": self.photometric_interpretation,
            "frame_time_ms": self.frame_time_ms,
            "frame_rate_hz": self.frame_rate_hz,
            "timing_source": self.timing_source,
            "pixel_spacing_cm": list(self.spacing_cm) if self.spacing_cm else None,
            "calibration_source": self.calibration_source,
            "calibration_note": self.calibration_note,
            "depth_cm": self.depth_cm,
            "nyquist_cm_s": self.nyquist_cm_s,
            "colour_flow_region": (list(self.colour_flow_region.bounds) if self.colour_flow_region else None),
            "regions": [r.describe() for r in self.regions],
            **self.metadata.to_dict(),
        }

    # -- timing --------------------------------------------------------------
    @property
    def frame_time_ms(self) -> float | None:
        """Mean time between frames in ms (``None`` without timing or with one frame)."""
        t = self.frame_times_ms
        if t is None or len(t) < 2:
            return None
        return float((t[-1] - t[0]) / (len(t) - 1))

    @property
    def frame_rate_hz(self) -> float | None:
        ft = self.frame_time_ms
        return None if not ft else 1000.0 / ft

    @property
    def duration_ms(self) -> float | None:
        ft = self.frame_time_ms
        return None if ft is None else ft * self.n_frames


_IDENTITY_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "OtherPatientIDs",
    "OtherPatientNames",
    "OtherPatientIDsSequence",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientMotherBirthName",
    "IssuerOfPatientID",
    "MedicalRecordLocator",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "InstitutionName",
    "InstitutionAddress",
    "AccessionNumber",
    "StudyID",
)


# -- loading -------------------------------------------------------------------
def load_clip(
    path: str | os.PathLike[str],
    *,
    spacing_cm: float | tuple[float, float] | None = None,
    depth_cm: float | None = None,
    decoder: str = "pydicom",
) -> EchoClip:
    """Open an ultrasound DICOM clip.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM Part 10 file (single- or multi-frame).
    spacing_cm : float or (float, float), optional
        Pixel spacing ``dx`` (or ``(dx, dy)``) in cm to use instead of the
        file's calibration.
    depth_cm : float, optional
        The imaging depth printed on the screen, for files without
        calibration regions: the pixel scale is derived from the detected
        sector (apex to far arc). Ignored when the file is calibrated or
        ``spacing_cm`` is given.
    decoder : {"pydicom", "libjpeg-turbo"}
        ``"pydicom"`` (default): pydicom's pipeline, the reference.
        ``"libjpeg-turbo"``: 8-bit JPEG Baseline/Extended colour frames are
        decoded by libjpeg-turbo (OpenCV), 5-10x faster, when the codestream's
        colour space is the one pydicom would apply; every other frame by
        pydicom. Its frames differ from the reference by a few grey levels at
        chroma edges (``echoassess._jpeg.FAST_MAX_ABS_DIFF``), which moves
        some jet areas by more than 0.01 cm^2: not the default.

    Returns
    -------
    EchoClip

    Raises
    ------
    NotDicomError, TruncatedFileError, NoPixelDataError, UnsupportedEncodingError,
    InvalidDimensionsError, CalibrationError, InvalidParameterError
        All subclasses of :class:`echoassess.EchoAssessError`; the message names
        the file and the problem.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> clip = load_clip(get_testdata_file("color3d_jpeg_baseline.dcm"))
    >>> clip.n_frames, clip.shape
    (120, (480, 640, 3))
    >>> round(clip.spacing_cm[0], 4), clip.calibration_source
    (0.051, 'regions')
    """
    p = Path(path)
    if decoder not in ("pydicom", "libjpeg-turbo"):
        raise InvalidParameterError(p, f"decoder={decoder!r} must be 'pydicom' or 'libjpeg-turbo'")
    user_spacing = _check_spacing(p, spacing_cm)
    if depth_cm is not None and not (_finite(depth_cm) and 0 < float(depth_cm) < 100):
        raise InvalidParameterError(p, f"depth_cm={depth_cm!r} must be a positive depth in cm (e.g. 16)")
    header, layout = _read_header(p)
    with _reading_header(p):
        n_frames, decode_opts = _check_image(p, header, layout)
        regions, problems = _parse_regions(p, header)
        clip = EchoClip(
            p,
            header,
            layout,
            n_frames=n_frames,
            decode_opts=decode_opts,
            regions=regions,
            region_problems=problems,
            decoder=decoder,
        )
        _calibrate(clip, user_spacing, depth_cm)
    return clip


class _reading_header:
    """Turn any pydicom failure while the header is used into a DicomReadError.

    pydicom converts element values lazily, on first access, so a damaged
    value can raise long after ``dcmread`` returned. The message is our own:
    pydicom's may quote the damaged value, which can be a patient's name or ID.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
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


def _finite(value: Any) -> bool:
    return bounds.finite(value)


def _check_spacing(p: Path, spacing_cm: Any) -> tuple[float, float] | None:
    if spacing_cm is None:
        return None
    values = (spacing_cm, spacing_cm) if np.isscalar(spacing_cm) else tuple(spacing_cm)
    if len(values) != 2 or not all(_finite(v) and 0 < float(v) < 10 for v in values):
        raise InvalidParameterError(
            p,
            f"spacing_cm={spacing_cm!r} must be a positive cm-per-pixel value "
            "or a (dx, dy) pair (typically 0.01-0.1)",
        )
    return (float(values[0]), float(values[1]))


def _read_header(p: Path) -> tuple[Any, _PixelLayout | None]:
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not p.exists():
        raise DicomReadError(p, "file does not exist")
    if p.is_dir():
        raise DicomReadError(p, "is a directory, not a DICOM file", hint="use `echoassess batch` for folders")
    size = p.stat().st_size
    if size == 0:
        raise NotDicomError(
            p, "empty (0 bytes)", hint="the copy or export probably failed; copy the file again"
        )
    bad_tag = None
    # pydicom's messages are never shown: they may quote a damaged value, and
    # any element (the PatientID among them) can be the damaged one
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


def _tag_text(tag: Any) -> str:
    try:
        return f"({int(tag) >> 16:04X},{int(tag) & 0xFFFF:04X})"
    except (TypeError, ValueError):
        return "?"


def _layout_from_dataset(p: Path) -> _PixelLayout | None:
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
    encapsulated = ds.file_meta.TransferSyntaxUID.is_encapsulated
    n_fragments = sum(1 for _ in generate_fragments(data)) - 1 if encapsulated else 0
    return _PixelLayout(keyword, encapsulated, 0, len(data), n_fragments, None, False)


def _looks_truncated(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        w in text
        for w in ("end of file", "eof", "unexpected end", "truncat", "expected 4 bytes", "expected 8 bytes")
    )


def _scan_pixel_element(p: Path, f: Any, header: Any, size: int) -> _PixelLayout | None:
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
                hint="the file was probably cut short while copying",
            )
        return _PixelLayout(keyword, False, value_offset, length, 0, None, streamable)
    # encapsulated: walk the items (always little endian) by seeking
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
                hint="the file was probably cut short while copying",
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
                p,
                f"fragment {n_items} of the pixel data runs past the end of the file",
                hint="the file was probably cut short while copying",
            )
        if n_items == 1:
            first_fragment = pos - item_len
        n_items += 1
    if n_items == 0:
        raise CorruptPixelDataError(p, "encapsulated pixel data has no basic offset table item")
    return _PixelLayout(
        keyword, True, value_offset, pos - value_offset, n_items - 1, first_fragment, streamable
    )


def _int(header: Any, keyword: str) -> int | None:
    value = header.get(keyword)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_image(p: Path, header: Any, layout: _PixelLayout | None) -> tuple[int, dict]:
    from pydicom.pixels import get_decoder

    if layout is None:
        kind = _uid_name(header.get("SOPClassUID"), "unknown SOP class")
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
    ts_name = _uid_name(ts, "an unknown transfer syntax")
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
    rows, cols = _int(header, "Rows"), _int(header, "Columns")
    spp = _int(header, "SamplesPerPixel")
    bits = _int(header, "BitsAllocated")
    pi = str(header.get("PhotometricInterpretation", "")).strip()
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
    if missing:
        raise InvalidDimensionsError(p, f"image attributes missing: {', '.join(missing)}")
    if pi not in _SUPPORTED_PI:
        shown = repr(pi) if pi in _KNOWN_PI else "an unrecognised value"
        raise UnsupportedEncodingError(
            p,
            f"photometric interpretation {shown} is not supported",
            hint=f"supported: {', '.join(sorted(_SUPPORTED_PI))}",
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
    raw_frames = header.get("NumberOfFrames", 1)
    try:
        n_frames = 1 if raw_frames in (None, "") else int(raw_frames)
    except (TypeError, ValueError):
        raise InvalidDimensionsError(p, "NumberOfFrames is not a number") from None
    if n_frames <= 0:
        raise InvalidDimensionsError(p, f"NumberOfFrames is {n_frames}: the clip has no frames")
    if n_frames > MAX_FRAMES:
        raise InvalidDimensionsError(p, f"absurd NumberOfFrames {n_frames} (limit {MAX_FRAMES})")
    frame_bytes = rows * cols * spp * max(bits, 8) // 8
    if frame_bytes > MAX_FRAME_BYTES:
        raise InvalidDimensionsError(
            p,
            f"one frame would need {frame_bytes / 1024**2:.0f} MiB (limit {MAX_FRAME_BYTES // 1024**2} MiB)",
        )
    if layout.encapsulated:
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
        _check_offset_tables(p, header, layout, n_frames, has_eot)
    else:
        expected = _native_length(rows, cols, spp, bits, n_frames, pi)
        if layout.value_length < expected:
            raise TruncatedFileError(
                p,
                f"pixel data holds {layout.value_length} bytes but {n_frames} frames of "
                f"{rows} x {cols} need {expected}",
                hint="the file is truncated or NumberOfFrames/Rows/Columns is wrong",
            )
    opts: dict[str, Any] = {}
    if pi == "RGB" and layout.encapsulated and ts in _JPEG_BASELINE_LIKE:
        actual = _jpeg_colour_space(p, layout)
        if actual is not None and actual != "RGB":
            logger.info("%s: header says RGB but the JPEG codestream holds %s", p, actual)
            opts["photometric_interpretation"] = actual
    return n_frames, opts


_KNOWN_PI = _SUPPORTED_PI | {"ARGB", "CMYK", "HSV", "YBR_PARTIAL_422", "YBR_PARTIAL_420", "XYB"}


def _uid_name(uid: Any, unknown: str) -> str:
    """The registered name of a UID, or ``unknown``: never the raw value, which a
    damaged or hostile file may fill with anything."""
    from pydicom.uid import UID_dictionary

    # looked up, never built into a pydicom UID: that validates the value and
    # warns with it quoted
    text = uid if isinstance(uid, str) else None
    entry = UID_dictionary.get(text) if text else None
    return f"{entry[0]} ({text})" if entry else unknown


def _check_offset_tables(p: Path, header: Any, layout: _PixelLayout, n_frames: int, has_eot: bool) -> None:
    """Refuse offset tables that point outside the pixel data: the decoder
    follows them and would seek, or try to read, far beyond the file."""
    span = layout.value_length
    bad = "the pixel data's {} points outside the data"
    hint = "the file is damaged"
    if has_eot:
        try:
            offsets = np.frombuffer(header.ExtendedOffsetTable, "<u8")
            lengths = (
                np.frombuffer(header.ExtendedOffsetTableLengths, "<u8")
                if "ExtendedOffsetTableLengths" in header
                else None
            )
        except (TypeError, ValueError, AttributeError):
            raise CorruptPixelDataError(p, "unreadable extended offset table", hint=hint) from None
        if lengths is None or len(offsets) != n_frames or len(lengths) != n_frames:
            raise CorruptPixelDataError(
                p, f"the extended offset table does not list the {n_frames} frames", hint=hint
            )
        ends = offsets.astype(object) + lengths.astype(object)  # no uint64 wrap-around
        if (np.any(np.diff(offsets.astype(object)) <= 0) if n_frames > 1 else False) or any(
            e > span for e in ends
        ):
            raise CorruptPixelDataError(p, bad.format("extended offset table"), hint=hint)
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
            raise CorruptPixelDataError(p, bad.format("basic offset table"), hint=hint)
        bot = np.frombuffer(f.read(bot_len), "<u4").astype(np.int64)
    if len(bot) and (bot[0] != 0 or np.any(np.diff(bot) <= 0) or bot[-1] >= span):
        raise CorruptPixelDataError(p, bad.format("basic offset table"), hint=hint)


def _native_length(rows: int, cols: int, spp: int, bits: int, frames: int, pi: str) -> int:
    if bits == 1:
        return math.ceil(rows * cols * spp * frames / 8)
    per_frame = rows * cols * spp * bits // 8
    if pi == "YBR_FULL_422":
        per_frame = per_frame * 2 // 3
    return per_frame * frames


def _jpeg_colour_space(p: Path, layout: _PixelLayout) -> str | None:
    """The colour space of a 3-component JPEG codestream labelled RGB.

    The DICOM header is trusted unless the codestream positively says YCbCr,
    as IJG libjpeg reads it: a JFIF marker, an Adobe APP14 marker with
    transform 1, or (with no Adobe marker) component IDs 1, 2, 3.
    """
    from pydicom.pixels.utils import _get_jpg_parameters

    if layout.first_fragment_offset is None:
        return None
    with open(p, "rb") as f:
        f.seek(layout.first_fragment_offset)
        head = f.read(65536)
    try:
        info = _get_jpg_parameters(head)
    except Exception:
        return None
    if info.get("components", 3) != 3:
        return None
    markers = list(info.get("app", {}).values())
    for marker in markers:
        if marker.startswith(b"Adobe") and len(marker) >= 12:
            return "YBR_FULL_422" if marker[11] == 1 else "RGB"
    if any(m.startswith(b"JFIF") for m in markers):
        return "YBR_FULL_422"
    if info.get("component_ids") == [1, 2, 3]:
        return "YBR_FULL_422"
    return "RGB"


def _fast_colour_space(header: Any, layout: _PixelLayout, decode_opts: dict[str, Any]) -> str | None:
    """The colour space (``"YCbCr"`` / ``"RGB"``) the reference decoder gives the
    samples of an 8-bit 3-component JPEG Baseline/Extended clip that the fast
    path may decode, or ``None`` (pydicom decodes every frame)."""
    ts = header.file_meta.get("TransferSyntaxUID")
    if (
        not layout.encapsulated
        or not layout.streamable
        or layout.value_offset <= 0
        or ts not in _JPEG_BASELINE_LIKE
    ):
        return None
    if (
        _int(header, "SamplesPerPixel") != 3
        or _int(header, "BitsAllocated") != 8
        or _int(header, "BitsStored") not in (None, 8)
    ):
        return None
    pi = decode_opts.get(
        "photometric_interpretation", str(header.get("PhotometricInterpretation", "")).strip()
    )
    if pi in ("YBR_FULL", "YBR_FULL_422"):
        return "YCbCr"
    if pi == "RGB":
        return "RGB"
    return None


class _decoding:
    """Turn decoder failures into CorruptPixelDataError naming file and frame."""

    def __init__(self, path: Path, index: int) -> None:
        self.path, self.index = path, index
        self._warnings = warnings.catch_warnings()

    def __enter__(self) -> None:
        self._warnings.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, exc_type, exc, tb) -> bool:
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


def _scale_to_uint8(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    top = float(2**bits_stored - 1)
    scaled = np.rint(np.clip(arr.astype(np.float64), 0, top) * (255.0 / top))
    return scaled.astype(np.uint8)


def _monochrome_to_uint8(arr: np.ndarray, header: Any, *, invert: bool) -> np.ndarray:
    bits = int(header.get("BitsStored", header.BitsAllocated) or 8)
    if arr.dtype.kind == "i":  # signed: shift to the unsigned range
        arr = arr.astype(np.int64) + 2 ** (bits - 1)
    if bits == 8 and arr.dtype == np.uint8:
        out = arr
    else:
        out = _scale_to_uint8(arr.astype(np.uint32), bits)
    return 255 - out if invert else out


def _palette_luts(p: Path, header: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three palette LUTs scaled to uint8."""
    luts = []
    try:
        for colour in ("Red", "Green", "Blue"):
            desc = header[f"{colour}PaletteColorLookupTableDescriptor"].value
            n_entries = int(desc[0]) or 65536
            lut_bits = int(desc[2])
            seg_kw = f"Segmented{colour}PaletteColorLookupTableData"
            if seg_kw in header:
                from pydicom.pixels.processing import _expand_segmented_lut

                fmt = "B" if lut_bits == 8 else "H"
                end = "<" if header.original_encoding[1] else ">"
                raw = header[seg_kw].value
                words = struct.unpack(f"{end}{len(raw) // struct.calcsize(fmt)}{fmt}", raw)
                _check_segmented_lut(p, words)
                data = _expand_segmented_lut(words, fmt)
                lut = np.asarray(data)
            else:
                raw = header[f"{colour}PaletteColorLookupTableData"].value
                dtype = np.dtype("u1") if lut_bits == 8 else np.dtype("u2")
                if lut_bits != 8:
                    dtype = dtype.newbyteorder("<" if header.original_encoding[1] else ">")
                lut = np.frombuffer(raw, dtype=dtype)
                if lut_bits == 8 and len(lut) == 2 * n_entries:  # 8-bit entries in 16-bit words
                    lut = lut[::2] if header.original_encoding[1] else lut[1::2]
            luts.append((lut[:n_entries].astype(np.uint32), lut_bits))
    except KeyError as exc:
        raise UnsupportedEncodingError(
            p, f"PALETTE COLOR image without its lookup table ({exc.args[0]})"
        ) from None
    except Exception as exc:
        raise CorruptPixelDataError(p, f"unreadable palette lookup table ({type(exc).__name__})") from None
    if any(lut.size == 0 for lut, _ in luts):
        raise CorruptPixelDataError(p, "a palette lookup table is empty")
    top = max(int(lut.max()) for lut, _ in luts)
    out = []
    for lut, lut_bits in luts:
        if lut_bits > 8 and top > 255:
            # true 16-bit entries: keep the high byte, which recovers the
            # 8-bit value exactly for both x * 256 and x * 257 encodings
            lut = lut >> 8
        out.append(np.clip(lut, 0, 255).astype(np.uint8))
    return out[0], out[1], out[2]


def _check_segmented_lut(p: Path, words: Sequence[int], limit: int = 65536) -> None:
    """Refuse a segmented palette table that would expand beyond ``limit`` entries
    (a damaged table can ask for billions) or uses indirect segments, whose
    expansion a damaged file can make grow without bound."""
    i, total = 0, 0
    while i + 1 < len(words):
        opcode, length = words[i], words[i + 1]
        if opcode == 0:
            total, i = total + length, i + 2 + length
        elif opcode == 1:
            total, i = total + length, i + 3
        else:
            raise UnsupportedEncodingError(
                p,
                "segmented palette table with indirect or unknown segments",
                hint="convert the file to RGB",
            )
        if total > limit:
            raise CorruptPixelDataError(p, f"segmented palette table expands beyond {limit} entries")


def _parse_regions(p: Path, header: Any) -> tuple[tuple[UltrasoundRegion, ...], tuple[str, ...]]:
    seq = header.get("SequenceOfUltrasoundRegions")
    if not seq:
        return (), ()
    regions: list[UltrasoundRegion] = []
    problems: list[str] = []
    for k, item in enumerate(seq, start=1):
        try:
            region = UltrasoundRegion(
                spatial_format=int(item.get("RegionSpatialFormat", 0) or 0),
                data_type=int(item.get("RegionDataType", 0) or 0),
                flags=int(item.get("RegionFlags", 0) or 0),
                x0=int(item.RegionLocationMinX0),
                y0=int(item.RegionLocationMinY0),
                x1=int(item.RegionLocationMaxX1),
                y1=int(item.RegionLocationMaxY1),
                units_x=int(item.get("PhysicalUnitsXDirection", 0) or 0),
                units_y=int(item.get("PhysicalUnitsYDirection", 0) or 0),
                delta_x=float(item.get("PhysicalDeltaX", 0.0) or 0.0),
                delta_y=float(item.get("PhysicalDeltaY", 0.0) or 0.0),
                reference_pixel_x0=_int(item, "ReferencePixelX0"),
                reference_pixel_y0=_int(item, "ReferencePixelY0"),
                reference_physical_x=_float_or_none(item.get("ReferencePixelPhysicalValueX")),
                reference_physical_y=_float_or_none(item.get("ReferencePixelPhysicalValueY")),
                transducer_frequency_khz=_float_or_none(item.get("TransducerFrequency")),
                pulse_repetition_frequency_hz=_float_or_none(item.get("PulseRepetitionFrequency")),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            problems.append(f"ultrasound region {k}: unusable ({type(exc).__name__})")
            continue
        if region.x1 < region.x0 or region.y1 < region.y0:
            problems.append(f"ultrasound region {k}: inverted bounds {region.bounds}")
            continue
        regions.append(region)
    return tuple(regions), tuple(problems)


def _float_or_none(value: Any) -> float | None:
    return float(value) if _finite(value) else None


def _plausible(value: Any, limits: tuple[float, float]) -> float | None:
    return float(value) if bounds.within(value, limits) else None


def _calibrate(clip: EchoClip, user_spacing: tuple[float, float] | None, depth_cm: float | None) -> None:
    rows, cols, _ = clip.shape
    for problem in clip.region_problems:
        logger.warning("%s: %s", clip.path, problem)
    region = spatial_region_for(clip.regions)
    tol = 2  # some writers put MaxX1 = Columns instead of Columns - 1
    implausible = None
    if region is not None and region.spacing_cm is not None:
        implausible = bounds.plausible_spacing_cm(region.spacing_cm, rows=region.height, cols=region.width)
    if user_spacing is not None:
        usable = (
            region is not None
            and implausible is None
            and not (region.x1 >= cols + tol or region.y1 >= rows + tol)
        )
        if usable:
            # the file's region still gives the depth; its scale is kept to be announced
            clip._spatial_region = region
            clip.file_spacing_cm = region.spacing_cm
        clip.spacing_cm = user_spacing
        clip.calibration_source = "user spacing"
        clip.calibration_note = (
            f"spacing {user_spacing[0]:g} x {user_spacing[1]:g} cm/px given by the user"
            + (
                f", overriding the file's {region.spacing_cm[0]:.4g} x {region.spacing_cm[1]:.4g} cm/px"
                if usable
                else ""
            )
        )
        return
    if region is not None and (region.x1 >= cols + tol or region.y1 >= rows + tol):
        clip.calibration_note = (
            f"the calibration region {region.bounds} lies outside the {cols} x {rows} "
            "image (resized after export?): its scale cannot be trusted"
        )
    elif implausible is not None:
        clip.calibration_note = f"the calibration region's scale is refused for areas: {implausible}"
    elif region is not None:
        clip.spacing_cm = region.spacing_cm
        clip._spatial_region = region
        clip.calibration_source = "regions"
        clip.calibration_note = f"from the {region.describe()} ultrasound region"
        return
    else:
        clip.calibration_note = _why_no_region(clip)
    if depth_cm is not None:
        from .geometry import detect_sector

        sample = list(range(0, clip.n_frames, max(1, clip.n_frames // 8)))[:8]
        sector = detect_sector(clip.read_frames(sample))
        if sector is None:
            raise CalibrationError(
                clip.path,
                "depth_cm given but no imaging sector (fan) was found in the frames",
                hint="pass spacing_cm=... instead",
            )
        s = sector.spacing_from_depth(depth_cm)
        clip.spacing_cm = (s, s)
        clip.user_depth_cm = float(depth_cm)
        clip.calibration_source = "depth + sector"
        clip.calibration_note = (
            f"{depth_cm:g} cm depth over a {sector.radius_px:.0f} px sector radius ({clip.calibration_note})"
        )


def _why_no_region(clip: EchoClip) -> str:
    """Why no region gives the clip a cm scale, in one line."""
    spatial = [r for r in clip.regions if r.is_2d]
    if spatial:
        if all(not r.is_spatial_cm for r in spatial):
            units = sorted({f"{r.units_x_name}/{r.units_y_name}" for r in spatial})
            return (
                f"the 2D region's physical units are {', '.join(units)}, not cm: "
                "areas are refused in those units"
            )
        if clip.colour_flow_region is None:
            return "several 2D regions with different scales and no colour-flow region to choose by"
        return "no cm-calibrated 2D region holds the colour-flow box"
    if clip.regions:
        return "the file's ultrasound regions hold no 2D image region"
    return "the file has no SequenceOfUltrasoundRegions"


def _frame_times(header: Any, n_frames: int) -> tuple[np.ndarray | None, str | None]:
    ftv = header.get("FrameTimeVector")
    if ftv is not None:
        values = [ftv] if np.isscalar(ftv) else list(ftv)
        try:
            inc = np.asarray([float(v) for v in values], dtype=np.float64)
        except (TypeError, ValueError):
            inc = np.empty(0)
        if len(inc) == n_frames and all(bounds.plausible_frame_time_ms(v) for v in inc[1:]):
            inc[0] = 0.0
            return np.cumsum(inc), "FrameTimeVector"
        logger.debug("ignoring FrameTimeVector of length %d for %d frames", len(inc), n_frames)
    for keyword, to_ms in (
        ("FrameTime", lambda v: v),
        ("CineRate", lambda v: 1000.0 / v),
        ("RecommendedDisplayFrameRate", lambda v: 1000.0 / v),
    ):
        value = header.get(keyword)
        if _finite(value) and float(value) > 0:
            dt = to_ms(float(value))
            if not bounds.plausible_frame_time_ms(dt):
                logger.debug("ignoring implausible %s", keyword)
                continue
            return np.arange(n_frames, dtype=np.float64) * dt, keyword
    return None, None


def _str(header: Any, keyword: str) -> str | None:
    value = header.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _metadata(header: Any) -> ClipMetadata:
    ts = header.file_meta.get("TransferSyntaxUID")
    return ClipMetadata(
        sop_class_uid=_str(header, "SOPClassUID"),
        modality=_str(header, "Modality"),
        manufacturer=_str(header, "Manufacturer"),
        model=_str(header, "ManufacturerModelName"),
        study_instance_uid=_str(header, "StudyInstanceUID"),
        series_instance_uid=_str(header, "SeriesInstanceUID"),
        sop_instance_uid=_str(header, "SOPInstanceUID"),
        acquisition_datetime=_acquisition_datetime(header),
        heart_rate_bpm=_plausible(header.get("HeartRate"), bounds.HEART_RATE_BPM),
        series_description=_str(header, "SeriesDescription"),
        study_description=_str(header, "StudyDescription"),
        series_number=_int(header, "SeriesNumber"),
        instance_number=_int(header, "InstanceNumber"),
        transfer_syntax_uid=str(ts),
        transfer_syntax=getattr(ts, "name", str(ts)),
        photometric_interpretation=str(header.get("PhotometricInterpretation", "")).strip(),
        view=_view_from_header(header),
    )


_TEE_WORDS = (
    "transesophageal",
    "transoesophageal",
    "trans-esophageal",
    "tee",
    "toe",
    "mid-esophageal",
    "mid esophageal",
    "midesophageal",
    "mid-oesophageal",
    "me 4c",
    "me4c",
    "me lax",
    "me commissural",
)
_TTE_WORDS = (
    "transthoracic",
    "tte",
    "apical",
    "parasternal",
    "subcostal",
    "a4c",
    "a2c",
    "a3c",
    "plax",
    "psax",
    "aplax",
)


def _view_from_header(header: Any) -> str | None:
    """ "tee" / "tte" from the words a header uses for its probe or view, else ``None``."""
    texts: list[str] = []
    try:
        for item in header.get("ViewCodeSequence") or []:
            texts.append(str(item.get("CodeMeaning", "")))
            for mod in item.get("ViewModifierCodeSequence") or []:
                texts.append(str(mod.get("CodeMeaning", "")))
        for kw in ("TransducerData", "SeriesDescription", "ProtocolName"):
            value = header.get(kw)
            if value:
                texts.append(
                    " ".join(map(str, value))
                    if not isinstance(value, str) and hasattr(value, "__iter__")
                    else str(value)
                )
    except Exception:  # a damaged element says nothing about the view
        return None
    import re

    words = " ".join(texts).lower()
    tokens = set(re.findall(r"[a-z0-9-]+", words))

    def hit(vocab: tuple[str, ...]) -> bool:
        return any(
            (w in tokens) if " " not in w else re.search(r"\b" + re.escape(w) + r"\b", words) is not None
            for w in vocab
        )

    tee, tte = hit(_TEE_WORDS), hit(_TTE_WORDS)
    if tee and not tte:
        return "tee"
    if tte and not tee:
        return "parasternal" if hit(("parasternal", "plax", "psax")) else "tte"
    return None


def _acquisition_datetime(header: Any) -> datetime | None:
    from pydicom.valuerep import DA, DT, TM

    dt = header.get("AcquisitionDateTime")
    if dt:
        try:
            return DT(str(dt))
        except ValueError:
            pass
    for date_kw, time_kw in (
        ("AcquisitionDate", "AcquisitionTime"),
        ("ContentDate", "ContentTime"),
        ("SeriesDate", "SeriesTime"),
        ("StudyDate", "StudyTime"),
    ):
        date = header.get(date_kw)
        if not date:
            continue
        try:
            d = DA(str(date))
            time = header.get(time_kw)
            t = TM(str(time)) if time else None
        except ValueError:
            continue
        if d is None:
            continue
        if t is None:
            return datetime(d.year, d.month, d.day)
        return datetime.combine(d, t)
    return None
