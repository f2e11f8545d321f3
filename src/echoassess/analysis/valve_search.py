"""Stage 5, the valve: the mitral annulus, the side the atrium is on and the
view, from the hints, the file or the turbulent jets themselves.

Without a hint, the jets' orifices (the upstream ends of the turbulent cores,
over the frames with most turbulence) are clustered; the main cluster (checked
against rival flows and the ECG's systole) gives the annulus, fitted to the
tissue around it (:func:`echoassess.valve.fit_annulus`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .. import segmentation
from .. import valve as vl
from ..dicom import EchoClip
from ..fan import box_edge
from ..valve import Annulus
from .params import AnalysisParams, ValveParams
from .screen import Scale

__all__ = ["ValveFit", "ValveSearch", "apex_in_box", "locate_valve"]

Cluster = list[vl.Origin]


@dataclass(frozen=True)
class ValveSearch:
    """What locating the valve looks at (crop-sized arrays, colour-box pixels)."""

    flows: np.ndarray  # (T, h, w) bool
    turbs: np.ndarray  # (T, h, w) bool
    velocity: np.ndarray  # (T, h, w) float32
    grey: np.ndarray  # (T, h, w) uint8
    apex: tuple[float, float]  # the transducer
    offset: tuple[int, int]  # the colour box's corner in the frame
    ecg_systolic: np.ndarray | None  # (T,) bool, when the ECG shows both phases
    scale: Scale
    close_px: int
    view: str  # the user's: "auto", "tte" or "tee"
    file_view: str | None
    #: the scale is the file's (or the user's) calibration, not an assumed depth
    calibrated: bool = False


@dataclass(frozen=True)
class ValveFit:
    """The annulus found (colour-box pixels), or ``None`` and why not."""

    annulus: Annulus | None
    side: int | None  # +1: the atrium is away from the probe (TTE); -1: toward it (TEE)
    view: str | None
    view_source: str
    source: str  # "user", "jets + tissue", "user point + jets" or "none"
    why: str = ""
    cores_found: bool = False
    #: another turbulent flow far from the chosen valve, in other frames
    rival: bool = False

    def without_annulus(self, why: str) -> ValveFit:
        """The same search, its annulus rejected for ``why``."""
        return replace(self, annulus=None, why=why)

    def __str__(self) -> str:
        if self.annulus is None:
            return f"valve not located ({self.why})"
        a = self.annulus
        return (
            f"view {self.view} ({self.view_source}), annulus centre ({a.cx:.0f}, {a.cy:.0f}) "
            f"tilt {a.tilt_deg:.0f} deg ({self.source})"
        )


@dataclass(frozen=True)
class _Side:
    side: int | None
    view: str | None
    source: str


def locate_valve(
    s: ValveSearch,
    p: AnalysisParams,
    *,
    annulus: tuple[tuple[float, float], tuple[float, float]] | None = None,
    valve_xy: tuple[float, float] | None = None,
) -> ValveFit:
    """The annulus, its atrial side and the view, from hints (full-frame pixels),
    the file or the jets."""
    h, w = s.flows.shape[1:]
    bx0, by0 = s.offset
    min_core_px = s.scale.px(p.valve.min_core_area_cm2)
    cores, area, jet_frames = _turbulent_cores(s, p)
    cores_found = jet_frames is not None
    sd = _atrial_side(s, cores, area, jet_frames, min_core_px, p)
    if annulus is not None:
        p1 = (annulus[0][0] - bx0, annulus[0][1] - by0)
        p2 = (annulus[1][0] - bx0, annulus[1][1] - by0)
        side = sd.side
        if side is None:
            # the atrium is the side the turbulent flow extends into
            side = _side_of_flow(cores, p1, p2, s.apex)
            sd = _Side(side, "tte" if side == 1 else "tee", "the side the jets extend into")
        given = vl.annulus_from_points(p1, p2, apex_xy=s.apex, side=side)
        return ValveFit(given, sd.side, sd.view, sd.source, "user", cores_found=cores_found)

    def fail(why: str, found: bool = True) -> ValveFit:
        return ValveFit(None, sd.side, sd.view, sd.source, "none", why, cores_found=found)

    if s.file_view == "parasternal":
        return fail(
            "a parasternal view: the mitral jet cannot be told from the aortic one without the annulus",
            cores_found,
        )
    if jet_frames is None:
        return fail("no turbulent flow to find it from", False)
    if sd.side is None:
        return fail("cannot tell a transthoracic from a transoesophageal view")
    depth_a = vl.atrial_depth((h, w), s.apex, sd.side)
    clusters = _origin_clusters(s, cores, jet_frames, depth_a, min_core_px, valve_xy, p)
    if not clusters:
        return fail("no jet origin")
    chosen = _main_flow(s, clusters, valve_xy, p, side=sd.side)
    if isinstance(chosen, str):
        return fail(chosen)
    main, others, rival = chosen
    why_not = ""
    ann: Annulus | None = None
    for cand in [main] + others:
        ann, why = _fit_cluster(cand, clusters, s, depth_a, side=sd.side, p=p)
        if ann is not None:
            break
        why_not = why_not or why
    if ann is None:
        return fail(why_not)
    src = "jets + tissue" if valve_xy is None else "user point + jets"
    return ValveFit(ann, sd.side, sd.view, sd.source, src, cores_found=True, rival=rival)


def _turbulent_cores(s: ValveSearch, p: AnalysisParams) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The turbulent cores of every frame (coarse pieces joined), their areas, and
    the frames that locate the valve (``None`` when no core is large enough)."""
    T = s.flows.shape[0]
    min_core_px = s.scale.px(p.valve.min_core_area_cm2)
    min_systole_px = s.scale.px(p.phase.min_systole_area_cm2)
    k = np.ones((s.close_px, s.close_px), np.uint8)
    cores = np.zeros_like(s.turbs)
    area = np.zeros(T)
    for i in range(T):
        if s.turbs[i].any():
            c = cv2.morphologyEx(s.turbs[i].astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool)
            cores[i] = segmentation.remove_small(c & s.flows[i] | s.turbs[i], min_core_px)
            area[i] = cores[i].sum()
    cores_found = bool(area.max() >= min_core_px) if T else False
    if not cores_found:
        return cores, area, None
    top = area >= max(min_systole_px, p.valve.jet_frame_fraction * area.max())
    sys_ = s.ecg_systolic
    if sys_ is not None and (area[sys_] >= min_core_px).any():
        # MR is systolic: the ECG's systole gets its own most turbulent frames
        # (a diastolic aortic jet can hold several times the mitral jets' mosaic)
        top |= sys_ & (area >= max(min_systole_px, p.valve.jet_frame_fraction * area[sys_].max()))
    return cores, area, np.flatnonzero(top)


