"""Jet origins along the annulus: where each jet crosses the valve, tracked over
the systolic frames, so that jets are counted by their orifices.

Pure array code, in annulus coordinates: ``t`` (along the annulus) and ``d``
(depth into the atrium), both ``(h, w)`` float pixels.
"""

from __future__ import annotations

import numpy as np

from .. import segmentation

__all__ = ["origin_search_mask", "renumber", "track_origins"]


def renumber(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels 1..n of the jets that kept pixels, in their order."""
    present = [int(v) for v in np.unique(labels) if v > 0]
    out = np.zeros_like(labels)
    for j, v in enumerate(present, start=1):
        out[labels == v] = j
    return out, len(present)


def origin_search_mask(jet: np.ndarray, flow: np.ndarray, d: np.ndarray, band_px: float) -> np.ndarray:
    """The jet plus the orifices themselves: flow within the leaflets, just
    upstream of the atrium, that feeds the jet."""
    import cv2

    lip = (d >= -0.5 * band_px) & (d < 0)
    near = cv2.dilate(jet.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2).astype(bool)
    return jet | (flow & lip & near)


def _late_origins(
    jet: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    found: list[tuple[float, float]],
    *,
    band_px: float,
    start_px: float,
    min_px: int = 10,
) -> list[tuple[float, float]]:
    """Origins of the jet's separate regions (near the valve) that start past the
    valve band (within ``start_px``) and hold none of the ``found`` origins.

    A region counts when its part near the valve holds ``min_px`` pixels (a
    jet's area) or 15 % of the largest region's part, whichever is less: a jet
    that starts late shows only its first millimetres there."""
    import cv2

    # jets that touch further downstream are still separate pieces near the valve
    near = jet & (d <= start_px + band_px)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(near.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    biggest = int(stats[1:, cv2.CC_STAT_AREA].max())
    out: list[tuple[float, float]] = []
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_AREA] < max(10, min(0.15 * biggest, min_px)):
            continue
        comp = lab == k
        for a, b in _starts_along(t[comp], d[comp], band_px=band_px, start_px=start_px):
            if any(fa <= b + 1 and fb >= a - 1 for fa, fb in found + out):
                continue  # this start already has an origin
            out.append((a, b))
    return out


def _dips(m: np.ndarray, *, prominence: float) -> list[int]:
    """Local minima of a short profile that lie at least ``prominence`` below the
    higher ground separating them from any lower point (the ends count as high).

    >>> _dips(np.array([5., 1, 5, 5, 2, 5]), prominence=2)
    [1, 4]
    >>> _dips(np.array([5., 1, 1.5, 1.2, 5]), prominence=2)
    [1]
    """
    n = len(m)
    high = float(m.max()) + prominence
    out: list[int] = []
    i = 0
    while i < n:
        j = i
        while j + 1 < n and m[j + 1] == m[i]:
            j += 1  # a plateau
        left = m[i - 1] if i > 0 else high
        right = m[j + 1] if j + 1 < n else high
        if left > m[i] and right > m[i]:
            # walk out each side until a lower point: the highest ground passed
            k = i - 1
            peak_l = high if k < 0 else m[k]
            while k >= 0 and m[k] >= m[i]:
                peak_l = max(peak_l, m[k])
                k -= 1
            if k < 0:
                peak_l = high
            peak_r, k = (high if j + 1 >= n else m[j + 1]), j + 1
            while k < n and m[k] >= m[i]:
                peak_r = max(peak_r, m[k])
                k += 1
            if k >= n:
                peak_r = high
            if min(peak_l, peak_r) - m[i] >= prominence:
                out.append((i + j) // 2)
        i = j + 1
    return out


def _starts_along(
    tv: np.ndarray, dv: np.ndarray, *, band_px: float, start_px: float
) -> list[tuple[float, float]]:
    """Where a region starts, along the annulus: each distinct dip of its
    shallowest depth per position (two jets that touch near the valve have two)."""
    ti = np.round(tv).astype(int)
    lo = int(ti.min())
    m = np.full(int(ti.max()) - lo + 1, np.inf)
    np.minimum.at(m, ti - lo, dv)
    finite = np.isfinite(m)
    if not finite.any():
        return []
    m[~finite] = m[finite].max() + band_px
    out = []
    for pk in _dips(m, prominence=0.5 * band_px):
        if m[pk] > start_px:
            continue
        level = m[pk] + 0.5 * band_px
        a = b = pk
        while a > 0 and m[a - 1] <= level:
            a -= 1
        while b < len(m) - 1 and m[b + 1] <= level:
            b += 1
        out.append((float(a + lo), float(b + lo)))
    return out


def track_origins(
    jet_masks: np.ndarray,
    searches: dict[int, np.ndarray],
    t: np.ndarray,
    d: np.ndarray,
    *,
    band_px: float,
    gap_px: float,
    track_px: float,
    start_px: float = 0.0,
    min_px: int = 10,
) -> dict[int, list[tuple[float, float]]]:
    """Per systolic frame (the keys of ``searches``, each its
    :func:`origin_search_mask`), the origins (along-annulus runs) of orifices
    seen on >= 2 frames."""
    runs = {}
    for i, search in searches.items():
        # jets widen fast: look at thin slices of the band and keep the one
        # that shows the most separate origins
        best: list[tuple[float, float]] = []
        for lo, hi in ((-0.5, 0.0), (0.0, 0.5), (0.25, 0.75), (0.5, 1.0)):
            rr = segmentation.origins_along(
                search, t, d, band_px=hi * band_px, start_px=lo * band_px, gap_px=gap_px
            )
            if len(rr) > len(best):
                best = rr
        # a jet whose first millimetres hide in the clip's shadow starts further
        # on: every separate jet without an origin gets one where it starts
        runs[i] = sorted(
            best + _late_origins(jet_masks[i], t, d, best, band_px=band_px, start_px=start_px, min_px=min_px)
        )
    centres = sorted((0.5 * (a + b), i) for i, rr in runs.items() for a, b in rr)
    # 1D tracks: centres within track_px of the previous one
    tracks: list[list[tuple[float, int]]] = []
    for c, i in centres:
        if tracks and c - tracks[-1][-1][0] <= track_px:
            tracks[-1].append((c, i))
        else:
            tracks.append([(c, i)])
    need = 2 if len(runs) >= 2 else 1
    good = {ci for tr in tracks if len({i for _, i in tr}) >= need for ci in tr}
    return {i: [(a, b) for a, b in rr if (0.5 * (a + b), i) in good] for i, rr in runs.items()}
