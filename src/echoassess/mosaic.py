"""The mosaic of turbulent flow on colour-flow maps.

Pure array code, on the colour box cut out of each frame. An MR jet is fast
(4-6 m/s, many times the Nyquist limit), so its core is an aliased *mosaic*:
the velocity phase ``pi * v`` jumps at random from one colour cell to the
next. Aliasing of a smooth flow (diastolic inflow, the flow-convergence shells,
venous flow) wraps the velocity but keeps its phase continuous, however tight
its aliasing rings: the phase *difference* between points a colour cell apart
stays coherent over a neighbourhood. :func:`turbulence_map` measures exactly
that, at the scale of the clip's colour cells (:func:`colour_cell_px`), so fine
and coarse mosaics read alike; :func:`turbulent_mask` adds a variance (green)
channel, when the map has one, and coarse mosaics.
"""

from __future__ import annotations

import cv2
import numpy as np

from .segmentation import remove_small

__all__ = ["colour_cell_px", "turbulence_map", "turbulent_mask"]


def colour_cell_px(
    velocity: np.ndarray,
    flow: np.ndarray,
    busy: np.ndarray,
    *,
    max_lag: int = 12,
    decorrelated: float = 0.4,
) -> int:
    """The size of the clip's colour cells, in pixels, from its mosaic.

    Machines draw colour flow in cells of one to a dozen display pixels. Inside
    a mosaic the phase of neighbouring pixels agrees within a cell and is
    random between cells, so the lag at which the phase difference of a
    mosaic stops being coherent is the cell size.

    Parameters
    ----------
    velocity, flow : (..., h, w)
        Signed velocity (Nyquist units) and flow pixels, one or more frames.
    busy : (..., h, w) bool
        Where the mosaic is (e.g. a coarse turbulence estimate).

    Returns
    -------
    int
        1 for a pixel-fine mosaic; 1 when ``busy`` is empty.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cells = rng.uniform(-1, 1, (16, 16)).astype(np.float32)
    >>> coarse = np.kron(cells, np.ones((6, 6), np.float32))
    >>> on = np.ones_like(coarse, bool)
    >>> colour_cell_px(coarse, on, on) in (4, 5, 6)
    True
    >>> colour_cell_px(rng.uniform(-1, 1, (96, 96)).astype(np.float32), on, on)
    1
    """
    v = np.asarray(velocity, np.float32)
    m = np.asarray(busy, bool) & np.asarray(flow, bool)
    if m.sum() < 50:
        return 1
    z = np.exp(1j * np.pi * v)
    for lag in range(1, max_lag + 1):
        num, cnt = 0j, 0
        for ax in (-1, -2):
            a = [slice(None)] * v.ndim
            b = [slice(None)] * v.ndim
            a[ax], b[ax] = slice(lag, None), slice(None, -lag)
            ok = m[tuple(a)] & m[tuple(b)]
            if ok.any():
                num += (z[tuple(a)][ok] * np.conj(z[tuple(b)][ok])).sum()
                cnt += int(ok.sum())
        if cnt < 20:
            return max(1, lag - 1)
        if abs(num) / cnt < decorrelated:
            return lag
    return max_lag


