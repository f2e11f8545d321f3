"""Regurgitant-jet segmentation on colour-flow maps.

Pure array code. Works on the colour box cut out of each frame (see
:mod:`echoassess.colourflow`), in pixel coordinates of that cut-out.

What a jet is, independent of how a machine draws it:

* **Turbulent.** An MR jet is fast (4-6 m/s, many times the Nyquist limit), so
  its core is an aliased *mosaic*: the velocity phase ``pi * v`` jumps at
  random from one colour cell to the next. Aliasing of a smooth flow
  (diastolic inflow, the flow-convergence shells, venous flow) wraps the
  velocity but keeps its phase continuous, however tight its aliasing rings:
  the phase *difference* between points a colour cell apart stays coherent
  over a neighbourhood. :mod:`echoassess.mosaic` measures exactly that, at the
  scale of the clip's colour cells, so fine and coarse mosaics read alike. A
  variance (green) channel, when the map has one, adds to it.
* **Connected to the valve, on the atrial side.** A jet is the turbulent flow
  plus the flow connected to it, starting on the annulus segment and lying
  on the atrial side of it (:func:`atrial_jet_mask`, with the annulus from
  :mod:`echoassess.valve`); dark streaks inside it are filled.
* **Systolic.** Frames without such a jet are diastole (:func:`detect_systole`).

Jets are counted by their origins along the annulus (:func:`origins_along`,
:func:`label_by_origins`), so two jets that merge downstream still count as two.
"""

from __future__ import annotations

import cv2
import numpy as np

from .results import systolic_runs

__all__ = [
    "atrial_jet_mask",
    "detect_systole",
    "origins_along",
    "label_by_origins",
    "remove_small",
    "fill_holes_mask",
]


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


def atrial_jet_mask(
    flow: np.ndarray,
    turbulent: np.ndarray,
    *,
    t: np.ndarray,
    d: np.ndarray,
    half_length_px: float,
    band_px: float,
    max_depth_px: float,
    max_half_width_px: float,
    min_core_px: int = 30,
    close_px: int = 1,
    velocity: np.ndarray | None = None,
    jet_sign: int | None = None,
    min_attachment_px: int = 0,
    max_ring_px: float | None = None,
    fill_holes: bool = True,
    region: np.ndarray | None = None,
    start_px: float | None = None,
) -> np.ndarray:
    """The regurgitant jet pixels of one frame.

    A jet is a connected region of flow on the atrial side of the annulus that
    holds at least ``min_core_px`` turbulent pixels and starts on the annulus
    segment (it has pixels within ``band_px`` of the line, within the
    segment's ends). Pieces split by dark near-zero streaks (a coarse mosaic)
    are joined by a closing of ``close_px``; holes are filled.

    Parameters
    ----------
    flow, turbulent : (h, w) bool
    t, d : (h, w) float
        Position along the annulus from its centre and signed distance into the
        atrium (:meth:`echoassess.valve.Annulus.coords`).
    half_length_px : float
        Half the annulus segment.
    max_depth_px, max_half_width_px : float
        How far into the atrium, and how far to either side of the annulus
        centre, flow may count (the atrium's size; keeps the tricuspid
        jet, the aortic root and the far field out).
    velocity : (h, w) float, optional
    jet_sign : {+1, -1}, optional
        Beam direction of the jet (+1 toward the probe: TEE; -1 away: TTE).
        Large smooth patches of the opposite direction on a jet's edge
        (venous inflow touching the jet) are cut off when given, but for the
        jet's aliasing rings, reaching no further than ``max_ring_px`` from it.
    region : (h, w) bool, optional
        A user region of interest: nothing outside counts.
    start_px : float, optional
        How far past the annulus a jet may start (the clip device's acoustic
        shadow can hide the first millimetres); ``band_px`` by default.

    Returns
    -------
    (h, w) bool

    Examples
    --------
    >>> yy, xx = np.mgrid[0:40, 0:40].astype(np.float32)
    >>> t, d = xx - 20, yy - 10          # a horizontal annulus at row 10, atrium below
    >>> flow = (np.abs(xx - 20) < 4) & (yy > 2) & (yy < 30); turb = flow & (yy > 12)  # PISA, jet
    >>> m = atrial_jet_mask(flow, turb, t=t, d=d, half_length_px=12, band_px=4,
    ...                     max_depth_px=40, max_half_width_px=20, min_core_px=10)
    >>> int(np.flatnonzero(m.any(1))[0]), bool(m[5].any())
    (10, False)
    """
    allowed, grown = _atrial_flow(
        flow, t, d, half_length_px, band_px, max_depth_px, max_half_width_px, close_px=close_px, region=region
    )
    if not allowed.any():
        return allowed
    reach = band_px if start_px is None else max(band_px, start_px)
    at_valve = (d <= reach) & (np.abs(t) <= half_length_px + band_px) & allowed
    jets = _valve_components(grown, turbulent & allowed, at_valve, min_core_px=min_core_px)
    mask = _cut_opposite_flow(
        jets & allowed, turbulent, velocity, jet_sign, min_attachment_px, min_core_px, max_ring_px
    )
    if fill_holes and mask.any():
        mask = _fill_jets(mask, grown & jets if close_px > 1 else mask, flow, d, region)
    return mask


