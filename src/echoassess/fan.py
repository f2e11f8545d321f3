"""Image geometry of an echo screen: the imaging sector.

Pure array code. A phased-array (cardiac) image is a fan: an apex at the
transducer, two straight edges and a far arc at the imaging depth. Knowing
the fan gives a pixel scale when the file has no calibration but the user
reads the depth off the screen: ``spacing = depth_cm / (apex to far arc)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Sector", "box_edge", "detect_sector", "open_grid", "sector_mask"]

#: Smallest side (px) of an image searched for a fan: a fan needs 20 rows of
#: straight edges, and the morphology below uses windows of up to 9 px.
_MIN_SIDE_PX = 24


@dataclass(frozen=True)
class Sector:
    """A detected imaging fan, in pixel coordinates (x = column, y = row).

    Attributes
    ----------
    apex_x, apex_y : float
        The fan's apex (may lie slightly above the image for a truncated fan).
    radius_px : float
        Distance from the apex to the far arc.
    angle_left_deg, angle_right_deg : float
        Directions of the two edges, measured from straight down, positive
        towards increasing x (so ``angle_left_deg < 0 < angle_right_deg`` for
        a fan centred under its apex).
    """

    apex_x: float
    apex_y: float
    radius_px: float
    angle_left_deg: float
    angle_right_deg: float

    @property
    def opening_deg(self) -> float:
        return self.angle_right_deg - self.angle_left_deg

    def spacing_from_depth(self, depth_cm: float) -> float:
        """cm per pixel when the far arc lies at ``depth_cm``."""
        return float(depth_cm) / self.radius_px

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        """``(rows, cols)`` bool mask of the pixels inside the fan."""
        return sector_mask(shape, self)


def open_grid(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(yy, xx)``: the pixel rows ``(h, 1)`` and columns ``(1, w)`` as float32, an
    open grid that arithmetic broadcasts to ``(h, w)`` (the same values as
    ``np.mgrid[0:h, 0:w].astype(np.float32)``, without building it).

    >>> yy, xx = open_grid((2, 3))
    >>> (yy + 10 * xx).tolist()
    [[0.0, 10.0, 20.0], [1.0, 11.0, 21.0]]
    """
    h, w = shape[:2]
    return np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]


def sector_mask(shape: tuple[int, int], sector: Sector) -> np.ndarray:
    """Boolean ``(rows, cols)`` mask of the pixels inside ``sector``."""
    yy, xx = open_grid(shape)
    dx = xx - sector.apex_x
    dy = yy - sector.apex_y
    r = np.hypot(dx, dy)
    theta = np.degrees(np.arctan2(dx, dy))
    return (
        (r <= sector.radius_px)
        & (theta >= sector.angle_left_deg)
        & (theta <= sector.angle_right_deg)
        & (dy > 0)
    )


# The morphology below is OpenCV's with zero borders, which gives exactly
# scipy.ndimage's binary_closing / binary_fill_holes / binary_opening / label
# (4-connected) results, without SciPy's ~0.2-0.4 s import at start-up.