def turbulence_map(
    velocity: np.ndarray, flow: np.ndarray, *, window_px: int = 7, lag_px: int = 1
) -> np.ndarray:
    """Local velocity-phase incoherence, 0 (smooth) .. 1 (random).

    The smaller of two incoherences over a ``window_px`` square window:

    * of the phase itself, ``1 - |sum exp(i pi v)| / n``: low for smooth flow
      and gentle aliasing, high for a mosaic and for tight aliasing rings;
    * of the phase difference ``lag_px`` apart (across and down), which stays
      coherent across aliasing rings of any spacing but not across a mosaic
      whose cells are at most ``lag_px`` wide.

    Parameters
    ----------
    velocity : (h, w) float
        Signed velocity in Nyquist units.
    flow : (h, w) bool
        Pixels showing flow; others are left out of the windows and get 0.
    lag_px : int
        About the colour cell size (:func:`colour_cell_px`).

    Returns
    -------
    (h, w) float32

    Examples
    --------
    >>> ramp = np.tile(np.linspace(0.6, 1.4, 20, dtype=np.float32), (20, 1))
    >>> v = np.mod(ramp + 1, 2) - 1  # smooth flow aliasing from +1 to -1
    >>> float(turbulence_map(v, np.ones_like(v, bool))[10, 10]) < 0.1
    True
    >>> rings = np.mod(np.tile(np.arange(30, dtype=np.float32) / 3, (30, 1)) + 1, 2) - 1
    >>> float(turbulence_map(rings, np.ones_like(rings, bool), window_px=9)[15, 15]) < 0.1
    True
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.uniform(-1, 1, (20, 20)).astype(np.float32)
    >>> float(turbulence_map(noisy, np.ones_like(noisy, bool))[10, 10]) > 0.5
    True
    """
    out = np.zeros(flow.shape, np.float32)
    if not flow.any():
        return out
    # work on the flow's bounding box (plus a margin for the windows)
    ys, xs = np.nonzero(flow.any(axis=1))[0], np.nonzero(flow.any(axis=0))[0]
    m = int(window_px) + int(lag_px) + 1
    y0, y1 = max(0, ys[0] - m), min(flow.shape[0], ys[-1] + m + 1)
    x0, x1 = max(0, xs[0] - m), min(flow.shape[1], xs[-1] + m + 1)
    out[y0:y1, x0:x1] = _turbulence(velocity[y0:y1, x0:x1], flow[y0:y1, x0:x1], int(window_px), int(lag_px))
    return out