def _cut_opposite_flow(
    mask: np.ndarray,
    turbulent: np.ndarray,
    velocity: np.ndarray | None,
    jet_sign: int | None,
    min_attachment_px: int,
    min_core_px: int,
    max_ring_px: float | None = None,
) -> np.ndarray:
    """``mask`` without the smooth flow against the jet's direction on its edge or
    between two jets (venous inflow), keeping jets with ``min_core_px`` turbulent pixels.

    A patch that meets the jet's smooth flow mostly across a velocity wrap (both
    sides fast, of opposite signs: :func:`_aliasing_rings`) is the jet's own
    aliasing ring and stays, unless it reaches further than ``max_ring_px`` from
    the rest of the jet: a ring lies in the jet's shell, a vein's flow runs away
    from the jet. Without ``velocity`` and ``jet_sign`` (or ``min_attachment_px``), ``mask``."""
    if jet_sign is None or velocity is None or min_attachment_px <= 0 or not mask.any():
        return mask
    opposite = mask & ~turbulent & (np.sign(velocity) == -int(jet_sign))
    cut = _edge_attachments(mask, opposite, min_area_px=min_attachment_px, min_rim_fraction=0.0)
    if cut.any():
        rest = mask & ~cut
        rings = _aliasing_rings(cut, rest & ~turbulent, velocity, jet_sign)
        if max_ring_px is not None and rings.any():
            rings &= ~_reaching_out(rings, rest, max_ring_px)
        cut &= ~rings
    mask = mask & ~cut
    return _with_core(mask, turbulent, min_core_px)


def _reaching_out(patches: np.ndarray, rest: np.ndarray, max_px: float) -> np.ndarray:
    """The pieces of ``patches`` with a pixel further than ``max_px`` from ``rest``.

    >>> rest = np.zeros((5, 20), bool); rest[:, :5] = True
    >>> patch = np.zeros_like(rest); patch[:, 5:7] = True   # a ring along the edge
    >>> int(_reaching_out(patch, rest, 3).sum())
    0
    >>> patch[0, 7:19] = True                               # ... running 14 px away
    >>> int(_reaching_out(patch, rest, 3).sum()), int(_reaching_out(patch, rest, 20).sum())
    (22, 0)
    """
    dist = cv2.distanceTransform((~rest).astype(np.uint8), cv2.DIST_L2, 3)
    n, lab = cv2.connectedComponents(patches.astype(np.uint8), connectivity=8)
    far = np.zeros(n, np.float32)
    np.maximum.at(far, lab[patches], dist[patches])
    out = far > max_px
    out[0] = False
    return out[lab]


