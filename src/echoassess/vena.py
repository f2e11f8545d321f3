"""Vena contracta width of a colour jet, from its mask and the mitral annulus.

Pure array code, in pixel coordinates (x = column, y = row).

The vena contracta is the narrowest neck of a regurgitant jet just past the
orifice. Here it is measured on one jet's mask:

1. the *origin* is the jet's upstream end: the mean position of its pixels
   closest to the annulus (within ``origin_band_cm`` of the shallowest one,
   on the atrial side);
2. the *axis* is the mean direction from the origin to the jet's pixels
   between ``axis_from_cm`` and ``axis_to_cm`` from it (the jet's first
   centimetre, so that a jet bending along a wall keeps its initial axis);
3. every ``step_px`` along the axis, up to ``search_cm`` past the origin, the
   width of the jet across the axis is read (with sub-pixel edges, on a
   lightly smoothed mask): the run of jet pixels on the perpendicular line
   through the axis point;
4. a slice counts only when both of its ends lie clearly past the jet's
   upstream cut (an oblique jet is cut by the annulus line near the orifice:
   those slices are narrower than the neck and are not the vena contracta);
5. the neck comes before the jet widens: slices past the widest complete one
   (within ``search_cm``) do not count, so a short jet, or one whose start
   hides behind the leaflets' echo, is not measured at its tapering tip;
6. the width profile is median-filtered over ``smooth_cm`` and its minimum is
   the vena contracta width; for a jet more than ``oblique_deg`` off the
   annulus normal, whose neck is cut by the annulus line on one side, the
   slices before the first complete one count with twice their uncut half.

Widths are in cm, from the pixel spacing ``(dx, dy)`` (cm per pixel).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

__all__ = ["VenaContracta", "vena_contracta", "jet_origin_axis", "running_median"]


@dataclass(frozen=True)
class VenaContracta:
    """The vena contracta of one jet on one frame.

    Attributes
    ----------
    width_cm : float
        Narrowest width across the jet's axis within ``search_cm`` past the
        origin.
    width_px : float
        The same in pixels (along the measured segment).
    segment_xy : ((x1, y1), (x2, y2))
        The measured segment's two ends (pixels).
    origin_xy, axis_end_xy : (x, y)
        The jet's origin and the end of the searched axis (pixels), for drawing.
    distance_cm : float
        Distance of the neck from the origin along the axis.
    """

    width_cm: float
    width_px: float
    segment_xy: tuple[tuple[float, float], tuple[float, float]]
    origin_xy: tuple[float, float]
    axis_end_xy: tuple[float, float]
    distance_cm: float

    def to_dict(self) -> dict:
        r = lambda v, n=2: round(float(v), n)  # noqa: E731
        return {
            "width_cm": r(self.width_cm, 4),
            "width_px": r(self.width_px),
            "segment_xy": [[r(x), r(y)] for x, y in self.segment_xy],
            "origin_xy": [r(v) for v in self.origin_xy],
            "axis_end_xy": [r(v) for v in self.axis_end_xy],
            "distance_cm": r(self.distance_cm, 3),
        }


def jet_origin_axis(
    mask: np.ndarray,
    normal_xy: tuple[float, float],
    *,
    spacing_cm: tuple[float, float],
    origin_band_cm: float = 0.08,
    axis_from_cm: float = 0.25,
    axis_to_cm: float = 0.9,
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``(origin_xy, axis_unit_xy, d0_px)`` of one jet mask, or ``None`` when empty.

    ``normal_xy`` is the annulus normal pointing into the atrium; ``d0_px`` is
    the origin's distance along it (from the image origin).
    """
    ys, xs = np.nonzero(mask)
    if len(xs) < 3:
        return None
    nx, ny = normal_xy
    d = xs * nx + ys * ny
    dmin = float(d.min())
    s_px = float(np.sqrt(spacing_cm[0] * spacing_cm[1]))
    band = max(1.0, origin_band_cm / s_px)
    sel = d <= dmin + band
    o = np.array([xs[sel].mean(), ys[sel].mean()], float)
    ax = np.array([nx, ny], float)
    for _ in range(2):
        rx, ry = (xs - o[0]) * spacing_cm[0], (ys - o[1]) * spacing_cm[1]
        r = np.hypot(rx, ry)
        ring = (r >= axis_from_cm) & (r <= axis_to_cm) & ((rx * ax[0] + ry * ax[1]) > 0)
        if ring.sum() < 3:
            break
        vx, vy = float((rx[ring] / r[ring]).mean()), float((ry[ring] / r[ring]).mean())
        n = math.hypot(vx, vy)
        if n < 1e-6:
            break
        # back to pixel units (anisotropic spacing)
        v = np.array([vx / spacing_cm[0], vy / spacing_cm[1]])
        ax = v / float(np.hypot(*v))
    return o, ax, dmin


