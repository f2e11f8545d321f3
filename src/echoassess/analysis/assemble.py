"""Stage 8, the result: the clip's measurements folded into a
:class:`~echoassess.results.ClipResult`, with what the analysis found
(:class:`~echoassess.results.Diagnostics`) and the post-TEER measures.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .. import measure, postteer
from ..dicom import EchoClip
from ..results import AcquisitionSettings, ClipResult, Diagnostics
from ..valve import Annulus
from .inputs import Hints
from .jets import FrameJets
from .params import AnalysisParams, PostTeerParams
from .phase import EcgReading, Outcome
from .scan import ColourFlow
from .screen import Scale, Screen
from .turbulence import Turbulence

__all__ = ["build_result", "diagnostics"]


def diagnostics(
    clip: EchoClip,
    screen: Screen,
    flow: ColourFlow,
    turb: Turbulence,
    reading: EcgReading,
    outcome: Outcome,
    hints: Hints,
) -> Diagnostics:
    """What the analysis found on the screen, in full-frame pixels."""
    sector, bar, valve = screen.sector, screen.bar, outcome.valve
    ann = valve.annulus
    return Diagnostics(
        depth_cm_from_sector=(
            round(sector["radius_px"] * clip.spacing_cm[1], 1)
            if sector is not None and clip.spacing_cm is not None
            else None
        ),
        systole_source=outcome.systole.source,
        ecg_rr_ms=None if reading.phase is None else round(reading.phase.rr_ms, 1),
        colour_box_xyxy=_xyxy(screen.box),
        colour_box_source=screen.box_source,
        colour_bar_xyxy=_xyxy(bar.bbox_xyxy) if bar.source == "detected" else None,
        colour_bar_source=bar.source,
        colour_map_variance=bar.has_variance,
        colour_cell_px=int(turb.cell_px),
        static_overlay_px=int(flow.static.sum()),
        sector=sector,
        view=valve.view,
        view_source=valve.view_source,
        annulus_xy=None if ann is None else _annulus_xy(ann, screen.offset),
        annulus_tilt_deg=None if ann is None else round(ann.tilt_deg, 1),
        annulus_source=valve.source,
        roi_xyxy=None if hints.roi_xyxy is None else _xyxy(hints.roi_xyxy),
    )


def build_result(
    clip: EchoClip,
    frames: FrameJets,
    outcome: Outcome,
    *,
    screen: Screen,
    scale: Scale,
    hints: Hints,
    acquisition: AcquisitionSettings,
    diagnostics: Diagnostics,
    algorithm: str,
    p: AnalysisParams,
    warnings: list[str],
    user_inputs: Any,
) -> ClipResult:
    """The clip's result, with the post-TEER measures of a measured clip."""
    rows, cols = clip.shape[:2]
    result = measure.summarize_clip(
        frames.per_frame,
        frames.jets_by_frame,
        source=clip.path.name,
        frame_time_ms=clip.frame_time_ms,
        spacing_cm=clip.spacing_cm,
        calibration_source=clip.calibration_source,
        acquisition=acquisition,
        diagnostics=diagnostics,
        algorithm_version=algorithm,
        params=p.to_dict(),
        warnings=warnings,
        masks=frames.masks,
        labels_by_frame=None
        if frames.best_labels is None
        else {frames.best_frame: _full_frame(frames.best_labels, screen.box, (rows, cols))},
        status=outcome.status,
        status_reason=outcome.reason,
        user_inputs=user_inputs,
        identifiers=_identifiers(clip),
        excluded=frames.spikes,
    )
    return _with_post_teer(
        result,
        clip,
        outcome.valve.annulus,
        screen.offset,
        scale.cm_per_px,
        frames.vcs_by_frame,
        hints.la_polygon,
        p.post_teer,
    )


def _with_post_teer(
    result: ClipResult,
    clip: EchoClip,
    ann: Any,
    offset: tuple[int, int],
    scale_cm: float,
    vcs_by_frame: dict[int, dict],
    la_poly: Any,
    pt: PostTeerParams,
) -> ClipResult:
    """``result`` with its vena contracta, LA area and jet/LA ratio (measured clips only)."""
    if result.status != "measured" or ann is None or result.max_frame is None:
        return result
    full = ann.offset(*offset)
    frame = clip.frame(result.max_frame) if la_poly is None else None
    measures = postteer.post_teer_measures(
        frame_rgb=frame,
        max_frame=result.max_frame,
        jets_at_max=result.jets_at_max,
        vcs_by_frame=vcs_by_frame,
        annulus_xy=full.points,
        normal_xy=(full.nx, full.ny),
        spacing_cm=clip.spacing_cm,
        scale_cm=scale_cm,
        la_polygon=la_poly,
        track_cm=pt.vc_track_cm,
        vc_max_ratio=pt.vc_max_ratio,
        la_kwargs=pt.la_kwargs(),
        fan=None,  # read from the frame itself: the detected sector can be off on zoomed displays
    )
    warnings = result.warnings
    if measures.la_status == "cannot_measure":
        warnings += (f"LA area: cannot measure ({measures.la_reason})",)
    if len(measures.jets) > 1:
        warnings += (postteer.MULTI_JET_VC_NOTE,)
    return replace(result, post_teer=measures, warnings=warnings)


def _identifiers(clip: EchoClip) -> dict[str, Any]:
    """What names a clip without naming the patient (the acquisition time stays
    in memory only: :data:`echoassess.results.PRIVATE_IDENTIFIERS`)."""
    md = clip.metadata
    when = md.acquisition_datetime
    return {
        "study_instance_uid": md.study_instance_uid,
        "series_instance_uid": md.series_instance_uid,
        "sop_instance_uid": md.sop_instance_uid,
        "series_description": md.series_description,
        "study_description": md.study_description,
        "series_number": md.series_number,
        "instance_number": md.instance_number,
        "acquisition_datetime": None if when is None else when.isoformat(),
    }


def _full_frame(crop: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, crop.dtype)
    x0, y0, x1, y1 = box
    out[y0 : y1 + 1, x0 : x1 + 1] = crop
    return out


def _xyxy(box: Any) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(v) for v in box)
    return x0, y0, x1, y1


def _annulus_xy(ann: Annulus, offset: tuple[int, int]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The annulus hinge points in full-frame pixels (0.1 px)."""
    (x1, y1), (x2, y2) = ann.points
    ox, oy = offset
    return (round(x1 + ox, 1), round(y1 + oy, 1)), (round(x2 + ox, 1), round(y2 + oy, 1))
