"""Stage 6, the phase: the ECG's reading of systole, systole from the jets
themselves, and the clip's status (measured, no jet, cannot measure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ecg, segmentation
from ..dicom import EchoClip
from ..ecg import EcgPhase
from ..results import Status
from .params import AnalysisParams
from .scan import ColourFlow
from .screen import Scale
from .valve_search import ValveFit

__all__ = ["EcgReading", "Outcome", "Systole", "decide_status", "find_systole", "read_ecg_phase"]


@dataclass(frozen=True)
class EcgReading:
    """The ECG's phase (``None`` when it cannot be read) and where it came from."""

    phase: EcgPhase | None
    source: str  # "ECG" (a moving cursor), "frozen ECG" or ""

    @property
    def for_valve(self) -> np.ndarray | None:
        """The ECG's systole, when it shows both phases on this clip (only then
        does it help pick the valve's flow)."""
        if self.phase is None:
            return None
        n = int(self.phase.systolic.sum())
        return self.phase.systolic if 0 < n < self.phase.systolic.size else None


@dataclass(frozen=True)
class Systole:
    """Systole of every frame: the frames whose jets count, and the phase labels."""

    systolic: np.ndarray  # (T,) bool: frames whose jets are measured
    phase_systolic: np.ndarray  # (T,) bool: the frames labelled "systole"
    source: str  # how systole was found


@dataclass(frozen=True)
class Outcome:
    """The clip's status, and the valve and systole it was decided on."""

    status: Status
    reason: str
    valve: ValveFit
    systole: Systole


def read_ecg_phase(
    flow: ColourFlow, clip: EchoClip, screen_trace: tuple[np.ndarray, np.ndarray] | None, p: AnalysisParams
) -> EcgReading:
    """The ECG's phase: from a cursor of any colour, or a frozen trace."""
    trace = screen_trace
    ph = p.phase
    if trace is None or clip.frame_times_ms is None or flow.ecg_strips is None:
        return EcgReading(None, "")
    cursor = ecg.cursor_columns(
        flow.ecg_strips, min_change=ph.cursor_min_change, min_fraction=ph.cursor_min_fraction
    )
    if np.isfinite(cursor).sum() >= 3:
        if np.isfinite(cursor[0]):  # the trace was read from the first frame, cursor and all
            trace = ecg.mask_columns(trace, float(cursor[0]) + flow.ecg_origin[0])
        phase = ecg.read_ecg(
            cursor + flow.ecg_origin[0],
            clip.frame_times_ms,
            trace,
            heart_rate_bpm=clip.metadata.heart_rate_bpm,
            r_wave_fraction=ph.r_wave_fraction,
            min_rr_ms=ph.min_rr_ms,
            max_rr_ms=ph.max_rr_ms,
            min_r_spike_px=ph.min_r_spike_px,
            file_rr_agreement=ph.file_rr_agreement,
        )
        return EcgReading(phase, "ECG")
    # no cursor: a trace that does not change is the loop's frozen ECG
    still = np.abs(flow.ecg_strips.astype(np.int16) - flow.ecg_strips[0]).max() <= ph.frozen_ecg_max_change
    if still:
        phase = ecg.read_frozen_ecg(
            clip.frame_times_ms,
            clip.frame_time_ms,
            trace,
            heart_rate_bpm=clip.metadata.heart_rate_bpm,
            r_wave_fraction=ph.r_wave_fraction,
            min_rr_ms=ph.min_rr_ms,
            max_rr_ms=ph.max_rr_ms,
            min_r_spike_px=ph.min_r_spike_px,
            frozen_rr_agreement=ph.frozen_rr_agreement,
        )
        return EcgReading(phase, "frozen ECG")
    return EcgReading(None, "")