def vena_contracta(
    mask: np.ndarray,
    normal_xy: tuple[float, float],
    *,
    spacing_cm: tuple[float, float],
    search_cm: float = 1.0,
    step_px: float = 0.5,
    smooth_cm: float = 0.1,
    cut_margin_px: float = 1.5,
    oblique_deg: float = 15.0,
    min_length_cm: float = 0.4,
    max_tilt_deg: float = 30.0,
) -> VenaContracta | None:
    """The vena contracta of one jet (the steps: module docstring).

    Parameters
    ----------
    mask : (H, W) bool
        One jet's pixels.
    normal_xy : (float, float)
        Unit normal of the mitral annulus, pointing into the atrium.
    spacing_cm : (dx, dy)
        cm per pixel (columns, rows).
    search_cm : float
        How far past the origin the neck is looked for.
    max_tilt_deg : float
        The neck is the narrowest chord through its middle within this angle
        of the slice (:func:`_narrowest_chord`).

    Returns
    -------
    VenaContracta or None
        ``None`` when the jet is too small, runs less than ``min_length_cm``
        past its origin, or no slice is complete.

    Examples
    --------
    >>> m = np.zeros((80, 60), bool)
    >>> m[10:70, 25:35] = True                     # a 10 px wide straight jet
    >>> m[30:70, 15:45] = True                     # widening 20 px past its origin
    >>> vc = vena_contracta(m, (0.0, 1.0), spacing_cm=(0.05, 0.05))
    >>> round(vc.width_cm, 2), round(vc.distance_cm, 1) < 1.0
    (0.5, True)
    """
    o_ax = jet_origin_axis(mask, normal_xy, spacing_cm=spacing_cm)
    if o_ax is None:
        return None
    o, ax, dmin = o_ax
    s_px = float(np.sqrt(spacing_cm[0] * spacing_cm[1]))
    sub = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.5)
    slicer = _slicer(sub, normal_xy, dmin, spacing_cm, search_cm, step_px, cut_margin_px)
    o, ax = _centreline_axis(slicer, o, ax)
    s, widths, ends, perp, halves = slicer(o, ax)
    if not np.isfinite(widths).any() or _run_cm(s, widths, halves, ax, spacing_cm) < min_length_cm:
        return None
    # the neck comes before the jet widens: past its widest slice it tapers to its tip
    widest = int(np.nanargmax(widths))
    widths[widest + 1 :], halves[widest + 1 :] = np.nan, np.nan
    win = max(1, int(round(smooth_cm / (step_px * s_px))) | 1)
    oblique = abs(float(ax @ np.asarray(normal_xy, float))) < math.cos(math.radians(oblique_deg))
    width, i = _neck_width(widths, halves, win=win, oblique=oblique)
    if not math.isfinite(width):
        return None
    j, seg = _drawn_segment(widths, width, i, ends, o + s[:, None] * ax, perp)
    width_px = width / float(np.hypot(perp[0] * spacing_cm[0], perp[1] * spacing_cm[1]))
    if max_tilt_deg > 0 and math.isfinite(widths[j]):  # a whole slice: the narrowest turn of it
        width, seg, width_px = _turned(
            sub, seg, width, width_px, normal_xy, dmin + cut_margin_px, spacing_cm, max_tilt_deg
        )
    end = o + s[-1] * ax
    return VenaContracta(
        width_cm=width,
        width_px=width_px,
        segment_xy=seg,
        origin_xy=(float(o[0]), float(o[1])),
        axis_end_xy=(float(end[0]), float(end[1])),
        distance_cm=float(s[j] * _px_len(ax, 1.0, spacing_cm) ** -1),
    )


def _slicer(
    sub: np.ndarray,
    normal_xy: tuple[float, float],
    dmin: float,
    spacing_cm: tuple[float, float],
    search_cm: float,
    step_px: float,
    cut_margin_px: float,
) -> Callable[..., Any]:
    """:func:`_slices` of this jet, given an origin and an axis."""
    return functools.partial(
        _slices,
        sub,
        normal_xy=normal_xy,
        dmin=dmin,
        spacing_cm=spacing_cm,
        search_cm=search_cm,
        step_px=step_px,
        cut_margin_px=cut_margin_px,
    )


