"""One clip, end to end: DICOM -> flow maps -> jet masks -> :class:`ClipResult`.

:func:`analyze_clip` streams the frames once (only the colour box of each
frame is kept, as compact masks), then segments the jets with clip-level
knowledge (the valve line, the systolic frames) and measures them. Every
tunable lives in the frozen :class:`AnalysisParams`; the result records them
with the algorithm version.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from . import bounds, colorflow, ecg, measure, segmentation
from ._version import __version__
from .errors import InvalidParameterError, NoColourFlowError
from .io import EchoClip, load_clip
from .results import ClipResult, FrameMeasurement, JetMeasurement

__all__ = ["AnalysisParams", "analyze_clip", "ALGORITHM"]

log = logging.getLogger("echoassess")

#: Name and version of the jet-area algorithm recorded in every result.
ALGORITHM = f"echoassess-jet {__version__}"

#: Pixel size assumed for size thresholds when a clip has no calibration
#: (areas are then reported in pixels only).
_NOMINAL_DEPTH_CM = 16.0


@dataclass(frozen=True)
class AnalysisParams:
    """Every tunable of the jet-area analysis.

    Sizes are physical (cm, cm^2) and converted to pixels with the clip's
    spacing, so one set of parameters fits any frame size.

    Attributes
    ----------
    lut_bits : int
        Bits per RGB channel of the colour lookup (5 -> 32^3 bins).
    min_chroma : float
        CIELAB chroma below which a pixel is grey (no flow).
    dark_lightness, min_chroma_dark : float
        Pixels darker than this CIELAB lightness need ``min_chroma_dark``
        chroma to be flow (JPEG chroma blur tints dark blood beside a jet).
    max_colour_distance : float
        CIELAB distance beyond which a coloured pixel matches no bar colour
        (and is not flow).
    bar_min_saturation : int
        ``max(RGB) - min(RGB)`` above which a pixel may belong to the colour bar.
    turbulence_window_cm : float
        Side of the window of the phase-coherence (mosaic) measure.
    turbulence_threshold : float
        Incoherence 0..1 above which flow is turbulent (mosaic).
    variance_threshold : float
        Variance level 0..1 above which flow is turbulent (variance maps).
    min_turbulent_area_cm2 : float
        Smallest turbulent patch kept.
    min_core_area_cm2 : float
        Turbulent area a region of LA-side flow needs to be a jet.
    min_systole_area_cm2 : float
        Turbulent LA-side area that makes a frame systolic.
    valve_band_cm : float
        Depth below the valve line where jet origins are looked for.
    min_jet_area_cm2 : float
        Smallest jet counted separately.
    valve_candidate_fraction : float
        Frames whose turbulent area reaches this fraction of the clip's
        largest take part in locating the valve.
    valve_search_cm : float
        The flow-based valve line is snapped to the brightest tissue row
        (closed leaflets, annulus) within this distance.
    valve_offset_cm : float
        The LA side starts this far below that bright row.
    fill_holes : bool
        Fill holes inside jets (JPEG chroma blur between mosaic colours).
    min_rim_away : float
        Fraction of a region's rim (its slowest, unaliased flow) that must move
        away from the probe for the region to be a jet; rejects aliased
        diastolic inflow, whose rim moves toward the probe.
    min_attachment_area_cm2 : float
        Smooth toward-the-probe patches this large on a jet's edge (venous
        inflow touching the jet) are cut off the jet.
    max_jet_start_cm : float
        A jet starts at the valve: regions whose top is further below the
        valve line are not jets.
    """

    lut_bits: int = 5
    min_chroma: float = 12.0
    dark_lightness: float = 30.0
    min_chroma_dark: float = 30.0
    max_colour_distance: float = 40.0
    bar_min_saturation: int = 40
    turbulence_window_cm: float = 0.25
    turbulence_threshold: float = 0.35
    variance_threshold: float = 0.6
    min_turbulent_area_cm2: float = 0.015
    min_core_area_cm2: float = 0.05
    min_systole_area_cm2: float = 0.08
    valve_band_cm: float = 0.3
    min_jet_area_cm2: float = 0.05
    valve_candidate_fraction: float = 0.3
    valve_search_cm: float = 1.0
    valve_offset_cm: float = 0.05
    fill_holes: bool = True
    min_rim_away: float = 0.5
    min_attachment_area_cm2: float = 0.05
    max_jet_start_cm: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> AnalysisParams:
        return replace(self, **changes)


def _check_params(params: AnalysisParams | None) -> AnalysisParams:
    if params is None:
        return AnalysisParams()
    if not isinstance(params, AnalysisParams):
        raise InvalidParameterError(
            None, f"params must be an AnalysisParams, got {type(params).__name__}",
            hint="use echoassess.AnalysisParams(...) or params=None for the defaults",
        )
    return params


def _check_point(path: Any, name: str, value: Any, shape: tuple[int, int]) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            path, f"{name}={value!r} must be two numbers (x, y) in pixels", hint="e.g. 400,300"
        ) from None
    rows, cols = shape
    if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < cols and 0 <= y < rows):
        raise InvalidParameterError(
            path, f"{name}={value!r} lies outside the {cols} x {rows} image",
        )
    return x, y


def _check_roi(path: Any, value: Any, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            path, f"roi={value!r} must be four numbers x0,y0,x1,y1 in pixels",
            hint="e.g. 300,300,500,450",
        ) from None
    rows, cols = shape
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (x1 > x0 and y1 > y0):
        raise InvalidParameterError(path, f"roi={value!r} must have x1 > x0 and y1 > y0")
    if x1 < 0 or y1 < 0 or x0 >= cols or y0 >= rows:
        raise InvalidParameterError(path, f"roi={value!r} lies outside the {cols} x {rows} image")
    return (max(0, int(round(x0))), max(0, int(round(y0))), min(cols - 1, int(round(x1))),
            min(rows - 1, int(round(y1))))


def analyze_clip(
    clip_or_path: EchoClip | str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    keep_masks: bool = False,
    nyquist_cm_s: float | None = None,
    spacing_cm: float | tuple[float, float] | None = None,
    depth_cm: float | None = None,
    valve_xy: tuple[float, float] | None = None,
    roi_xyxy: tuple[float, float, float, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClipResult:
    """Measure the MR colour-jet area of one clip.

    Parameters
    ----------
    clip_or_path : EchoClip or path
        A clip from :func:`echoassess.load_clip`, or a DICOM file.
    params : AnalysisParams, optional
        The tunables; defaults when ``None``.
    keep_masks : bool
        Keep the ``(T, H, W)`` bool jet masks in ``result.masks``.
    nyquist_cm_s : float, optional
        The Nyquist limit printed beside the colour bar, recorded in the
        settings (velocities are otherwise in Nyquist units).
    spacing_cm, depth_cm : optional
        Calibration for uncalibrated files (see :func:`echoassess.load_clip`).
    valve_xy : (x, y), optional
        Hint: a point on the mitral valve (pixels); sets the valve line.
    roi_xyxy : (x0, y0, x1, y1), optional
        Hint: the left atrium; nothing outside it counts.
    progress : callable(done, total), optional
        Called after each frame.

    Returns
    -------
    ClipResult

    Raises
    ------
    NoColourFlowError
        The clip shows no colour flow.
    InvalidParameterError
        A malformed hint or parameter.
    echoassess.EchoAssessError
        Any loader error (the message names the file).

    Examples
    --------
    >>> from echoassess.synthetic import SceneParams, generate_clip
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "c.dcm")
    >>> _ = generate_clip(SceneParams(rows=240, cols=320, n_frames=12), rng=1).save(path)
    >>> r = analyze_clip(path)
    >>> r.frames, r.max_jet_area_cm2 > 0
    (12, True)
    """
    p = _check_params(params)
    if isinstance(clip_or_path, EchoClip):
        clip = clip_or_path
        if spacing_cm is not None or depth_cm is not None:
            clip = load_clip(clip.path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    else:
        clip = load_clip(clip_or_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    bounds.check_analysable(clip.path, clip.shape, None if clip.colour_flow_region is None
                            else clip.colour_flow_region.bounds)
    if nyquist_cm_s is not None and not (
        isinstance(nyquist_cm_s, (int, float)) and math.isfinite(nyquist_cm_s) and 0 < nyquist_cm_s < 1000
    ):
        raise InvalidParameterError(
            clip.path, f"nyquist_cm_s={nyquist_cm_s!r} must be a velocity in cm/s (e.g. 60)"
        )
    # settings the file carries, unless the user gave them
    nyquist_source = "user" if nyquist_cm_s is not None else None
    if nyquist_cm_s is None and clip.nyquist_cm_s is not None:
        nyquist_cm_s, nyquist_source = clip.nyquist_cm_s, "file (PRF and transducer frequency)"
    depth_source = "user" if depth_cm is not None else None
    if depth_cm is None and clip.depth_cm is not None:
        depth_cm, depth_source = clip.depth_cm, "file (ultrasound region)"
    rows, cols, _ = clip.shape
    valve = _check_point(clip.path, "valve", valve_xy, (rows, cols))
    roi = _check_roi(clip.path, roi_xyxy, (rows, cols))
    warnings: list[str] = []

    # -- geometry: colour box and colour bar (from the first frame of the
    # stream, so that no frame is decoded twice)
    frames_iter = clip.iter_frames()
    first = next(frames_iter)
    if clip.colour_flow_region is not None:
        r = clip.colour_flow_region
        box = (max(0, r.x0), max(0, r.y0), min(cols - 1, r.x1), min(rows - 1, r.y1))
        box_source = "regions"
    else:
        n_probe = min(clip.n_frames, 8)
        idx = sorted(set(np.linspace(0, clip.n_frames - 1, n_probe).round().astype(int).tolist()))
        sample = clip.read_frames(idx)
        box = colorflow.find_colour_box(sample, min_saturation=p.bar_min_saturation)
        box_source = "pixels"
        if box is None:
            raise NoColourFlowError(
                clip.path, "no colour-Doppler flow found (no colour-flow region and no changing "
                "colour pixels)", hint="is this a colour-Doppler clip?",
            )
    bar = colorflow.find_colour_bar(first, exclude_xyxy=box, min_saturation=p.bar_min_saturation)
    if bar is None:
        bar = colorflow.default_colour_bar()
        warnings.append("no colour bar found: a generic red/blue velocity map was assumed")
    lut = colorflow.build_colour_lut(
        bar, bits=p.lut_bits, min_chroma=p.min_chroma, max_distance=p.max_colour_distance,
        dark_lightness=p.dark_lightness, min_chroma_dark=p.min_chroma_dark,
    )
    bx0, by0, bx1, by1 = box
    h, w = by1 - by0 + 1, bx1 - bx0 + 1
    sector = _sector(first)

    # -- scales
    if clip.spacing_cm is not None:
        scale_cm = float(np.sqrt(clip.spacing_cm[0] * clip.spacing_cm[1]))
    else:
        scale_cm = _NOMINAL_DEPTH_CM / (0.8 * rows)
        warnings.append("uncalibrated clip: areas in pixels; size thresholds assume a "
                        f"{_NOMINAL_DEPTH_CM:g} cm deep image")

    def px(area_cm2: float) -> int:
        return max(1, int(round(area_cm2 / scale_cm**2)))

    window = max(3, int(round(p.turbulence_window_cm / scale_cm)) | 1)
    roi_crop = None
    if roi is not None:
        roi_crop = np.zeros((h, w), bool)
        rx0, ry0, rx1, ry1 = roi
        roi_crop[max(0, ry0 - by0) : max(0, ry1 - by0 + 1), max(0, rx0 - bx0) : max(0, rx1 - bx0 + 1)] = True
        if not roi_crop.any():
            raise InvalidParameterError(clip.path, f"roi={roi_xyxy!r} does not overlap the colour box "
                                        f"{list(box)}")

    # -- one pass over the frames: flow maps of the colour box
    min_core = px(p.min_core_area_cm2)
    min_attach = px(p.min_attachment_area_cm2)
    trace = _ecg_trace(first, sector, box)
    scan = _scan_frames(
        itertools.chain([first], frames_iter), clip.n_frames, box, lut, p,
        window_px=window, min_turbulent_px=px(p.min_turbulent_area_cm2), min_core_px=min_core,
        min_attachment_px=min_attach, roi=roi_crop, progress=progress,
        ecg_trace=trace,
    )
    T = clip.n_frames
    flows, turbs, aways = scan.flow, scan.turbulent, scan.away
    any_flow = bool(flows.any())
    if not any_flow:
        if bar.source == "default":
            raise NoColourFlowError(
                clip.path, "no colour-Doppler flow in the colour box and no colour bar",
                hint="is this a colour-Doppler clip?",
            )
        warnings.append("no colour flow shown in the colour box")

    # -- the valve line
    if valve is not None:
        valve_row, valve_source = int(round(valve[1])) - by0, "user"
    else:
        valve_row, valve_source = _locate_valve(
            scan, p, min_systole_px=px(p.min_systole_area_cm2), scale_cm=scale_cm
        )
    if valve_row is not None:
        valve_row = int(np.clip(valve_row, 0, h))

    # -- jet masks on the LA side of the valve, every frame
    jet_masks = np.zeros((T, h, w), bool)
    for i in range(T):
        jet_masks[i] = segmentation.jet_mask(
            flows[i], turbs[i], valve_row=valve_row, roi=roi_crop,
            min_core_px=min_core, fill_holes=p.fill_holes, away=aways[i],
            min_rim_away=p.min_rim_away, min_attachment_px=min_attach,
            max_start_px=int(round(p.max_jet_start_cm / scale_cm)),
        )
    # -- systole: frames whose LA-side jets hold enough mosaic
    la_turb = (jet_masks & turbs).sum(axis=(1, 2))
    systolic = segmentation.detect_systole(la_turb, min_jet_px=px(p.min_systole_area_cm2))
    if not systolic.any():
        warnings.append("no systolic jet found")
    # -- the ECG, when the screen shows one, checks the flow's systole and
    #    gives the phase of clips without a jet (jets are still only taken
    #    from the frames the flow calls systolic)
    phase_systolic = systolic
    systole_source = "flow"
    ecg_phase = None
    if trace is not None and clip.frame_times_ms is not None:
        ecg_phase = ecg.read_ecg(scan.cursor_x, clip.frame_times_ms, trace,
                                 heart_rate_bpm=clip.metadata.heart_rate_bpm)
    if ecg_phase is not None:
        agree = float(np.mean(ecg_phase.systolic == systolic))
        if not systolic.any():
            phase_systolic = ecg_phase.systolic
            systole_source = "ECG (no jet in the flow)"
        else:
            systole_source = f"flow (the ECG agrees on {100 * agree:.0f} % of frames)"
            if agree < 0.7:
                warnings.append(
                    f"the ECG trace and the colour flow disagree on systole ({100 * agree:.0f} % "
                    "of frames agree): check the phase labels")
    log.debug("%s: colour box %s (%s), bar %s, valve row %s (%s), %d systolic frames",
              clip.path.name, box, box_source, bar.source, valve_row, valve_source,
              int(systolic.sum()))

    # -- jets per frame
    times = clip.frame_times_ms
    per_frame: list[FrameMeasurement] = []
    jets_by_frame: dict[int, tuple[JetMeasurement, ...]] = {}
    masks = np.zeros((T, rows, cols), bool) if keep_masks else None
    band = max(2, int(round(p.valve_band_cm / scale_cm)))
    best_i, best_px, best_labels = -1, 0, None
    for i in range(T):
        labels, n = None, 0
        if systolic[i]:
            labels, n = segmentation.label_jets(
                jet_masks[i], valve_row=valve_row, band_px=band,
                min_seed_px=max(2, px(p.min_jet_area_cm2) // 8), min_jet_px=px(p.min_jet_area_cm2),
            )
            jets_by_frame[i] = measure.measure_jets(
                labels, n, spacing_cm=clip.spacing_cm, offset_xy=(bx0, by0)
            )
            if masks is not None:
                masks[i, by0 : by1 + 1, bx0 : bx1 + 1] = labels > 0
            area = int(np.count_nonzero(labels))
            if area > best_px:
                best_i, best_px, best_labels = i, area, labels
        per_frame.append(measure.measure_frame(
            i, labels, n, phase="systole" if phase_systolic[i] else "diastole",
            time_ms=None if times is None else float(times[i]), spacing_cm=clip.spacing_cm,
        ))

    settings = {
        "nyquist_cm_s": None if nyquist_cm_s is None else round(float(nyquist_cm_s), 2),
        "nyquist_source": nyquist_source,
        "velocity_unit": "cm/s" if nyquist_cm_s is not None else "fraction of Nyquist",
        "frame_rate_hz": clip.frame_rate_hz,
        "depth_cm": None if depth_cm is None else round(float(depth_cm), 2),
        "depth_source": depth_source,
        "depth_cm_from_sector": (
            round(sector["radius_px"] * clip.spacing_cm[1], 1)
            if sector is not None and clip.spacing_cm is not None else None
        ),
        "heart_rate_bpm": clip.metadata.heart_rate_bpm,
        "systole_source": systole_source,
        "ecg_rr_ms": None if ecg_phase is None else round(ecg_phase.rr_ms, 1),
        "colour_box_xyxy": [int(v) for v in box],
        "colour_box_source": box_source,
        "colour_bar_xyxy": [int(v) for v in bar.bbox_xyxy] if bar.source == "detected" else None,
        "colour_bar_source": bar.source,
        "colour_map_variance": bar.has_variance,
        "sector": sector,
        "valve_row": None if valve_row is None else int(valve_row + by0),
        "valve_source": valve_source,
        "roi_xyxy": None if roi is None else list(roi),
        "manufacturer": clip.metadata.manufacturer,
        "model": clip.metadata.model,
    }
    return measure.summarize_clip(
        per_frame, jets_by_frame,
        source=clip.path.name,
        frame_time_ms=clip.frame_time_ms,
        spacing_cm=clip.spacing_cm,
        calibration_source=clip.calibration_source,
        settings=settings,
        algorithm_version=ALGORITHM,
        params=p.to_dict(),
        warnings=warnings,
        masks=masks,
        labels_by_frame=None if best_labels is None else {best_i: _full_frame(best_labels, box, (rows, cols))},
    )


@dataclass
class _Scan:
    """What one pass over the frames keeps of each colour box (crop-sized arrays)."""

    flow: np.ndarray  # (T, h, w) bool
    turbulent: np.ndarray  # (T, h, w) bool
    away: np.ndarray  # (T, h, w) bool: flow moving away from the probe
    smooth_away_rows: np.ndarray  # (T, h): per row, smooth away-flow of candidate jets
    turbulent_rows: np.ndarray  # (T, h): per row, mosaic of candidate jets
    tissue_sum: np.ndarray  # (T, h): per row, summed grey level of non-flow pixels
    tissue_n: np.ndarray  # (T, h): per row, non-flow pixel count
    cursor_x: np.ndarray  # (T,): ECG cursor column (NaN without one)


def _scan_frames(
    frames: Iterable[np.ndarray], n_frames: int, box: tuple[int, int, int, int],
    lut: colorflow.ColourLUT, p: AnalysisParams, *, window_px: int, min_turbulent_px: int,
    min_core_px: int, min_attachment_px: int, roi: np.ndarray | None,
    progress: Callable[[int, int], None] | None,
    ecg_trace: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Scan:
    bx0, by0, bx1, by1 = box
    h, w = by1 - by0 + 1, bx1 - bx0 + 1
    T = n_frames
    scan = _Scan(
        np.zeros((T, h, w), bool), np.zeros((T, h, w), bool), np.zeros((T, h, w), bool),
        np.zeros((T, h), np.float32), np.zeros((T, h), np.float32),
        np.zeros((T, h), np.float32), np.zeros((T, h), np.float32),
        np.full(T, np.nan),
    )
    for i, frame in enumerate(frames):
        if ecg_trace is not None:
            cx = ecg.find_cursor(frame, *ecg_trace)
            scan.cursor_x[i] = np.nan if cx is None else cx
        crop = frame[by0 : by1 + 1, bx0 : bx1 + 1]
        fm = colorflow.flow_map(crop, lut)
        turb = segmentation.turbulent_mask(
            fm.velocity, fm.flow, fm.variance if lut.bar.has_variance else None,
            window_px=window_px, threshold=p.turbulence_threshold,
            variance_threshold=p.variance_threshold, min_area_px=min_turbulent_px,
        )
        away = fm.flow & (fm.velocity < 0)
        scan.flow[i], scan.turbulent[i], scan.away[i] = fm.flow, turb, away
        # candidate jets (and PISA) before the valve is known: turbulent
        # regions whose rim flows away from the probe
        cand = segmentation.jet_mask(
            fm.flow, turb, valve_row=None, roi=roi, min_core_px=min_core_px,
            fill_holes=False, away=away, min_rim_away=p.min_rim_away,
            min_attachment_px=min_attachment_px,
        )
        scan.smooth_away_rows[i] = (cand & ~turb & away).sum(axis=1)
        scan.turbulent_rows[i] = (cand & turb).sum(axis=1)
        tissue = ~fm.flow
        scan.tissue_sum[i] = np.where(tissue, crop[..., 1], 0).sum(axis=1)
        scan.tissue_n[i] = tissue.sum(axis=1)
        if progress is not None:
            progress(i + 1, T)
    return scan


def _locate_valve(
    scan: _Scan, p: AnalysisParams, *, min_systole_px: int, scale_cm: float
) -> tuple[int | None, str]:
    """The valve row (first LA-side row of the box) from the frames with most mosaic."""
    tot = scan.turbulent_rows.sum(axis=1)
    if tot.max() <= 0:
        return None, "none"
    cand = tot >= max(min_systole_px, p.valve_candidate_fraction * tot.max())
    row = segmentation.estimate_valve_row(
        scan.smooth_away_rows[cand].sum(axis=0), scan.turbulent_rows[cand].sum(axis=0)
    )
    if row is None or p.valve_search_cm <= 0:
        return row, "flow"
    tissue_rows = scan.tissue_sum[cand].sum(axis=0) / np.maximum(scan.tissue_n[cand].sum(axis=0), 1)
    row = segmentation.refine_valve_row(
        tissue_rows, row, search_px=int(round(p.valve_search_cm / scale_cm))
    ) + int(round(p.valve_offset_cm / scale_cm))
    return row, "flow + tissue"


def _ecg_trace(
    frame: np.ndarray, sector: dict[str, float] | None, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ECG trace under the image (outside the fan and the colour box), or ``None``."""
    from .geometry import Sector

    exclude = np.zeros(frame.shape[:2], bool)
    x0, y0, x1, y1 = box
    exclude[y0 : y1 + 1, x0 : x1 + 1] = True
    if sector is not None:
        exclude |= Sector(**sector).mask(frame.shape[:2])  # the dict holds Sector's fields
    return ecg.find_trace(frame, exclude=exclude)


def _sector(frame: np.ndarray) -> dict[str, float] | None:
    """The imaging fan (apex, edge angles, far arc), found on a half-size copy."""
    from .geometry import detect_sector

    found = detect_sector(frame[::2, ::2])
    if found is None:
        return None
    return {
        "apex_x": round(2 * found.apex_x, 1),
        "apex_y": round(2 * found.apex_y, 1),
        "radius_px": round(2 * found.radius_px, 1),
        "angle_left_deg": round(found.angle_left_deg, 1),
        "angle_right_deg": round(found.angle_right_deg, 1),
    }


def _full_frame(crop: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, crop.dtype)
    x0, y0, x1, y1 = box
    out[y0 : y1 + 1, x0 : x1 + 1] = crop
    return out