def _atrial_side(
    s: ValveSearch,
    cores: np.ndarray,
    area: np.ndarray,
    jet_frames: np.ndarray | None,
    min_core_px: int,
    p: AnalysisParams,
) -> _Side:
    """Which side of the valve the atrium is on: from the user, the file, or the
    depth and direction of the turbulent flow."""
    if s.view in ("tte", "tee"):
        return _Side(1 if s.view == "tte" else -1, s.view, "user")
    if s.file_view in ("tte", "tee", "parasternal"):
        return _Side(-1 if s.file_view == "tee" else 1, s.file_view, "file")
    if jet_frames is None:
        return _Side(None, None, "image")
    h, w = s.flows.shape[1:]
    depth = vl.atrial_depth((h, w), s.apex, 1)  # distance from the probe
    # MR is systolic: with an ECG, read the view off the systolic turbulence
    side_frames = jet_frames
    if s.ecg_systolic is not None:
        min_systole_px = s.scale.px(p.phase.min_systole_area_cm2)
        sys_frames = np.flatnonzero(s.ecg_systolic & (area >= max(min_core_px, min_systole_px)))
        if sys_frames.size >= 2:
            side_frames = sys_frames
    sel = cores[side_frames]
    mean_depth = float(np.broadcast_to(depth, sel.shape)[sel].mean()) * s.scale.cm_per_px
    ring = np.zeros_like(sel)
    kk = np.ones((max(3, int(round(0.5 * s.scale.ln(1.0))) | 1),) * 2, np.uint8)
    for j, i in enumerate(side_frames):
        ring[j] = cv2.dilate(sel[j].astype(np.uint8), kk).astype(bool) & s.flows[i] & ~s.turbs[i]
    sign = _mean_sign(s.velocity[side_frames][ring])
    side, why = vl.infer_side(mean_depth, sign, depth_measured=s.calibrated)
    if side is None:
        return _Side(None, None, "image")
    return _Side(side, "tte" if side == 1 else "tee", f"image ({why})")


