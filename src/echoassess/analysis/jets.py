"""Stage 7, the jets: the regurgitant flow on the atrial side of the annulus,
labelled by its origins on the valve and measured frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import measure, postteer, segmentation
from ..dicom import EchoClip
from ..results import FrameMeasurement, JetMeasurement, Phase
from ..valve import Annulus
from .origins import origin_search_mask, renumber, track_origins
from .params import AnalysisParams
from .phase import Systole
from .scan import ColourFlow
from .screen import Scale, Screen
from .turbulence import Turbulence
from .valve_search import ValveFit, ValveSearch, locate_valve

__all__ = [
    "FrameJets",
    "JetMasks",
    "atrial_jets",
    "hint_cut_warning",
    "measure_frames",
    "turbulence_share",
    "with_weak_jets",
]


@dataclass(frozen=True)
class JetMasks:
    """The atrial flow of every frame, and the annulus coordinates it was cut with."""

    masks: np.ndarray  # (T, h, w) bool
    annulus: Annulus | None
    t: np.ndarray | None  # (h, w) along the annulus (px), or None without an annulus
    d: np.ndarray | None  # (h, w) depth into the atrium (px)
    band_px: float  # the valve band

    def turbulent_px(self, turb: Turbulence) -> np.ndarray:
        """``(T,)`` turbulent jet pixels per frame."""
        return (self.masks & turb.turbs).sum(axis=(1, 2))


def turbulence_share(jet_turbulent_px: np.ndarray, turb: Turbulence, frames: np.ndarray) -> float | None:
    """The share of the turbulent pixels of ``frames`` (bool, ``(T,)``) that lie in
    the jets (``jet_turbulent_px``: :meth:`JetMasks.turbulent_px`); ``None``
    without turbulence there."""
    total = int(turb.turbs[frames].sum())
    return None if total == 0 else float(jet_turbulent_px[frames].sum()) / total


@dataclass
class FrameJets:
    """The jets of every frame, measured."""

    per_frame: list[FrameMeasurement] = field(default_factory=list)
    jets_by_frame: dict[int, tuple[JetMeasurement, ...]] = field(default_factory=dict)
    masks: np.ndarray | None = None  # (T, H, W) bool, full frames, when asked for
    best_frame: int = -1  # the frame with the largest jet area ...
    best_labels: np.ndarray | None = None  # ... and its jet labels (colour box)
    vcs_by_frame: dict[int, dict] = field(default_factory=dict)  # vena contracta per jet
    spikes: list[int] = field(default_factory=list)  # one-frame artefacts, left out of the max


def atrial_jets(
    flow: ColourFlow,
    turb: Turbulence,
    valve: ValveFit,
    scale: Scale,
    p: AnalysisParams,
    *,
    region: np.ndarray | None,
    turbulent_frames_only: bool = False,
) -> JetMasks:
    """The flow on the atrial side of ``valve``'s annulus, every frame (none
    without an annulus); ``region`` limits it to the user's roi."""
    T, h, w = flow.flows.shape
    band = max(2.0, scale.ln(p.detection.valve_band_cm))
    masks = np.zeros((T, h, w), bool)
    ann = valve.annulus
    if ann is None:
        return JetMasks(masks, None, None, None, band)
    t, d = ann.coords((h, w))
    jets = JetMasks(masks, ann, t, d, band)
    min_core_px = scale.px(p.valve.min_core_area_cm2)
    for i in range(T):
        if turbulent_frames_only and not turb.turbs[i].any():
            continue
        masks[i] = _frame_jets(jets, flow, turb, valve, scale, p, i, min_core_px=min_core_px, region=region)
    return jets


def _frame_jets(
    jets: JetMasks,
    flow: ColourFlow,
    turb: Turbulence,
    valve: ValveFit,
    scale: Scale,
    p: AnalysisParams,
    i: int,
    *,
    min_core_px: int,
    region: np.ndarray | None,
) -> np.ndarray:
    """Frame ``i``'s atrial jets (:func:`segmentation.atrial_jet_mask`), each
    holding ``min_core_px`` turbulent pixels."""
    assert jets.annulus is not None and jets.t is not None and jets.d is not None
    det = p.detection
    # an assumed scale may be a zoomed display's: the atrium's bounds stretch
    reach = det.assumed_scale_reach if scale.assumed else 1.0
    return segmentation.atrial_jet_mask(
        flow.flows[i],
        turb.turbs[i],
        t=jets.t,
        d=jets.d,
        half_length_px=jets.annulus.half_length_px,
        band_px=jets.band_px,
        max_depth_px=reach * scale.ln(det.la_max_depth_cm),
        max_half_width_px=reach * scale.ln(det.la_max_half_width_cm),
        min_core_px=min_core_px,
        close_px=turb.close_px,
        velocity=flow.velocity[i],
        jet_sign=-valve.side if valve.side else None,
        min_attachment_px=scale.px(det.min_attachment_area_cm2),
        max_ring_px=scale.ln(det.max_ring_cm),
        fill_holes=det.fill_holes,
        region=region,
        start_px=scale.ln(det.max_jet_start_cm),
    )


