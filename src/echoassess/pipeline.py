"""One clip, end to end: DICOM -> flow maps -> jet masks -> :class:`ClipResult`.

:func:`analyze_clip` is a short chain of stages, each a module of
:mod:`echoassess.analysis` with a small typed output:

1. :mod:`~echoassess.analysis.inputs`: the clip, the hints checked, the acquisition settings;
2. :mod:`~echoassess.analysis.screen`: colour box, colour bar and its lookup table, fan, ECG
   trace, scale;
3. :mod:`~echoassess.analysis.scan`: one pass over the frames decodes the colour box of each
   (only compact masks are kept);
4. :mod:`~echoassess.analysis.turbulence`: the mosaic of turbulent flow;
5. :mod:`~echoassess.analysis.valve_search`: the annulus, the atrium's side and the view;
6. :mod:`~echoassess.analysis.phase`: the ECG, systole and the clip's status;
7. :mod:`~echoassess.analysis.jets`: the jets, labelled by their origins and measured;
8. :mod:`~echoassess.analysis.assemble`: the result, with its diagnostics and post-TEER measures.

Every tunable lives in the frozen :class:`AnalysisParams`; the result records them
with the algorithm version.

Hints (pixels of the full frame) place what the image alone may not:

* ``annulus=((x1, y1), (x2, y2))``, the two mitral annulus hinge points, sets the
  valve; the atrium is the side away from the probe (TTE) or toward it (TEE);
* ``view`` is ``"tte"`` (apical, parasternal: the atrium deeper than the valve),
  ``"tee"`` (transoesophageal: the atrium under the probe) or ``"auto"``: from the
  file (view codes, transducer, series description) or the image;
* ``valve_xy=(x, y)``, a point on the mitral valve, is taken as the annulus centre;
* ``roi_xyxy=(x0, y0, x1, y1)`` bounds the left atrium: nothing outside it counts;
* ``la_polygon`` (``"x1,y1,x2,y2,..."`` or a sequence of ``(x, y)``) is the left
  atrium's outline on the max-jet frame, replacing the automatic LA area
  (see :mod:`echoassess.postteer`).

A hint that cuts a jet found without it gives a warning.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable
from typing import Any

from ._version import __version__
from .analysis import assemble, inputs, jets, phase, scan, screen, turbulence, valve_search
from .analysis.params import AnalysisParams, check_params
from .dicom import EchoClip
from .results import ClipResult

__all__ = ["AnalysisParams", "analyze_clip", "ALGORITHM"]

log = logging.getLogger("echoassess")

#: Name and version of the jet-area algorithm recorded in every result.
ALGORITHM = f"echoassess-jet {__version__}"


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
        The Nyquist limit beside the colour bar, recorded in the settings.
    spacing_cm, depth_cm : optional
        Calibration for uncalibrated files (see :func:`echoassess.load_clip`).
    annulus, view, valve_xy, roi_xyxy, la_polygon : optional
        Hints (see the module docstring).
    progress : callable(done, total), optional
        Called after each frame.

    Returns
    -------
    ClipResult
        ``status``: jets measured (``"measured"``), valve and systole found with no
        jet (``"no_jet"``), or the valve not located (``"cannot_measure"``: give a hint).

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
    >>> r.frames, str(r.status), r.max_jet_area_cm2 > 0
    (12, 'measured', True)
    """
    p = check_params(params)
    clip = inputs.open_clip(clip_or_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    hints, user_inputs, warnings = inputs.check_hints(
        clip,
        nyquist_cm_s=nyquist_cm_s,
        depth_cm=depth_cm,
        view=view,
        annulus=annulus,
        valve_xy=valve_xy,
        roi_xyxy=roi_xyxy,
        la_polygon=la_polygon,
    )
    return _measure(
        clip, p, hints, user_inputs, warnings, roi_given=roi_xyxy, keep_masks=keep_masks, progress=progress
    )


def _measure(
    clip: EchoClip,
    p: AnalysisParams,
    hints: inputs.Hints,
    user_inputs: list[dict[str, Any]],
    warnings: list[str],
    *,
    roi_given: object,
    keep_masks: bool,
    progress: Callable[[int, int], None] | None,
) -> ClipResult:
    """The chain of stages (module docstring) on a clip whose hints are checked."""
    acquisition = inputs.acquisition_settings(clip, hints)
    frames = clip.iter_frames()
    first = next(frames)
    found = screen.read_screen(clip, first, p, warnings)
    scale = screen.clip_scale(clip, p, warnings)
    region = screen.roi_mask(clip, found, hints.roi_xyxy, roi_given)
    flow = scan.decode_colour(
        itertools.chain([first], frames),
        clip.n_frames,
        found,
        p,
        path=clip.path,
        warnings=warnings,
        progress=progress,
    )
    turb = turbulence.find_turbulence(flow, scale, p)
    reading = phase.read_ecg_phase(flow, clip, found.trace, p)
    search = _valve_search(clip, found, flow, turb, reading, scale, hints)
    valve = valve_search.locate_valve(search, p, annulus=hints.annulus, valve_xy=hints.valve_xy)
    atrial = jets.atrial_jets(flow, turb, valve, scale, p, region=region)
    jet_turbulent_px = atrial.turbulent_px(turb)
    systole = phase.find_systole(jet_turbulent_px, reading, scale, p, warnings)
    outcome = phase.decide_status(
        valve,
        systole,
        reading,
        any_flow=flow.any_flow,
        p=p,
        warnings=warnings,
        turbulence_share=(
            None if hints.any_placement else jets.turbulence_share(jet_turbulent_px, turb, systole.systolic)
        ),
    )
    _log_stages(clip, found, turb, outcome)
    if outcome.status == "measured":
        atrial = jets.with_weak_jets(
            atrial, flow, turb, outcome.valve, outcome.systole, scale, p, region=region
        )
    measured = jets.measure_frames(
        atrial, flow, outcome.systole, clip, found, scale, p, keep_masks=keep_masks
    )
    spike = jets.spike_warning(measured, p) if outcome.status == "measured" else None
    if spike is not None:
        warnings.append(spike)
    if hints.any_placement and outcome.valve.annulus is not None:
        cut = _hint_cut(search, atrial, outcome, flow, turb, scale, p, hints, clip)
        if cut is not None:
            warnings.append(cut)
    return assemble.build_result(
        clip,
        measured,
        outcome,
        screen=found,
        scale=scale,
        hints=hints,
        acquisition=acquisition,
        diagnostics=assemble.diagnostics(clip, found, flow, turb, reading, outcome, hints),
        algorithm=ALGORITHM,
        p=p,
        warnings=warnings,
        user_inputs=user_inputs,
    )


def _valve_search(
    clip: EchoClip,
    found: screen.Screen,
    flow: scan.ColourFlow,
    turb: turbulence.Turbulence,
    reading: phase.EcgReading,
    scale: screen.Scale,
    hints: inputs.Hints,
) -> valve_search.ValveSearch:
    """What locating the valve looks at: the crop-sized flow, the transducer and
    the ECG's systole, and the view hinted or read from the file."""
    return valve_search.ValveSearch(
        flow.flows,
        turb.turbs,
        flow.velocity,
        flow.grey,
        apex=valve_search.apex_in_box(clip, found.sector, found.box, clip.shape[0]),
        offset=found.offset,
        ecg_systolic=reading.for_valve,
        scale=scale,
        close_px=turb.close_px,
        view=hints.view,
        file_view=clip.metadata.view,
        calibrated=clip.spacing_cm is not None,
    )


def _log_stages(
    clip: EchoClip, found: screen.Screen, turb: turbulence.Turbulence, outcome: phase.Outcome
) -> None:
    log.debug(
        "%s: colour box %s (%s), bar %s, cell %d px, %s, %d systolic frames",
        clip.path.name,
        found.box,
        found.box_source,
        found.bar.source,
        turb.cell_px,
        outcome.valve,
        int(outcome.systole.systolic.sum()),
    )


def _hint_cut(
    search: valve_search.ValveSearch,
    atrial: jets.JetMasks,
    outcome: phase.Outcome,
    flow: scan.ColourFlow,
    turb: turbulence.Turbulence,
    scale: screen.Scale,
    p: AnalysisParams,
    hints: inputs.Hints,
    clip: EchoClip,
) -> str | None:
    """A warning when the placement hints cut a jet found without them: the jets
    are measured once more without the hints."""
    given = ", ".join(
        n
        for n, v in (("--annulus", hints.annulus), ("--valve", hints.valve_xy), ("--roi", hints.roi_xyxy))
        if v is not None
    )
    return jets.hint_cut_warning(
        search, atrial, outcome.systole, flow, turb, scale, p, given=given, spacing_cm=clip.spacing_cm
    )