def _origin_clusters(
    s: ValveSearch,
    cores: np.ndarray,
    jet_frames: np.ndarray,
    depth_a: np.ndarray,
    min_core_px: int,
    valve_xy: tuple[float, float] | None,
    p: AnalysisParams,
) -> list[Cluster]:
    """The orifices of the turbulent cores, clustered (largest first); with a
    valve point, only those near it (or the point itself)."""
    px_per_cm = s.scale.ln(1.0)
    end_px = p.valve.origin_end_cm * px_per_cm
    # a flow cut off by the colour box's edge starts outside it: no orifice there
    cut = box_edge(np.any(s.flows, axis=0), s.apex)
    origins: list[vl.Origin] = []
    for i in jet_frames:
        origins += vl.core_origins(
            cores[i], depth_a, frame=int(i), min_area_px=min_core_px, end_px=end_px, cut=cut
        )
    if valve_xy is not None:
        vx, vy = valve_xy[0] - s.offset[0], valve_xy[1] - s.offset[1]
        near = p.valve.origin_cluster_cm * px_per_cm
        origins = [o for o in origins if math.hypot(o.x - vx, o.y - vy) <= near]
        if not origins:
            origins = [vl.Origin(-1, vx, vy, 1)]
    clusters = []
    for c in vl.cluster_origins(origins, radius_px=p.valve.origin_cluster_cm * px_per_cm):
        # two flows in different frames chained by distance (MR and AI) are two
        clusters += vl.split_by_frames(
            c, min_apart_px=p.valve.separate_flows_cm * px_per_cm, max_shared=p.valve.rival_max_shared_frames
        )
    return sorted(clusters, key=lambda c: -_area_of(c))


def _centre(c: Cluster) -> tuple[float, float]:
    return float(np.median([o.x for o in c])), float(np.median([o.y for o in c]))


def _frames_of(c: Cluster) -> set[int]:
    return {o.frame for o in c}


def _area_of(c: Cluster) -> float:
    return float(sum(o.area_px for o in c))


def _main_flow(
    s: ValveSearch,
    clusters: list[Cluster],
    valve_xy: tuple[float, float] | None,
    p: AnalysisParams,
    *,
    side: int,
) -> tuple[Cluster, list[Cluster], bool] | str:
    """The flow that holds the mitral jet, the other flows that could hold it
    (tried in turn), and whether a rival flow was set aside; or why none can be
    chosen."""
    rival_pick = _rival(s, clusters, valve_xy, p, side=side)
    if isinstance(rival_pick, str):
        return rival_pick
    main, rival = rival_pick
    v = p.valve
    far = v.separate_flows_cm * s.scale.ln(1.0)
    # other flows well away from the main one, seen on two frames or more, that
    # could hold the mitral jet when the main one does not (an outflow or
    # aortic jet beside the valve is often the larger)
    area0 = _area_of(main)
    apart = [
        c
        for c in clusters
        if c is not main and len(_frames_of(c)) >= 2 and math.dist(_centre(c), _centre(main)) > far
    ]
    others = [c for c in apart if _area_of(c) >= v.other_flow_min_weight * area0]
    if valve_xy is not None:
        apart = others = []
    ecg = s.ecg_systolic
    if ecg is None or rival or valve_xy is not None:
        return main, others, rival

    def systolic_share(c: Cluster) -> float:
        return float(np.mean([ecg[f] for f in _frames_of(c) if f >= 0] or [0.0]))

    if systolic_share(main) < v.diastolic_main_share:
        # MR is systolic: a mostly diastolic main flow is another valve's
        better = [
            c
            for c in apart
            if _area_of(c) >= v.systolic_alternative_weight * area0
            and systolic_share(c) >= v.systolic_alternative_share
        ]
        if better:
            others = [main] + [c for c in others if c is not better[0]]
            return better[0], others, True
        if systolic_share(main) < v.diastolic_reject_share:
            return (
                "the turbulent flow found is diastolic by the ECG (another valve's "
                "or inflow), and no systolic flow crosses a valve"
            )
    return main, others, rival