def with_weak_jets(
    jets: JetMasks,
    flow: ColourFlow,
    turb: Turbulence,
    valve: ValveFit,
    systole: Systole,
    scale: Scale,
    p: AnalysisParams,
    *,
    region: np.ndarray | None,
) -> JetMasks:
    """``jets`` with, on the systolic frames, the jets whose turbulent core is
    short of the valve's minimum (down to ``p.detection.weak_core_share`` of it)
    that start at an orifice: on the annulus segment, where jets with a full
    core crossed the valve band on at least two systolic frames (a start up to
    ``max_jet_start_cm`` past the valve, as for any jet). A small jet's mosaic thins out
    on some frames (a variance map, a jet aliased to its edge): it is the same
    jet from the same orifice, not a new one.

    Diastolic frames are left as they are."""
    import cv2

    if jets.annulus is None or jets.t is None or jets.d is None or not systole.systolic.any():
        return jets
    t, d, band = jets.t, jets.d, jets.band_px
    det = p.detection
    frames = np.flatnonzero(systole.systolic)
    at_valve = (d >= 0) & (d <= band)
    # the orifices: positions along the annulus where full jets start, 2+ frames
    lo = int(np.floor(t[at_valve].min())) if at_valve.any() else 0
    seen = np.zeros(int(np.ceil(t.max())) - lo + 2, int)
    for i in frames:
        tv = np.unique(np.round(t[jets.masks[i] & at_valve]).astype(int) - lo)
        seen[tv] += 1
    orifice_t = seen >= 2
    if not orifice_t.any():
        return jets
    ti = np.clip(np.round(t).astype(int) - lo, 0, len(seen) - 1)
    at_orifice = orifice_t[ti] & (np.abs(t) <= jets.annulus.half_length_px)
    reach = max(band, scale.ln(det.max_jet_start_cm))
    zone = at_orifice & (d >= 0) & (d <= reach)
    min_core_px = scale.px(p.valve.min_core_area_cm2)
    weak_core_px = max(1, int(round(det.weak_core_share * min_core_px)))
    min_jet_px = scale.px(det.min_jet_area_cm2)
    masks = jets.masks.copy()
    for i in frames:
        # only frames with enough flow at an orifice outside the jets found
        if int((flow.flows[i] & zone & ~masks[i]).sum()) < max(1, min_jet_px // 4):
            continue
        weak = _frame_jets(jets, flow, turb, valve, scale, p, int(i), min_core_px=weak_core_px, region=region)
        extra = weak & ~masks[i]
        if not extra.any():
            continue
        n, lab = cv2.connectedComponents(extra.astype(np.uint8), connectivity=8)
        ring = cv2.dilate(masks[i].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        size = np.bincount(lab.ravel(), minlength=n)
        # each piece's start: its first band's depth past its shallowest pixel
        # (the clip's shadow may hide a jet's first millimetres)
        first = np.full(n, np.inf)
        np.minimum.at(first, lab[extra], d[extra])
        head = extra & (d <= first[lab] + band) & (first[lab] <= reach)
        starts = np.bincount(lab[head & at_orifice], minlength=n)
        heads = np.bincount(lab[head], minlength=n)
        joins = np.bincount(lab[extra & ring], minlength=n)
        keep = (size >= min_jet_px) & (heads > 0) & (starts >= 0.5 * heads) & (joins == 0)
        keep[0] = False
        masks[i] |= keep[lab]
    return JetMasks(masks, jets.annulus, t, d, band)


def measure_frames(
    jets: JetMasks,
    flow: ColourFlow,
    systole: Systole,
    clip: EchoClip,
    screen: Screen,
    scale: Scale,
    p: AnalysisParams,
    *,
    keep_masks: bool,
) -> FrameJets:
    """Every frame's jets, labelled by their origins on the annulus (systolic
    frames only) and measured."""
    T = flow.flows.shape[0]
    rows, cols = clip.shape[:2]
    (bx0, by0), (h, w) = screen.offset, screen.crop_shape
    out = FrameJets(masks=np.zeros((T, rows, cols), bool) if keep_masks else None)
    labelled = _labels_by_frame(jets, flow, systole, scale, p)
    times = clip.frame_times_ms
    for i in range(T):
        labels, n = labelled.get(i, (None, 0))
        if labels is not None:
            assert jets.annulus is not None
            out.vcs_by_frame[i] = postteer.frame_vena_contracta(  # post-TEER: neck of each jet
                labels,
                n,
                (jets.annulus.nx, jets.annulus.ny),
                spacing_cm=clip.spacing_cm or (scale.cm_per_px, scale.cm_per_px),
                offset_xy=(bx0, by0),
                vena_kwargs=p.post_teer.vena_kwargs(),
            )
            out.jets_by_frame[i] = measure.measure_jets(
                labels, n, spacing_cm=clip.spacing_cm, offset_xy=(bx0, by0)
            )
            if out.masks is not None:
                out.masks[i, by0 : by0 + h, bx0 : bx0 + w] = labels > 0
        out.per_frame.append(
            measure.measure_frame(
                i,
                labels,
                n,
                phase=Phase.SYSTOLE if systole.phase_systolic[i] else Phase.DIASTOLE,
                time_ms=None if times is None else float(times[i]),
                spacing_cm=clip.spacing_cm,
            )
        )
    out.spikes = measure.one_frame_spikes(out.per_frame, p.detection.max_spike_ratio)
    best = measure.max_frame_of(out.per_frame, out.spikes)
    if best is not None and best.jet_area_px > 0 and best.index in labelled:
        out.best_frame, out.best_labels = best.index, labelled[best.index][0]
    return out


def spike_warning(frames: FrameJets, p: AnalysisParams) -> str | None:
    """The warning for frames left out of the maximum as one-frame artefacts."""
    if not frames.spikes:
        return None
    shown = ", ".join(str(i) for i in frames.spikes[:5]) + (" ..." if len(frames.spikes) > 5 else "")
    return (
        f"frame(s) {shown}: the jet area is more than {p.detection.max_spike_ratio:g}x the "
        "neighbouring frames' with a jet (a one-frame artefact, e.g. a flow beside the valve "
        "merged in): left out of the maximum; check them"
    )


def _labels_by_frame(
    jets: JetMasks, flow: ColourFlow, systole: Systole, scale: Scale, p: AnalysisParams
) -> dict[int, tuple[np.ndarray, int]]:
    """``{frame: (jet labels, n)}`` of the systolic frames: each jet labelled by
    its origin on the annulus (origins seen on two frames or more)."""
    if jets.t is None or jets.d is None:
        return {}
    det, band, t, d = p.detection, jets.band_px, jets.t, jets.d
    searches = {
        int(i): origin_search_mask(jets.masks[i], flow.flows[i], d, band)
        for i in np.flatnonzero(systole.systolic)
    }
    origins = track_origins(
        jets.masks,
        searches,
        t,
        d,
        band_px=band,
        gap_px=scale.ln(det.origin_gap_cm),
        track_px=scale.ln(det.origin_track_cm),
        start_px=scale.ln(det.max_jet_start_cm),
        min_px=scale.px(det.min_jet_area_cm2),
        apart_share=det.orifice_apart_share,
    )
    out = {}
    for i in searches:
        labels, _ = segmentation.label_by_origins(
            searches[i],
            t,
            d,
            origins.get(i, []),
            band_px=max(band, scale.ln(det.max_jet_start_cm)),
            start_px=-0.5 * band,
            min_jet_px=scale.px(det.min_jet_area_cm2),
        )
        labels[~jets.masks[i]] = 0
        out[i] = renumber(labels)
    return out


def hint_cut_warning(
    search: ValveSearch,
    jets: JetMasks,
    systole: Systole,
    flow: ColourFlow,
    turb: Turbulence,
    scale: Scale,
    p: AnalysisParams,
    *,
    given: str,
    spacing_cm: tuple[float, float] | None,
) -> str | None:
    """A warning when the hints (``given``) keep less than
    ``p.detection.hint_keep_fraction`` of the jet the analysis finds on its own."""
    auto = locate_valve(search, p)
    if auto.annulus is None:
        return None
    auto_px = atrial_jets(flow, turb, auto, scale, p, region=None, turbulent_frames_only=True).masks.sum(
        axis=(1, 2)
    )
    auto_max = int(auto_px.max()) if auto_px.size else 0
    hinted = jets.masks.sum(axis=(1, 2))
    hinted_max = int(hinted[systole.systolic].max()) if systole.systolic.any() else 0
    if not (auto_max > 0 and hinted_max < p.detection.hint_keep_fraction * auto_max):
        return None

    def unit(n: int) -> Any:
        return f"{n * spacing_cm[0] * spacing_cm[1]:.2f} cm²" if spacing_cm is not None else f"{n} px"

    return (
        f"the hints ({given}) cut the jet found without them: its largest area is "
        f"{unit(hinted_max)} with the hints and {unit(auto_max)} without; check the hints "
        "against the image"
    )
