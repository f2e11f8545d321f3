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

from . import bounds, colorflow, ecg, measure, postteer, provenance, segmentation
from ._version import __version__
from .dicom import EchoClip
from .errors import InvalidParameterError, NoColourFlowError
from .loading import load_clip
from .results import ClipResult, FrameMeasurement, JetMeasurement
from .valve import Annulus

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
        Smallest side of the window of the phase-coherence (mosaic) measure;
        it grows to three colour cells on coarse mosaics.
    turbulence_threshold : float
        Incoherence 0..1 above which flow is turbulent (mosaic).
    variance_threshold : float
        Variance level 0..1 above which flow is turbulent (variance maps).
    max_cell_px : int
        Largest colour cell (pixels) looked for.
    coarse_scales : tuple of int
        Block sizes (pixels) at which a coarse mosaic is also looked for.
    min_turbulent_area_cm2 : float
        Smallest turbulent patch kept.
    min_core_area_cm2 : float
        Turbulent area a region of atrial flow needs to be a jet.
    min_systole_area_cm2 : float
        Turbulent jet area that makes a frame systolic.
    jet_frame_fraction : float
        Frames whose turbulent area reaches this fraction of the clip's
        largest take part in locating the valve.
    origin_end_cm : float
        The orifice of a turbulent core is its upstream end, this deep.
    origin_cluster_cm : float
        Orifices (over frames) closer than this belong to one valve.
    separate_flows_cm : float
        Two turbulent flows further apart than this, in different frames, are
        told apart (e.g. mitral and aortic regurgitation): the valve is then
        located only with ECG phase or a hint.
    annulus_half_length_cm : float
        Half the annulus segment when it is found from the image.
    max_auto_tilt_deg : float
        An annulus found from the image further than this from both the
        horizontal and the beam's perpendicular is not trusted (parasternal
        views): "cannot measure".
    valve_band_cm : float
        Depth into the atrium where jet origins are looked for.
    max_jet_start_cm : float
        A jet must start within this distance of the annulus (the clip's
        shadow can hide its first millimetres).
    la_max_depth_cm, la_max_half_width_cm : float
        How far into the atrium and to either side of the annulus centre flow
        may count.
    origin_gap_cm : float
        Jet pixels along the annulus separated by at least this are separate
        origins.
    origin_track_cm : float
        Origins of different frames within this distance along the annulus are
        the same orifice; an orifice must be seen on two frames to count.
    min_jet_area_cm2 : float
        Smallest jet counted separately.
    fill_holes : bool
        Fill holes and dark streaks inside jets.
    min_attachment_area_cm2 : float
        Smooth patches flowing against the jet's direction this large on a
        jet's edge (venous inflow touching the jet) are cut off the jet.
    static_max_change : int
        Coloured pixels whose RGB changes by at most this over the whole clip
        (box outline, depth marks) are overlays, never flow.
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
    max_cell_px: int = 12
    coarse_scales: tuple[int, ...] = (2, 4)
    min_turbulent_area_cm2: float = 0.015
    min_core_area_cm2: float = 0.05
    min_systole_area_cm2: float = 0.08
    jet_frame_fraction: float = 0.3
    origin_end_cm: float = 0.3
    origin_cluster_cm: float = 1.5
    separate_flows_cm: float = 1.2
    annulus_half_length_cm: float = 1.6
    max_auto_tilt_deg: float = 40.0
    valve_band_cm: float = 0.4
    max_jet_start_cm: float = 1.0
    la_max_depth_cm: float = 7.0
    la_max_half_width_cm: float = 4.5
    origin_gap_cm: float = 0.2
    origin_track_cm: float = 0.35
    min_jet_area_cm2: float = 0.05
    fill_holes: bool = True
    min_attachment_area_cm2: float = 0.05
    static_max_change: int = 48

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def replace(self, **changes: Any) -> AnalysisParams:
        return replace(self, **changes)


def _check_params(params: AnalysisParams | None) -> AnalysisParams:
    if params is None:
        return AnalysisParams()
    if not isinstance(params, AnalysisParams):
        raise InvalidParameterError(
            None,
            f"params must be an AnalysisParams, got {type(params).__name__}",
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
            path,
            f"{name}={value!r} lies outside the {cols} x {rows} image",
        )
    return x, y


def _check_roi(path: Any, value: Any, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            path,
            f"roi={value!r} must be four numbers x0,y0,x1,y1 in pixels",
            hint="e.g. 300,300,500,450",
        ) from None
    rows, cols = shape
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or not (x1 > x0 and y1 > y0):
        raise InvalidParameterError(path, f"roi={value!r} must have x1 > x0 and y1 > y0")
    if x1 < 0 or y1 < 0 or x0 >= cols or y0 >= rows:
        raise InvalidParameterError(path, f"roi={value!r} lies outside the {cols} x {rows} image")
    return (
        max(0, int(round(x0))),
        max(0, int(round(y0))),
        min(cols - 1, int(round(x1))),
        min(rows - 1, int(round(y1))),
    )


VIEWS = ("auto", "tte", "tee")


def _check_view(path: Any, view: Any) -> str:
    if view is None:
        return "auto"
    v = str(view).lower()
    if v not in VIEWS:
        raise InvalidParameterError(
            path,
            f"view={view!r} must be one of {', '.join(VIEWS)}",
            hint="tte: transthoracic (apical, parasternal); tee: transoesophageal",
        )
    return v