def _rival(
    s: ValveSearch,
    clusters: list[Cluster],
    valve_xy: tuple[float, float] | None,
    p: AnalysisParams,
    *,
    side: int,
) -> tuple[Cluster, bool] | str:
    """The main flow when a second one, far away and in other frames, rivals it
    (e.g. mitral and aortic regurgitation): the ECG's systole decides; without
    an ECG, the flows' directions (only one runs into the atrium), or nothing
    can."""
    main = clusters[0]
    if len(clusters) < 2 or valve_xy is not None:
        return main, False
    second = clusters[1]
    v = p.valve
    d = math.dist(_centre(main), _centre(second))
    fa, fb = _frames_of(main), _frames_of(second)
    weight = _area_of(second) / _area_of(main)
    if not (
        d > v.separate_flows_cm * s.scale.ln(1.0)
        and weight >= v.rival_min_weight
        and len(fa & fb) <= v.rival_max_shared_frames * min(len(fa), len(fb))
    ):
        return main, False
    if s.ecg_systolic is None:
        # MR runs into the atrium: toward the probe in TEE (+), away in TTE (-)
        into_atrium = -side
        dir_a = into_atrium * _flow_sign(s, main, p)
        dir_b = into_atrium * _flow_sign(s, second, p)
        need = v.rival_min_direction
        if dir_a >= need and dir_b < need:
            return main, True
        if dir_b >= need and dir_a < need:
            return second, True
        return (
            "two separate turbulent flows in different frames (e.g. mitral and "
            "aortic regurgitation), no ECG to tell systole, and their directions do not tell either"
        )
    sys_a = np.mean([s.ecg_systolic[f] for f in fa])
    sys_b = np.mean([s.ecg_systolic[f] for f in fb])
    if abs(sys_a - sys_b) < v.rival_min_systolic_gap:
        return "two separate turbulent flows and the ECG does not tell which is systolic"
    return (second if sys_b > sys_a else main), True


def _mean_sign(vals: np.ndarray) -> float | None:
    """The mean velocity sign (-1..1, + toward the probe) of smooth flow pixels,
    ``None`` with fewer than 20 of them."""
    return float(np.mean(np.sign(vals))) if vals.size >= 20 else None


def _flow_sign(s: ValveSearch, c: Cluster, p: AnalysisParams) -> float:
    """:func:`_mean_sign` of the smooth colour flow near a flow's orifices, on its
    frames (0 with too few pixels): its jet's slow rim and the flow converging
    on its orifice share the jet's direction."""
    r = p.valve.rival_direction_cm * s.scale.ln(1.0)
    h, w = s.flows.shape[1:]
    yy, xx = np.mgrid[0:h, 0:w]
    vals = []
    for f in sorted(_frames_of(c)):
        if f < 0:
            continue
        near = np.zeros((h, w), bool)
        for o in c:
            if o.frame == f:
                near |= (xx - o.x) ** 2 + (yy - o.y) ** 2 <= r * r
        vals.append(s.velocity[f][near & s.flows[f] & ~s.turbs[f]])
    sign = _mean_sign(np.concatenate(vals)) if vals else None
    return 0.0 if sign is None else sign