def _turbulence(velocity: np.ndarray, flow: np.ndarray, window_px: int, lag_px: int) -> np.ndarray:
    f = flow.astype(np.float32)
    ph = np.pi * velocity.astype(np.float32)
    cos, sin = np.cos(ph) * f, np.sin(ph) * f
    k = (int(window_px), int(window_px))

    def box(a: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(a, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)

    n = box(f)
    coherence = cv2.magnitude(box(cos), box(sin)) / np.maximum(n, 1.0)
    # phase differences lag_px apart, z(p + lag) * conj(z(p)), across and down,
    # after removing the local phase gradient (from neighbours one pixel apart):
    # aliasing rings of any spacing are a gradient and leave a coherent
    # residual; a mosaic of cells up to lag_px wide does not
    L = max(1, int(lag_px))
    h, w = f.shape
    num = np.zeros((h, w), np.float32)
    den = np.zeros((h, w), np.float32)
    for axis in (1, 0):
        g_re, g_im, g_n = _lag_products(cos, sin, f, 1, axis)
        gr, gi = box(g_re), box(g_im)
        c_l, s_l = _unit_power(gr, gi, L)
        d_re, d_im, d_n = (g_re, g_im, g_n) if L == 1 else _lag_products(cos, sin, f, L, axis)
        r_re = d_re * c_l - d_im * s_l
        r_im = d_re * s_l + d_im * c_l
        num += cv2.magnitude(box(r_re), box(r_im))
        den += box(d_n)
    lag_coh = num / np.maximum(den, 1.0)
    turb = 1.0 - np.maximum(coherence, lag_coh)
    return np.where(flow, turb, 0.0).astype(np.float32)


def _unit_power(gr: np.ndarray, gi: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cos, sin)`` of ``-L theta``, ``theta`` the angle of ``gr + i gi``: the
    ``L``-th power of the conjugate unit vector, by multiplication (no
    trigonometry); ``(1, 0)`` where the vector is about zero (``|g| <= 1e-3``)."""
    mag = cv2.magnitude(gr, gi)
    ok = mag > 1e-3
    inv = np.divide(1.0, mag, out=np.zeros_like(mag), where=ok)
    c, s = gr * inv, -gi * inv
    c[~ok] = 1.0
    pc, ps = c, s
    for _ in range(L - 1):
        pc, ps = pc * c - ps * s, pc * s + ps * c
    return pc, ps


def _lag_products(
    cos: np.ndarray, sin: np.ndarray, f: np.ndarray, lag: int, axis: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z(p + lag) * conj(z(p))`` along ``axis`` at every ``p`` (0 where either is not flow)."""
    h, w = f.shape
    re = np.zeros((h, w), np.float32)
    im = np.zeros((h, w), np.float32)
    cnt = np.zeros((h, w), np.float32)
    n = w if axis == 1 else h
    if lag >= n:  # no pixel pairs that far apart in so small a box
        return re, im, cnt
    a = [slice(None), slice(None)]
    b = [slice(None), slice(None)]
    a[axis], b[axis] = slice(lag, None), slice(None, n - lag)
    A, B = tuple(a), tuple(b)
    ok = f[A] * f[B]
    re[B] = (cos[A] * cos[B] + sin[A] * sin[B]) * ok
    im[B] = (sin[A] * cos[B] - cos[A] * sin[B]) * ok
    cnt[B] = ok
    return re, im, cnt


def turbulent_mask(
    velocity: np.ndarray,
    flow: np.ndarray,
    variance: np.ndarray | None = None,
    *,
    window_px: int = 7,
    lag_px: int = 1,
    threshold: float = 0.35,
    variance_threshold: float = 0.6,
    min_area_px: int = 12,
    coarse_scales: tuple[int, ...] = (),
) -> np.ndarray:
    """Flow pixels in an aliased mosaic (or, on variance maps, high variance).

    Parameters
    ----------
    coarse_scales : tuple of int
        Also look for a mosaic on the flow averaged over ``k x k`` blocks, for
        each ``k`` (a coarse mosaic, whose cells are several pixels wide, is a
        fine mosaic there). A block counts only where its pixels agree in
        phase (``|mean exp(i pi v)| >= 0.5``): finer structure, a fine mosaic
        or tight aliasing rings, averages out instead of reading as mosaic.

    Returns
    -------
    (h, w) bool
        Small isolated turbulent bits (< ``min_area_px``) are removed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cells = rng.uniform(-1, 1, (12, 12)).astype(np.float32)
    >>> coarse = np.kron(cells, np.ones((8, 8), np.float32))     # 8-px mosaic cells
    >>> on = np.ones_like(coarse, bool)
    >>> fine_only = turbulent_mask(coarse, on, window_px=7, min_area_px=4).mean()
    >>> both = turbulent_mask(coarse, on, window_px=7, min_area_px=4, coarse_scales=(2, 4)).mean()
    >>> bool(both > 0.8 and both > fine_only + 0.2)
    True
    """
    tm = turbulence_map(velocity, flow, window_px=window_px, lag_px=lag_px)
    for k in coarse_scales:
        tm = np.maximum(tm, _coarse_turbulence(velocity, flow, k, window_px))
    t = tm > threshold
    if variance is not None:
        t |= flow & (variance > variance_threshold)
    return remove_small(t & flow, min_area_px)


def _coarse_turbulence(velocity: np.ndarray, flow: np.ndarray, k: int, window_px: int) -> np.ndarray:
    """:func:`turbulence_map` of the flow averaged over ``k x k`` blocks, at full size."""
    h, w = flow.shape
    out = np.zeros((h, w), np.float32)
    if not flow.any():
        return out
    # the flow's bounding box, on the block grid
    ys, xs = np.nonzero(flow.any(axis=1))[0], np.nonzero(flow.any(axis=0))[0]
    y0, x0 = (ys[0] // k) * k, (xs[0] // k) * k
    # whole blocks only (as a block grid over the whole box would have)
    hb = min(-(-(ys[-1] + 1 - y0) // k), (h - y0) // k)
    wb = min(-(-(xs[-1] + 1 - x0) // k), (w - x0) // k)
    if hb < 3 or wb < 3:
        return out
    sl = (slice(y0, y0 + hb * k), slice(x0, x0 + wb * k))
    f = flow[sl].astype(np.float32)
    ph = np.pi * velocity[sl].astype(np.float32)

    def blocks(a: np.ndarray) -> np.ndarray:  # block means
        return cv2.resize(a, (wb, hb), interpolation=cv2.INTER_AREA)

    n = blocks(f)
    c, s_ = blocks(np.cos(ph) * f), blocks(np.sin(ph) * f)
    mag = cv2.magnitude(c, s_) / np.maximum(n, 1e-6)
    ok = (n >= 0.5) & (mag >= 0.5)
    v = (np.arctan2(s_, c) / np.pi).astype(np.float32)
    tb = turbulence_map(v, ok, window_px=max(5, (window_px // k) | 1), lag_px=2)
    out[sl] = np.repeat(np.repeat(tb, k, axis=0), k, axis=1)
    return out
