"""Plausibility bounds: what a real echo clip can be, in one place.

A DICOM header is data from outside: any number in it may be absurd (a
flipped byte, a hostile file). The loader and the analysis check the numbers
they use against these bounds and refuse, with a reason, what no echo machine
writes, instead of letting it reach array code or a result table.

Pure Python; :mod:`echoassess.dicom` and :mod:`echoassess.pipeline` call it.

Examples
--------
>>> plausible_spacing_cm((0.02, 0.02), rows=800)
>>> plausible_spacing_cm((50.0, 50.0), rows=800)
'a 2D region 800 px high at 50 cm/px would image 4e+04 cm deep (plausible: 1-40 cm)'
>>> plausible_frame_time_ms(33.3), plausible_frame_time_ms(1e-300)
(True, False)
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InvalidDimensionsError

__all__ = [
    "MIN_ANALYSIS_SIDE_PX",
    "MAX_SIDE_PX",
    "MAX_FRAMES",
    "MAX_FRAME_BYTES",
    "DEPTH_CM",
    "FRAME_TIME_MS",
    "NYQUIST_CM_S",
    "HEART_RATE_BPM",
    "MIN_COLOUR_BOX_SIDE_PX",
    "finite",
    "finite_or_none",
    "plausible_spacing_cm",
    "plausible_frame_time_ms",
    "within",
    "check_analysable",
]

#: Smallest rows / columns the jet analysis accepts: the sector search and the
#: morphology use windows of up to 9 px on a half-size copy, and no echo
#: screen is smaller than this.
MIN_ANALYSIS_SIDE_PX = 64
#: Largest rows / columns the loader accepts.
MAX_SIDE_PX = 16384
#: Largest frame count the loader accepts.
MAX_FRAMES = 100_000
#: Largest decoded frame the loader accepts, in bytes.
MAX_FRAME_BYTES = 512 * 1024**2
#: Imaging depth (and so the height of a 2D region times its cm/px) of any
#: cardiac or abdominal probe, in cm.
DEPTH_CM = (1.0, 40.0)
#: Time between frames: 1000 Hz .. 0.1 Hz.
FRAME_TIME_MS = (1.0, 10_000.0)
#: Colour-Doppler Nyquist limits echo machines show, in cm/s.
NYQUIST_CM_S = (1.0, 1000.0)
#: Heart rates a header may state.
HEART_RATE_BPM = (10.0, 400.0)
#: Smallest colour box (after clamping to the image) worth analysing.
MIN_COLOUR_BOX_SIDE_PX = 8


def finite(value: Any) -> bool:
    """True when ``value`` converts to a finite float.

    >>> finite(1.5), finite(float("inf")), finite("x"), finite(None)
    (True, False, False, False)
    """
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def finite_or_none(value: Any) -> float | None:
    """``float(value)`` when finite, else ``None`` (never NaN or Infinity)."""
    return float(value) if finite(value) else None


def within(value: Any, bounds: tuple[float, float]) -> bool:
    """True when ``value`` is finite and ``bounds[0] <= value <= bounds[1]``."""
    return finite(value) and bounds[0] <= float(value) <= bounds[1]


def plausible_frame_time_ms(value: Any) -> bool:
    """True for a time between frames an echo machine can record."""
    return within(value, FRAME_TIME_MS)


def plausible_spacing_cm(
    spacing_cm: tuple[float, float], *, rows: int, cols: int | None = None
) -> str | None:
    """Why a region's cm-per-pixel scale is implausible, or ``None`` when it is fine.

    Parameters
    ----------
    spacing_cm : (dx, dy)
        cm per pixel.
    rows, cols : int
        Height and width in pixels of the region the scale applies to.

    Returns
    -------
    str or None
        A one-line reason (no header values other than the checked numbers).
    """
    dx, dy = spacing_cm
    if not (finite(dx) and finite(dy) and dx > 0 and dy > 0):
        return "its cm/px scale is zero, negative or not a finite number"
    lo, hi = DEPTH_CM
    depth = rows * dy
    if not lo <= depth <= hi:
        return (
            f"a 2D region {rows} px high at {dy:.3g} cm/px would image {depth:.3g} cm deep "
            f"(plausible: {lo:g}-{hi:g} cm)"
        )
    if cols is not None:
        width = cols * dx
        if not width <= 2 * hi:
            return (
                f"a 2D region {cols} px wide at {dx:.3g} cm/px would be {width:.3g} cm wide "
                f"(plausible: up to {2 * hi:g} cm)"
            )
    ratio = dx / dy
    if not 0.25 <= ratio <= 4.0:
        return f"its x and y scales differ {max(ratio, 1 / ratio):.3g}-fold"
    return None


def check_analysable(path: Any, shape: tuple[int, ...], colour_box: tuple[int, int, int, int] | None) -> None:
    """Refuse a clip the jet analysis cannot measure, before any image operation.

    Parameters
    ----------
    path : path
        The clip's file (named in the error).
    shape : (rows, cols, ...)
        The frame shape.
    colour_box : (x0, y0, x1, y1) or None
        The colour-flow region's inclusive bounds when the file declares one.

    Raises
    ------
    InvalidDimensionsError
        The image is smaller than :data:`MIN_ANALYSIS_SIDE_PX` on a side, or the
        declared colour-flow region holds (almost) no pixel of the image.
    """
    rows, cols = int(shape[0]), int(shape[1])
    m = MIN_ANALYSIS_SIDE_PX
    if rows < m or cols < m:
        raise InvalidDimensionsError(
            path,
            f"the image is {rows} x {cols} px (rows x columns), too small to analyse (minimum {m} x {m})",
            hint="is this a thumbnail or a damaged header? analyse the full-size export",
        )
    if colour_box is None:
        return
    x0, y0, x1, y1 = (int(v) for v in colour_box)
    w = min(cols - 1, x1) - max(0, x0) + 1
    h = min(rows - 1, y1) - max(0, y0) + 1
    if w < MIN_COLOUR_BOX_SIDE_PX or h < MIN_COLOUR_BOX_SIDE_PX:
        raise InvalidDimensionsError(
            path,
            f"the colour-flow region {x0},{y0} - {x1},{y1} leaves {max(w, 0)} x "
            f"{max(h, 0)} px inside the {cols} x {rows} image",
            hint="the region lies outside the image: the file was probably resized or damaged",
        )