def _fit_cluster(
    main: Cluster,
    clusters: list[Cluster],
    s: ValveSearch,
    depth_a: np.ndarray,
    *,
    side: int,
    p: AnalysisParams,
) -> tuple[Annulus | None, str]:
    """The annulus at one cluster of jet origins (``depth_a``: the atrial depth),
    or ``None`` and why not."""
    flows, apex, px_per_cm = s.flows, s.apex, s.scale.ln(1.0)
    T = flows.shape[0]
    v = p.valve
    end_px = v.origin_end_cm * px_per_cm
    # a jet broken into pieces (coarse mosaic, dark streaks) gives several
    # clusters on the same frames: the valve is at the most upstream one
    frames_main = {o.frame for o in main}
    area_main = sum(o.area_px for o in main)
    for other in clusters:
        if other is main:
            continue
        fo = {o.frame for o in other}
        if (
            len(fo & frames_main) >= v.merge_shared_frames * min(len(fo), len(frames_main))
            and sum(o.area_px for o in other) >= v.merge_min_weight * area_main
            and np.median([depth_a[int(o.y), int(o.x)] for o in other])
            < np.median([depth_a[int(o.y), int(o.x)] for o in main]) - v.merge_upstream_cm * px_per_cm
        ):
            main = other
            frames_main = fo
    if len({o.frame for o in main}) < 2 and T >= 4:
        return None, "the turbulent flow is seen on one frame only"
    tissue = _tissue_mean(s.grey, flows, sorted({o.frame for o in main if o.frame >= 0}))
    # where the turbulence starts inside a flow-convergence dome, the orifice is
    # the neck between the dome and the jet
    necks = _necks(main, s, depth_a, side, p)
    downstream = v.tissue_downstream_cm
    if necks:
        main, downstream = necks, v.neck_downstream_cm
    fit = functools.partial(
        vl.fit_annulus,
        main,
        tissue,
        apex_xy=apex,
        side=side,
        px_per_cm=px_per_cm,
        max_tilt_deg=v.tissue_max_tilt_deg,
        end_px=0.0 if necks else end_px,
        downstream_cm=downstream,
        keep=v.tissue_line_keep,
    )
    ann = fit(flow=_flow_share(flows, main))
    ann = Annulus(ann.cx, ann.cy, ann.ux, ann.uy, ann.nx, ann.ny, v.annulus_half_length_cm * px_per_cm)
    ann = _hold_siblings(ann, main, clusters, px_per_cm, v)
    # apical and transoesophageal annuli lie within ~30 deg of the horizontal and
    # of the beam's perpendicular; a steeper one is a parasternal view or a wrong line.
    # So is the brightest tissue line at the main orifice (the leaflets): a
    # narrower crossing chosen over it can be a line across a parasternal jet's body
    if _steep(ann, apex) > v.max_auto_tilt_deg or _steep(fit(flow=None), apex) > v.max_auto_tilt_deg:
        return None, "the valve found lies steeply across the beam (a parasternal view?)"
    return ann, ""


def _steep(ann: Annulus, apex: tuple[float, float]) -> float:
    """How far (deg) the annulus lies from both the horizontal and the beam's perpendicular."""
    rx, ry = ann.cx - apex[0], ann.cy - apex[1]
    cos_beam = abs(ann.ux * rx + ann.uy * ry) / (math.hypot(rx, ry) or 1.0)
    to_beam = math.degrees(math.asin(min(1.0, cos_beam)))
    return min(to_beam, abs(ann.tilt_deg))


def _flow_share(flows: np.ndarray, cluster: Cluster) -> np.ndarray | None:
    """The share of the cluster's frames with flow at each pixel."""
    frames = sorted({o.frame for o in cluster if o.frame >= 0})
    return flows[frames].mean(axis=0, dtype=np.float32) if frames else None


def _hold_siblings(
    ann: Annulus, main: Cluster, clusters: list[Cluster], px_per_cm: float, v: ValveParams
) -> Annulus:
    """``ann`` stretched along its line to hold the orifices of other clusters
    seen on the main one's frames at the main one's depth from the line: a
    second jet far along the valve (post-clip, one either side of the device;
    a tilted annulus puts it deeper along the beam)."""

    def along_across(c: Cluster) -> tuple[np.ndarray, np.ndarray]:
        x = np.array([o.x - ann.cx for o in c])
        y = np.array([o.y - ann.cy for o in c])
        return ann.ux * x + ann.uy * y, ann.nx * x + ann.ny * y

    t_main, d_main = along_across(main)
    level = float(np.median(d_main))
    frames_main = _frames_of(main)
    reach = v.annulus_max_half_length_cm * px_per_cm
    lo, hi = -ann.half_length_px, ann.half_length_px
    for other in clusters:
        fo = _frames_of(other)
        if (
            other is main
            or len(fo) < 2
            or len(fo & frames_main) < v.merge_shared_frames * min(len(fo), len(frames_main))
            or _area_of(other) < v.sibling_min_weight * _area_of(main)
        ):
            continue
        t_o, d_o = along_across(other)
        if abs(float(np.median(d_o)) - level) > v.sibling_max_offset_cm * px_per_cm:
            continue
        margin = v.sibling_margin_cm * px_per_cm
        a, b = float(t_o.min()) - margin, float(t_o.max()) + margin
        if max(b, hi) - min(a, lo) > 2 * reach:
            continue  # too far along for one valve
        lo, hi = min(lo, a), max(hi, b)
    if (lo, hi) == (-ann.half_length_px, ann.half_length_px):
        return ann
    mid = 0.5 * (lo + hi)
    return Annulus(
        ann.cx + mid * ann.ux, ann.cy + mid * ann.uy, ann.ux, ann.uy, ann.nx, ann.ny, 0.5 * (hi - lo)
    )


