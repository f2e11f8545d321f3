"""The mitral valve at any angle, in any view: annulus line, atrial side, jet origins.

Pure array code, in pixel coordinates of the colour box (x = column, y = row).

The transducer sits at the fan's apex. In transthoracic views (apical 4-, 2-,
3-chamber, parasternal long axis) the left atrium lies *deeper* than the mitral
valve; in transoesophageal views (mid-oesophageal 4-chamber, commissural,
LVOT) the probe sits behind the atrium, so the atrium lies *shallower* than
the valve, right under the probe, and the regurgitant jet flows toward it.
Everything here is written in terms of the *atrial depth*
``a = side * (distance from the apex)``, with ``side = +1`` (TTE) or ``-1``
(TEE), so one rule serves both.

An :class:`Annulus` is the line through the two annulus hinge points. Its
normal points into the atrium; a jet is flow on the atrial side that starts on
the annulus segment. The annulus is found from the jets themselves (the
upstream end of each turbulent core, the orifice, over the systolic frames)
and its tilt from the bright closed leaflets (or from two orifices side by
side), or given by the user.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .fan import open_grid
from .leaflets import best_tissue_line

__all__ = [
    "Annulus",
    "Origin",
    "annulus_from_points",
    "atrial_depth",
    "core_origins",
    "cluster_origins",
    "find_neck",
    "fit_annulus",
    "split_by_frames",
    "infer_side",
]


@dataclass(frozen=True)
class Annulus:
    """The mitral annulus as a line segment with an atrial side.

    Attributes
    ----------
    cx, cy : float
        Centre of the segment (pixels).
    ux, uy : float
        Unit vector along the annulus.
    nx, ny : float
        Unit normal pointing into the left atrium.
    half_length_px : float
        Half the annulus length.
    """

    cx: float
    cy: float
    ux: float
    uy: float
    nx: float
    ny: float
    half_length_px: float

    @property
    def points(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The two hinge points ``((x1, y1), (x2, y2))``."""
        h = self.half_length_px
        return (
            (self.cx - h * self.ux, self.cy - h * self.uy),
            (self.cx + h * self.ux, self.cy + h * self.uy),
        )

    @property
    def tilt_deg(self) -> float:
        """Angle of the annulus from the horizontal, degrees (-90..90)."""
        ang = math.degrees(math.atan2(self.uy, self.ux))
        if ang > 90:
            ang -= 180
        elif ang <= -90:
            ang += 180
        return ang

    def coords(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(t, d)`` of every pixel: position along the annulus from its centre,
        and signed distance into the atrium (negative on the ventricular side)."""
        yy, xx = open_grid(shape)
        dx, dy = xx - np.float32(self.cx), yy - np.float32(self.cy)
        t = dx * np.float32(self.ux) + dy * np.float32(self.uy)
        d = dx * np.float32(self.nx) + dy * np.float32(self.ny)
        return t, d

    def shifted(self, offset_px: float) -> Annulus:
        """The same annulus moved ``offset_px`` along its normal (into the atrium)."""
        return Annulus(
            self.cx + offset_px * self.nx,
            self.cy + offset_px * self.ny,
            self.ux,
            self.uy,
            self.nx,
            self.ny,
            self.half_length_px,
        )

    def offset(self, dx: float, dy: float) -> Annulus:
        """The same annulus in a frame whose origin moved by ``(dx, dy)``."""
        return Annulus(self.cx + dx, self.cy + dy, self.ux, self.uy, self.nx, self.ny, self.half_length_px)


def _normal_toward_atrium(
    cx: float, cy: float, ux: float, uy: float, apex_xy: tuple[float, float], side: int
) -> tuple[float, float]:
    nx, ny = -uy, ux
    rx, ry = cx - apex_xy[0], cy - apex_xy[1]
    r = math.hypot(rx, ry) or 1.0
    # the atrium is deeper (TTE, side=+1) or shallower (TEE, side=-1) than the valve
    if (nx * rx + ny * ry) / r * side < 0:
        nx, ny = -nx, -ny
    return nx, ny


def annulus_from_points(
    p1: tuple[float, float], p2: tuple[float, float], *, apex_xy: tuple[float, float], side: int
) -> Annulus:
    """The annulus through two hinge points, its normal toward the atrium.

    Examples
    --------
    >>> a = annulus_from_points((10, 50), (40, 50), apex_xy=(25, -100), side=1)
    >>> (a.cx, a.cy, abs(round(a.nx, 3)), round(a.ny, 3), a.half_length_px)
    (25.0, 50.0, 0.0, 1.0, 15.0)
    >>> annulus_from_points((10, 50), (40, 50), apex_xy=(25, -100), side=-1).ny
    -1.0
    """
    (x1, y1), (x2, y2) = p1, p2
    L = math.hypot(x2 - x1, y2 - y1)
    if L <= 0:
        raise ValueError("the two annulus points coincide")
    ux, uy = (x2 - x1) / L, (y2 - y1) / L
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    nx, ny = _normal_toward_atrium(cx, cy, ux, uy, apex_xy, side)
    return Annulus(float(cx), float(cy), float(ux), float(uy), float(nx), float(ny), float(L / 2))


def atrial_depth(shape: tuple[int, int], apex_xy: tuple[float, float], side: int) -> np.ndarray:
    """``side * distance from the apex`` of every pixel, ``(h, w)`` float32."""
    yy, xx = open_grid(shape)
    return np.float32(side) * np.hypot(xx - np.float32(apex_xy[0]), yy - np.float32(apex_xy[1]))


@dataclass(frozen=True)
class Origin:
    """The upstream end of one turbulent core on one frame."""

    frame: int
    x: float
    y: float
    area_px: int


def core_origins(
    cores: np.ndarray,
    depth: np.ndarray,
    *,
    frame: int,
    min_area_px: int,
    end_px: float,
    cut: np.ndarray | None = None,
) -> list[Origin]:
    """The upstream end of each turbulent core of one frame; none for a core
    whose upstream end lies on ``cut`` (the colour box's edge: that flow starts
    outside the box, where no orifice can be seen).

    Parameters
    ----------
    cores : (h, w) bool
        Turbulent (mosaic) flow of the frame.
    depth : (h, w) float
        Atrial depth (:func:`atrial_depth`): the valve is upstream of the atrium,
        so a jet's orifice is the end of its core with the smallest atrial depth.
    end_px : float
        The pixels within this atrial depth of the core's upstream end make its origin.
    cut : (h, w) bool, optional
        Where the colour display stops (:func:`echoassess.fan.box_edge`).

    Examples
    --------
    >>> c = np.zeros((20, 20), bool); c[5:15, 8:12] = True
    >>> d = np.tile(np.arange(20, dtype=np.float32)[:, None], (1, 20))
    >>> o = core_origins(c, d, frame=0, min_area_px=10, end_px=1.5)[0]
    >>> (o.x, o.y, o.area_px)
    (9.5, 5.5, 40)
    """
    n, lab, stats, _ = cv2.connectedComponentsWithStats(cores.astype(np.uint8), connectivity=8)
    out: list[Origin] = []
    for k in range(1, n):
        area = int(stats[k, cv2.CC_STAT_AREA])
        if area < min_area_px:
            continue
        x0, y0, w, h = (int(v) for v in stats[k, :4])
        sub = lab[y0 : y0 + h, x0 : x0 + w] == k
        dd = depth[y0 : y0 + h, x0 : x0 + w]
        top = float(dd[sub].min())
        sel = sub & (dd <= top + end_px)
        if cut is not None and (sel & cut[y0 : y0 + h, x0 : x0 + w]).any():
            continue
        ys, xs = np.nonzero(sel)
        out.append(Origin(frame, float(xs.mean() + x0), float(ys.mean() + y0), area))
    return out


def cluster_origins(origins: list[Origin], *, radius_px: float) -> list[list[Origin]]:
    """Group origins that lie within ``radius_px`` of each other (single linkage),
    largest total core area first."""
    if not origins:
        return []
    pts = np.array([[o.x, o.y] for o in origins])
    n = len(origins)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    for i, j in zip(*np.nonzero(np.triu(d <= radius_px, 1))):
        parent[find(int(i))] = find(int(j))
    groups: dict[int, list[Origin]] = {}
    for i, o in enumerate(origins):
        groups.setdefault(find(i), []).append(o)
    return sorted(groups.values(), key=lambda g: -sum(o.area_px for o in g))


def split_by_frames(
    cluster: list[Origin], *, min_apart_px: float, max_shared: float, iterations: int = 10
) -> list[list[Origin]]:
    """``cluster`` as two clusters when its origins form two groups at least
    ``min_apart_px`` apart that hardly share frames (at most ``max_shared`` of
    the smaller group's frames), each seen on two frames or more; otherwise
    ``[cluster]``. Two flows that start near each other but in different frames
    (mitral regurgitation in systole and aortic regurgitation in diastole, in a
    long-axis view where the two valves are 1-2 cm apart) chain into one cluster
    by distance alone; jets from two orifices of one valve share their frames.

    >>> a = [Origin(f, 10.0, 10.0, 100) for f in (0, 1, 2)]
    >>> b = [Origin(f, 10.0, 40.0, 100) for f in (3, 4, 5)]
    >>> [len(c) for c in split_by_frames(a + b, min_apart_px=20, max_shared=0.3)]
    [3, 3]
    >>> b = [Origin(f, 10.0, 40.0, 100) for f in (0, 1, 2)]   # same frames: two orifices
    >>> len(split_by_frames(a + b, min_apart_px=20, max_shared=0.3))
    1
    """
    if len({o.frame for o in cluster}) < 4:
        return [cluster]
    pts = np.array([[o.x, o.y] for o in cluster], float)
    w = np.array([o.area_px for o in cluster], float)
    d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    centres = pts[[i, j]].copy()
    lab = np.zeros(len(cluster), int)
    for _ in range(iterations):
        lab = np.argmin(np.hypot(*(pts[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)), axis=1)
        if lab.min() == lab.max():
            return [cluster]
        centres = np.array([np.average(pts[lab == k], axis=0, weights=w[lab == k]) for k in (0, 1)])
    if float(np.hypot(*(centres[0] - centres[1]))) < min_apart_px:
        return [cluster]
    groups = [[o for o, k in zip(cluster, lab, strict=True) if k == g] for g in (0, 1)]
    frames = [{o.frame for o in g} for g in groups]
    fewest = min(len(f) for f in frames)
    if fewest < 2 or len(frames[0] & frames[1]) > max_shared * fewest:
        return [cluster]
    return sorted(groups, key=lambda g: -sum(o.area_px for o in g))


def infer_side(
    mean_depth_cm: float | None, flow_sign: float | None, *, depth_measured: bool = False
) -> tuple[int | None, str]:
    """TTE (+1: atrium deeper than the valve) or TEE (-1) from image evidence.

    Parameters
    ----------
    mean_depth_cm : float or None
        Distance of the turbulent cores from the transducer. In TEE the atrium
        lies just under the probe (a few cm); in TTE views it is the far field.
    flow_sign : float or None
        Mean sign (-1..1) of the smooth flow next to the cores in the jet frames
        (the jet's slow rim and the flow converging on the orifice share the
        jet's direction): negative = away from the probe (TTE), positive =
        toward it (TEE).
    depth_measured : bool
        The depth comes from the file's calibration (not an assumed scale).
        Then a clear depth (at most 6 cm, or at least 10 cm) decides when the
        flow's sign disagrees: a jet aliased to its edge wraps its rim's
        velocity to the other sign. Without it a depth of 7.5-10 cm (a zoomed
        display of a TEE atrium, on the assumed scale) is no evidence.

    Returns
    -------
    (side, why) : side is ``None`` when the evidence disagrees or is missing.

    Examples
    --------
    >>> infer_side(3.5, 0.6)
    (-1, 'jets 3.5 cm from the probe, flowing toward it: transoesophageal')
    >>> infer_side(13.0, None)[0], infer_side(8.0, None)[0], infer_side(8.0, None, depth_measured=True)[0]
    (1, None, 1)
    >>> infer_side(6.5, -0.1)[0] is None
    True
    >>> infer_side(3.4, -0.8)[0] is None, infer_side(3.4, -0.8, depth_measured=True)[0]
    (True, -1)
    >>> infer_side(8.0, 0.5, depth_measured=True)[0] is None  # not clear enough to overrule
    True
    """
    by_depth = None
    if mean_depth_cm is not None:
        # an assumed scale (no calibration; a zoomed display magnifies) is only
        # trusted where the depth is clear
        if mean_depth_cm <= 6.0:
            by_depth = -1
        elif mean_depth_cm >= (7.5 if depth_measured else 10.0):
            by_depth = 1
    by_sign = None
    if flow_sign is not None and abs(flow_sign) >= 0.25:
        by_sign = 1 if flow_sign < 0 else -1
    votes = [v for v in (by_depth, by_sign) if v is not None]
    clear = mean_depth_cm is not None and (mean_depth_cm <= 6.0 or mean_depth_cm >= 10.0)
    overruled = False
    if len(set(votes)) > 1 and depth_measured and clear and by_depth is not None:
        votes, overruled = [by_depth], True
    if not votes or len(set(votes)) > 1:
        return None, "the jets' depth and direction do not say which side the atrium is on"
    side = votes[0]
    parts = []
    if mean_depth_cm is not None:
        parts.append(f"jets {mean_depth_cm:.1f} cm from the probe")
    if by_sign is not None and not overruled:
        parts.append("flowing " + ("away from it" if by_sign == 1 else "toward it"))
    if overruled:
        parts.append("their rim's colour says otherwise (aliased?)")
    return side, ", ".join(parts) + (": transthoracic" if side == 1 else ": transoesophageal")


def fit_annulus(
    origins: list[Origin],
    tissue: np.ndarray | None,
    *,
    apex_xy: tuple[float, float],
    side: int,
    px_per_cm: float,
    max_tilt_deg: float = 45.0,
    end_px: float = 0.0,
    downstream_cm: float = 1.6,
    flow: np.ndarray | None = None,
    keep: float = 0.75,
) -> Annulus:
    """The annulus line through the orifices of the main jet cluster.

    First choice: the line, within ``max_tilt_deg`` of perpendicular to the
    beam, along which the tissue (closed leaflets, annulus, clip) is brightest,
    sought near the (area-weighted) median orifice, near the far third of that
    orifice's starts (a flow-convergence dome) and, with ``flow``, near the far
    third of all the starts (another jet's orifice, or a dome leaning across
    the beam); of the lines nearly as bright as the brightest that the flow
    crosses, the one it crosses narrowest. Without such a line: through the median
    orifice, along two groups of orifices side by side when they lie at least
    0.5 cm apart along a line (post-clip: one orifice either side of the
    device), otherwise perpendicular to the beam.

    Parameters
    ----------
    origins : list of Origin
        Upstream ends of the main cluster's cores (several frames).
    tissue : (h, w) float or None
        Mean grey level of the non-flow pixels over the systolic frames
        (NaN where no tissue was seen).
    flow : (h, w) float, optional
        The share of the cluster's frames with flow at each pixel. With it,
        the lines through the orifices of other jets in the cluster are tried
        too, and of the bright lines (within ``keep`` of the brightest's
        contrast) the one the flow crosses least, but crosses, is the annulus
        (:func:`echoassess.leaflets.best_tissue_line`).
    """
    xs = np.array([o.x for o in origins], float)
    ys = np.array([o.y for o in origins], float)
    wts = np.array([o.area_px for o in origins], float)
    starts = _start_points(xs, ys, wts, apex_xy=apex_xy, side=side, px_per_cm=px_per_cm)
    far = _start_points(xs, ys, wts, apex_xy=apex_xy, side=side)[1:] if flow is not None else []
    starts += _beside(starts, far, apex_xy, px_per_cm)  # with flow, the far third of all: another orifice
    cx, cy = starts[0]
    angle = _origin_line(xs, ys, wts, px_per_cm)
    # without leaflets to go by, the valve is at the upstream end of the
    # turbulence, half an origin depth above the origins' mean
    offset = -0.5 * end_px
    if tissue is not None:
        best = best_tissue_line(
            tissue,
            starts,
            apex_xy=apex_xy,
            side=side,
            px_per_cm=px_per_cm,
            max_tilt_deg=max_tilt_deg,
            downstream_cm=downstream_cm,
            flow=flow,
            keep=keep,
        )
        if best is not None:
            (angle, offset, _), (cx, cy) = best
    rx, ry = cx - apex_xy[0], cy - apex_xy[1]
    r = math.hypot(rx, ry) or 1.0
    base = math.atan2(-rx / r, ry / r)  # direction perpendicular to the beam
    base_u = (math.cos(base), math.sin(base))
    if angle is None or _off_by_deg(angle, base) > max_tilt_deg:  # starts along the beam: one jet's
        angle = base
    ux, uy = math.cos(angle), math.sin(angle)
    # keep the tilt within the allowed range of the beam's perpendicular
    if ux * base_u[0] + uy * base_u[1] < 0:
        ux, uy = -ux, -uy
    nx, ny = _normal_toward_atrium(cx, cy, ux, uy, apex_xy, side)
    # the line moves along its normal to the leaflets (negative: toward the ventricle)
    cx, cy = cx + offset * nx, cy + offset * ny
    return Annulus(float(cx), float(cy), float(ux), float(uy), float(nx), float(ny), float(1.6 * px_per_cm))


def _beside(
    starts: list[tuple[float, float]],
    more: list[tuple[float, float]],
    apex_xy: tuple[float, float],
    px_per_cm: float,
    max_spread_cm: float = 2.5,
) -> list[tuple[float, float]]:
    """The points of ``more`` not yet in ``starts`` whose distance from the probe is
    within ``max_spread_cm`` of the first start's: another orifice on the same
    annulus (3.2 cm long, tilted up to 30 deg to the beam's perpendicular: 1.6 cm)
    lies no further along the beam, give or take a flow-convergence dome (about
    1 cm) before one of them. The far third of one jet's starts, where its mosaic
    breaks into pieces well downstream, is no orifice.

    >>> _beside([(0.0, 10.0)], [(5.0, 20.0), (0.0, 50.0)], (0.0, 0.0), 10.0)
    [(5.0, 20.0)]
    """
    d0 = math.dist(starts[0], apex_xy)
    return [
        p for p in more if p not in starts and abs(math.dist(p, apex_xy) - d0) <= max_spread_cm * px_per_cm
    ]


def _start_points(
    xs: np.ndarray,
    ys: np.ndarray,
    wts: np.ndarray,
    *,
    apex_xy: tuple[float, float],
    side: int,
    px_per_cm: float = 0.0,
    same_orifice_cm: float = 0.4,
) -> list[tuple[float, float]]:
    """Where the annulus line may pass: the area-weighted median orifice, and (with
    six orifices or more beside it) the median of their most downstream third
    (frames whose turbulence starts inside a large flow-convergence dome put the
    upstream end well before the orifice).

    "Beside it" is within ``same_orifice_cm`` across the beam: the same
    orifice. A second jet beside the device (post-clip) is not the far end of
    this one's dome; taken as one, its origin became a start of its own, and a
    brighter tissue line through it could tilt the annulus into the first
    jet's dome."""
    cx, cy = _weighted_median(xs, wts), _weighted_median(ys, wts)
    starts = [(cx, cy)]
    if px_per_cm > 0:
        bx, by = cx - apex_xy[0], cy - apex_xy[1]
        r = math.hypot(bx, by) or 1.0
        across = np.abs((xs - cx) * (-by / r) + (ys - cy) * (bx / r))
        same = across <= same_orifice_cm * px_per_cm
        xs, ys = xs[same], ys[same]
    if len(xs) >= 6:
        a = side * np.hypot(xs - apex_xy[0], ys - apex_xy[1])
        far = a >= np.percentile(a, 67)
        starts.append((float(np.median(xs[far])), float(np.median(ys[far]))))
    return starts


def find_neck(
    component: np.ndarray,
    depth: np.ndarray,
    *,
    px_per_cm: float,
    reach_cm: float = 2.5,
) -> tuple[float, float] | None:
    """The vena contracta of one flow region: its narrowest cross-section
    between a flow-convergence dome and the jet.

    The region's width is profiled along the atrial depth over ``reach_cm``
    from its upstream end; a neck is a minimum at most 0.6 times the widest
    parts on both sides of it.

    Parameters
    ----------
    component : (h, w) bool
        One connected flow region (convergence, orifice and jet).
    depth : (h, w) float
        Atrial depth (:func:`atrial_depth`).

    Returns
    -------
    (x, y) or None
        The centre of the neck, or ``None`` when the region has no neck (the
        upstream end is then the orifice).

    Examples
    --------
    >>> yy, xx = np.mgrid[0:60, 0:40].astype(np.float32)
    >>> hourglass = np.abs(xx - 20) < 2 + 0.8 * np.abs(yy - 25)
    >>> hourglass &= (yy > 10) & (yy < 55)
    >>> x, y = find_neck(hourglass, yy, px_per_cm=20)
    >>> round(x), abs(y - 25) <= 1
    (20, True)
    """
    a = depth[component]
    if a.size < 20:
        return None
    a0 = float(a.min())
    reach = reach_cm * px_per_cm
    bins = np.floor(a - a0).astype(int)
    keep = bins <= reach
    width = np.bincount(bins[keep]).astype(float)
    if width.size < 6:
        return None
    k = max(1, int(round(0.1 * px_per_cm)))
    smooth = np.convolve(width, np.ones(2 * k + 1) / (2 * k + 1), mode="same")
    best, best_ratio = None, 0.6
    for j in range(k + 1, len(smooth) - k - 1):
        before, after = smooth[:j].max(), smooth[j + 1 :].max()
        ratio = smooth[j] / max(min(before, after), 1e-9)
        if ratio < best_ratio:
            best, best_ratio = j, ratio
    if best is None:
        return None
    sel = component & (np.abs(depth - (a0 + best + 0.5)) <= max(1.0, k))
    ys, xs = np.nonzero(sel)
    if xs.size == 0:
        return None
    return float(xs.mean()), float(ys.mean())


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(v)
    cw = np.cumsum(w[order])
    return float(v[order][int(np.searchsorted(cw, 0.5 * cw[-1]))])


def _off_by_deg(a: float, b: float) -> float:
    """The angle (deg, 0-90) between two undirected lines at angles ``a`` and ``b`` (rad).
    (Orifices spread along a line steeper than the tissue search allows are one
    jet's turbulence starting at different depths frame to frame, not orifices
    side by side.)

    >>> round(_off_by_deg(0.0, math.pi), 6), round(_off_by_deg(0.1, math.pi / 2 + 0.1), 6)
    (0.0, 90.0)
    """
    d = math.degrees(a - b) % 180.0
    return min(d, 180.0 - d)


def _origin_line(xs: np.ndarray, ys: np.ndarray, wts: np.ndarray, px_per_cm: float) -> float | None:
    """Direction of the line through orifices spread side by side, or ``None``."""
    if len(xs) < 4:
        return None
    pts = np.stack([xs, ys], 1)
    mean = (pts * wts[:, None]).sum(0) / wts.sum()
    cov = np.cov((pts - mean).T, aweights=wts)
    evals, evecs = np.linalg.eigh(cov)
    major, minor = float(np.sqrt(max(evals[1], 0))), float(np.sqrt(max(evals[0], 0)))
    # two orifices ~1 cm apart give a major spread of ~0.5 cm and a thin minor one
    if major < 0.3 * px_per_cm or minor > 0.35 * major:
        return None
    # and they must form two groups, not a smear along the jet
    proj = (pts - mean) @ evecs[:, 1]
    lo, hi = proj < -0.15 * px_per_cm, proj > 0.15 * px_per_cm
    if wts[lo].sum() < 0.2 * wts.sum() or wts[hi].sum() < 0.2 * wts.sum():
        return None
    return float(math.atan2(evecs[1, 1], evecs[0, 1]))
