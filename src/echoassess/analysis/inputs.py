"""Stage 1, the inputs: the clip, the user's hints checked against its frame, and
the acquisition settings (from the file, or the user where the file is silent).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import bounds, postteer, provenance
from ..dicom import EchoClip
from ..dicom.calibration import UserCalibration
from ..errors import InvalidParameterError
from ..loading import load_clip
from ..results import AcquisitionSettings

__all__ = ["Hints", "acquisition_settings", "check_hints", "open_clip"]

Point = tuple[float, float]


@dataclass(frozen=True)
class Hints:
    """The user's hints, checked (pixels, full frame); ``None`` where not given."""

    nyquist_cm_s: float | None
    depth_cm: float | None
    view: str
    annulus: tuple[Point, Point] | None
    valve_xy: Point | None
    roi_xyxy: tuple[int, int, int, int] | None
    la_polygon: tuple[Point, ...] | None

    @property
    def any_placement(self) -> bool:
        """Whether a hint places the valve or the atrium (annulus, valve point, roi)."""
        return self.annulus is not None or self.valve_xy is not None or self.roi_xyxy is not None


def open_clip(
    clip_or_path: EchoClip | str | os.PathLike[str],
    *,
    spacing_cm: float | tuple[float, float] | None,
    depth_cm: float | None,
) -> EchoClip:
    """The clip, loaded (again, when a loaded clip is given with a calibration
    other than the one it was loaded with) and checked to be analysable."""
    if isinstance(clip_or_path, EchoClip):
        clip = clip_or_path
        if spacing_cm is not None or depth_cm is not None:
            asked = UserCalibration.checked(clip.path, spacing_cm, depth_cm)
            if asked != clip.user_calibration:
                clip = load_clip(clip.path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    else:
        clip = load_clip(clip_or_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    bounds.check_analysable(
        clip.path, clip.shape, None if clip.colour_flow_region is None else clip.colour_flow_region.bounds
    )
    return clip


def check_hints(
    clip: EchoClip,
    *,
    nyquist_cm_s: float | None,
    depth_cm: float | None,
    view: str | None,
    annulus: Any,
    valve_xy: Any,
    roi_xyxy: Any,
    la_polygon: Any,
) -> tuple[Hints, list[dict[str, Any]], list[str]]:
    """The hints checked against the clip, the user inputs the result records and
    the warnings they raise (a conflict with the file)."""
    if nyquist_cm_s is not None and not (
        isinstance(nyquist_cm_s, (int, float)) and math.isfinite(nyquist_cm_s) and 0 < nyquist_cm_s < 1000
    ):
        raise InvalidParameterError(
            clip.path, f"nyquist_cm_s={nyquist_cm_s!r} must be a velocity in cm/s (e.g. 60)"
        )
    rows, cols, _ = clip.shape
    hints = Hints(
        nyquist_cm_s=nyquist_cm_s,
        depth_cm=depth_cm,
        view=check_view(clip.path, view),
        annulus=check_annulus(clip.path, annulus, (rows, cols)),
        valve_xy=check_point(clip.path, "valve", valve_xy, (rows, cols)),
        roi_xyxy=check_roi(clip.path, roi_xyxy, (rows, cols)),
        la_polygon=postteer.check_la_polygon(clip.path, la_polygon, (rows, cols)),
    )
    user_inputs, warnings = provenance.describe_inputs(
        clip,
        nyquist_cm_s=nyquist_cm_s,
        file_nyquist_cm_s=clip.nyquist_cm_s,
        depth_cm=depth_cm,
        view=hints.view,
        annulus=hints.annulus,
        valve_xy=hints.valve_xy,
        roi_xyxy=hints.roi_xyxy,
    )
    return hints, user_inputs, warnings


def acquisition_settings(clip: EchoClip, hints: Hints) -> AcquisitionSettings:
    """The settings the file carries, unless the user gave them; the file's depth
    stays (its calibration is the one used) when the user's disagrees."""
    nyquist_cm_s = hints.nyquist_cm_s
    nyquist_source = "user" if nyquist_cm_s is not None else None
    if nyquist_cm_s is None and clip.nyquist_cm_s is not None:
        nyquist_cm_s, nyquist_source = clip.nyquist_cm_s, "file (PRF and transducer frequency)"
    user_depth = hints.depth_cm if hints.depth_cm is not None else clip.user_depth_cm
    depth_cm, depth_source = None, None
    if clip.depth_cm is not None:
        depth_cm, depth_source = clip.depth_cm, "file (ultrasound region)"
    elif user_depth is not None:
        depth_cm, depth_source = user_depth, "user"
    return AcquisitionSettings(
        nyquist_cm_s=None if nyquist_cm_s is None else round(float(nyquist_cm_s), 2),
        nyquist_source=nyquist_source,
        frame_rate_hz=clip.frame_rate_hz,
        depth_cm=None if depth_cm is None else round(float(depth_cm), 2),
        depth_source=depth_source,
        heart_rate_bpm=clip.metadata.heart_rate_bpm,
        manufacturer=clip.metadata.manufacturer,
        model=clip.metadata.model,
    )


def check_point(path: Any, name: str, value: Any, shape: tuple[int, int]) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            path, f"{name}={value!r} must be two numbers (x, y) in pixels", hint="e.g. 400,300"
        ) from None
    rows, cols = shape
    if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < cols and 0 <= y < rows):
        raise InvalidParameterError(
            path,
            f"{name}={value!r} lies outside the {cols} x {rows} image",
        )
    return x, y


def check_roi(path: Any, value: Any, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            path,
            f"roi={value!r} must be four numbers x0,y0,x1,y1 in pixels",
            hint="e.g. 300,300,500,450",
        ) from None
    rows, cols = shape
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (x1 > x0 and y1 > y0):
        raise InvalidParameterError(path, f"roi={value!r} must have x1 > x0 and y1 > y0")
    if x1 < 0 or y1 < 0 or x0 >= cols or y0 >= rows:
        raise InvalidParameterError(path, f"roi={value!r} lies outside the {cols} x {rows} image")
    return (
        max(0, int(round(x0))),
        max(0, int(round(y0))),
        min(cols - 1, int(round(x1))),
        min(rows - 1, int(round(y1))),
    )


VIEWS = ("auto", "tte", "tee")


def check_view(path: Any, view: Any) -> str:
    if view is None:
        return "auto"
    v = str(view).lower()
    if v not in VIEWS:
        raise InvalidParameterError(
            path,
            f"view={view!r} must be one of {', '.join(VIEWS)}",
            hint="tte: transthoracic (apical, parasternal); tee: transoesophageal",
        )
    return v


def check_annulus(
    path: Any, value: Any, shape: tuple[int, int]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if value is None:
        return None
    try:
        flat = [float(v) for v in np.asarray(value, dtype=float).ravel()]
    except (TypeError, ValueError):
        flat = []
    if len(flat) != 4:
        raise InvalidParameterError(
            path,
            f"annulus={value!r} must be two points ((x1, y1), (x2, y2)) in pixels",
            hint="the two mitral annulus hinge points, e.g. 300,310,380,300",
        )
    p1 = check_point(path, "annulus", flat[:2], shape)
    p2 = check_point(path, "annulus", flat[2:], shape)
    assert p1 is not None and p2 is not None
    if math.hypot(p2[0] - p1[0], p2[1] - p1[1]) < 4:
        raise InvalidParameterError(path, f"annulus={value!r}: the two points are too close")
    return p1, p2
