"""The clip container: :class:`EchoClip`, and :func:`read_clip` that opens one.

:func:`read_clip` reads the header once (:mod:`.header`), checks it against
the file (so a hostile or truncated header is refused before any decoding),
parses the regions (:mod:`.regions`), metadata and timing (:mod:`.metadata`),
records what the user said about the scale and settles the calibration that
needs no pixels (:mod:`.calibration`). It never looks at the image: a depth
read off the screen needs the imaging fan, which :func:`echoassess.load_clip`
finds before it recalibrates the clip.

The clip decodes frames on demand (:mod:`.pixels`): ``clip.frame(i)`` decodes
one frame and ``clip.iter_frames()`` streams them, so memory stays bounded for
long clips. Every frame is ``(rows, cols, 3) uint8`` RGB, whatever the storage.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import bounds
from ..errors import CalibrationError, FrameIndexError, InvalidParameterError
from .calibration import Calibration, CalibrationSource, UserCalibration, choose_calibration
from .header import check_image, read_header, reading_header
from .metadata import ClipMetadata, frame_times, read_metadata
from .pixels import DECODERS, FrameDecoder
from .regions import UltrasoundRegion, colour_flow_region, parse_regions, region_containing

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = ["EchoClip", "read_clip", "IDENTITY_KEYWORDS"]

logger = logging.getLogger("echoassess")

#: Attributes :meth:`EchoClip.read_header` removes unless asked for patient identity.
IDENTITY_KEYWORDS = (
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


class EchoClip:
    """An ultrasound clip opened by :func:`echoassess.load_clip` (or :func:`read_clip`).

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
    user_calibration : UserCalibration
        What the user said about the scale (``spacing_cm=``, ``depth_cm=``).
    calibration : Calibration
        The scale in use (:func:`~echoassess.dicom.calibration.choose_calibration`);
        :attr:`spacing_cm`, :attr:`calibration_source`, :attr:`calibration_note`,
        :attr:`spatial_region`, :attr:`file_spacing_cm` and :attr:`user_depth_cm`
        read it. Assign another :class:`Calibration` to recalibrate the clip.
    metadata : ClipMetadata
    """

    def __init__(
        self,
        path: Path,
        header: Dataset,
        frames: FrameDecoder,
        *,
        regions: tuple[UltrasoundRegion, ...],
        region_problems: tuple[str, ...],
        user_calibration: UserCalibration,
        calibration: Calibration,
    ) -> None:
        self.path = path
        self._header = header
        self._frames = frames
        self.n_frames = frames.n_frames
        self.shape: tuple[int, int, int] = frames.shape
        self.photometric_interpretation = frames.photometric_interpretation
        self.regions = regions
        self.region_problems = region_problems
        self.colour_flow_region = colour_flow_region(regions)
        self.frame_times_ms, self.timing_source = frame_times(header, self.n_frames)
        self.metadata: ClipMetadata = read_metadata(header)
        self.user_calibration = user_calibration
        self.calibration = calibration

    @property
    def decoder(self) -> str:
        """``"libjpeg-turbo"`` when frames are decoded by the fast path (with
        pydicom as the fallback for any frame it cannot promise), else ``"pydicom"``."""
        return self._frames.decoder

    # -- frames --------------------------------------------------------------
    def __len__(self) -> int:
        return self.n_frames

    def __repr__(self) -> str:
        rows, cols, _ = self.shape
        spacing = self.spacing_cm
        cal = f"{spacing[0]:.4f} x {spacing[1]:.4f} cm/px" if spacing else "uncalibrated"
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
        return self._frames.frame(self._check_index(index))

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
        yield from self._frames.iter_frames(wanted)

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

    # -- calibration --------------------------------------------------------
    @property
    def spacing_cm(self) -> tuple[float, float] | None:
        """``(dx, dy)`` cm per pixel for the 2D image holding the colour flow, or
        ``None`` when the clip is uncalibrated (areas will be in pixels)."""
        return self.calibration.spacing_cm

    @property
    def calibration_source(self) -> CalibrationSource | None:
        """``"regions"``, ``"user spacing"``, ``"depth + sector"`` or ``None``."""
        return self.calibration.source

    @property
    def calibration_note(self) -> str:
        """Why the calibration is what it is, in one line."""
        return self.calibration.note

    @property
    def file_spacing_cm(self) -> tuple[float, float] | None:
        """The file's own cm/px scale when the user's ``spacing_cm`` replaced it."""
        return self.calibration.file_spacing_cm

    @property
    def user_depth_cm(self) -> float | None:
        """The depth the user gave (``depth_cm=``), when it calibrated the clip."""
        return self.calibration.user_depth_cm

    @property
    def is_calibrated(self) -> bool:
        return self.calibration.is_calibrated

    @property
    def pixel_area_cm2(self) -> float | None:
        """Area of one pixel in cm^2, or ``None`` when uncalibrated."""
        spacing = self.spacing_cm
        return None if spacing is None else spacing[0] * spacing[1]

    @property
    def spatial_region(self) -> UltrasoundRegion | None:
        """The file's calibrated 2D region holding the colour box: its scale is
        :attr:`spacing_cm` unless the user's ``spacing_cm`` replaced it (then
        :attr:`file_spacing_cm`); its reference pixel still gives the depth and apex."""
        return self.calibration.region

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
        region = self.spatial_region
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
            holder = self.spatial_region
            if holder is None or not holder.transducer_frequency_khz:
                return None
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

    # -- header ---------------------------------------------------------------
    def read_header(self, *, include_patient_identity: bool = False) -> Dataset:
        """The pydicom header (without pixel data).

        Patient name, ID, birth date and other identifying attributes are
        removed unless ``include_patient_identity=True``.
        """
        ds = copy.deepcopy(self._header)
        if not include_patient_identity:
            for keyword in IDENTITY_KEYWORDS:
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


def read_clip(
    path: str | os.PathLike[str],
    *,
    spacing_cm: float | tuple[float, float] | None = None,
    depth_cm: float | None = None,
    decoder: str = "libjpeg-turbo",
) -> EchoClip:
    """Open an ultrasound DICOM clip, calibrated from the file and the user's spacing.

    The user's ``depth_cm`` is recorded (``clip.user_calibration``) but needs
    the imaging fan to become a scale: :func:`echoassess.load_clip` finds it.
    The parameters and errors are those of :func:`echoassess.load_clip`.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> clip = read_clip(get_testdata_file("color3d_jpeg_baseline.dcm"))
    >>> clip.n_frames, clip.shape, clip.calibration_source
    (120, (480, 640, 3), <CalibrationSource.REGIONS: 'regions'>)
    """
    p = Path(path)
    if decoder not in DECODERS:
        raise InvalidParameterError(p, f"decoder={decoder!r} must be 'pydicom' or 'libjpeg-turbo'")
    user = UserCalibration.checked(p, spacing_cm, depth_cm)
    header, layout = read_header(p)
    with reading_header(p):
        checked_layout, image = check_image(p, header, layout)
        frames = FrameDecoder(p, header, checked_layout, image, decoder=decoder)
        regions, problems = parse_regions(header)
        clip = EchoClip(
            p,
            header,
            frames,
            regions=regions,
            region_problems=problems,
            user_calibration=user,
            calibration=choose_calibration(regions, user, image_shape=(image.rows, image.cols)),
        )
    for problem in problems:
        logger.warning("%s: %s", p, problem)
    return clip
