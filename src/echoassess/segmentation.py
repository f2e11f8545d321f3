"""Regurgitant-jet segmentation on colour-flow maps.

Pure array code. Works on the colour box cut out of each frame (see
:mod:`echoassess.colorflow`), in pixel coordinates of that cut-out.

The physics it leans on:

* An MR jet is fast (4-6 m/s, many times the Nyquist limit), so its core is an
  aliased *mosaic*: the velocity phase ``pi * v`` jumps at random from pixel to
  pixel. Aliasing of a smooth flow (diastolic inflow, the PISA shells, venous
  flow) wraps the velocity but keeps its phase continuous. The local phase
  coherence ``|mean(exp(i pi v))|`` therefore tells turbulent jet from smooth
  confounders, on any colour map; a variance (green) channel, when the map has
  one, adds to it.
* In an apical view the LV is above the mitral valve and the LA below. The
  flow-convergence (PISA) shells sit on the LV side, smooth and flowing away
  from the probe; the jet starts at the valve and is turbulent. The valve line
  is the row that best puts smooth away-flow above and turbulence below
  (:func:`estimate_valve_row`), unless the user gives it.
* The jet exists only in systole, so frames with no turbulent flow below the
  valve are diastole (:func:`detect_systole`).

Jets are counted by their origins along the valve line (:func:`label_jets`),
so two jets that merge downstream still count as two.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "turbulence_map",
    "turbulent_mask",
    "estimate_valve_row",
    "refine_valve_row",
    "jet_mask",
    "detect_systole",
    "label_jets",
    "rim_away_fraction",
    "remove_small",
]

_EIGHT = np.ones((3, 3), bool)


def turbulence_map(
    velocity: np.ndarray, flow: np.ndarray, *, window_px: int = 7
) -> np.ndarray:
    """Local velocity-phase incoherence, 0 (smooth) .. 1 (random).

    ``1 - |sum exp(i pi v)| / n`` over the flow pixels of a ``window_px``
    square window. Aliasing (``v`` wrapping from +1 to -1) is continuous in
    phase and does not count as turbulence.

    Parameters
    ----------
    velocity : (h, w) float
        Signed velocity in Nyquist units.
    flow : (h, w) bool
        Pixels showing flow; others are left out of the windows and get 0.

    Returns
    -------
    (h, w) float32

    Examples
    --------
    >>> ramp = np.tile(np.linspace(0.6, 1.4, 20, dtype=np.float32), (20, 1))
    >>> v = np.mod(ramp + 1, 2) - 1  # smooth flow aliasing from +1 to -1
    >>> float(turbulence_map(v, np.ones_like(v, bool))[10, 10]) < 0.1
    True
    >>> rng = np.random.default_rng(0)
    >>> noisy = rng.uniform(-1, 1, (20, 20)).astype(np.float32)
    >>> float(turbulence_map(noisy, np.ones_like(v, bool))[10, 10]) > 0.5
    True
    """
    f = flow.astype(np.float32)
    ph = np.pi * velocity.astype(np.float32)
    k = (int(window_px), int(window_px))
    c = cv2.boxFilter(np.cos(ph) * f, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    s = cv2.boxFilter(np.sin(ph) * f, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    n = cv2.boxFilter(f, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    coherence = np.hypot(c, s) / np.maximum(n, 1.0)
    out = np.where(flow, 1.0 - coherence, 0.0)
    return out.astype(np.float32)


def turbulent_mask(
    velocity: np.ndarray,
    flow: np.ndarray,
    variance: np.ndarray | None = None,
    *,
    window_px: int = 7,
    threshold: float = 0.35,
    variance_threshold: float = 0.6,
    min_area_px: int = 12,
) -> np.ndarray:
    """Flow pixels in an aliased mosaic (or, on variance maps, high variance).

    Returns
    -------
    (h, w) bool
        Small isolated turbulent bits (< ``min_area_px``) are removed.
    """
    t = turbulence_map(velocity, flow, window_px=window_px) > threshold
    if variance is not None:
        t |= flow & (variance > variance_threshold)
    return remove_small(t & flow, min_area_px)


def remove_small(mask: np.ndarray, min_area_px: int, *, connectivity: int = 8) -> np.ndarray:
    """``mask`` without its connected components smaller than ``min_area_px``.

    >>> m = np.zeros((5, 5), bool); m[0, 0] = True; m[2:5, 2:5] = True
    >>> int(remove_small(m, 4).sum())
    9
    """
    if min_area_px <= 1 or not mask.any():
        return mask.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=connectivity)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area_px
    keep[0] = False
    return keep[labels]


def estimate_valve_row(
    smooth_away_rows: np.ndarray, turbulent_rows: np.ndarray, *, tolerance: float = 0.03
) -> int | None:
    """The row of the valve line: smooth away-flow above it, turbulence below.

    Parameters
    ----------
    smooth_away_rows : (h,) float
        Per row of the colour box, the number of smooth flow pixels moving away
        from the probe (PISA shells, jet rim), summed over systolic frames.
    turbulent_rows : (h,) float
        Per row, the number of turbulent (mosaic) pixels over the same frames.
    tolerance : float
        Near-ties (within this fraction of all turbulent pixels) are resolved
        toward the lowest row, the top of the mosaic.

    Returns
    -------
    int or None
        The first row below the valve (cut: rows ``>= row`` are LA side);
        ``None`` without turbulence.

    Examples
    --------
    >>> s = np.zeros(10); m = np.zeros(10)
    >>> s[2:5] = 10      # PISA shells on rows 2-4
    >>> m[5:9] = 20      # mosaic on rows 5-8
    >>> estimate_valve_row(s, m)
    5
    """
    s = np.asarray(smooth_away_rows, dtype=np.float64)
    m = np.asarray(turbulent_rows, dtype=np.float64)
    total = m.sum()
    if total <= 0:
        return None
    gain = np.concatenate([[0.0], np.cumsum(s - m)])  # gain[y] = sum over rows < y
    best = gain.max()
    ok = np.flatnonzero(gain >= best - tolerance * total)
    # the top of the mosaic: where the turbulence really starts (a few stray
    # turbulent rows higher up do not count)
    first_turb = int(np.searchsorted(np.cumsum(m), tolerance * total))
    ok = ok[ok <= max(first_turb, int(np.argmax(gain)))]
    return int(ok[-1]) if ok.size else int(np.argmax(gain))


def refine_valve_row(
    tissue_rows: np.ndarray, estimate: int, *, search_px: int, smooth_px: int = 3
) -> int:
    """Snap a valve-row estimate to the brightest tissue row near it.

    The closed mitral leaflets and the annulus are the brightest B-mode
    structure across the colour box at the valve level. The tissue (non-flow)
    brightness per row is smoothed and its maximum within ``search_px`` rows
    of ``estimate`` is returned.

    Parameters
    ----------
    tissue_rows : (h,) float
        Mean grey level of the non-flow pixels of each row (systolic frames).

    Examples
    --------
    >>> prof = np.full(50, 20.0); prof[30:33] = 200.0
    >>> refine_valve_row(prof, 25, search_px=10)
    31
    """
    prof = np.asarray(tissue_rows, dtype=np.float64)
    if smooth_px > 1:
        pad = np.pad(prof, (smooth_px // 2, smooth_px - 1 - smooth_px // 2), mode="edge")
        prof = np.convolve(pad, np.full(smooth_px, 1.0 / smooth_px), mode="valid")
    lo = max(0, int(estimate) - search_px)
    hi = min(len(prof), int(estimate) + search_px + 1)
    if hi <= lo:
        return int(estimate)
    return lo + int(np.argmax(prof[lo:hi]))


def jet_mask(
    flow: np.ndarray,
    turbulent: np.ndarray,
    *,
    valve_row: int | None,
    roi: np.ndarray | None = None,
    min_core_px: int = 30,
    fill_holes: bool = True,
    away: np.ndarray | None = None,
    min_rim_away: float = 0.5,
    rim_px: int = 2,
    min_attachment_px: int = 0,
    max_start_px: int | None = None,
) -> np.ndarray:
    """The regurgitant jet pixels of one frame.

    Connected regions of flow on the LA side of the valve (rows
    ``>= valve_row``, inside ``roi`` when given) that hold at least
    ``min_core_px`` turbulent pixels; their rims (smooth, slower flow) come
    with them and small holes are filled.

    Parameters
    ----------
    flow, turbulent : (h, w) bool
    valve_row : int or None
        First LA-side row; ``None`` puts no limit.
    roi : (h, w) bool, optional
        Where the LA is (user hint); nothing outside counts.
    away : (h, w) bool, optional
        Flow pixels moving away from the probe (velocity < 0). When given, a
        region is a jet only if at least ``min_rim_away`` of its rim (the
        outer ``rim_px`` pixels, the slowest, never aliased flow) moves away
        from the probe: this rejects aliased diastolic inflow, whose rim
        moves toward the probe. Smooth toward-flow patches of at least
        ``min_attachment_px`` lying on a jet's edge (venous inflow touching
        the jet) are cut off.
    max_start_px : int, optional
        Regions whose top lies more than this below the valve line are not
        jets (a jet starts at the valve).

    Returns
    -------
    (h, w) bool

    Examples
    --------
    >>> flow = np.zeros((12, 12), bool); flow[2:10, 3:9] = True
    >>> turb = np.zeros_like(flow); turb[5:9, 4:8] = True
    >>> m = jet_mask(flow, turb, valve_row=4, min_core_px=4)
    >>> int(m.sum()), int(np.flatnonzero(m.any(1))[0])
    (36, 4)
    """
    allowed = flow.copy()
    if valve_row is not None:
        allowed[: max(0, int(valve_row))] = False
    if roi is not None:
        allowed &= roi
    if not allowed.any():
        return allowed
    mask = _with_core(allowed, turbulent, min_core_px)
    if away is not None and mask.any():
        if min_attachment_px > 0:
            # smooth flow toward the probe on a jet's edge (venous inflow,
            # wall-motion colour) that happens to touch the jet: cut it off
            toward = mask & ~turbulent & ~away
            mask &= ~_edge_attachments(mask, toward, min_area_px=min_attachment_px, rim_px=rim_px)
            mask = _with_core(mask, turbulent, min_core_px)
        n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
        keep = rim_away_fraction(mask, labels, n, away, rim_px=rim_px) >= min_rim_away
        keep[0] = False
        mask = keep[labels]
    if max_start_px is not None and valve_row is not None and mask.any():
        # a jet starts at the valve: drop regions whose top is far below it
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        keep = stats[:, cv2.CC_STAT_TOP] <= int(valve_row) + int(max_start_px)
        keep[0] = False
        mask = keep[labels]
    if fill_holes and mask.any():
        mask = fill_holes_mask(mask)
        if roi is not None:
            mask &= roi
        if valve_row is not None:
            mask[: max(0, int(valve_row))] = False
    return mask


def fill_holes_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` with its holes (background not connected to the border) filled.

    >>> m = np.zeros((5, 5), bool); m[1:4, 1:4] = True; m[2, 2] = False
    >>> int(fill_holes_mask(m).sum())
    9
    """
    h, w = mask.shape
    outside = np.zeros((h + 2, w + 2), np.uint8)
    outside[1:-1, 1:-1] = mask
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(outside, ff, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2


def _with_core(mask: np.ndarray, turbulent: np.ndarray, min_core_px: int) -> np.ndarray:
    """The connected regions of ``mask`` holding at least ``min_core_px`` turbulent pixels."""
    if not mask.any():
        return mask.copy()
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    core = np.bincount(labels[turbulent & mask], minlength=n)
    keep = core >= min_core_px
    keep[0] = False
    return keep[labels]


def _edge_attachments(
    mask: np.ndarray, patch: np.ndarray, *, min_area_px: int, rim_px: int = 2,
    min_rim_fraction: float = 0.2,
) -> np.ndarray:
    """Connected pieces of ``patch`` (within ``mask``) that are large and lie
    on the edge of ``mask`` (at least ``min_rim_fraction`` of their pixels
    in its outer ``rim_px`` pixels)."""
    if not patch.any():
        return np.zeros_like(mask)
    k = 2 * int(rim_px) + 1
    inner = cv2.erode(mask.astype(np.uint8), np.ones((k, k), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    rim = mask & ~inner
    n, lab, stats, _ = cv2.connectedComponentsWithStats(patch.astype(np.uint8), connectivity=8)
    on_rim = np.bincount(lab[rim & patch], minlength=n)
    area = stats[:, cv2.CC_STAT_AREA]
    sel = (area >= min_area_px) & (on_rim >= min_rim_fraction * area)
    sel[0] = False
    return sel[lab]


def rim_away_fraction(
    mask: np.ndarray, labels: np.ndarray, n: int, away: np.ndarray, *, rim_px: int = 2
) -> np.ndarray:
    """Per labelled region, the fraction of its rim pixels that move away.

    Returns
    -------
    (n,) float64
        Index 0 (background) is 0.

    Examples
    --------
    >>> m = np.zeros((9, 9), bool); m[1:8, 1:8] = True
    >>> away = np.zeros_like(m); away[1:8, 1:8] = True; away[3:6, 3:6] = False
    >>> n, lab = cv2.connectedComponents(m.astype(np.uint8))
    >>> rim_away_fraction(m, lab, n, away, rim_px=2).round(2).tolist()
    [0.0, 1.0]
    """
    k = 2 * int(rim_px) + 1
    inner = cv2.erode(mask.astype(np.uint8), np.ones((k, k), np.uint8),
                      borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    rim = mask & ~inner
    total = np.bincount(labels[rim], minlength=n).astype(np.float64)
    hit = np.bincount(labels[rim & away], minlength=n).astype(np.float64)
    out = hit / np.maximum(total, 1.0)
    out[0] = 0.0
    return out


def detect_systole(
    jet_px: np.ndarray, *, min_jet_px: float, max_gap_frames: int = 1
) -> np.ndarray:
    """Systolic frames from the jet size over time.

    A frame is systolic when its turbulent LA-side flow reaches ``min_jet_px``;
    short gaps (at most ``max_gap_frames``) between systolic frames are
    closed and isolated single systolic frames between diastolic ones are
    dropped when the clip has longer systolic runs.

    Parameters
    ----------
    jet_px : (T,) float
        Per frame, the turbulent LA-side pixel count.

    Returns
    -------
    (T,) bool

    Examples
    --------
    >>> detect_systole(np.array([0, 50, 60, 0, 70, 0, 0, 0, 40, 0, 0]), min_jet_px=30).astype(int).tolist()
    [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    """
    s = np.asarray(jet_px, dtype=np.float64) >= min_jet_px
    T = len(s)
    if max_gap_frames > 0 and T > 2:
        idx = np.flatnonzero(s)
        for a, b in zip(idx[:-1], idx[1:]):
            if 1 < b - a <= max_gap_frames + 1:
                s[a:b] = True
    # lone systolic frames, when longer runs exist, are noise
    runs = _runs(s)
    if any(b - a >= 3 for a, b in runs):
        for a, b in runs:
            if b - a == 1 and 0 < a and b < T:
                s[a:b] = False
    return s


def _runs(s: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of the runs of True."""
    d = np.diff(np.concatenate([[0], s.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def label_jets(
    mask: np.ndarray,
    *,
    valve_row: int | None,
    band_px: int = 8,
    min_seed_px: int = 6,
    min_jet_px: int = 20,
) -> tuple[np.ndarray, int]:
    """Label the jets of a jet mask, one label per origin at the valve.

    Each connected region of at least ``min_jet_px`` pixels is a jet, except
    that a region with several origins (separate pieces of the mask within
    ``band_px`` rows below the valve line, one per orifice) is split between
    them, every pixel going to its nearest origin: jets that touch downstream
    are still told apart. Smaller bits join the nearest jet.

    Parameters
    ----------
    mask : (h, w) bool

    Returns
    -------
    labels : (h, w) int32
        0 = background, 1..n the jets (ordered left to right by origin).
    n : int

    Examples
    --------
    >>> m = np.zeros((20, 20), bool)
    >>> m[2:18, 2:6] = True; m[2:18, 12:16] = True; m[14:18, 2:16] = True  # two jets merging
    >>> labels, n = label_jets(m, valve_row=2, band_px=5, min_seed_px=4, min_jet_px=4)
    >>> n, sorted(np.unique(labels).tolist())
    (2, [0, 1, 2])
    """
    labels = np.zeros(mask.shape, np.int32)
    if not mask.any():
        return labels, 0
    n_cc, cc, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    # origins: separate pieces of the mask just below the valve line
    seeds_of: dict[int, list[np.ndarray]] = {}
    if valve_row is not None:
        top = int(np.flatnonzero(mask.any(axis=1))[0])
        y0 = max(int(valve_row), top)
        # a thin strip of flow along the leaflets can join two orifices in
        # the rows right at the valve: look a little lower as well, and keep,
        # per region, the band that shows the most origins
        for offset in (0, band_px // 2, band_px):
            band = np.zeros_like(mask)
            band[y0 + offset : y0 + offset + band_px] = mask[y0 + offset : y0 + offset + band_px]
            n_b, lb, bstats, _ = cv2.connectedComponentsWithStats(
                band.astype(np.uint8), connectivity=8)
            found: dict[int, list[np.ndarray]] = {}
            for k in range(1, n_b):
                if bstats[k, cv2.CC_STAT_AREA] >= min_seed_px:
                    piece = lb == k
                    found.setdefault(int(cc[piece][0]), []).append(piece)
            for k, seeds in found.items():
                # an origin is a real share of the region's cross-section,
                # not a notch in a mosaic
                total = sum(int(q.sum()) for q in seeds)
                seeds = [q for q in seeds if q.sum() >= 0.15 * total]
                if len(seeds) > len(seeds_of.get(k, [])):
                    seeds_of[k] = seeds
    pieces: list[np.ndarray] = []  # one boolean mask per jet
    for k in range(1, n_cc):
        comp = cc == k
        seeds = seeds_of.get(k, [])
        if len(seeds) >= 2:  # jets that touch downstream: split by nearest origin
            seed_img = np.zeros(mask.shape, np.int32)
            for j, sd in enumerate(seeds, start=1):
                seed_img[sd] = j
            owner = np.where(comp, _nearest_label(seed_img, len(seeds)), 0)
            parts = [owner == j for j in range(1, len(seeds) + 1)]
            big = [q for q in parts if q.sum() >= min_jet_px]
            if len(big) >= 2:
                pieces.extend(big)
                continue
        if stats[k, cv2.CC_STAT_AREA] >= min_jet_px:
            pieces.append(comp)
    if not pieces:
        return labels, 0
    pieces.sort(key=lambda q: float(np.nonzero(q)[1].mean()))
    for j, q in enumerate(pieces, start=1):
        labels[q] = j
    small = mask & (labels == 0)
    if small.any():  # bits too small to be jets join the nearest jet
        labels[small] = _nearest_label(labels, len(pieces))[small]
    return labels, len(pieces)


def _nearest_label(labels: np.ndarray, n: int) -> np.ndarray:
    """For every pixel, the label ``1..n`` of the nearest labelled pixel."""
    best = np.full(labels.shape, np.inf, np.float32)
    out = np.zeros(labels.shape, np.int32)
    for k in range(1, n + 1):
        d = cv2.distanceTransform((labels != k).astype(np.uint8), cv2.DIST_L2, 5)
        closer = d < best
        best[closer] = d[closer]
        out[closer] = k
    return out