def _check_annulus(
    path: Any, value: Any, shape: tuple[int, int]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    if value is None:
        return None
    try:
        flat = [float(v) for v in np.asarray(value, dtype=float).ravel()]
    except (TypeError, ValueError):
        flat = []
    if len(flat) != 4:
        raise InvalidParameterError(
            path,
            f"annulus={value!r} must be two points ((x1, y1), (x2, y2)) in pixels",
            hint="the two mitral annulus hinge points, e.g. 300,310,380,300",
        )
    p1 = _check_point(path, "annulus", flat[:2], shape)
    p2 = _check_point(path, "annulus", flat[2:], shape)
    assert p1 is not None and p2 is not None
    if math.hypot(p2[0] - p1[0], p2[1] - p1[1]) < 4:
        raise InvalidParameterError(path, f"annulus={value!r}: the two points are too close")
    return p1, p2


def analyze_clip(
    clip_or_path: EchoClip | str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    keep_masks: bool = False,
    nyquist_cm_s: float | None = None,
    spacing_cm: float | tuple[float, float] | None = None,
    depth_cm: float | None = None,
    annulus: Any = None,
    view: str | None = "auto",
    valve_xy: tuple[float, float] | None = None,
    roi_xyxy: tuple[float, float, float, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    la_polygon: Any = None,
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
    annulus : ((x1, y1), (x2, y2)), optional
        Hint: the two mitral annulus hinge points (pixels). Sets the valve; the
        atrium is the side away from the probe (TTE) or toward it (TEE).
    view : {"auto", "tte", "tee"}
        Transthoracic (apical, parasternal: the atrium deeper than the valve)
        or transoesophageal (the atrium under the probe). ``"auto"`` takes it
        from the file (view codes, transducer, series description) or the image.
    valve_xy : (x, y), optional
        Hint: a point on the mitral valve (pixels): the annulus centre.
    roi_xyxy : (x0, y0, x1, y1), optional
        Hint: the left atrium; nothing outside it counts.
    progress : callable(done, total), optional
        Called after each frame.
    la_polygon : "x1,y1,x2,y2,..." or sequence of (x, y), optional
        The left atrium's outline on the max-jet frame (pixels): replaces the
        automatic LA area (see :mod:`echoassess.postteer`).

    Returns
    -------
    ClipResult
        ``status`` says whether jets were measured (``"measured"``), the valve
        and systole were found with no jet crossing it (``"no_jet"``), or the
        valve could not be located (``"cannot_measure"``: give a hint).

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
    >>> r.frames, r.status, r.max_jet_area_cm2 > 0
    (12, 'measured', True)
    """
    p = _check_params(params)
    if isinstance(clip_or_path, EchoClip):
        clip = clip_or_path
        if spacing_cm is not None or depth_cm is not None:
            clip = load_clip(clip.path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    else:
        clip = load_clip(clip_or_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    bounds.check_analysable(
        clip.path, clip.shape, None if clip.colour_flow_region is None else clip.colour_flow_region.bounds
    )
    if nyquist_cm_s is not None and not (
        isinstance(nyquist_cm_s, (int, float)) and math.isfinite(nyquist_cm_s) and 0 < nyquist_cm_s < 1000
    ):
        raise InvalidParameterError(
            clip.path, f"nyquist_cm_s={nyquist_cm_s!r} must be a velocity in cm/s (e.g. 60)"
        )
    rows, cols, _ = clip.shape
    view_hint = _check_view(clip.path, view)
    annulus_pts = _check_annulus(clip.path, annulus, (rows, cols))
    valve = _check_point(clip.path, "valve", valve_xy, (rows, cols))
    roi = _check_roi(clip.path, roi_xyxy, (rows, cols))
    la_poly = postteer.check_la_polygon(clip.path, la_polygon, (rows, cols))
    # every user input is named in the result; a conflict with the file is a warning
    user_inputs, warnings = provenance.describe_inputs(
        clip,
        nyquist_cm_s=nyquist_cm_s,
        file_nyquist_cm_s=clip.nyquist_cm_s,
        depth_cm=depth_cm,
        view=view_hint,
        annulus=annulus_pts,
        valve_xy=valve,
        roi_xyxy=roi,
    )
    # settings the file carries, unless the user gave them; the file's depth
    # stays (its calibration is the one used) when the user's disagrees
    nyquist_source = "user" if nyquist_cm_s is not None else None
    if nyquist_cm_s is None and clip.nyquist_cm_s is not None:
        nyquist_cm_s, nyquist_source = clip.nyquist_cm_s, "file (PRF and transducer frequency)"
    user_depth = depth_cm if depth_cm is not None else clip.user_depth_cm
    depth_cm, depth_source = None, None
    if clip.depth_cm is not None:
        depth_cm, depth_source = clip.depth_cm, "file (ultrasound region)"
    elif user_depth is not None:
        depth_cm, depth_source = user_depth, "user"

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
                clip.path,
                "no colour-Doppler flow found (no colour-flow region and no changing colour pixels)",
                hint="is this a colour-Doppler clip?",
            )
    bar = colorflow.find_colour_bar(first, exclude_xyxy=box, min_saturation=p.bar_min_saturation)
    if bar is None:
        bar = colorflow.default_colour_bar()
        warnings.append("no colour bar found: a generic red/blue velocity map was assumed")
    lut = colorflow.build_colour_lut(
        bar,
        bits=p.lut_bits,
        min_chroma=p.min_chroma,
        max_distance=p.max_colour_distance,
        dark_lightness=p.dark_lightness,
        min_chroma_dark=p.min_chroma_dark,
    )
    bx0, by0, bx1, by1 = box
    h, w = by1 - by0 + 1, bx1 - bx0 + 1
    sector = _sector(first)

    # -- scales
    if clip.spacing_cm is not None:
        scale_cm = float(np.sqrt(clip.spacing_cm[0] * clip.spacing_cm[1]))
    else:
        scale_cm = _NOMINAL_DEPTH_CM / (0.8 * rows)
        warnings.append(
            "uncalibrated clip: areas in pixels; size thresholds assume a "
            f"{_NOMINAL_DEPTH_CM:g} cm deep image"
        )

    def px(area_cm2: float) -> int:
        return max(1, int(round(area_cm2 / scale_cm**2)))

    def ln(length_cm: float) -> float:
        return length_cm / scale_cm

    roi_crop = None
    if roi is not None:
        roi_crop = np.zeros((h, w), bool)
        rx0, ry0, rx1, ry1 = roi
        roi_crop[max(0, ry0 - by0) : max(0, ry1 - by0 + 1), max(0, rx0 - bx0) : max(0, rx1 - bx0 + 1)] = True
        if not roi_crop.any():
            raise InvalidParameterError(
                clip.path, f"roi={roi_xyxy!r} does not overlap the colour box {list(box)}"
            )

    # -- one pass over the frames: compact flow maps of the colour box
    trace = _ecg_trace(first, sector, box)
    scan = _scan_frames(
        itertools.chain([first], frames_iter), clip.n_frames, box, lut, ecg_trace=trace, progress=progress
    )
    T = clip.n_frames
    static = _static_overlay(scan, p)
    flows = scan.flow & ~static
    any_flow = bool(flows.any())
    if not any_flow:
        if bar.source == "default":
            raise NoColourFlowError(
                clip.path,
                "no colour-Doppler flow in the colour box and no colour bar",
                hint="is this a colour-Doppler clip?",
            )
        warnings.append("no colour flow shown in the colour box")

    # -- turbulence at the scale of the colour cells
    velocity = scan.velocity_q.astype(np.float32) / 127.0
    variance = None if scan.variance_q is None else scan.variance_q.astype(np.float32) / 255.0
    base_window = max(3, int(round(p.turbulence_window_cm / scale_cm)) | 1)
    cell = _cell_size(velocity, flows, base_window, p)
    window = max(base_window, (3 * cell) | 1)
    turbs = np.zeros_like(flows)
    for i in range(T):
        turbs[i] = segmentation.turbulent_mask(
            velocity[i],
            flows[i],
            None if variance is None else variance[i],
            window_px=window,
            lag_px=cell,
            threshold=p.turbulence_threshold,
            variance_threshold=p.variance_threshold,
            min_area_px=px(p.min_turbulent_area_cm2),
            coarse_scales=p.coarse_scales,
        )
    close_px = max(1, 2 * cell + 1) if cell > 1 else 3

    # -- the view and the valve
    apex = _apex_in_box(clip, sector, box, rows)
    ecg_phase, ecg_source = _read_phase(scan, clip, trace)
    # the ECG helps pick the valve's flow only when it shows both phases on this clip
    ecg_for_valve = (
        None if ecg_phase is None or not 0 < int(ecg_phase.systolic.sum()) < T else ecg_phase.systolic
    )
    valve_info = _locate_valve(
        flows,
        turbs,
        velocity,
        scan.grey,
        apex=apex,
        view=view_hint,
        file_view=clip.metadata.view,
        annulus_pts=annulus_pts,
        valve_xy=valve,
        box=box,
        ecg_systolic=ecg_for_valve,
        p=p,
        scale_cm=scale_cm,
        min_core_px=px(p.min_core_area_cm2),
        close_px=close_px,
        min_systole_px=px(p.min_systole_area_cm2),
    )
    ann = valve_info.annulus

    # -- jet masks on the atrial side of the annulus, every frame
    jet_masks = np.zeros((T, h, w), bool)
    t_c = d_c = None
    band = max(2.0, ln(p.valve_band_cm))
    if ann is not None:
        t_c, d_c = ann.coords((h, w))
        for i in range(T):
            jet_masks[i] = segmentation.atrial_jet_mask(
                flows[i],
                turbs[i],
                t=t_c,
                d=d_c,
                half_length_px=ann.half_length_px,
                band_px=band,
                max_depth_px=ln(p.la_max_depth_cm),
                max_half_width_px=ln(p.la_max_half_width_cm),
                min_core_px=px(p.min_core_area_cm2),
                close_px=close_px,
                velocity=velocity[i],
                jet_sign=-valve_info.side if valve_info.side else None,
                min_attachment_px=px(p.min_attachment_area_cm2),
                fill_holes=p.fill_holes,
                region=roi_crop,
                start_px=ln(p.max_jet_start_cm),
            )
    # -- systole: frames whose atrial jets hold enough mosaic
    jet_turb = (jet_masks & turbs).sum(axis=(1, 2))
    systolic = segmentation.detect_systole(jet_turb, min_jet_px=px(p.min_systole_area_cm2))
    phase_systolic = systolic
    systole_source = "flow"
    if ecg_phase is not None:
        agree = float(np.mean(ecg_phase.systolic == systolic))
        if not systolic.any():
            phase_systolic = ecg_phase.systolic
            systole_source = f"{ecg_source} (no jet in the flow)"
        else:
            systole_source = f"flow (the {ecg_source} agrees on {100 * agree:.0f} % of frames)"
            # MR ends when the mitral valve opens: flow frames more than one
            # frame from the ECG's systole are another flow crossing the line
            # (inflow, an outflow or aortic jet beside the valve) -- unless the
            # largest jet lies there, when it is the ECG reading that is wrong
            near_sys = np.convolve(ecg_phase.systolic.astype(int), np.ones(3, int), "same") > 0
            far = systolic & ~near_sys
            if (
                far.any()
                and (systolic & near_sys).any()
                and (jet_turb[systolic & near_sys].max() > jet_turb[far].max())
            ):
                systolic = systolic & near_sys
                phase_systolic = systolic
                warnings.append(
                    f"{int(far.sum())} frame(s) with flow across the valve lie in diastole by the "
                    f"{ecg_source} and are not counted as regurgitation"
                )
            if agree < 0.7:
                warnings.append(
                    f"the ECG trace and the colour flow disagree on systole ({100 * agree:.0f} % "
                    "of frames agree): check the phase labels"
                )

    # -- status
    status, status_reason = "measured", ""
    if (
        ann is not None
        and valve_info.rival
        and ecg_phase is not None
        and systolic.any()
        and float(np.mean(ecg_phase.systolic == systolic)) < 0.6
    ):
        # jets found by the image alone that the ECG calls diastolic: another
        # valve's flow (aortic regurgitation) taken for the mitral jet
        ann = None
        valve_info.why = f"the turbulent flow found at the presumed valve is not systolic by the {ecg_source}"
    if ann is not None and valve_info.source != "user" and not systolic.any():
        # the valve was placed at turbulent flow, yet no jet crosses it: the
        # placement is wrong, not the flow absent (never a false "no jet")
        ann = None
        valve_info.why = "no jet crosses the valve found from the turbulent flow"
    if ann is None and not valve_info.cores_found and any_flow:
        # an MR jet is always a mosaic: with no turbulent flow anywhere in the
        # colour box there is no jet, wherever the valve is
        status, status_reason = "no_jet", "no turbulent (regurgitant) flow anywhere in the colour box"
        warnings.append("no systolic jet found")
        if ecg_phase is not None:
            phase_systolic, systole_source = ecg_phase.systolic, f"{ecg_source} (no jet in the flow)"
    elif ann is None:
        status, status_reason = "cannot_measure", valve_info.why
        warnings.append(
            f"could not locate the mitral valve ({valve_info.why}): give a hint "
            "(--annulus X1,Y1,X2,Y2 and --view tte|tee)"
        )
        systolic = np.zeros(T, bool)
        phase_systolic = ecg_phase.systolic if ecg_phase is not None else systolic
        systole_source = ecg_source if ecg_phase is not None else "unknown (valve not located)"
    elif not systolic.any():
        status = "no_jet"
        status_reason = "no regurgitant flow crossed the annulus given"
        warnings.append("no systolic jet found")
    log.debug(
        "%s: colour box %s (%s), bar %s, cell %d px, %s, %d systolic frames",
        clip.path.name,
        box,
        box_source,
        bar.source,
        cell,
        valve_info,
        int(systolic.sum()),
    )

    # -- jets per frame, labelled by their origins on the annulus
    times = clip.frame_times_ms
    per_frame: list[FrameMeasurement] = []
    jets_by_frame: dict[int, tuple[JetMeasurement, ...]] = {}
    masks = np.zeros((T, rows, cols), bool) if keep_masks else None
    best_i, best_px, best_labels = -1, 0, None
    vcs_by_frame: dict[int, dict] = {}
    searches = (
        {}
        if t_c is None or d_c is None
        else {
            int(i): _origin_search_mask(jet_masks[i], flows[i], d_c, band) for i in np.flatnonzero(systolic)
        }
    )
    origins = (
        {}
        if t_c is None or d_c is None
        else _track_origins(
            jet_masks,
            searches,
            t_c,
            d_c,
            band_px=band,
            gap_px=ln(p.origin_gap_cm),
            track_px=ln(p.origin_track_cm),
            start_px=ln(p.max_jet_start_cm),
            min_px=px(p.min_jet_area_cm2),
        )
    )
    for i in range(T):
        labels, n = None, 0
        if systolic[i] and t_c is not None and d_c is not None:
            labels, n = segmentation.label_by_origins(
                searches[i],
                t_c,
                d_c,
                origins.get(i, []),
                band_px=max(band, ln(p.max_jet_start_cm)),
                start_px=-0.5 * band,
                min_jet_px=px(p.min_jet_area_cm2),
            )
            labels[~jet_masks[i]] = 0
            labels, n = _renumber(labels)
            vcs_by_frame[i] = postteer.frame_vena_contracta(  # post-TEER: neck of each jet
                labels,
                n,
                (ann.nx, ann.ny),
                spacing_cm=clip.spacing_cm or (scale_cm, scale_cm),
                offset_xy=(bx0, by0),
            )
            jets_by_frame[i] = measure.measure_jets(
                labels, n, spacing_cm=clip.spacing_cm, offset_xy=(bx0, by0)
            )
            if masks is not None:
                masks[i, by0 : by1 + 1, bx0 : bx1 + 1] = labels > 0
            area = int(np.count_nonzero(labels))
            if area > best_px:
                best_i, best_px, best_labels = i, area, labels
        per_frame.append(
            measure.measure_frame(
                i,
                labels,
                n,
                phase="systole" if phase_systolic[i] else "diastole",
                time_ms=None if times is None else float(times[i]),
                spacing_cm=clip.spacing_cm,
            )
        )

    if (annulus_pts is not None or valve is not None or roi is not None) and ann is not None:
        # hints that cut a detected jet: measure the jets once more without them
        cut = _hint_cut(
            flows,
            turbs,
            velocity,
            scan.grey,
            jet_masks,
            systolic,
            apex=apex,
            view=view_hint,
            file_view=clip.metadata.view,
            box=box,
            ecg_systolic=ecg_for_valve,
            p=p,
            scale_cm=scale_cm,
            close_px=close_px,
            band=band,
            px=px,
            ln=ln,
        )
        if cut is not None:
            given = ", ".join(
                n
                for n, v in (("--annulus", annulus_pts), ("--valve", valve), ("--roi", roi))
                if v is not None
            )
            unit = (
                (lambda n: f"{n * clip.spacing_cm[0] * clip.spacing_cm[1]:.2f} cm²")
                if clip.spacing_cm is not None
                else (lambda n: f"{n} px")
            )
            warnings.append(
                f"the hints ({given}) cut the jet found without them: its largest area is "
                f"{unit(cut[0])} with the hints and {unit(cut[1])} without; check the hints "
                "against the image"
            )

    settings = {
        "nyquist_cm_s": None if nyquist_cm_s is None else round(float(nyquist_cm_s), 2),
        "nyquist_source": nyquist_source,
        "velocity_unit": "cm/s" if nyquist_cm_s is not None else "fraction of Nyquist",
        "frame_rate_hz": clip.frame_rate_hz,
        "depth_cm": None if depth_cm is None else round(float(depth_cm), 2),
        "depth_source": depth_source,
        "depth_cm_from_sector": (
            round(sector["radius_px"] * clip.spacing_cm[1], 1)
            if sector is not None and clip.spacing_cm is not None
            else None
        ),
        "heart_rate_bpm": clip.metadata.heart_rate_bpm,
        "systole_source": systole_source,
        "ecg_rr_ms": None if ecg_phase is None else round(ecg_phase.rr_ms, 1),
        "colour_box_xyxy": [int(v) for v in box],
        "colour_box_source": box_source,
        "colour_bar_xyxy": [int(v) for v in bar.bbox_xyxy] if bar.source == "detected" else None,
        "colour_bar_source": bar.source,
        "colour_map_variance": bar.has_variance,
        "colour_cell_px": int(cell),
        "static_overlay_px": int(static.sum()),
        "sector": sector,
        "view": valve_info.view,
        "view_source": valve_info.view_source,
        "annulus_xy": None
        if ann is None
        else [[round(x + bx0, 1), round(y + by0, 1)] for x, y in ann.points],
        "annulus_tilt_deg": None if ann is None else round(ann.tilt_deg, 1),
        "annulus_source": valve_info.source,
        "roi_xyxy": None if roi is None else list(roi),
        "manufacturer": clip.metadata.manufacturer,
        "model": clip.metadata.model,
    }
    result = measure.summarize_clip(
        per_frame,
        jets_by_frame,
        source=clip.path.name,
        frame_time_ms=clip.frame_time_ms,
        spacing_cm=clip.spacing_cm,
        calibration_source=clip.calibration_source,
        settings=settings,
        algorithm_version=ALGORITHM,
        params=p.to_dict(),
        warnings=warnings,
        masks=masks,
        labels_by_frame=None
        if best_labels is None
        else {best_i: _full_frame(best_labels, box, (rows, cols))},
        status=status,
        status_reason=status_reason,
        user_inputs=user_inputs,
        identifiers=_identifiers(clip),
    )
    return _with_post_teer(result, clip, ann, (bx0, by0), scale_cm, vcs_by_frame, la_poly)


def _with_post_teer(
    result: ClipResult,
    clip: EchoClip,
    ann: Any,
    offset: tuple[int, int],
    scale_cm: float,
    vcs_by_frame: dict[int, dict],
    la_poly: Any,
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


def _hint_cut(
    flows: np.ndarray,
    turbs: np.ndarray,
    velocity: np.ndarray,
    grey: np.ndarray,
    jet_masks: np.ndarray,
    systolic: np.ndarray,
    *,
    apex: tuple[float, float],
    view: str,
    file_view: str | None,
    box: tuple[int, int, int, int],
    ecg_systolic: np.ndarray | None,
    p: AnalysisParams,
    scale_cm: float,
    close_px: int,
    band: float,
    px: Callable[[float], int],
    ln: Callable[[float], float],
    keep: float = 0.85,
) -> tuple[int, int] | None:
    """``(largest jet px with the hints, without them)`` when the hints keep less
    than ``keep`` of the jet the analysis finds on its own, else ``None``."""
    auto = _locate_valve(
        flows,
        turbs,
        velocity,
        grey,
        apex=apex,
        view=view,
        file_view=file_view,
        annulus_pts=None,
        valve_xy=None,
        box=box,
        ecg_systolic=ecg_systolic,
        p=p,
        scale_cm=scale_cm,
        min_core_px=px(p.min_core_area_cm2),
        close_px=close_px,
        min_systole_px=px(p.min_systole_area_cm2),
    )
    if auto.annulus is None:
        return None
    T, h, w = flows.shape
    t_a, d_a = auto.annulus.coords((h, w))
    auto_px = np.zeros(T, int)
    for i in range(T):
        if not turbs[i].any():
            continue
        m = segmentation.atrial_jet_mask(
            flows[i],
            turbs[i],
            t=t_a,
            d=d_a,
            half_length_px=auto.annulus.half_length_px,
            band_px=band,
            max_depth_px=ln(p.la_max_depth_cm),
            max_half_width_px=ln(p.la_max_half_width_cm),
            min_core_px=px(p.min_core_area_cm2),
            close_px=close_px,
            velocity=velocity[i],
            jet_sign=-auto.side if auto.side else None,
            min_attachment_px=px(p.min_attachment_area_cm2),
            fill_holes=p.fill_holes,
            region=None,
            start_px=ln(p.max_jet_start_cm),
        )
        auto_px[i] = int(np.count_nonzero(m))
    auto_max = int(auto_px.max()) if T else 0
    hinted = jet_masks.sum(axis=(1, 2))
    hinted_max = int(hinted[systolic].max()) if systolic.any() else 0
    if auto_max > 0 and hinted_max < keep * auto_max:
        return hinted_max, auto_max
    return None


@dataclass
class _Scan:
    """What one pass over the frames keeps of each colour box (crop-sized arrays)."""

    flow: np.ndarray  # (T, h, w) bool
    velocity_q: np.ndarray  # (T, h, w) int8: velocity * 127 (Nyquist units)
    variance_q: np.ndarray | None  # (T, h, w) uint8: variance * 255 (variance maps)
    grey: np.ndarray  # (T, h, w) uint8: the frame's grey level (tissue where no flow)
    rgb_min: np.ndarray  # (h, w, 3) uint8 over the clip
    rgb_max: np.ndarray  # (h, w, 3) uint8 over the clip
    ecg_strips: np.ndarray | None  # (T, sh, sw, 3) uint8: the rows around the ECG trace
    ecg_origin: tuple[int, int]  # (x0, y0) of the strips in the frame


def _scan_frames(
    frames: Iterable[np.ndarray],
    n_frames: int,
    box: tuple[int, int, int, int],
    lut: colorflow.ColourLUT,
    *,
    ecg_trace: tuple[np.ndarray, np.ndarray] | None,
    progress: Callable[[int, int], None] | None,
) -> _Scan:
    bx0, by0, bx1, by1 = box
    h, w = by1 - by0 + 1, bx1 - bx0 + 1
    T = n_frames
    strips, origin = None, (0, 0)
    sy = sx = slice(0, 0)
    if ecg_trace is not None:
        xs, ys = ecg_trace
        sy = slice(int(max(0, ys.min() - 8)), int(ys.max() + 9))
        sx = slice(int(xs.min()), int(xs.max()) + 1)
        origin = (sx.start, sy.start)
    scan = _Scan(
        np.zeros((T, h, w), bool),
        np.zeros((T, h, w), np.int8),
        np.zeros((T, h, w), np.uint8) if lut.bar.has_variance else None,
        np.zeros((T, h, w), np.uint8),
        np.full((h, w, 3), 255, np.uint8),
        np.zeros((h, w, 3), np.uint8),
        None,
        origin,
    )
    # the flow map's quantised values looked up per colour bin (the same values
    # as quantising colorflow.flow_map's output, without float frames)
    flow_t, velocity_t, variance_t = lut.quantized()
    fast_index = lut.bits <= 5
    for i, frame in enumerate(frames):
        if ecg_trace is not None:
            strip = frame[sy, sx]
            if strips is None:
                strips = np.zeros((T,) + strip.shape, np.uint8)
            strips[i] = strip
        crop = frame[by0 : by1 + 1, bx0 : bx1 + 1]
        idx = lut.index16(crop) if fast_index else lut.index(crop)
        np.take(flow_t, idx, out=scan.flow[i])
        np.take(velocity_t, idx, out=scan.velocity_q[i])
        if scan.variance_q is not None:
            np.take(variance_t, idx, out=scan.variance_q[i])
        np.minimum(np.minimum(crop[..., 0], crop[..., 1]), crop[..., 2], out=scan.grey[i])
        np.minimum(scan.rgb_min, crop, out=scan.rgb_min)
        np.maximum(scan.rgb_max, crop, out=scan.rgb_max)
        if progress is not None:
            progress(i + 1, T)
    scan.ecg_strips = strips
    return scan


def _static_overlay(scan: _Scan, p: AnalysisParams) -> np.ndarray:
    """Coloured pixels that never change (box outline, depth marks): ``(h, w)`` bool."""
    T = scan.flow.shape[0]
    if T < 4:
        return np.zeros(scan.flow.shape[1:], bool)
    import cv2

    spread = (scan.rgb_max.astype(np.int16) - scan.rgb_min).max(axis=-1)
    always = scan.flow.all(axis=0)
    core = always & (spread <= p.static_max_change)
    if not core.any():
        return core
    # the JPEG halo of an overlay is coloured in nearly every frame too
    near = cv2.dilate(core.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return core | (near & (scan.flow.mean(axis=0) >= 0.8))


def _cell_size(velocity: np.ndarray, flows: np.ndarray, window: int, p: AnalysisParams) -> int:
    """The colour cell size of the clip, from its most turbulent frames."""
    T = flows.shape[0]
    counts = np.zeros(T)
    busy = np.zeros_like(flows)
    n_flow = flows.sum(axis=(1, 2))
    for i in np.argsort(n_flow)[::-1][:8]:  # the frames with most flow
        if not n_flow[i]:
            continue
        tm = segmentation.turbulence_map(
            velocity[i], flows[i], window_px=2 * window + 1, lag_px=p.max_cell_px
        )
        busy[i] = tm > 0.5
        counts[i] = busy[i].sum()
    if counts.max() <= 0:
        return 1
    top = np.argsort(counts)[::-1][: min(4, T)]
    top = top[counts[top] > 0]
    return segmentation.colour_cell_px(velocity[top], flows[top], busy[top], max_lag=p.max_cell_px)


def _apex_in_box(
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


@dataclass
class _Valve:
    annulus: Annulus | None
    side: int | None
    view: str | None
    view_source: str
    source: str
    why: str = ""
    cores_found: bool = False
    #: another turbulent flow far from the chosen valve, in other frames
    rival: bool = False

    def __str__(self) -> str:
        if self.annulus is None:
            return f"valve not located ({self.why})"
        a = self.annulus
        return (
            f"view {self.view} ({self.view_source}), annulus centre ({a.cx:.0f}, {a.cy:.0f}) "
            f"tilt {a.tilt_deg:.0f} deg ({self.source})"
        )


def _locate_valve(
    flows: np.ndarray,
    turbs: np.ndarray,
    velocity: np.ndarray,
    grey: np.ndarray,
    *,
    apex: tuple[float, float],
    view: str,
    file_view: str | None,
    annulus_pts: tuple[tuple[float, float], tuple[float, float]] | None,
    valve_xy: tuple[float, float] | None,
    box: tuple[int, int, int, int],
    ecg_systolic: np.ndarray | None,
    p: AnalysisParams,
    scale_cm: float,
    min_core_px: int,
    close_px: int,
    min_systole_px: int,
) -> _Valve:
    """The annulus, its atrial side and the view, from hints, the file or the jets."""
    import cv2

    from . import valve as vl

    T, h, w = flows.shape
    bx0, by0 = box[0], box[1]
    px_per_cm = 1.0 / scale_cm
    # turbulent cores, coarse pieces joined
    k = np.ones((close_px, close_px), np.uint8)
    cores = np.zeros_like(turbs)
    area = np.zeros(T)
    for i in range(T):
        if turbs[i].any():
            c = cv2.morphologyEx(turbs[i].astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool)
            cores[i] = segmentation.remove_small(c & flows[i] | turbs[i], min_core_px)
            area[i] = cores[i].sum()
    cores_found = bool(area.max() >= min_core_px) if T else False
    jet_frames = (
        np.flatnonzero(area >= max(min_systole_px, p.jet_frame_fraction * area.max()))
        if cores_found
        else np.zeros(0, int)
    )

    # -- which side the atrium is on
    side: int | None = None
    view_name: str | None = None
    if view in ("tte", "tee"):
        side, view_name, view_source = (1 if view == "tte" else -1), view, "user"
    elif file_view in ("tte", "tee", "parasternal"):
        side, view_name, view_source = (-1 if file_view == "tee" else 1), file_view, "file"
    else:
        view_source = "image"
    if side is None and cores_found:
        depth = vl.atrial_depth((h, w), apex, 1)  # distance from the probe
        # MR is systolic: with an ECG, read the view off the systolic turbulence
        side_frames = jet_frames
        if ecg_systolic is not None:
            sys_frames = np.flatnonzero(ecg_systolic & (area >= max(min_core_px, min_systole_px)))
            if sys_frames.size >= 2:
                side_frames = sys_frames
        sel = cores[side_frames]
        mean_depth = float(np.broadcast_to(depth, sel.shape)[sel].mean()) * scale_cm
        ring = np.zeros_like(sel)
        kk = np.ones((max(3, int(round(0.5 * px_per_cm)) | 1),) * 2, np.uint8)
        for j, i in enumerate(side_frames):
            ring[j] = cv2.dilate(sel[j].astype(np.uint8), kk).astype(bool) & flows[i] & ~turbs[i]
        vals = velocity[side_frames][ring]
        sign = float(np.mean(np.sign(vals))) if vals.size >= 20 else None
        side, why = vl.infer_side(mean_depth, sign)
        if side is not None:
            view_name = "tte" if side == 1 else "tee"
            view_source = f"image ({why})"
    if annulus_pts is not None:
        p1 = (annulus_pts[0][0] - bx0, annulus_pts[0][1] - by0)
        p2 = (annulus_pts[1][0] - bx0, annulus_pts[1][1] - by0)
        if side is None:
            # the atrium is the side the turbulent flow extends into
            side = _side_of_flow(cores, p1, p2, apex)
            view_name = "tte" if side == 1 else "tee"
            view_source = "the side the jets extend into"
        ann = vl.annulus_from_points(p1, p2, apex_xy=apex, side=side)
        return _Valve(ann, side, view_name, view_source, "user", cores_found=cores_found)
    if file_view == "parasternal":
        return _Valve(
            None,
            side,
            view_name,
            view_source,
            "none",
            "a parasternal view: the mitral jet cannot be told from the aortic one without the annulus",
            cores_found=cores_found,
        )
    if not cores_found:
        return _Valve(
            None, side, view_name, view_source, "none", "no turbulent flow to find it from", cores_found=False
        )
    if side is None:
        return _Valve(
            None,
            None,
            None,
            view_source,
            "none",
            "cannot tell a transthoracic from a transoesophageal view",
            cores_found=True,
        )
    depth_a = vl.atrial_depth((h, w), apex, side)
    end_px = p.origin_end_cm * px_per_cm
    origins: list[vl.Origin] = []
    for i in jet_frames:
        origins += vl.core_origins(cores[i], depth_a, frame=int(i), min_area_px=min_core_px, end_px=end_px)
    if valve_xy is not None:
        vx, vy = valve_xy[0] - bx0, valve_xy[1] - by0
        origins = [o for o in origins if math.hypot(o.x - vx, o.y - vy) <= p.origin_cluster_cm * px_per_cm]
        if not origins:
            origins = [vl.Origin(-1, vx, vy, 1)]
    clusters = vl.cluster_origins(origins, radius_px=p.origin_cluster_cm * px_per_cm)
    if not clusters:
        return _Valve(None, side, view_name, view_source, "none", "no jet origin", cores_found=True)
    main = clusters[0]
    rival = False
    if len(clusters) > 1 and valve_xy is None:
        second = clusters[1]
        d = math.hypot(
            np.median([o.x for o in main]) - np.median([o.x for o in second]),
            np.median([o.y for o in main]) - np.median([o.y for o in second]),
        )
        fa, fb = {o.frame for o in main}, {o.frame for o in second}
        weight = sum(o.area_px for o in second) / sum(o.area_px for o in main)
        if (
            d > p.separate_flows_cm * px_per_cm
            and weight >= 0.4
            and len(fa & fb) <= 0.3 * min(len(fa), len(fb))
        ):
            if ecg_systolic is None:
                return _Valve(
                    None,
                    side,
                    view_name,
                    view_source,
                    "none",
                    "two separate turbulent flows in different frames (e.g. mitral and "
                    "aortic regurgitation) and no ECG to tell systole",
                    cores_found=True,
                )
            sys_a = np.mean([ecg_systolic[f] for f in fa])
            sys_b = np.mean([ecg_systolic[f] for f in fb])
            if abs(sys_a - sys_b) < 0.3:
                return _Valve(
                    None,
                    side,
                    view_name,
                    view_source,
                    "none",
                    "two separate turbulent flows and the ECG does not tell which is systolic",
                    cores_found=True,
                )
            if sys_b > sys_a:
                main = second
            rival = True

    def centre(c: list[Any]) -> tuple[float, float]:
        return float(np.median([o.x for o in c])), float(np.median([o.y for o in c]))

    def frames_of(c: list[Any]) -> set[int]:
        return {o.frame for o in c}

    # other flows well away from the main one, seen on two frames or more, that
    # could hold the mitral jet when the main one does not (an outflow or
    # aortic jet beside the valve is often the larger)
    area0 = sum(o.area_px for o in main)
    apart = [
        c
        for c in clusters
        if c is not main
        and len(frames_of(c)) >= 2
        and math.dist(centre(c), centre(main)) > p.separate_flows_cm * px_per_cm
    ]
    others = [c for c in apart if sum(o.area_px for o in c) >= 0.2 * area0]
    if valve_xy is not None:
        apart = others = []
    if ecg_systolic is not None and not rival and valve_xy is None:

        def systolic_share(c: list[Any]) -> float:
            return float(np.mean([ecg_systolic[f] for f in frames_of(c) if f >= 0] or [0.0]))

        if systolic_share(main) < 0.5:
            # MR is systolic: a mostly diastolic main flow is another valve's
            better = [
                c for c in apart if sum(o.area_px for o in c) >= 0.1 * area0 and systolic_share(c) >= 0.6
            ]
            if better:
                others = [main] + [c for c in others if c is not better[0]]
                main, rival = better[0], True
            elif systolic_share(main) < 0.3:
                return _Valve(
                    None,
                    side,
                    view_name,
                    view_source,
                    "none",
                    "the turbulent flow found is diastolic by the ECG (another valve's "
                    "or inflow), and no systolic flow crosses a valve",
                    cores_found=True,
                )
    why_not = ""
    for cand in [main] + others:
        ann, why = _fit_cluster(
            cand,
            clusters,
            flows,
            turbs,
            velocity,
            grey,
            depth_a,
            apex=apex,
            side=side,
            p=p,
            px_per_cm=px_per_cm,
            close_px=close_px,
        )
        if ann is not None:
            break
        why_not = why_not or why
    if ann is None:
        return _Valve(None, side, view_name, view_source, "none", why_not, cores_found=True)
    src = "jets + tissue" if valve_xy is None else "user point + jets"
    return _Valve(ann, side, view_name, view_source, src, cores_found=True, rival=rival)


def _fit_cluster(
    main: list[Any],
    clusters: list[list[Any]],
    flows: np.ndarray,
    turbs: np.ndarray,
    velocity: np.ndarray,
    grey: np.ndarray,
    depth_a: np.ndarray,
    *,
    apex: tuple[float, float],
    side: int,
    p: AnalysisParams,
    px_per_cm: float,
    close_px: int,
) -> tuple[Annulus | None, str]:
    """The annulus at one cluster of jet origins (``depth_a``: the atrial depth),
    or ``None`` and why not."""
    from . import valve as vl

    T = flows.shape[0]
    end_px = p.origin_end_cm * px_per_cm
    # a jet broken into pieces (coarse mosaic, dark streaks) gives several
    # clusters on the same frames: the valve is at the most upstream one
    frames_main = {o.frame for o in main}
    area_main = sum(o.area_px for o in main)
    for other in clusters:
        if other is main:
            continue
        fo = {o.frame for o in other}
        if (
            len(fo & frames_main) >= 0.5 * min(len(fo), len(frames_main))
            and sum(o.area_px for o in other) >= 0.15 * area_main
            and np.median([depth_a[int(o.y), int(o.x)] for o in other])
            < np.median([depth_a[int(o.y), int(o.x)] for o in main]) - 0.5 * px_per_cm
        ):
            main = other
            frames_main = fo
    if len({o.frame for o in main}) < 2 and T >= 4:
        return None, "the turbulent flow is seen on one frame only"
    tissue = _tissue_mean(grey, flows, sorted({o.frame for o in main if o.frame >= 0}))
    # where the turbulence starts inside a flow-convergence dome, the orifice is
    # the neck between the dome and the jet
    necks = _necks(main, flows, turbs, velocity, depth_a, px_per_cm, close_px, side)
    downstream = 1.6
    if necks:
        main, downstream = necks, 0.5
    ann = vl.fit_annulus(
        main,
        tissue,
        apex_xy=apex,
        side=side,
        px_per_cm=px_per_cm,
        end_px=0.0 if necks else end_px,
        downstream_cm=downstream,
    )
    ann = Annulus(ann.cx, ann.cy, ann.ux, ann.uy, ann.nx, ann.ny, p.annulus_half_length_cm * px_per_cm)
    # apical and transoesophageal annuli lie within ~30 deg of the horizontal and
    # of the beam's perpendicular; a steeper one is a parasternal view or a wrong line
    rx, ry = ann.cx - apex[0], ann.cy - apex[1]
    cos_beam = abs(ann.ux * rx + ann.uy * ry) / (math.hypot(rx, ry) or 1.0)
    to_beam = math.degrees(math.asin(min(1.0, cos_beam)))
    if min(to_beam, abs(ann.tilt_deg)) > p.max_auto_tilt_deg:
        return None, "the valve found lies steeply across the beam (a parasternal view?)"
    return ann, ""


def _necks(
    cluster: list[Any],
    flows: np.ndarray,
    turbs: np.ndarray,
    velocity: np.ndarray,
    depth: np.ndarray,
    px_per_cm: float,
    close_px: int,
    side: int,
) -> list[Any]:
    """Necks (vena contracta) of the cluster's flow on its three largest frames, as
    origins; empty unless at least two frames show one.

    A neck joins a convergence dome to its jet; a narrow join past which the
    flow is mostly smooth and runs against the jet (a jet's tip touching
    venous inflow) is not one."""
    import cv2

    from . import valve as vl

    by_frame: dict[int, list[Any]] = {}
    for o in cluster:
        if o.frame >= 0:
            by_frame.setdefault(o.frame, []).append(o)
    top = sorted(by_frame, key=lambda f: -sum(o.area_px for o in by_frame[f]))[:3]
    out = []
    k = np.ones((close_px, close_px), np.uint8)
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
            if neck is None or math.hypot(neck[0] - o.x, neck[1] - o.y) > 2.5 * px_per_cm:
                continue
            dn = depth[min(h - 1, max(0, int(round(neck[1])))), min(w - 1, max(0, int(round(neck[0]))))]
            after = comp & (depth > dn) & (depth <= dn + px_per_cm)
            inflow = after & ~turbs[f] & (np.sign(velocity[f]) == side)  # against the jet
            if after.any() and inflow.sum() < 0.4 * after.sum():
                out.append(vl.Origin(f, neck[0], neck[1], o.area_px))
    return out if len({o.frame for o in out}) >= 2 else []


def _side_of_flow(
    cores: np.ndarray, p1: tuple[float, float], p2: tuple[float, float], apex: tuple[float, float]
) -> int:
    """+1 when the turbulent flow lies mostly on the far side of the line p1-p2 (seen
    from the probe), else -1."""
    from . import valve as vl

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


def _read_phase(scan: _Scan, clip: EchoClip, trace: tuple[np.ndarray, np.ndarray] | None):
    """The ECG's phase (cursor of any colour, or a frozen trace) and its source."""
    if trace is None or clip.frame_times_ms is None or scan.ecg_strips is None:
        return None, ""
    cursor = ecg.cursor_columns(scan.ecg_strips)
    if np.isfinite(cursor).sum() >= 3:
        if np.isfinite(cursor[0]):  # the trace was read from the first frame, cursor and all
            trace = ecg.mask_columns(trace, float(cursor[0]) + scan.ecg_origin[0])
        ph = ecg.read_ecg(
            cursor + scan.ecg_origin[0],
            clip.frame_times_ms,
            trace,
            heart_rate_bpm=clip.metadata.heart_rate_bpm,
        )
        return ph, "ECG"
    # no cursor: a trace that does not change is the loop's frozen ECG
    still = np.abs(scan.ecg_strips.astype(np.int16) - scan.ecg_strips[0]).max() <= 40
    if still:
        ph = ecg.read_frozen_ecg(
            clip.frame_times_ms, clip.frame_time_ms, trace, heart_rate_bpm=clip.metadata.heart_rate_bpm
        )
        return ph, "frozen ECG"
    return None, ""


def _renumber(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels 1..n of the jets that kept pixels, in their order."""
    present = [int(v) for v in np.unique(labels) if v > 0]
    out = np.zeros_like(labels)
    for j, v in enumerate(present, start=1):
        out[labels == v] = j
    return out, len(present)


def _origin_search_mask(jet: np.ndarray, flow: np.ndarray, d: np.ndarray, band_px: float) -> np.ndarray:
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
    out = []
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
    out = []
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


def _track_origins(
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
    :func:`_origin_search_mask`), the origins (along-annulus runs) of orifices
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


def _ecg_trace(
    frame: np.ndarray, sector: dict[str, float] | None, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ECG trace under the image (outside the fan and the colour box), or ``None``."""
    from .fan import Sector

    exclude = np.zeros(frame.shape[:2], bool)
    x0, y0, x1, y1 = box
    exclude[y0 : y1 + 1, x0 : x1 + 1] = True
    if sector is not None:
        exclude |= Sector(**sector).mask(frame.shape[:2])  # the dict holds Sector's fields
    return ecg.find_trace(frame, exclude=exclude)


def _sector(frame: np.ndarray) -> dict[str, float] | None:
    """The imaging fan (apex, edge angles, far arc), found on a half-size copy."""
    from .fan import detect_sector

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