def _necks(
    cluster: Cluster, s: ValveSearch, depth: np.ndarray, side: int, p: AnalysisParams
) -> list[vl.Origin]:
    """Necks (vena contracta) of the cluster's flow on its three largest frames, as
    origins; empty unless at least two frames show one.

    A neck joins a convergence dome to its jet (within ``neck_max_offset_cm`` of its
    orifice); a narrow join past which the flow is mostly smooth and runs against the
    jet (a jet's tip touching venous inflow) is not one."""
    flows, turbs, velocity = s.flows, s.turbs, s.velocity
    px_per_cm = s.scale.ln(1.0)
    by_frame: dict[int, Cluster] = {}
    for o in cluster:
        if o.frame >= 0:
            by_frame.setdefault(o.frame, []).append(o)
    top = sorted(by_frame, key=lambda f: -sum(o.area_px for o in by_frame[f]))[:3]
    out: list[vl.Origin] = []
    k = np.ones((s.close_px, s.close_px), np.uint8)
    for f in top:
        grown = cv2.morphologyEx(flows[f].astype(np.uint8), cv2.MORPH_CLOSE, k)
        n, lab = cv2.connectedComponents(grown, connectivity=8)
        h, w = lab.shape
        for o in by_frame[f]:
            y, x = min(h - 1, max(0, int(round(o.y)))), min(w - 1, max(0, int(round(o.x))))
            if lab[y, x] == 0:
                continue
            comp = lab == lab[y, x]
            neck = vl.find_neck(comp, depth, px_per_cm=px_per_cm)
            if (
                neck is None
                or math.hypot(neck[0] - o.x, neck[1] - o.y) > p.valve.neck_max_offset_cm * px_per_cm
            ):
                continue
            dn = depth[min(h - 1, max(0, int(round(neck[1])))), min(w - 1, max(0, int(round(neck[0]))))]
            after = comp & (depth > dn) & (depth <= dn + px_per_cm)
            inflow = after & ~turbs[f] & (np.sign(velocity[f]) == side)  # against the jet
            if after.any() and inflow.sum() < p.valve.neck_max_inflow_fraction * after.sum():
                out.append(vl.Origin(f, neck[0], neck[1], o.area_px))
    return out if len({o.frame for o in out}) >= 2 else []


def _side_of_flow(
    cores: np.ndarray, p1: tuple[float, float], p2: tuple[float, float], apex: tuple[float, float]
) -> int:
    """+1 when the turbulent flow lies mostly on the far side of the line p1-p2 (seen
    from the probe), else -1."""
    ann = vl.annulus_from_points(p1, p2, apex_xy=apex, side=1)
    _, d = ann.coords(cores.shape[1:])
    reach = 3.0 * ann.half_length_px
    tot = cores.sum(axis=0)
    far = float(tot[(d > 0) & (d < reach)].sum())
    near = float(tot[(d < 0) & (d > -reach)].sum())
    return 1 if far >= near else -1


def _tissue_mean(grey: np.ndarray, flows: np.ndarray, frames: list[int]) -> np.ndarray | None:
    if not frames:
        return None
    g = grey[frames].astype(np.float32)
    tissue = ~flows[frames]
    n = tissue.sum(axis=0)
    s = np.where(tissue, g, 0).sum(axis=0)
    out = np.full(n.shape, np.nan, np.float32)
    ok = n > 0
    out[ok] = s[ok] / n[ok]
    return out


def apex_in_box(
    clip: EchoClip, sector: dict[str, float] | None, box: tuple[int, int, int, int], rows: int
) -> tuple[float, float]:
    """The transducer (the fan's apex) in colour-box coordinates."""
    bx0, by0, bx1, _ = box
    region = clip.spatial_region
    if (
        region is not None
        and region.reference_pixel_x0 is not None
        and region.reference_pixel_y0 is not None
        and not region.reference_physical_x
        and not region.reference_physical_y
    ):
        return (region.x0 + region.reference_pixel_x0 - bx0, region.y0 + region.reference_pixel_y0 - by0)
    if sector is not None:
        return (sector["apex_x"] - bx0, sector["apex_y"] - by0)
    # no fan: the probe is somewhere above the middle of the box
    return ((bx1 - bx0) / 2, -float(rows) - by0)
