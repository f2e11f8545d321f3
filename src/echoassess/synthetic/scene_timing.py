"""The cardiac cycle of an apical 4-chamber clip: each frame's phase and flow strengths."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import SceneParams

__all__ = ["FrameTiming", "frame_timing"]


@dataclass(frozen=True)
class FrameTiming:
    """One frame's place in the cardiac cycle and the strength of each flow."""

    t_ms: float
    beat: int
    t_in_cycle_ms: float
    systolic: bool
    g: float  # jet strength 0..1 (systole)
    opening: float  # mitral opening 0..1
    inflow: float  # diastolic inflow amplitude 0..1
    pv: float  # pulmonary vein flow amplitude (negative: reversal)
    contraction: float  # LV contraction 0..1
    flash: float  # wall motion: + toward the probe (systole onset), - away (early diastole)


_SYS_DELAY_MS = 30.0  # R wave to mitral closure / start of MR


def frame_timing(p: SceneParams, k: int, beat_gain: np.ndarray) -> FrameTiming:
    """Timing of frame ``k``; ``beat_gain`` scales each beat's MR strength."""
    rr = p.rr_ms
    t = k * p.frame_time_ms + p.start_phase * rr
    beat = int(t // rr)
    tc = t - beat * rr
    sys_ms = p.systole_ms
    ts = tc - _SYS_DELAY_MS
    systolic = 0.0 <= ts < sys_ms
    bg = float(beat_gain[min(beat, len(beat_gain) - 1)])
    g = math.sin(math.pi * ts / sys_ms) ** 0.6 * bg if systolic else 0.0
    contraction = math.sin(math.pi * min(max(tc / (sys_ms + 60.0), 0.0), 1.0)) ** 0.8
    if systolic or tc < _SYS_DELAY_MS:
        opening, inflow = 0.0, 0.0
        pv = 0.7 * math.sin(math.pi * ts / sys_ms) if systolic else 0.0
    else:
        dia = rr - _SYS_DELAY_MS - sys_ms
        pd = ((tc - _SYS_DELAY_MS - sys_ms) % rr) / max(dia, 1.0) if tc >= _SYS_DELAY_MS else 1.0
        pd = min(max(pd, 0.0), 1.0)
        e_wave = math.exp(-(((pd - 0.17) / 0.1) ** 2))
        a_wave = 0.65 * math.exp(-(((pd - 0.86) / 0.07) ** 2))
        inflow = max(e_wave, a_wave)
        plateau = 0.4 if 0.06 < pd < 0.97 else 0.0
        opening = min(1.0, max(1.2 * inflow, plateau))
        pv = 0.55 * math.exp(-(((pd - 0.25) / 0.15) ** 2)) - 0.35 * math.exp(-(((pd - 0.88) / 0.06) ** 2))
    # fast wall motion just after the R wave and at the start of relaxation
    t_relax = tc - _SYS_DELAY_MS - sys_ms
    flash = math.exp(-(((tc - 50.0) / 35.0) ** 2)) - 0.8 * math.exp(-(((t_relax - 60.0) / 40.0) ** 2))
    return FrameTiming(t - p.start_phase * rr, beat, tc, systolic, g, opening, inflow, pv, contraction, flash)
