"""Physical calibration of a clip: which scale its pixels have, and why.

:func:`choose_calibration` is a pure function of what is known about a clip:
the file's ultrasound regions, what the user gave (:class:`UserCalibration`)
and, for a depth read off the screen, the imaging fan found in the frames. In
order of precedence:

1. the user's ``spacing_cm`` (the file's 2D region, when usable, still gives
   the depth and the apex);
2. the file's 2D region holding the colour flow, when its scale is plausible
   and it lies inside the image;
3. the user's ``depth_cm`` over the fan's radius (needs a ``sector``);
4. none: areas stay in pixels, and the note says why.

The DICOM reader never looks at the pixels: it calls this without a sector,
and :func:`echoassess.load_clip` detects the fan and calls it again when
:func:`needs_sector` says the depth is the only way to a scale.

Examples
--------
>>> from echoassess.dicom.regions import UltrasoundRegion
>>> tissue = UltrasoundRegion(1, 1, 0, 0, 639, 479, 3, 3, 0.03, 0.03)
>>> cal = choose_calibration([tissue], UserCalibration(), image_shape=(480, 640))
>>> cal.spacing_cm, cal.source
((0.03, 0.03), <CalibrationSource.REGIONS: 'regions'>)
>>> choose_calibration([], UserCalibration(), image_shape=(480, 640)).note
'the file has no SequenceOfUltrasoundRegions'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .. import bounds
from ..errors import InvalidParameterError
from .regions import UltrasoundRegion, colour_flow_region, spatial_region_for

__all__ = [
    "CalibrationSource",
    "UserCalibration",
    "Calibration",
    "SectorLike",
    "choose_calibration",
    "needs_sector",
    "UNCALIBRATED",
]

#: How far (px) a region's far corner may lie beyond the image: some writers
#: put MaxX1 = Columns instead of Columns - 1.
_EDGE_TOLERANCE_PX = 2


class CalibrationSource(StrEnum):
    """Where a clip's cm-per-pixel scale came from (a ``str``: JSON and tables show the value)."""

    REGIONS = "regions"
    USER_SPACING = "user spacing"
    DEPTH_SECTOR = "depth + sector"


@dataclass(frozen=True)
class UserCalibration:
    """What the user said about the scale: a pixel spacing or the imaging depth on screen."""

    spacing_cm: tuple[float, float] | None = None
    depth_cm: float | None = None

    @classmethod
    def checked(cls, path: Path | None, spacing_cm: Any = None, depth_cm: Any = None) -> UserCalibration:
        """Validate the user's values (a scalar spacing means square pixels).

        Raises
        ------
        InvalidParameterError
            A spacing that is not a positive cm/px value (or pair), or a depth
            that is not a positive depth in cm.

        Examples
        --------
        >>> UserCalibration.checked(None, 0.03)
        UserCalibration(spacing_cm=(0.03, 0.03), depth_cm=None)
        """
        spacing = None
        if spacing_cm is not None:
            values = (spacing_cm, spacing_cm) if np.isscalar(spacing_cm) else tuple(spacing_cm)
            if len(values) != 2 or not all(bounds.finite(v) and 0 < float(v) < 10 for v in values):
                raise InvalidParameterError(
                    path,
                    f"spacing_cm={spacing_cm!r} must be a positive cm-per-pixel value "
                    "or a (dx, dy) pair (typically 0.01-0.1)",
                )
            spacing = (float(values[0]), float(values[1]))
        if depth_cm is not None and not (bounds.finite(depth_cm) and 0 < float(depth_cm) < 100):
            raise InvalidParameterError(
                path, f"depth_cm={depth_cm!r} must be a positive depth in cm (e.g. 16)"
            )
        return cls(spacing, None if depth_cm is None else float(depth_cm))


class SectorLike(Protocol):
    """The imaging fan as calibration needs it (:class:`echoassess.fan.Sector` is one)."""

    @property
    def radius_px(self) -> float: ...

    def spacing_from_depth(self, depth_cm: float) -> float: ...


@dataclass(frozen=True)
class Calibration:
    """A clip's pixel scale, where it came from, and the file region behind it.

    Attributes
    ----------
    spacing_cm : (float, float) or None
        ``(dx, dy)`` cm per pixel; ``None``: uncalibrated (areas in pixels).
    source : CalibrationSource or None
    note : str
        Why the calibration is what it is, in one line.
    region : UltrasoundRegion or None
        The file's calibrated 2D region holding the colour box (its reference
        pixel gives the depth and the apex), also when the user's spacing
        replaced its scale.
    file_spacing_cm : (float, float) or None
        The file's own scale when the user's spacing replaced it.
    user_depth_cm : float or None
        The user's depth, when it calibrated the clip.
    """

    spacing_cm: tuple[float, float] | None
    source: CalibrationSource | None
    note: str
    region: UltrasoundRegion | None = None
    file_spacing_cm: tuple[float, float] | None = None
    user_depth_cm: float | None = None

    @property
    def is_calibrated(self) -> bool:
        return self.spacing_cm is not None


