"""Jet origins along the annulus: where each jet crosses the valve, tracked over
the systolic frames, so that jets are counted by their orifices.

Pure array code, in annulus coordinates: ``t`` (along the annulus) and ``d``
(depth into the atrium), both ``(h, w)`` float pixels.
"""

from __future__ import annotations

import numpy as np

from .. import segmentation

__all__ = ["orifice_positions", "origin_search_mask", "renumber", "split_at_orifices", "track_origins"]


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
    apart_share: float = 0.33,
    late_share: float = 0.15,
) -> dict[int, list[tuple[float, float]]]:
    """Per systolic frame (the keys of ``searches``, each its
    :func:`origin_search_mask`), the origins (along-annulus runs) of orifices
    seen on >= 2 frames; orifices seen apart on ``apart_share`` of the frames
    with origins are split apart where their jets touch (:func:`split_at_orifices`);
    a late-starting jet seen on ``late_share`` of them keeps its origin on the
    frames where it lies against another jet (:func:`_carry_late`)."""
    runs, late = {}, {}
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
        late[i] = _late_origins(jet_masks[i], t, d, best, band_px=band_px, start_px=start_px, min_px=min_px)
        runs[i] = sorted(best + late[i])
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
    kept = {i: [(a, b) for a, b in rr if (0.5 * (a + b), i) in good] for i, rr in runs.items()}
    kept = _carry_late(
        kept,
        {i: [r for r in rr if (0.5 * (r[0] + r[1]), i) in good] for i, rr in late.items()},
        jet_masks,
        t,
        d,
        reach_px=start_px + band_px,
        track_px=track_px,
        gap_px=gap_px,
        min_px=min_px,
        min_share=late_share,
    )
    orifices = orifice_positions(kept, max_spread_px=2 * track_px, min_share=apart_share)
    return {i: split_at_orifices(rr, orifices, min_px=gap_px) for i, rr in kept.items()}


def _carry_late(
    kept: dict[int, list[tuple[float, float]]],
    late: dict[int, list[tuple[float, float]]],
    jet_masks: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    *,
    reach_px: float,
    track_px: float,
    gap_px: float,
    min_px: int,
    min_share: float,
) -> dict[int, list[tuple[float, float]]]:
    """``kept`` with each late origin (:func:`_late_origins`) that stays in place
    over at least ``min_share`` of the frames with origins (and three frames)
    given to the frames that lack it, where the jet mask still shows
    ``min_px`` pixels over its stretch of the annulus within ``reach_px`` of it
    and no other origin comes within ``gap_px`` of that stretch (nearer, the
    two would be one origin: a jet's neck and its body, apart on a few frames). A jet that starts past the valve band and
    lies against its neighbour shows no start of its own on those frames (its
    start is a shelf on the neighbour's side, not a dip), so it was merged into
    the neighbour on them: one jet of two at the maximal frame."""
    n_frames = sum(1 for rr in kept.values() if rr)
    pts = sorted((0.5 * (a + b), a, b, i) for i, rr in late.items() for a, b in rr)
    groups: list[list[tuple[float, float, float, int]]] = []
    for p in pts:
        if groups and p[0] - groups[-1][-1][0] <= track_px:
            groups[-1].append(p)
        else:
            groups.append([p])
    out = {i: list(rr) for i, rr in kept.items()}
    for g in groups:
        frames = {i for *_, i in g}
        if len(frames) < max(3, min_share * n_frames):
            continue
        a = float(np.median([p[1] for p in g]))
        b = float(np.median([p[2] for p in g]))
        there = (t >= a - 0.5) & (t <= b + 0.5) & (d <= reach_px)
        for i, rr in out.items():
            if i in frames or not rr or any(fa < b + 1 + gap_px and fb > a - 1 - gap_px for fa, fb in rr):
                continue
            if int((jet_masks[i] & there).sum()) >= min_px:
                out[i] = sorted(rr + [(a, b)])
    return out


def orifice_positions(
    runs: dict[int, list[tuple[float, float]]], *, max_spread_px: float, min_share: float = 0.0
) -> list[float]:
    """The clip's orifices along the annulus: the centres of the origins on the
    frames that show the most of them apart (at least two such frames, and
    ``min_share`` of the frames with origins: a dropout streak splits one jet's
    origin now and then), each the median over those frames; none when the
    frames disagree (an origin's centre moving more than ``max_spread_px``) or
    no frame shows two apart.

    >>> orifice_positions({0: [(-11, -3), (-1, 15)], 1: [(-11, 14)], 2: [(-10, -4), (2, 14)]},
    ...                   max_spread_px=18)
    [-7.0, 7.5]
    >>> orifice_positions({0: [(-11, -3), (-1, 15)], 1: [(-11, 14)]}, max_spread_px=18)  # one frame
    []
    """
    by_count: dict[int, list[list[float]]] = {}
    n_frames = sum(1 for rr in runs.values() if rr)
    for rr in runs.values():
        by_count.setdefault(len(rr), []).append(sorted(0.5 * (a + b) for a, b in rr))
    for k in sorted(by_count, reverse=True):
        frames = np.array(by_count[k], float)
        if k < 2:
            break
        seen = sum(len(by_count[j]) for j in by_count if j >= k)  # frames showing k or more apart
        if len(frames) < 2 or seen < min_share * n_frames:
            continue
        if float(np.ptp(frames, axis=0).max()) <= max_spread_px:
            return [float(v) for v in np.median(frames, axis=0)]
    return []


def split_at_orifices(
    runs: list[tuple[float, float]], orifices: list[float], *, min_px: float
) -> list[tuple[float, float]]:
    """Split a frame's origin runs that reach over two or more of the clip's
    orifices (positions along the annulus, each seen apart on other frames)
    halfway between them: jets from orifices seen apart elsewhere stay apart on
    a frame where they touch at the valve. A cut needs ``min_px`` of the run on
    either side of it (no slivers).

    >>> split_at_orifices([(-10.0, 14.0), (-41.0, -33.0)], [-37.0, -7.0, 7.0], min_px=5)
    [(-10.0, -0.5), (0.5, 14.0), (-41.0, -33.0)]
    >>> split_at_orifices([(-21.0, 13.0)], [-9.8, 15.4], min_px=6)  # short of the right orifice
    [(-21.0, 2.3), (3.3, 13.0)]
    >>> split_at_orifices([(-10.0, 4.0)], [-7.0, 4.0], min_px=8)  # the second piece: a sliver
    [(-10.0, 4.0)]
    """
    orifices = sorted(orifices)
    cuts = [0.5 * (c0 + c1) for c0, c1 in zip(orifices, orifices[1:], strict=False)]
    out: list[tuple[float, float]] = []
    for a, b in runs:
        lo = a
        for m in cuts:
            if m - 0.5 - lo + 1 >= min_px and b - (m + 0.5) + 1 >= min_px:
                out.append((lo, round(m - 0.5, 6)))
                lo = round(m + 0.5, 6)
        out.append((lo, b))
    return out
