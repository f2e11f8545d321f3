"""Colour-flow geometry and the colour -> velocity map.

Pure array code (numpy, OpenCV). The stages of the data's path that
live here:

1. the colour box: where colour flow may be shown (the DICOM colour-flow
   region when the file has one, otherwise found from the pixels that change
   colour over time, see :func:`find_colour_box`);
2. the colour bar: the legend beside the image, located in the frame
   (:func:`find_colour_bar`) and read into a colour -> signed velocity lookup
   in units of the Nyquist limit (:func:`build_colour_lut`): the top of the bar
   is +1 (toward the probe), the bottom -1 (away). Bars whose columns differ
   (velocity-variance maps) also give a variance (turbulence) level. The
   lookup matches colours to the bar in CIELAB, so it works with any vendor's
   map;
3. the per-frame flow map (:func:`flow_map`): every pixel of the colour box ->
   flow or not, signed velocity fraction, variance.

Grey (B-mode) pixels have no chroma and are never flow; JPEG 4:2:2 chroma
blur at colour edges is handled by the chroma threshold (a blurred edge pixel
keeps about half the chroma of its coloured neighbour) and by closing small
holes later in :mod:`echoassess.segmentation`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "ColourBar",
    "ColourLUT",
    "FlowMap",
    "rgb_to_lab",
    "chroma",
    "channel_max",
    "channel_min",
    "find_colour_bar",
    "default_colour_bar",
    "colour_bar_from_pixels",
    "build_colour_lut",
    "flow_map",
    "find_colour_box",
]


# -- colour spaces -------------------------------------------------------------
def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours.

    Parameters
    ----------
    rgb : (..., 3) uint8

    Returns
    -------
    (..., 3) float32
        L in 0..100, a and b roughly -128..127.

    Examples
    --------
    >>> lab = rgb_to_lab(np.array([[255, 255, 255], [255, 0, 0]], np.uint8))
    >>> np.round(lab[:, 0]).tolist()
    [100.0, 53.0]
    """
    arr = np.asarray(rgb, dtype=np.uint8)
    flat = arr.reshape(-1, 1, 3).astype(np.float32) / 255.0
    lab = cv2.cvtColor(flat, cv2.COLOR_RGB2Lab)
    return lab.reshape(arr.shape).astype(np.float32)


def chroma(rgb: np.ndarray) -> np.ndarray:
    """CIELAB chroma ``sqrt(a^2 + b^2)`` of sRGB colours, ``(...,)`` float32.

    Grey (R = G = B) has chroma 0.
    """
    lab = rgb_to_lab(rgb)
    return np.hypot(lab[..., 1], lab[..., 2])


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """``rgb.max(axis=-1)`` of a ``(..., 3)`` array, channel by channel (many times faster)."""
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """``rgb.min(axis=-1)`` of a ``(..., 3)`` array, channel by channel."""
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


# -- the colour bar -------------------------------------------------------------
@dataclass(frozen=True)
class ColourBar:
    """A colour-Doppler legend read into samples.

    Attributes
    ----------
    bbox_xyxy : (int, int, int, int)
        Inclusive pixel bounds of the bar (``(-1, -1, -1, -1)`` for the
        built-in default map).
    colours : (N, 3) uint8
        Sampled bar colours.
    velocities : (N,) float32
        Signed velocity of each sample in units of the Nyquist limit:
        +1 = top of the bar (toward the probe), -1 = bottom (away).
    variances : (N,) float32
        Variance (turbulence) level 0..1 of each sample; all 0 for maps
        without variance.
    has_variance : bool
        Whether the bar's columns differ (a velocity-variance map).
    source : str
        ``"detected"`` (read from the frame) or ``"default"``.
    """

    bbox_xyxy: tuple[int, int, int, int]
    colours: np.ndarray
    velocities: np.ndarray
    variances: np.ndarray
    has_variance: bool
    source: str = "detected"

    @property
    def n_rows(self) -> int:
        x0, y0, x1, y1 = self.bbox_xyxy
        return y1 - y0 + 1 if y0 >= 0 else 0