def _turned(
    sub: np.ndarray,
    seg: tuple[tuple[float, float], tuple[float, float]],
    width: float,
    width_px: float,
    normal_xy: tuple[float, float],
    cut_px: float,
    spacing_cm: tuple[float, float],
    max_deg: float,
) -> tuple[float, tuple[tuple[float, float], tuple[float, float]], float]:
    """``(width_cm, segment, width_px)``: the neck as the narrowest chord through its
    middle (:func:`_narrowest_chord`) when that is narrower, else as it was."""
    chord = _narrowest_chord(sub, seg, normal_xy, cut_px, spacing_cm, max_deg=max_deg)
    if chord is None or chord[0] >= width:
        return width, seg, width_px
    return chord[0], chord[1], math.dist(*chord[1])


def _narrowest_chord(
    sub: np.ndarray,
    seg: tuple[tuple[float, float], tuple[float, float]],
    normal_xy: tuple[float, float],
    cut_px: float,
    spacing_cm: tuple[float, float],
    *,
    max_deg: float,
    step_deg: float = 2.5,
) -> tuple[float, tuple[tuple[float, float], tuple[float, float]]] | None:
    """``(width_cm, segment)``: the shortest complete chord of the jet through the
    middle of ``seg``, turned up to ``max_deg`` either way; chords ending on the
    jet's upstream cut (``cut_px`` along the annulus normal) or running out of
    the window do not count. ``None`` when none is complete.

    Across the true axis a chord is shortest: an axis read from a wide or ragged
    jet's first millimetres can be off by tens of degrees, which makes every
    slice a slanted, longer chord."""
    (x1, y1), (x2, y2) = seg
    c = np.array([(x1 + x2) / 2, (y1 + y2) / 2], np.float32)
    base = np.arctan2(y2 - y1, x2 - x1)
    angles = base + np.radians(np.arange(-max_deg, max_deg + 1e-6, step_deg))
    half = 2.0 * float(np.hypot(x2 - x1, y2 - y1)) + 4.0
    p = np.arange(-half, half + 0.25, 0.25, dtype=np.float32)
    dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    xs = c[0] + dirs[:, :1] * p[None, :]
    ys = c[1] + dirs[:, 1:] * p[None, :]
    vals = cv2.remap(sub, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    zero = int(np.argmin(np.abs(p)))
    inside = vals >= 0.5
    rows, _, a, b = _runs_near(inside, zero)
    keep = inside[rows, zero] & (a > 0) & (b < len(p) - 1)  # the run through the middle, whole
    rows, a, b = rows[keep], a[keep], b[keep]
    pas = _edges(vals[rows], p, a, a - 1).tolist()
    pbs = _edges(vals[rows], p, b, b + 1).tolist()
    best = None
    for k, pa, pb in zip(rows.tolist(), pas, pbs, strict=True):
        ea, eb = c + pa * dirs[k], c + pb * dirs[k]
        if min(ea @ normal_xy, eb @ normal_xy) < cut_px:
            continue
        cm = (pb - pa) * float(np.hypot(dirs[k][0] * spacing_cm[0], dirs[k][1] * spacing_cm[1]))
        if best is None or cm < best[0]:
            best = (cm, ((float(ea[0]), float(ea[1])), (float(eb[0]), float(eb[1]))))
    return best


def _drawn_segment(
    widths: np.ndarray,
    width: float,
    i: int,
    ends: np.ndarray,
    centres: np.ndarray,
    perp: np.ndarray,
) -> tuple[int, tuple[tuple[float, float], tuple[float, float]]]:
    """``(slice, ((x1, y1), (x2, y2)))``: the complete slice whose own width is the
    nearest to the neck's ``width`` (ties: nearest to slice ``i``), with its ends;
    ``centres`` are the slices' points on the axis."""
    cand = np.flatnonzero(np.isfinite(widths))
    j = int(cand[np.argmin(np.abs(widths[cand] - width) + 1e-3 * np.abs(cand - i))])
    pa, pb = (float(v) for v in ends[j])  # a complete slice has both ends
    c = centres[j]
    seg = (
        (float(c[0] + pa * perp[0]), float(c[1] + pa * perp[1])),
        (float(c[0] + pb * perp[0]), float(c[1] + pb * perp[1])),
    )
    return j, seg


def _run_cm(
    s: np.ndarray, widths: np.ndarray, halves: np.ndarray, ax: np.ndarray, spacing_cm: tuple[float, float]
) -> float:
    """How far past its origin the jet runs (cm): from its first to its last slice,
    complete or cut. A fragment (a jet whose start hides in the clip's shadow, or a
    speck) runs too short to have a neck to measure."""
    rows_any = np.flatnonzero(np.isfinite(widths) | np.isfinite(halves))
    return float((s[rows_any[-1]] - s[rows_any[0]]) / _px_len(ax, 1.0, spacing_cm))


def _px_len(vec: np.ndarray, cm: float, spacing_cm: tuple[float, float]) -> float:
    """Pixels along the direction ``vec`` (pixel units) that make ``cm``."""
    return cm / float(np.hypot(vec[0] * spacing_cm[0], vec[1] * spacing_cm[1]))


def _centreline_axis(
    slicer: Callable[..., Any], o: np.ndarray, ax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The origin and axis refined (three times) to the centreline: the line through
    the midpoints of the complete slices (an oblique jet cut by the annulus biases a
    first guess), the origin its point level with the old one."""
    for _ in range(3):
        s, widths, ends, perp, _ = slicer(o, ax)
        ok = np.isfinite(widths)
        if ok.sum() < 4:
            break
        mids = o + s[ok, None] * ax + (0.5 * (ends[ok, 0] + ends[ok, 1]))[:, None] * perp
        c = mids.mean(axis=0)
        u, sv, vt = np.linalg.svd(mids - c)
        new = vt[0] if vt[0] @ ax > 0 else -vt[0]
        t0 = (o - c) @ new
        o = c + t0 * new
        ax = new / float(np.hypot(*new))
    return o, ax


def _neck_width(widths: np.ndarray, halves: np.ndarray, *, win: int, oblique: bool) -> tuple[float, int]:
    """``(width_cm, slice)``: the minimum of the median-filtered width profile; for an
    ``oblique`` jet, the slices cut on one side by the annulus line before the first
    complete one count with twice their uncut half (the jet is symmetric about its axis)."""
    filled = np.where(np.isfinite(widths), widths, np.inf)
    sm = running_median(filled, win)
    sm = np.where(np.isfinite(widths), sm, np.inf)
    i = int(np.argmin(sm))
    width = float(sm[i])
    first = int(np.flatnonzero(np.isfinite(widths))[0])
    hv = np.where(np.isfinite(halves[:first]), halves[:first], np.inf)
    if oblique and np.isfinite(hv).sum() >= win:
        hs = running_median(hv, win)
        hs = np.where(np.isfinite(hv), hs, np.inf)
        if float(hs.min()) < width:
            width = float(hs.min())
    return width, i


def _slices(
    sub: np.ndarray,
    o: np.ndarray,
    ax: np.ndarray,
    normal_xy: tuple[float, float],
    dmin: float,
    spacing_cm: tuple[float, float],
    search_cm: float,
    step_px: float,
    cut_margin_px: float,
):
    """Widths across the axis every ``step_px`` past ``o``: ``(s, widths_cm, ends,
    perp, halves_cm)`` (``NaN`` widths and ends for incomplete slices; the
    doubled uncut half of slices cut on one side by the jet's upstream cut)."""
    nx, ny = normal_xy
    s, p, perp, vals = _sample_slices(sub, o, ax, spacing_cm, search_cm, step_px)
    n_s = len(s)
    inside = vals >= 0.5
    zero = int(np.argmin(np.abs(p)))
    perp_cm = float(np.hypot(perp[0] * spacing_cm[0], perp[1] * spacing_cm[1]))
    widths = np.full(n_s, np.nan)
    halves = np.full(n_s, np.nan)
    ends = np.full((n_s, 2), np.nan)
    rows, j, a, b = _runs_near(inside, zero)
    # the run on the axis, else the nearest one within 0.1 cm of it; not cut by the window
    near = inside[rows, zero] | (np.abs(p[j]) * perp_cm <= 0.1)
    keep = near & (a > 0) & (b < len(p) - 1)
    rows, a, b = rows[keep], a[keep], b[keep]
    pa = _edges(vals[rows], p, a, a - 1)
    pb = _edges(vals[rows], p, b, b + 1)
    # both ends must lie past the jet's upstream cut; with one end on the
    # cut (an oblique jet near its orifice) the other end gives the half-width
    centre = o[None, :] + s[rows, None].astype(np.float64) * ax[None, :]
    ea = centre + pa[:, None] * perp[None, :]
    eb = centre + pb[:, None] * perp[None, :]
    cut = dmin + cut_margin_px
    cut_a = ea[:, 0] * nx + ea[:, 1] * ny < cut
    cut_b = eb[:, 0] * nx + eb[:, 1] * ny < cut
    one = cut_a ^ cut_b
    half_ok = one & (pa < 0) & (pb > 0)
    halves[rows[half_ok]] = 2 * np.where(cut_a, pb, -pa)[half_ok] * perp_cm
    whole = ~cut_a & ~cut_b
    widths[rows[whole]] = (pb - pa)[whole] * perp_cm
    ends[rows[whole]] = np.stack([pa[whole], pb[whole]], axis=1)
    return s, widths, ends, perp, halves


def _sample_slices(
    sub: np.ndarray,
    o: np.ndarray,
    ax: np.ndarray,
    spacing_cm: tuple[float, float],
    search_cm: float,
    step_px: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(s, p, perp, vals)``: ``sub`` sampled on slices across the axis ``ax``
    every ``step_px`` past ``o`` (``s``, up to ``search_cm``), each 2 cm either side
    every 0.25 px (``p``, along ``perp``); ``vals`` is ``(len(s), len(p))``.

    Only the part of the 2 cm either side that comes within 2 px of ``sub`` (and
    the axis point) is sampled: beyond it every sample is 0, so the runs found on
    the slices, and whether they reach the window's ends, are the same."""
    perp = np.array([-ax[1], ax[0]])
    n_s = int(_px_len(ax, search_cm, spacing_cm) / step_px) + 1
    half = _px_len(perp, 2.0, spacing_cm)
    p = np.arange(-half, half + 0.25, 0.25, dtype=np.float32)
    h, w = sub.shape
    corners = (np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], float) - o) @ perp
    zero = int(np.argmin(np.abs(p)))
    i0 = min(zero, int(np.searchsorted(p, corners.min() - 2.0)))
    i1 = max(zero + 1, int(np.searchsorted(p, corners.max() + 2.0, side="right")))
    p = p[i0:i1]
    s = np.arange(n_s, dtype=np.float32) * np.float32(step_px)
    cxs = o[0] + s[:, None] * ax[0] + p[None, :] * perp[0]
    cys = o[1] + s[:, None] * ax[1] + p[None, :] * perp[1]
    vals = cv2.remap(
        sub,
        cxs.astype(np.float32),
        cys.astype(np.float32),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return s, p, perp, vals


def running_median(x: np.ndarray, size: int) -> np.ndarray:
    """Running median of odd ``size``, edges repeated (scipy's ``mode="nearest"``)."""
    k = max(1, int(size)) | 1
    padded = np.pad(np.asarray(x, float), k // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, k), axis=1)


def _nearest(inside: np.ndarray, zero: int) -> np.ndarray:
    """Per row of ``inside`` (2D bool), the index of its ``True`` nearest to column
    ``zero`` (ties: the lower index)."""
    cols = np.arange(inside.shape[1])
    return np.argmin(np.where(inside, np.abs(cols - zero), inside.shape[1] + 1), axis=1)


def _runs_near(inside: np.ndarray, zero: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, nearest, first, last)``: for each row of ``inside`` (2D bool) with
    any ``True``, its ``True`` nearest to column ``zero`` and the run holding it."""
    rows = np.flatnonzero(inside.any(axis=1))
    sub = inside[rows]
    n = sub.shape[1]
    cols = np.arange(n)
    j = _nearest(sub, zero)
    left = np.maximum.accumulate(np.where(sub, -1, cols), axis=1)  # last False at or before
    right = np.minimum.accumulate(np.where(sub, n, cols)[:, ::-1], axis=1)[:, ::-1]
    k = np.arange(len(rows))
    return rows, j, left[k, j] + 1, right[k, j] - 1


def _edges(vals: np.ndarray, p: np.ndarray, i_in: np.ndarray, i_out: np.ndarray) -> np.ndarray:
    """Where each row's profile ``vals`` crosses 0.5 between columns ``i_in`` and
    ``i_out`` (linear), in ``p`` units: float32 arithmetic on ``p`` as a scalar
    ``p[i] + f * (p[o] - p[i])`` with a float ``f`` gives, returned as float64."""
    k = np.arange(len(i_in))
    v_in = vals[k, i_in].astype(np.float64)
    v_out = vals[k, i_out].astype(np.float64)
    f = (v_in - 0.5) / np.maximum(v_in - v_out, 1e-6)
    return (p[i_in] + f.astype(np.float32) * (p[i_out] - p[i_in])).astype(np.float64)