def _aliasing_rings(
    patches: np.ndarray,
    smooth: np.ndarray,
    velocity: np.ndarray,
    jet_sign: int,
    *,
    fast: float = 0.5,
    min_wrap_fraction: float = 0.5,
) -> np.ndarray:
    """The pieces of ``patches`` (smooth flow against the jet's direction) that
    meet the jet's ``smooth`` flow mostly across a velocity wrap: the patch's
    pixels there and their neighbours on the jet's side both at least ``fast``
    (a fraction of the Nyquist velocity), of opposite signs. That is aliasing
    (the flow speeds up past the Nyquist velocity and its colour wraps to the
    other end of the bar), not venous inflow, which meets the jet's slow shell
    slowly.

    >>> v = np.zeros((9, 12), np.float32)
    >>> v[:, :4] = 0.3; v[:, 4:8] = -0.8; v[:, 8:] = 0.9   # shell, wrapped band, shell
    >>> patch = v < 0
    >>> bool(_aliasing_rings(patch, ~patch, v, +1).any())
    True
    >>> v[:, 8:] = 0.3                                      # both neighbours slow: inflow
    >>> bool(_aliasing_rings(patch, ~patch, v, +1).any())
    False
    """
    k3 = np.ones((3, 3), np.uint8)
    near_smooth = cv2.dilate(smooth.astype(np.uint8), k3).astype(bool)
    fast_jet = smooth & (np.sign(velocity) == int(jet_sign)) & (np.abs(velocity) >= fast)
    near_fast = cv2.dilate(fast_jet.astype(np.uint8), k3).astype(bool)
    n, lab = cv2.connectedComponents(patches.astype(np.uint8), connectivity=8)
    touch = np.bincount(lab[patches & near_smooth], minlength=n)
    wrap = np.bincount(lab[patches & near_fast & (np.abs(velocity) >= fast)], minlength=n)
    keep = (touch > 0) & (wrap >= min_wrap_fraction * touch)
    keep[0] = False
    return keep[lab]


def _fill_jets(
    mask: np.ndarray, outline: np.ndarray, flow: np.ndarray, d: np.ndarray, region: np.ndarray | None
) -> np.ndarray:
    """``mask`` with the holes of ``outline`` that show no flow (dark streaks) filled,
    on the atrial side and inside ``region``."""
    filled = fill_holes_mask(outline)
    mask = (mask | (filled & ~flow)) & (d >= 0)
    if region is not None:
        mask &= region
    return mask