def colour_bar_from_pixels(
    bar_rgb: np.ndarray,
    *,
    bbox_xyxy: tuple[int, int, int, int] = (-1, -1, -1, -1),
    source: str = "detected",
    variance_min_diff: float = 30.0,
) -> ColourBar:
    """Read a cut-out colour bar (top = +Nyquist) into a :class:`ColourBar`.

    Parameters
    ----------
    bar_rgb : (rows, cols, 3) uint8
        The bar's pixels. Row ``i`` of ``n`` stands for the velocity
        ``1 - (2 i + 1) / n`` (Nyquist units). When the first and last
        columns differ by more than ``variance_min_diff`` (mean absolute RGB
        difference) the bar is read as a velocity-variance map: column ``j``
        of ``m`` has variance ``j / (m - 1)``.

    Examples
    --------
    >>> bar = np.zeros((4, 2, 3), np.uint8)
    >>> bar[0], bar[1], bar[2], bar[3] = (255, 255, 0), (200, 0, 0), (0, 0, 200), (0, 255, 255)
    >>> cb = colour_bar_from_pixels(bar)
    >>> cb.velocities.tolist(), cb.has_variance
    ([0.75, 0.25, -0.25, -0.75], False)
    """
    bar = np.asarray(bar_rgb, dtype=np.uint8)
    n, m = bar.shape[:2]
    vel_rows = (1.0 - (2.0 * np.arange(n) + 1.0) / n).astype(np.float32)
    # compare columns a fifth in from each side (the outermost columns may be
    # smeared by JPEG chroma subsampling)
    j0, j1 = int(round(0.2 * (m - 1))), int(round(0.8 * (m - 1)))
    diff = float(np.abs(bar[:, j0].astype(np.int16) - bar[:, j1].astype(np.int16)).mean())
    has_var = m > 2 and diff > variance_min_diff * (j1 - j0) / max(m - 1, 1)
    if has_var:
        # keep the inner columns; variance follows the column position
        cols = np.arange(1, m - 1) if m >= 6 else np.arange(m)
        colours = bar[:, cols].reshape(-1, 3)
        velocities = np.repeat(vel_rows, len(cols))
        variances = np.tile((cols / (m - 1)).astype(np.float32), n)
    else:
        inner = bar[:, 1:-1] if m >= 6 else bar
        colours = np.median(inner, axis=1).astype(np.uint8)
        velocities = vel_rows
        variances = np.zeros(n, np.float32)
    x0, y0, x1, y1 = (int(v) for v in bbox_xyxy)
    return ColourBar(
        (x0, y0, x1, y1),
        colours,
        velocities.astype(np.float32),
        variances.astype(np.float32),
        bool(has_var),
        source,
    )


def default_colour_bar(n_rows: int = 128) -> ColourBar:
    """A generic red-yellow (toward) / blue-cyan (away) velocity map.

    Used only when no colour bar can be found in the image; results then carry
    a warning.
    """
    u = 1.0 - (2.0 * np.arange(n_rows) + 1.0) / n_rows
    mag = np.clip((np.abs(u) - 0.08) / 0.92, 0, 1)
    pos = np.stack(
        [
            np.interp(mag, [0, 0.4, 0.75, 1], c)
            for c in ([80, 200, 255, 255], [0, 20, 130, 240], [0, 10, 20, 140])
        ],
        axis=-1,
    )
    neg = np.stack(
        [
            np.interp(mag, [0, 0.4, 0.75, 1], c)
            for c in ([0, 10, 40, 170], [10, 60, 170, 245], [90, 230, 255, 255])
        ],
        axis=-1,
    )
    rgb = np.where((u >= 0)[:, None], pos, neg)
    rgb[np.abs(u) < 0.08] = 0
    return colour_bar_from_pixels(np.rint(rgb).astype(np.uint8)[:, None, :], source="default")