def _dilate(mask: np.ndarray, kernel: np.ndarray, iterations: int = 1) -> np.ndarray:
    return cv2.dilate(mask, kernel, iterations=iterations, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _erode(mask: np.ndarray, kernel: np.ndarray, iterations: int = 1) -> np.ndarray:
    return cv2.erode(mask, kernel, iterations=iterations, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every background region not 4-connected to the border filled."""
    n, labels = cv2.connectedComponents((mask == 0).astype(np.uint8), connectivity=4)
    touches = np.zeros(n, bool)  # the labels on the border
    touches[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = True
    outside = touches[labels] & (mask == 0)
    return (~outside).astype(np.uint8)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)
    if n <= 1:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def _edge_line(y: np.ndarray, x: np.ndarray) -> tuple[float, float] | None:
    """Fit ``x = a*y + b`` to one fan edge, from the top down.

    Near the apex the fan's edges are sharp; lower down, dark tissue along an
    edge pulls the lit boundary inside the fan. So the line is fitted on the
    upper rows (after trimming outliers such as text merged into the tip) and
    extended downwards only while the rows stay on it.
    """
    n = len(y)
    if n < 10:
        return None
    m = max(10, n // 4)
    keep = np.zeros(n, bool)
    keep[:m] = True
    coef = np.polyfit(y[:m], x[:m], 1)
    for _ in range(8):  # trimmed fit on the top rows
        resid = np.abs(x[:m] - np.polyval(coef, y[:m]))
        new_keep = np.zeros(n, bool)
        new_keep[:m] = resid < max(3.0, 3.0 * float(np.median(resid)))
        if new_keep.sum() < 6:
            return None
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
        coef = np.polyfit(y[keep], x[keep], 1)
    # grow downwards while the boundary stays within a few pixels of the line
    last = int(np.flatnonzero(keep)[-1])
    misses = 0
    for i in range(last + 1, n):
        if abs(x[i] - np.polyval(coef, y[i])) < 4.0:
            keep[i] = True
            misses = 0
            if i % 8 == 0:
                coef = np.polyfit(y[keep], x[keep], 1)
        else:
            misses += 1
            if misses > 6:
                break
    coef = np.polyfit(y[keep], x[keep], 1)
    return float(coef[0]), float(coef[1])


def detect_sector(
    frames: np.ndarray,
    *,
    threshold: int = 12,
    min_fraction: float = 0.05,
    close_px: int = 5,
    open_px: int = 9,
    edge_rows: tuple[float, float] = (0.03, 0.9),
) -> Sector | None:
    """Find the imaging fan in one frame or a stack of frames.

    Parameters
    ----------
    frames : (H, W, 3) or (T, H, W, 3) uint8, or (H, W) / (T, H, W)
        RGB or grey frames. With several frames the maximum projection is
        used, so speckle that moves fills the fan.
    threshold : int
        Grey level above which a pixel counts as "lit".
    min_fraction : float
        Smallest fan area accepted, as a fraction of the image.
    close_px, open_px : int
        Square kernels that close the speckle gaps and open away text and traces.
    edge_rows : (float, float)
        The straight edges are fitted between these fractions of the way from
        the fan's top to its widest row.

    Returns
    -------
    Sector or None
        ``None`` when no fan-shaped region is found (e.g. a linear probe).

    Examples
    --------
    >>> import numpy as np
    >>> truth = Sector(100.0, 10.0, 150.0, -40.0, 40.0)
    >>> img = (sector_mask((200, 200), truth) * 120).astype(np.uint8)
    >>> found = detect_sector(img)
    >>> abs(found.radius_px - 150) < 3 and abs(found.apex_x - 100) < 2
    True
    """
    arr = np.asarray(frames)
    if arr.ndim == 4 or (arr.ndim == 3 and arr.shape[-1] != 3):
        arr = arr.max(axis=0)
    # the brightest channel (per channel: many times faster than max(axis=-1))
    grey = np.maximum(np.maximum(arr[..., 0], arr[..., 1]), arr[..., 2]) if arr.ndim == 3 else arr
    if grey.ndim != 2 or min(grey.shape) < _MIN_SIDE_PX:
        # too small for a fan, and scipy's iterated binary_closing corrupts
        # the heap on arrays smaller than its structuring element
        return None
    fan = _lit_fan(grey, threshold=threshold, close_px=close_px, open_px=open_px)
    rows, cols = grey.shape
    if fan.sum() < min_fraction * rows * cols:
        return None
    edges = _fan_edges(fan, edge_rows)
    if edges is None:
        return None
    return _sector_from_edges(fan, *edges)


def _lit_fan(grey: np.ndarray, *, threshold: int, close_px: int, open_px: int) -> np.ndarray:
    """The largest lit region: pixels above ``threshold``, speckle gaps closed
    (``close_px``), holes filled, thin text, lines and traces opened away (``open_px``)."""
    lit = (grey > threshold).astype(np.uint8)
    k_close, k_open = np.ones((close_px, close_px), np.uint8), np.ones((open_px, open_px), np.uint8)
    lit = _erode(_dilate(lit, k_close, 2), k_close, 2)
    lit = _fill_holes(lit)
    lit = _dilate(_erode(lit, k_open), k_open)
    return _largest_component(lit)


def _fan_edges(
    fan: np.ndarray, edge_rows: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The fan's straight edges ``x = a*y + b`` (left, right), fitted on the rows
    between the ``edge_rows`` fractions of the way from its top to its widest row
    (the arc takes over below); text merged into the top rows and ragged dark edges
    are outliers, rejected by an iteratively trimmed line fit."""
    rows = fan.shape[0]
    ys = np.flatnonzero(fan.any(axis=1))
    y_top, y_bottom = int(ys[0]), int(ys[-1])
    height = y_bottom - y_top + 1
    if height < 20:
        return None
    left = np.array([np.flatnonzero(fan[y])[0] if fan[y].any() else -1 for y in range(rows)])
    right = np.array([np.flatnonzero(fan[y])[-1] if fan[y].any() else -1 for y in range(rows)])
    width = right - left
    widest = int(np.argmax(np.where(left >= 0, width, -1)))
    lo = y_top + max(2, int(edge_rows[0] * height))
    hi = y_top + int(edge_rows[1] * (widest - y_top))
    if hi - lo < 10:
        return None
    yy = np.arange(lo, hi)
    fit_l = _edge_line(yy, left[lo:hi].astype(float))
    fit_r = _edge_line(yy, right[lo:hi].astype(float))
    if fit_l is None or fit_r is None:
        return None
    return fit_l, fit_r


def _sector_from_edges(
    fan: np.ndarray, fit_l: tuple[float, float], fit_r: tuple[float, float]
) -> Sector | None:
    """The sector whose apex is where the edges meet and whose radius reaches the
    fan's farthest pixels (99.9th percentile); ``None`` unless the edges diverge
    downwards into a fan wider than 5 degrees."""
    (al, bl), (ar, br) = fit_l, fit_r
    if not (ar - al) > 0.05:  # edges must diverge downwards
        return None
    apex_y = (bl - br) / (ar - al)
    apex_x = al * apex_y + bl
    angle_left = math.degrees(math.atan(al))
    angle_right = math.degrees(math.atan(ar))
    fy, fx = np.nonzero(fan)
    dist = np.hypot(fx - apex_x, fy - apex_y)
    radius = float(np.percentile(dist, 99.9))
    if not (radius > 10 and angle_right - angle_left > 5):
        return None
    return Sector(float(apex_x), float(apex_y), radius, angle_left, angle_right)


def box_edge(ever: np.ndarray, apex_xy: tuple[float, float], *, tol_px: float = 1.5) -> np.ndarray:
    """The edge of the colour display: where a flow seen touching it is cut off.

    ``ever`` is the colour flow of all frames together (crop-sized). The edge is
    the crop's border and, seen from the transducer at ``apex_xy``, the nearest
    and farthest depth and the two outermost angles at which any flow shows
    (a sector colour box), each within ``tol_px``.

    >>> ever = np.zeros((30, 30), bool); ever[5:25, 5:25] = True
    >>> e = box_edge(ever, (15.0, -100.0))
    >>> bool(e[15, 15]), bool(e[24, 15]), bool(e[5, 15]), bool(e[15, 5]), bool(e[0, 15])
    (False, True, True, True, True)
    """
    h, w = ever.shape
    edge = np.zeros((h, w), bool)
    edge[:1, :] = edge[-1:, :] = edge[:, :1] = edge[:, -1:] = True
    if not ever.any():
        return edge
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - apex_xy[0], yy - apex_xy[1]
    r = np.hypot(dx, dy)
    ang = np.arctan2(dx, dy)
    r_in, a_in = r[ever], ang[ever]
    edge |= r >= r_in.max() - tol_px
    edge |= r <= r_in.min() + tol_px
    edge |= r * (ang - a_in.min()) <= tol_px
    edge |= r * (a_in.max() - ang) <= tol_px
    return edge