def _atrial_flow(
    flow: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    half_length_px: float,
    band_px: float,
    max_depth_px: float,
    max_half_width_px: float,
    *,
    close_px: int,
    region: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(allowed, grown)``: the flow on the atrial side within the atrium's reach
    (widening 0.6 px per px of depth past the annulus segment), and the same closed
    over ``close_px`` to join pieces split by dark streaks."""
    lateral = np.minimum(half_length_px + 0.6 * np.maximum(d, 0) + band_px, max_half_width_px)
    allowed = flow & (d >= 0) & (d <= max_depth_px) & (np.abs(t) <= lateral)
    if region is not None:
        allowed &= region
    grown = allowed
    if close_px > 1 and allowed.any():
        k = np.ones((int(close_px), int(close_px)), np.uint8)
        grown = cv2.morphologyEx(allowed.astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool)
        grown &= (d >= 0) & (np.abs(t) <= lateral)
    return allowed, grown


def _valve_components(
    grown: np.ndarray, core: np.ndarray, at_valve: np.ndarray, *, min_core_px: int
) -> np.ndarray:
    """The connected components of ``grown`` (8-connected) holding at least
    ``min_core_px`` pixels of ``core`` and at least one of ``at_valve``."""
    n, lab = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
    cores = np.bincount(lab[core], minlength=n)
    starts = np.bincount(lab[at_valve], minlength=n)
    keep = (cores >= min_core_px) & (starts > 0)
    keep[0] = False
    return keep[lab]


def origins_along(
    mask: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    *,
    band_px: float,
    gap_px: float,
    min_share: float = 0.15,
    start_px: float = 0.0,
) -> list[tuple[float, float]]:
    """Where a frame's jets leave the valve: runs along the annulus.

    The jet pixels ``start_px`` to ``band_px`` into the atrium are projected onto it;
    runs separated by at least ``gap_px`` are separate origins (orifices);
    runs smaller than ``min_share`` of the band are notches, not origins.

    Returns
    -------
    list of (t_start, t_end)
        Along-annulus extent of each origin, left to right along the annulus.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:20, 0:40].astype(np.float32)
    >>> m = ((np.abs(xx - 10) < 3) | (np.abs(xx - 28) < 3)) & (yy > 4)
    >>> origins_along(m, xx - 20, yy - 5, band_px=3, gap_px=2)
    [(-12.0, -8.0), (6.0, 10.0)]
    """
    sel = mask & (d >= start_px) & (d <= band_px)
    if not sel.any():
        return []
    tv = np.round(t[sel]).astype(int)
    lo = int(tv.min())
    hist = np.bincount(tv - lo)
    on = hist > 0
    # bridge gaps narrower than gap_px
    idx = np.flatnonzero(on)
    runs: list[list[int]] = []
    for i in idx:
        if runs and i - runs[-1][1] <= gap_px:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    total = float(hist.sum())
    # a run can still hold two orifices whose jets touch: split it at a deep
    # valley of the along-annulus profile
    split: list[tuple[int, int]] = []
    for a, b in runs:
        mass = float(hist[a : b + 1].sum())
        split.extend(
            _split_at_valleys(
                hist.astype(float),
                a,
                b,
                min_mass=max(min_share * total, 0.25 * mass),
                min_width=int(np.ceil(gap_px)),
            )
        )
    # a sliver narrower than the gap is a notch in one orifice's jet, not an orifice
    merged: list[list[int]] = []
    for a, b in split:
        if (
            merged
            and (b - a + 1 < gap_px or merged[-1][1] - merged[-1][0] + 1 < gap_px)
            and a - merged[-1][1] <= 2 * gap_px
        ):
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        if hist[a : b + 1].sum() >= min_share * total:
            out.append((float(a + lo), float(b + lo)))
    return out


def _split_at_valleys(
    hist: np.ndarray, a: int, b: int, *, min_mass: float, depth: float = 0.25, min_width: int = 2
) -> list[tuple[int, int]]:
    """``[a, b]`` split recursively where the (3-bin smoothed) profile falls below
    ``depth`` times the lower of the peaks on either side; both parts at least
    ``min_width`` bins wide."""
    if b - a < 2 * min_width + 1:
        return [(a, b)]
    seg = np.convolve(hist[a : b + 1], np.ones(3) / 3, mode="same")
    left_max = np.maximum.accumulate(seg)  # max of seg[:j + 1]
    right_max = np.maximum.accumulate(seg[::-1])[::-1]  # max of seg[j:]
    best, best_ratio = None, depth
    for j in range(max(2, min_width), len(seg) - max(2, min_width)):
        left, right = left_max[j - 1], right_max[j + 1]
        ratio = seg[j] / max(min(left, right), 1e-9)
        if (
            ratio < best_ratio
            and hist[a : a + j].sum() >= min_mass
            and hist[a + j + 1 : b + 1].sum() >= min_mass
        ):
            best, best_ratio = j, ratio
    if best is None:
        return [(a, b)]
    return _split_at_valleys(
        hist, a, a + best - 1, min_mass=min_mass, depth=depth, min_width=min_width
    ) + _split_at_valleys(hist, a + best + 1, b, min_mass=min_mass, depth=depth, min_width=min_width)


def label_by_origins(
    mask: np.ndarray,
    t: np.ndarray,
    d: np.ndarray,
    origins: list[tuple[float, float]],
    *,
    band_px: float,
    min_jet_px: int = 1,
    start_px: float = 0.0,
) -> tuple[np.ndarray, int]:
    """Label a frame's jet pixels by their origin on the annulus.

    Every connected region of ``mask`` goes whole to one jet, except a region
    fed by several origins (jets that touch downstream), which is split
    between them, each pixel going to the nearest origin. Jets smaller than
    ``min_jet_px`` join their nearest neighbour.

    Returns
    -------
    labels : (h, w) int32
        0 = background, 1..n jets in the order of ``origins``.
    n : int

    Examples
    --------
    >>> yy, xx = np.mgrid[0:30, 0:40].astype(np.float32)
    >>> m = ((np.abs(xx - 10) < 3) | (np.abs(xx - 28) < 3) | (yy > 22)) & (yy > 4)
    >>> lab, n = label_by_origins(m, xx - 20, yy - 5, [(-12, -8), (6, 10)], band_px=3)
    >>> n, int(lab[10, 10]), int(lab[10, 28]), int(lab[25, 5]), int(lab[25, 35])
    (2, 1, 2, 1, 2)
    """
    labels = np.zeros(mask.shape, np.int32)
    if not mask.any():
        return labels, 0
    if len(origins) <= 1:
        labels[mask] = 1
        return labels, 1
    band = mask & (d >= start_px) & (d <= band_px)
    seeds = np.zeros(mask.shape, np.int32)
    for j, (a, b) in enumerate(origins, start=1):
        seeds[band & (t >= a - 0.5) & (t <= b + 0.5)] = j
    n_o = len(origins)
    nearest = _nearest_label(seeds, n_o)
    n_cc, cc = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    for k in range(1, n_cc):
        comp = cc == k
        fed = np.unique(seeds[comp & (seeds > 0)])
        if fed.size <= 1:
            # a region fed by no origin (it starts off the band) goes to the nearest
            labels[comp] = int(fed[0]) if fed.size else int(np.bincount(nearest[comp]).argmax())
        else:
            sub = np.where(np.isin(nearest, fed), nearest, 0)
            if (sub[comp] == 0).any():  # pixels nearest to an origin of another region
                sub = _nearest_label(np.where(np.isin(seeds, fed), seeds, 0), n_o)
            labels[comp] = sub[comp]
    present = [j for j in range(1, n_o + 1) if (labels == j).any()]
    sizes = {j: int((labels == j).sum()) for j in present}
    small = [j for j in present if sizes[j] < min_jet_px]
    if small and len(small) < len(present):
        big = np.zeros_like(labels)
        for j in present:
            if j not in small:
                big[labels == j] = j
        near = _nearest_label(big, n_o)
        for j in small:
            labels[labels == j] = near[labels == j]
    # renumber 1..n in origin order
    out = np.zeros_like(labels)
    n = 0
    for j in range(1, n_o + 1):
        if (labels == j).any():
            n += 1
            out[labels == j] = n
    return out, n


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
    mask: np.ndarray,
    patch: np.ndarray,
    *,
    min_area_px: int,
    rim_px: int = 2,
    min_rim_fraction: float = 0.2,
) -> np.ndarray:
    """Connected pieces of ``patch`` (within ``mask``) that are large and lie
    on the edge of ``mask`` (at least ``min_rim_fraction`` of their pixels
    in its outer ``rim_px`` pixels)."""
    if not patch.any():
        return np.zeros_like(mask)
    k = 2 * int(rim_px) + 1
    inner = cv2.erode(
        mask.astype(np.uint8), np.ones((k, k), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0
    ).astype(bool)
    rim = mask & ~inner
    n, lab, stats, _ = cv2.connectedComponentsWithStats(patch.astype(np.uint8), connectivity=8)
    on_rim = np.bincount(lab[rim & patch], minlength=n)
    area = stats[:, cv2.CC_STAT_AREA]
    sel = (area >= min_area_px) & (on_rim >= min_rim_fraction * area)
    sel[0] = False
    return sel[lab]


def detect_systole(jet_px: np.ndarray, *, min_jet_px: float, max_gap_frames: int = 1) -> np.ndarray:
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
    runs = systolic_runs(s.tolist())
    if any(b - a >= 3 for a, b in runs):
        for a, b in runs:
            if b - a == 1 and 0 < a and b < T:
                s[a:b] = False
    return s


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