def find_colour_bar(
    frame: np.ndarray,
    *,
    exclude_xyxy: tuple[int, int, int, int] | None = None,
    min_height_px: int = 24,
    min_saturation: int = 40,
    min_aspect: float = 1.5,
    min_fill: float = 0.6,
    min_height_to_width: float = 3.0,
    min_lab_change: float = 30.0,
) -> ColourBar | None:
    """Locate the colour-Doppler legend in a frame and read it.

    The bar is a tall, narrow strip of saturated colour whose colour changes
    from top to bottom (usually split in two by a black zero-velocity band).
    Strips of colour are found as connected components, pieces stacked in one
    column are joined, and the tallest strip that changes colour along its
    height wins.

    Parameters
    ----------
    frame : (H, W, 3) uint8
        One RGB frame (the bar is static, any frame will do).
    exclude_xyxy : (int, int, int, int), optional
        The colour box (inclusive bounds), whose flow colours are ignored.
    min_height_px : int
        Shortest bar accepted.
    min_saturation : int
        ``max(R, G, B) - min(R, G, B)`` above which a pixel counts as coloured.
    min_aspect, min_fill : float
        A piece of the bar is this many times taller than wide and fills this
        fraction of its box (text, traces and outlines are sparse).
    min_height_to_width : float
        The joined bar is this many times taller than wide.
    min_lab_change : float
        CIELAB distance between the bar's top and bottom quarters: the colour
        must change along the bar.

    Returns
    -------
    ColourBar or None
        ``None`` when no bar-like strip is found.
    """
    rgb = np.asarray(frame)
    sat = channel_max(rgb).astype(np.int16) - channel_min(rgb)
    coloured = sat > min_saturation
    if exclude_xyxy is not None:
        x0, y0, x1, y1 = exclude_xyxy
        coloured[max(0, y0) : y1 + 1, max(0, x0) : x1 + 1] = False
    pieces = _bar_pieces(coloured, min_aspect=min_aspect, min_fill=min_fill)
    if not pieces:
        return None
    best = _tallest_changing_strip(
        rgb,
        _stack_pieces(pieces),
        min_height_px=min_height_px,
        min_height_to_width=min_height_to_width,
        min_lab_change=min_lab_change,
    )
    if best is None:
        return None
    x0, y0, x1, y1 = best
    return colour_bar_from_pixels(rgb[y0 : y1 + 1, x0 : x1 + 1], bbox_xyxy=best)


def _bar_pieces(coloured: np.ndarray, *, min_aspect: float, min_fill: float) -> list[list[int]]:
    """Boxes ``[x0, y0, x1, y1]`` of the coloured components that may be pieces of
    the bar: at least 6 px tall, ``min_aspect`` times taller than wide and filling
    ``min_fill`` of their box (text, traces and outlines are sparse)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(coloured.astype(np.uint8), connectivity=8)
    pieces = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if h < 6 or w < 2 or h < min_aspect * w:
            continue
        if area < min_fill * w * h:
            continue
        pieces.append([x, y, x + w - 1, y + h - 1])
    return pieces


def _stack_pieces(pieces: list[list[int]]) -> list[list[int]]:
    """Join pieces stacked in the same columns (the two halves of the bar, split by
    its black zero band): overlapping over 0.6 of the narrower's width, with a gap
    of at most half the taller's height (+2 px)."""
    pieces = sorted(pieces, key=lambda b: b[1])
    groups: list[list[int]] = []
    for b in pieces:
        for g in groups:
            overlap = min(g[2], b[2]) - max(g[0], b[0]) + 1
            narrow = min(g[2] - g[0], b[2] - b[0]) + 1
            gap = b[1] - g[3]
            if overlap >= 0.6 * narrow and gap <= 0.5 * max(g[3] - g[1], b[3] - b[1]) + 2:
                g[:] = [max(g[0], b[0]), min(g[1], b[1]), min(g[2], b[2]), max(g[3], b[3])]
                break
        else:
            groups.append(list(b))
    return groups