def find_systole(
    jet_turb: np.ndarray, reading: EcgReading, scale: Scale, p: AnalysisParams, warnings: list[str]
) -> Systole:
    """Systole from the frames whose atrial jets hold enough mosaic
    (``jet_turb``: turbulent jet pixels per frame), checked against the ECG."""
    systolic = segmentation.detect_systole(
        jet_turb,
        min_jet_px=scale.px(p.phase.min_systole_area_cm2),
        max_gap_frames=p.phase.systole_max_gap_frames,
    )
    if reading.phase is None:
        return Systole(systolic, systolic, "flow")
    ecg_sys, name = reading.phase.systolic, reading.source
    agree = float(np.mean(ecg_sys == systolic))
    if not systolic.any():
        return Systole(systolic, ecg_sys, f"{name} (no jet in the flow)")
    source = f"flow (the {name} agrees on {100 * agree:.0f} % of frames)"
    # MR ends when the mitral valve opens: flow frames more than one frame from
    # the ECG's systole are another flow crossing the line (inflow, an outflow
    # or aortic jet beside the valve) -- unless the largest jet lies there, when
    # it is the ECG reading that is wrong
    near_sys = np.convolve(ecg_sys.astype(int), np.ones(3, int), "same") > 0
    far = systolic & ~near_sys
    if (
        far.any()
        and (systolic & near_sys).any()
        and (jet_turb[systolic & near_sys].max() > jet_turb[far].max())
    ):
        systolic = systolic & near_sys
        warnings.append(
            f"{int(far.sum())} frame(s) with flow across the valve lie in diastole by the "
            f"{name} and are not counted as regurgitation"
        )
    if agree < p.phase.ecg_warn_agreement:
        warnings.append(
            f"the ECG trace and the colour flow disagree on systole ({100 * agree:.0f} % "
            "of frames agree): check the phase labels"
        )
    return Systole(systolic, systolic, source)


def decide_status(
    valve: ValveFit,
    systole: Systole,
    reading: EcgReading,
    *,
    any_flow: bool,
    p: AnalysisParams,
    warnings: list[str],
    turbulence_share: float | None = None,
) -> Outcome:
    """Whether the clip is measured; a valve the jets or the ECG contradict is
    dropped (never a false "no jet"). ``turbulence_share``: the share of the
    systolic frames' turbulent pixels that lie in the jets found."""
    ecg_phase, name = reading.phase, reading.source
    systolic = systole.systolic
    if (
        valve.annulus is not None
        and valve.rival
        and ecg_phase is not None
        and systolic.any()
        and float(np.mean(ecg_phase.systolic == systolic)) < p.phase.ecg_reject_agreement
    ):
        # jets found by the image alone that the ECG calls diastolic: another
        # valve's flow (aortic regurgitation) taken for the mitral jet
        valve = valve.without_annulus(
            f"the turbulent flow found at the presumed valve is not systolic by the {name}"
        )
    if valve.annulus is not None and valve.source != "user" and not systolic.any():
        # the valve was placed at turbulent flow, yet no jet crosses it: the
        # placement is wrong, not the flow absent
        valve = valve.without_annulus("no jet crosses the valve found from the turbulent flow")
    if (
        valve.annulus is not None
        and valve.source != "user"
        and systolic.any()
        and turbulence_share is not None
        and turbulence_share < p.phase.min_turbulence_share
    ):
        # the regurgitant flow is the turbulence of systole: jets that hold only a
        # sliver of it were measured at the wrong valve (a wrong number, not "no jet")
        valve = valve.without_annulus(
            f"the jets found at the valve hold only {100 * turbulence_share:.0f} % of the turbulent "
            "flow of systole (a parasternal view?)"
        )
    if valve.annulus is None and not valve.cores_found and any_flow:
        # an MR jet is always a mosaic: with no turbulent flow anywhere in the
        # colour box there is no jet, wherever the valve is
        warnings.append("no systolic jet found")
        if ecg_phase is not None:
            systole = Systole(systolic, ecg_phase.systolic, f"{name} (no jet in the flow)")
        reason = "no turbulent (regurgitant) flow anywhere in the colour box"
        return Outcome(Status.NO_JET, reason, valve, systole)
    if valve.annulus is None:
        warnings.append(
            f"could not locate the mitral valve ({valve.why}): give a hint "
            "(--annulus X1,Y1,X2,Y2 and --view tte|tee)"
        )
        none = np.zeros(systolic.size, bool)
        if ecg_phase is not None:
            systole = Systole(none, ecg_phase.systolic, name)
        else:
            systole = Systole(none, none, "unknown (valve not located)")
        return Outcome(Status.CANNOT_MEASURE, valve.why, valve, systole)
    if not systolic.any():
        warnings.append("no systolic jet found")
        return Outcome(Status.NO_JET, "no regurgitant flow crossed the annulus given", valve, systole)
    return Outcome(Status.MEASURED, "", valve, systole)