#: The calibration of a clip nothing is known about.
UNCALIBRATED = Calibration(None, None, "not calibrated")


def choose_calibration(
    regions: Sequence[UltrasoundRegion],
    user: UserCalibration,
    sector: SectorLike | None = None,
    *,
    image_shape: tuple[int, int],
) -> Calibration:
    """The clip's calibration from its regions, the user's values and the fan.

    Parameters
    ----------
    regions : sequence of UltrasoundRegion
        The file's regions (:func:`~echoassess.dicom.regions.parse_regions`).
    user : UserCalibration
    sector : SectorLike, optional
        The imaging fan; used only when the user's depth is the only way to a
        scale (see :func:`needs_sector`).
    image_shape : (rows, cols)
        A region reaching beyond the image (a resized export) is not trusted.

    Returns
    -------
    Calibration
        Uncalibrated (with the reason in ``note``) when nothing gives a scale,
        including a depth without a sector.
    """
    region, refusal = _file_region(regions, image_shape)
    if user.spacing_cm is not None:
        dx, dy = user.spacing_cm
        note = f"spacing {dx:g} x {dy:g} cm/px given by the user"
        if region is not None and region.spacing_cm is not None:
            fx, fy = region.spacing_cm
            note += f", overriding the file's {fx:.4g} x {fy:.4g} cm/px"
            return Calibration(
                user.spacing_cm, CalibrationSource.USER_SPACING, note, region, region.spacing_cm
            )
        return Calibration(user.spacing_cm, CalibrationSource.USER_SPACING, note)
    if region is not None:
        note = f"from the {region.describe()} ultrasound region"
        return Calibration(region.spacing_cm, CalibrationSource.REGIONS, note, region)
    why = refusal or _why_no_region(regions)
    if user.depth_cm is None or sector is None:
        return Calibration(None, None, why)
    s = sector.spacing_from_depth(user.depth_cm)
    note = f"{user.depth_cm:g} cm depth over a {sector.radius_px:.0f} px sector radius ({why})"
    return Calibration((s, s), CalibrationSource.DEPTH_SECTOR, note, user_depth_cm=user.depth_cm)


def needs_sector(
    regions: Sequence[UltrasoundRegion], user: UserCalibration, *, image_shape: tuple[int, int]
) -> bool:
    """Whether the user's depth is the only way to a scale, so the fan must be found.

    >>> needs_sector([], UserCalibration(depth_cm=16.0), image_shape=(480, 640))
    True
    >>> needs_sector([], UserCalibration(spacing_cm=(0.03, 0.03), depth_cm=16.0), image_shape=(480, 640))
    False
    """
    if user.depth_cm is None or user.spacing_cm is not None:
        return False
    return _file_region(regions, image_shape)[0] is None


def _file_region(
    regions: Sequence[UltrasoundRegion], image_shape: tuple[int, int]
) -> tuple[UltrasoundRegion | None, str | None]:
    """The file's usable calibrated 2D region, or ``None`` and (when a region
    exists but is refused) the reason."""
    rows, cols = image_shape
    region = spatial_region_for(regions)
    if region is None or region.spacing_cm is None:
        return None, None
    if region.x1 >= cols + _EDGE_TOLERANCE_PX or region.y1 >= rows + _EDGE_TOLERANCE_PX:
        return None, (
            f"the calibration region {region.bounds} lies outside the {cols} x {rows} "
            "image (resized after export?): its scale cannot be trusted"
        )
    implausible = bounds.plausible_spacing_cm(region.spacing_cm, rows=region.height, cols=region.width)
    if implausible is not None:
        return None, f"the calibration region's scale is refused for areas: {implausible}"
    return region, None


def _why_no_region(regions: Sequence[UltrasoundRegion]) -> str:
    """Why no region gives the clip a cm scale, in one line."""
    spatial = [r for r in regions if r.is_2d]
    if spatial:
        if all(not r.is_spatial_cm for r in spatial):
            units = sorted({f"{r.units_x_name}/{r.units_y_name}" for r in spatial})
            return (
                f"the 2D region's physical units are {', '.join(units)}, not cm: "
                "areas are refused in those units"
            )
        if colour_flow_region(regions) is None:
            return "several 2D regions with different scales and no colour-flow region to choose by"
        return "no cm-calibrated 2D region holds the colour-flow box"
    if regions:
        return "the file's ultrasound regions hold no 2D image region"
    return "the file has no SequenceOfUltrasoundRegions"
