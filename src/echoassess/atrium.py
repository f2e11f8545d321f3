"""The left atrium's blood pool on one frame, from the B-mode and the mitral annulus.

Pure array code, in pixel coordinates of the full frame (x = column, y = row).

Blood is dark on B-mode, the walls around it bright. On the frame where the
jet is largest (systole, the valve closed), the atrium is the dark region on
the atrial side of the annulus line that holds the jet's origin:

1. grey level of every pixel (colour pixels count as blood: the colour box
   paints flow over the B-mode);
2. speckle smoothed over ``smooth_cm``; a pixel is blood when it is darker
   than a threshold set between the blood and tissue levels of the region
   around the valve (Otsu on the log grey, so gain does not matter);
3. the annulus line closes the atrium's base: only pixels on the atrial side
   count, and within ``base_cm`` of the line only those between the hinges
   (the ventricle's blood, just behind the closed leaflets, stays out);
4. a dark *core* (a stricter threshold, then an opening of ``open_cm`` that
   cuts leaks through narrow wall gaps): the region holding the atrial side
   of the valve's centre;
5. the outline: from the core's centre, along 360 rays, the first rise above
   the blood/tissue midpoint (sub-pixel), never more than ``margin_cm`` past
   the core; rays much longer than their neighbours (through a wall dropout
   or the clip's shadow) take their neighbours' median;
6. an atrium that touches the border of the imaging fan (or of the screen)
   on more than ``max_edge_frac`` of its outline is not fully in the image:
   it is reported as "cannot measure" rather than as a too-small area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .colourflow import channel_max, channel_min
from .fan import open_grid
from .vena import running_median

__all__ = ["AtriumResult", "la_blood_pool", "grey_and_colour"]


@dataclass(frozen=True)
class AtriumResult:
    """The left-atrial blood pool on one frame.

    ``mask`` is ``(H, W)`` bool, or ``None`` when the atrium was not found;
    ``complete`` is ``False`` when it is cut by the fan's or the screen's edge
    (its area is then not reported); ``reason`` says why it is missing or cut.
    """

    mask: np.ndarray | None
    area_px: int
    complete: bool
    reason: str = ""
    edge_frac: float = 0.0
    area_poly_px: float = 0.0
    outline_xy: tuple[tuple[float, float], ...] = ()


def grey_and_colour(frame: np.ndarray, *, min_chroma: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """``(grey, colour)`` of an ``(H, W, 3)`` uint8 RGB frame: the mean channel
    (float32) and the pixels whose channels differ by more than ``min_chroma``."""
    f = np.asarray(frame)
    # channel by channel: 16x faster than reductions along axis 2, the same numbers
    grey = (f[..., 0].astype(np.float32) + f[..., 1] + f[..., 2]) / np.float32(3)
    colour = (channel_max(f).astype(np.int16) - channel_min(f)) > min_chroma
    return grey, colour


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=128)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w = hist.astype(float)
    c0 = np.cumsum(w)
    c1 = c0[-1] - c0
    m0 = np.cumsum(w * centres)
    mu0 = m0 / np.maximum(c0, 1e-9)
    mu1 = (m0[-1] - m0) / np.maximum(c1, 1e-9)
    between = c0 * c1 * (mu0 - mu1) ** 2
    return float(centres[int(np.argmax(between))])


def la_blood_pool(
    grey: np.ndarray,
    *,
    annulus_xy: tuple[tuple[float, float], tuple[float, float]],
    normal_xy: tuple[float, float],
    spacing_cm: tuple[float, float],
    fan: np.ndarray | None = None,
    blood: np.ndarray | None = None,
    seed_xy: tuple[float, float] | None = None,
    smooth_cm: float = 0.12,
    open_cm: float = 0.5,
    margin_cm: float = 0.3,
    base_cm: float = 0.5,
    reach_cm: float = 9.0,
    max_edge_frac: float = 0.08,
    min_area_cm2: float = 2.0,
    core_level: float = 0.25,
    edge_level: float = 0.5,
) -> AtriumResult:
    """The left atrium's blood pool on one frame (the steps: module docstring).

    Parameters
    ----------
    grey : (H, W) float or uint8
        The B-mode grey level (see :func:`grey_and_colour`).
    annulus_xy : ((x1, y1), (x2, y2))
        The mitral annulus hinge points (pixels).
    normal_xy : (float, float)
        Unit normal of the annulus pointing into the atrium.
    spacing_cm : (dx, dy)
        cm per pixel.
    fan : (H, W) bool, optional
        The imaging fan; the whole screen when omitted.
    blood : (H, W) bool, optional
        Pixels to count as blood whatever their grey (the colour pixels).
    seed_xy : (x, y), optional
        A point inside the atrium (default: the pool just past the annulus centre).

    Returns
    -------
    AtriumResult

    Examples
    --------
    >>> g = np.full((200, 200), 180, np.float32)
    >>> yy, xx = np.mgrid[0:200, 0:200]
    >>> pool = (xx - 100) ** 2 / 50 ** 2 + (yy - 110) ** 2 / 60 ** 2 < 1
    >>> g[pool] = 5
    >>> r = la_blood_pool(g, annulus_xy=((60, 60), (140, 60)), normal_xy=(0, 1),
    ...                   spacing_cm=(0.05, 0.05))
    >>> r.complete, bool(abs(r.area_poly_px / (pool & (yy > 60)).sum() - 1) < 0.03)
    (True, True)
    """
    g = np.asarray(grey, np.float32)
    h, w = g.shape
    s_px = float(np.sqrt(spacing_cm[0] * spacing_cm[1]))
    shown = _shown_region(g, blood, s_px)
    fan = shown if fan is None else (np.asarray(fan, bool) & shown)
    ann = _Annulus.of(annulus_xy, normal_xy, base_px=base_cm / s_px)
    yy, xx = open_grid((h, w))
    t, d = ann.along(xx, yy), ann.depth(xx, yy)
    sm = _smoothed_grey(g, blood, sigma=max(0.8, smooth_cm / s_px))
    reach = reach_cm / s_px
    region = fan & (d > -reach * 0.3) & (np.hypot(t, d) < reach)
    if region.sum() < 50:
        return AtriumResult(None, 0, False, "the atrial side of the valve is outside the image")
    lo, hi = _blood_levels(sm[region])
    cand = (sm < lo + core_level * (hi - lo)) & fan & ann.atrial_side(t, d)
    r_open = max(1, int(round(open_cm / s_px / 2)))
    core, reason = _pool_core(cand, ann, t, d, r_open=r_open, s_px=s_px, seed_xy=seed_xy)
    if core is None:
        return AtriumResult(None, 0, False, reason)
    origin = _core_centre(core, r_open, s_px)
    rays = _cast_rays(sm, fan, core, ann, origin, reach=reach, margin_px=max(1, int(round(margin_cm / s_px))))
    radius, open_ray = _drop_leaks(*_ray_radii(rays, ann, thr_edge=lo + edge_level * (hi - lo)))
    poly = np.stack([origin[0] + np.cos(rays.ang) * radius, origin[1] + np.sin(rays.ang) * radius], axis=1)
    return _outline_result(
        poly, open_ray, (h, w), s_px, max_edge_frac=max_edge_frac, min_area_cm2=min_area_cm2
    )


@dataclass(frozen=True)
class _Annulus:
    """The annulus line as a frame of reference: its centre, half length, unit
    direction ``u`` and the unit normal ``n`` into the atrium; ``base_px`` is the
    depth within which only pixels between the hinges are atrial."""

    cx: float
    cy: float
    half: float
    ux: float
    uy: float
    nx: float
    ny: float
    base_px: float

    @classmethod
    def of(
        cls,
        annulus_xy: tuple[tuple[float, float], tuple[float, float]],
        normal_xy: tuple[float, float],
        *,
        base_px: float,
    ) -> _Annulus:
        (x1, y1), (x2, y2) = annulus_xy
        half = 0.5 * math.hypot(x2 - x1, y2 - y1)
        ux, uy = (x2 - x1) / max(2 * half, 1e-6), (y2 - y1) / max(2 * half, 1e-6)
        nx, ny = normal_xy
        return cls(0.5 * (x1 + x2), 0.5 * (y1 + y2), half, ux, uy, nx, ny, base_px)

    def along(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Position along the annulus from its centre (pixels)."""
        return (x - self.cx) * self.ux + (y - self.cy) * self.uy

    def depth(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Signed distance past the annulus line into the atrium (pixels)."""
        return (x - self.cx) * self.nx + (y - self.cy) * self.ny

    def atrial_side(self, t: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Past the line, and within ``base_px`` of it only between the hinges."""
        return (d > 0) & ((d > self.base_px) | (np.abs(t) <= self.half))


def _smoothed_grey(g: np.ndarray, blood: np.ndarray | None, *, sigma: float) -> np.ndarray:
    """The grey level with the ``blood`` pixels set black, speckle smoothed."""
    work = g.copy()
    if blood is not None:
        work[np.asarray(blood, bool)] = 0.0
    return cv2.GaussianBlur(work, (0, 0), sigma)


def _blood_levels(values: np.ndarray) -> tuple[float, float]:
    """``(blood, tissue)``: the median grey each side of the Otsu threshold."""
    thr = _otsu(values)
    return float(np.median(values[values < thr])), float(np.median(values[values >= thr]))


def _pool_core(
    cand: np.ndarray,
    ann: _Annulus,
    t: np.ndarray,
    d: np.ndarray,
    *,
    r_open: int,
    s_px: float,
    seed_xy: tuple[float, float] | None,
) -> tuple[np.ndarray | None, str]:
    """The dark core holding the atrial side of the valve's centre (or the seed),
    after an opening of radius ``r_open`` that cuts leaks through narrow wall gaps;
    ``(None, reason)`` when there is none.

    The pieces are told apart after the erosion, before the dilation: two
    chambers joined by a gap narrower than the opening are two pieces there,
    though their dilations meet again at the gap (the atrium then took in the
    chamber beside it)."""
    h, w = cand.shape
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_open + 1, 2 * r_open + 1))
    eroded = cv2.erode(cand.astype(np.uint8), ker)
    opened = cv2.dilate(eroded, ker).astype(bool)
    n, pieces = cv2.connectedComponents(eroded, connectivity=8)
    # every opened pixel belongs to the (highest-numbered) piece within reach
    lab = np.where(opened, cv2.dilate(pieces.astype(np.float32), ker).astype(np.int32), 0)
    n -= 1
    if n == 0:
        return None, "no dark blood pool on the atrial side of the valve"
    if seed_xy is None:
        # the atrial side of the valve's centre: the most pool pixels in a small
        # window just past the annulus
        win = (d > 0) & (d < 1.5 / s_px) & (np.abs(t) < 0.6 * ann.half)
        counts = np.bincount(lab[win & opened], minlength=n + 1)
        counts[0] = 0
        k = int(np.argmax(counts))
        if counts[k] == 0:
            return None, "no blood pool just past the valve"
    else:
        sx, sy = int(round(seed_xy[0])), int(round(seed_xy[1]))
        k = int(lab[min(max(sy, 0), h - 1), min(max(sx, 0), w - 1)])
        if k == 0:
            return None, "the seed point is not in a blood pool"
    return cv2.dilate((pieces == k).astype(np.uint8), ker).astype(bool) & opened, ""