def _tallest_changing_strip(
    rgb: np.ndarray,
    groups: list[list[int]],
    *,
    min_height_px: int,
    min_height_to_width: float,
    min_lab_change: float,
) -> tuple[int, int, int, int] | None:
    """The tallest strip (inclusive box) that is tall and narrow enough and whose
    colour changes along it (top and bottom quarters ``min_lab_change`` apart in CIELAB)."""
    best = None
    for x0, y0, x1, y1 in groups:
        h, w = y1 - y0 + 1, x1 - x0 + 1
        if h < min_height_px or h < min_height_to_width * w:
            continue
        strip = rgb[y0 : y1 + 1, x0 : x1 + 1]
        lab = rgb_to_lab(np.median(strip, axis=1).astype(np.uint8))
        q = max(1, h // 4)
        if np.linalg.norm(lab[:q].mean(0) - lab[-q:].mean(0)) < min_lab_change:
            continue
        if best is None or h > best[3] - best[1] + 1:
            best = (x0, y0, x1, y1)
    return best


# -- lookup table ---------------------------------------------------------------
@dataclass(frozen=True)
class ColourLUT:
    """Quantised RGB -> (flow, velocity, variance), built once per clip.

    Index of a colour: ``(r >> s) << 2b | (g >> s) << b | (b >> s)`` with
    ``b = bits`` and ``s = 8 - bits``.

    Attributes
    ----------
    bits : int
        Bits kept per channel (5 -> 32 x 32 x 32 bins).
    is_flow : (2**(3*bits),) bool
        The colour is a flow colour: chroma at least ``min_chroma`` and
        within ``max_distance`` (CIELAB) of a bar colour.
    velocity : (2**(3*bits),) float32
        Signed velocity (Nyquist units) of the nearest bar colour.
    variance : (2**(3*bits),) float32
    bar : ColourBar
    """

    bits: int
    is_flow: np.ndarray
    velocity: np.ndarray
    variance: np.ndarray
    bar: ColourBar

    def quantized(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-bin tables of what a clip scan keeps: ``flow`` (bool),
        ``velocity * 127`` (int8) and ``variance * 255`` (uint8), both 0 where
        the bin is not flow; the same values as quantising :func:`flow_map`'s
        output, looked up once per pixel instead of computed."""
        v = np.where(self.is_flow, self.velocity, np.float32(0)).astype(np.float32)
        var = np.where(self.is_flow, self.variance, np.float32(0)).astype(np.float32)
        return (
            self.is_flow.copy(),
            np.clip(np.rint(v * 127), -127, 127).astype(np.int8),
            np.clip(np.rint(var * 255), 0, 255).astype(np.uint8),
        )

    def index16(self, rgb: np.ndarray) -> np.ndarray:
        """:meth:`index` as ``(...,)`` uint16 (``bits <= 5``), with fewer passes."""
        s, b = 8 - self.bits, self.bits
        idx = (rgb[..., 0] >> s).astype(np.uint16) << (2 * b)
        idx |= (rgb[..., 1] >> s).astype(np.uint16) << b
        idx |= rgb[..., 2] >> s
        return idx

    def index(self, rgb: np.ndarray) -> np.ndarray:
        """Bin index of each pixel of ``(..., 3) uint8``, as ``(...,)`` int32."""
        s = 8 - self.bits
        rgb = np.asarray(rgb)
        r = (rgb[..., 0] >> s).astype(np.int32)
        g = (rgb[..., 1] >> s).astype(np.int32)
        b = (rgb[..., 2] >> s).astype(np.int32)
        return (r << (2 * self.bits)) | (g << self.bits) | b


def build_colour_lut(
    bar: ColourBar,
    *,
    bits: int = 5,
    min_chroma: float = 14.0,
    max_distance: float = 40.0,
    bar_min_chroma: float = 10.0,
    dark_lightness: float = 0.0,
    min_chroma_dark: float | None = None,
) -> ColourLUT:
    """Build the quantised colour -> velocity lookup of a clip from its bar.

    Each RGB bin is converted to CIELAB and matched to the nearest bar colour
    (bins with CIELAB lightness below ``dark_lightness`` need a chroma of
    ``min_chroma_dark`` rather than ``min_chroma``: a dark blood-pool pixel
    beside a jet keeps its dark luma under JPEG chroma blur)
    (black and grey bar samples, the zero-velocity band, are left out of the
    match: they are indistinguishable from tissue).

    Examples
    --------
    >>> bar = colour_bar_from_pixels(np.array([[[255, 255, 0]], [[200, 0, 0]], [[0, 0, 0]],
    ...                                          [[0, 0, 200]], [[0, 255, 255]]], np.uint8))
    >>> lut = build_colour_lut(bar)
    >>> px = np.array([[200, 0, 0], [0, 250, 250], [90, 90, 90]], np.uint8)
    >>> lut.is_flow[lut.index(px)].tolist(), lut.velocity[lut.index(px)][:2].astype(float).round(2).tolist()
    ([True, True, False], [0.4, -0.8])
    >>> build_colour_lut(bar).velocity is lut.velocity  # the same bar again: the same (read-only) tables
    True
    """
    c = np.ascontiguousarray(bar.colours, np.uint8).tobytes()
    v = np.ascontiguousarray(bar.velocities, np.float32).tobytes()
    var = np.ascontiguousarray(bar.variances, np.float32).tobytes()
    options = (bits, min_chroma, max_distance, bar_min_chroma, dark_lightness, min_chroma_dark)
    return ColourLUT(bits, *_lut_tables(c, v, var, *options), bar)


@functools.lru_cache(maxsize=8)  # a batch from one machine shows the same bar again and again
def _lut_tables(
    colours: bytes,
    velocities: bytes,
    variances: bytes,
    bits: int,
    min_chroma: float,
    max_distance: float,
    bar_min_chroma: float,
    dark_lightness: float,
    min_chroma_dark: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(is_flow, velocity, variance)`` tables (read-only) of the bar given as bytes."""
    bar_rgb = np.frombuffer(colours, np.uint8).reshape(-1, 3)
    bar_v, bar_var = np.frombuffer(velocities, np.float32), np.frombuffer(variances, np.float32)
    n = 1 << bits
    centres = (np.arange(n) << (8 - bits)) + (1 << (7 - bits))
    r, g, b = np.meshgrid(centres, centres, centres, indexing="ij")
    cube = np.stack([r, g, b], axis=-1).reshape(-1, 3).astype(np.uint8)
    lab = rgb_to_lab(cube)
    c = np.hypot(lab[:, 1], lab[:, 2])
    bar_lab = rgb_to_lab(bar_rgb)
    keep = np.hypot(bar_lab[:, 1], bar_lab[:, 2]) >= bar_min_chroma
    # dark pixels beside colour pick up chroma from JPEG chroma blur while
    # keeping their dark luma: ask more chroma of them
    need = np.where(
        lab[:, 0] < dark_lightness, min_chroma if min_chroma_dark is None else min_chroma_dark, min_chroma
    )
    size = n**3
    velocity = np.zeros(size, np.float32)
    variance = np.zeros(size, np.float32)
    is_flow = np.zeros(size, bool)
    if keep.any():
        cand = np.flatnonzero(c >= need)
        dist, idx = _nearest(lab[cand], bar_lab[keep])
        velocity[cand] = bar_v[keep][idx]
        variance[cand] = bar_var[keep][idx]
        is_flow[cand] = dist <= max_distance
    for table in (is_flow, velocity, variance):
        table.setflags(write=False)
    return is_flow, velocity, variance


#: Bars with more colours than this (variance maps: thousands) are matched with
#: a k-d tree; brute force is faster below it (and needs no SciPy import).
_KD_TREE_MIN_TRAIN = 256


def _nearest(query: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest neighbour (Euclidean) of each query row among the train rows.

    Ties go to the first of equal train rows. Brute force (OpenCV) for small
    bars; a k-d tree over the distinct bar colours for large ones (a variance
    map's bar: 0.6 s -> 0.1 s per clip; the same lookup tables on the test clips).
    """
    if len(train) > _KD_TREE_MIN_TRAIN:
        from scipy.spatial import cKDTree

        t64 = np.ascontiguousarray(train, np.float32).astype(np.float64)
        _, first = np.unique(t64, axis=0, return_index=True)
        first = np.sort(first)
        dist, k = cKDTree(t64[first]).query(np.ascontiguousarray(query, np.float32).astype(np.float64), k=1)
        return dist.astype(np.float32), first[k].astype(np.int64)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    matches = matcher.match(np.ascontiguousarray(query, np.float32), np.ascontiguousarray(train, np.float32))
    idx = np.fromiter((m.trainIdx for m in matches), np.int64, len(matches))
    dist = np.fromiter((m.distance for m in matches), np.float32, len(matches))
    return dist, idx


# -- per-frame flow map -------------------------------------------------------------
@dataclass(frozen=True)
class FlowMap:
    """The flow shown in one colour box.

    Attributes
    ----------
    flow : (h, w) bool
        Pixels showing colour flow.
    velocity : (h, w) float32
        Signed velocity in Nyquist units (+ toward the probe), 0 where no flow.
    variance : (h, w) float32
        Variance level 0..1 (0 for maps without variance or where no flow).
    """

    flow: np.ndarray
    velocity: np.ndarray
    variance: np.ndarray


def flow_map(rgb: np.ndarray, lut: ColourLUT, *, inside: np.ndarray | None = None) -> FlowMap:
    """Map the pixels of a colour box to flow, velocity and variance.

    Parameters
    ----------
    rgb : (h, w, 3) uint8
        The colour box cut out of a frame.
    lut : ColourLUT
    inside : (h, w) bool, optional
        Pixels that belong to the box (for non-rectangular boxes); pixels
        outside are never flow.

    Examples
    --------
    >>> bar = colour_bar_from_pixels(np.array([[[255, 255, 0]], [[200, 0, 0]], [[0, 0, 0]],
    ...                                          [[0, 0, 200]], [[0, 255, 255]]], np.uint8))
    >>> lut = build_colour_lut(bar)
    >>> box = np.array([[[200, 0, 0], [120, 120, 120]]], np.uint8)
    >>> fm = flow_map(box, lut)
    >>> fm.flow.tolist(), fm.velocity.astype(float).round(2).tolist()
    ([[True, False]], [[0.4, 0.0]])
    """
    idx = lut.index(rgb)
    flow = lut.is_flow[idx]
    if inside is not None:
        flow &= inside
    velocity = np.where(flow, lut.velocity[idx], np.float32(0))
    variance = np.where(flow, lut.variance[idx], np.float32(0))
    return FlowMap(flow, velocity.astype(np.float32), variance.astype(np.float32))


# -- the colour box when the file does not give one ------------------------------
def find_colour_box(
    frames: np.ndarray, *, min_saturation: int = 40, margin_px: int = 2
) -> tuple[int, int, int, int] | None:
    """Find the colour box from the pixels of a few frames.

    Colour flow changes from frame to frame; the colour bar, logos, the ECG
    trace and coloured text do not. The box is the bounding box of the largest
    cluster of pixels that are coloured in some frames but not identical in
    all of them.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8
        A handful of frames spread over the clip (``T >= 2``).

    Returns
    -------
    (x0, y0, x1, y1) or None
        Inclusive bounds, or ``None`` when no colour flow is seen.
    """
    arr = np.asarray(frames)
    sat = channel_max(arr).astype(np.int16) - channel_min(arr)
    coloured = sat > min_saturation
    ever = coloured.any(axis=0)
    if arr.shape[0] >= 2:
        spread = (arr.max(axis=0).astype(np.int16) - arr.min(axis=0)).max(axis=-1)
        ever &= spread > 24
    if not ever.any():
        return None
    size = max(5, int(0.02 * max(arr.shape[1:3])))
    merged = cv2.dilate(ever.astype(np.uint8), np.ones((size, size), np.uint8))
    n, labels = cv2.connectedComponents(merged, connectivity=4)
    counts = np.bincount(labels[ever], minlength=n)
    counts[0] = 0
    k = int(np.argmax(counts))
    if counts[k] < 20:
        return None
    ys, xs = np.nonzero(ever & (labels == k))
    h, w = arr.shape[1:3]
    return (
        max(0, int(xs.min()) - margin_px),
        max(0, int(ys.min()) - margin_px),
        min(w - 1, int(xs.max()) + margin_px),
        min(h - 1, int(ys.max()) + margin_px),
    )