def _core_centre(core: np.ndarray, r_open: int, s_px: float) -> tuple[float, float]:
    """Centre of the core's body (the core opened over 0.4 cm, so that a thin arm
    does not pull it), from which the outline's rays start."""
    big = max(r_open, int(round(0.4 / s_px)))
    kb = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * big + 1, 2 * big + 1))
    body = cv2.morphologyEx(core.astype(np.uint8), cv2.MORPH_OPEN, kb).astype(bool)
    if body.sum() < 20:
        body = core
    by, bx = np.nonzero(body)
    return float(bx.mean()), float(by.mean())


@dataclass(frozen=True)
class _Rays:
    """What the outline's rays cross, sampled every ``step`` pixels along each
    (rows: rays at angles ``ang``; columns: radii ``rr``)."""

    ang: np.ndarray
    rr: np.ndarray
    step: float
    val: np.ndarray
    inside_fan: np.ndarray
    depth: np.ndarray
    ok_side: np.ndarray
    in_core: np.ndarray


def _cast_rays(
    sm: np.ndarray,
    fan: np.ndarray,
    core: np.ndarray,
    ann: _Annulus,
    origin: tuple[float, float],
    *,
    reach: float,
    margin_px: int,
    n_rays: int = 360,
    step: float = 0.5,
) -> _Rays:
    """Sample the smoothed grey, the fan, the atrial side and the core's
    neighbourhood (``margin_px`` around it) along ``n_rays`` rays from ``origin``."""
    ox, oy = origin
    ang = np.linspace(0, 2 * np.pi, n_rays, endpoint=False)
    rr = np.arange(0, reach, step, dtype=np.float32)
    X = (ox + np.cos(ang)[:, None] * rr[None, :]).astype(np.float32)
    Y = (oy + np.sin(ang)[:, None] * rr[None, :]).astype(np.float32)
    val = cv2.remap(sm, X, Y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=1e6)
    inside_fan = (
        cv2.remap(
            fan.astype(np.float32), X, Y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        > 0.5
    )
    Dd, Tt = ann.depth(X, Y), ann.along(X, Y)
    # the outline refines the core's edge; it never runs far past it (a gap in
    # a wall, too narrow for the core's opening, leads into another chamber)
    km = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin_px + 1, 2 * margin_px + 1))
    near_core = cv2.dilate(core.astype(np.uint8), km)
    in_core = (
        cv2.remap(
            near_core.astype(np.float32),
            X,
            Y,
            cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        > 0.5
    )
    return _Rays(ang, rr, step, val, inside_fan, Dd, ann.atrial_side(Tt, Dd), in_core)


def _first(stops: np.ndarray, default: int) -> int:
    idx = np.flatnonzero(stops)
    return int(idx[0]) if len(idx) else default


def _ray_radii(rays: _Rays, ann: _Annulus, *, thr_edge: float) -> tuple[np.ndarray, np.ndarray]:
    """``(radius, open_ray)`` per ray: where it first meets a wall (the rise above
    ``thr_edge``, sub-pixel), the annulus line, the core's margin or the fan's
    edge; ``open_ray`` marks rays that left the fan (or the reach) before a wall."""
    n_rays, n = rays.val.shape
    rr, step, val, Dd = rays.rr, rays.step, rays.val, rays.depth
    radius = np.full(n_rays, np.nan)
    open_ray = np.zeros(n_rays, bool)
    for i in range(n_rays):
        j_w = _first(val[i] >= thr_edge, n)
        j_s = _first(~rays.ok_side[i], n)
        j_f = _first(~rays.inside_fan[i], n)
        j_c = _first(~rays.in_core[i], n)
        j = min(j_w, j_s, j_f, j_c)
        if j == j_c and j_c < min(j_w, j_s, j_f):
            radius[i] = rr[j]
        elif j >= n:
            open_ray[i] = True
            radius[i] = rr[-1]
        elif j == j_f and j_f <= min(j_w, j_s):  # left the fan before any wall
            open_ray[i] = True
            radius[i] = rr[j]
        elif j == j_w and j_w <= j_s and j > 0:
            a, b = float(val[i, j - 1]), float(val[i, j])
            f = (thr_edge - a) / max(b - a, 1e-6)
            radius[i] = rr[j - 1] + f * step
        elif j == j_s and j > 0:
            a, b = float(Dd[i, j - 1]), float(Dd[i, j])
            radius[i] = rr[j - 1] + step * (a / max(a - b, 1e-6) if b <= 0 < a else 1.0)
        else:
            radius[i] = rr[j]
    return radius, open_ray


def _drop_leaks(radius: np.ndarray, open_ray: np.ndarray, *, win: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """A ray much longer (x1.25) than the running median of its neighbours ran
    through a gap (a wall's dropout, the clip's shadow): it takes the median."""
    ext = np.concatenate([radius[-win:], radius, radius[:win]])
    med = running_median(ext, 2 * win + 1)[win:-win]
    leak = radius > 1.25 * med
    return np.where(leak, med, radius), open_ray & ~leak


def _outline_result(
    poly: np.ndarray,
    open_ray: np.ndarray,
    shape: tuple[int, int],
    s_px: float,
    *,
    max_edge_frac: float,
    min_area_cm2: float,
) -> AtriumResult:
    """The result for the outline ``poly`` ``(N, 2)``: its filled mask and area, and
    whether it is complete (not cut by the fan's edge, atrium-sized)."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    mask = mask.astype(bool)
    area = _polygon_area(poly)
    frac = float(open_ray.mean())
    complete = frac <= max_edge_frac
    reason = (
        ""
        if complete
        else (f"the atrium runs off the image ({100 * frac:.0f} % of its outline on the fan's edge)")
    )
    if area * s_px * s_px < min_area_cm2:
        complete, reason = False, f"no atrium-sized blood pool past the valve ({area * s_px**2:.2f} cm2)"
    return AtriumResult(
        mask, int(mask.sum()), complete, reason, frac, area, tuple((float(x), float(y)) for x, y in poly)
    )


def _shown_region(grey: np.ndarray, blood: np.ndarray | None, s_px: float) -> np.ndarray:
    """The imaging fan as shown: the convex hull of the largest non-black grey region
    (a fan is convex; the hull also closes dark notches such as the clip's shadow).
    Colour pixels are left out so that the colour bar and ECG do not join it."""
    on = grey > 0.5
    if blood is not None:
        on &= ~np.asarray(blood, bool)
    r = max(2, int(round(0.4 / s_px)))
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    closed = cv2.morphologyEx(on.astype(np.uint8), cv2.MORPH_CLOSE, ker)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if n <= 1:
        return np.ones_like(on)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    # the hull of the region is the hull of its outer boundary (far fewer points)
    contours, _ = cv2.findContours((lab == k).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(np.concatenate(contours))
    out = np.zeros(on.shape, np.uint8)
    cv2.fillConvexPoly(out, hull, 1)
    return out.astype(bool)


def _polygon_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
