"""The cardiac cycle of a world clip: each frame's phase and flow strengths.

Systole (the regurgitant period) starts 30 ms after the R wave and lasts
:attr:`WorldParams.systole_ms`; diastole carries the E and A inflow waves,
pulmonary-vein flow and aortic regurgitation; wall-motion flashes follow the
R wave and the start of relaxation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .world_params import WorldParams

__all__ = ["Timing", "frame_timing"]


@dataclass(frozen=True)
class Timing:
    """One frame's place in the cardiac cycle and the strength of each flow."""

    t_ms: float
    systolic: bool
    g: float  # MR strength 0..1
    opening: float  # mitral opening
    inflow: float
    pv: float
    contraction: float
    flash: float
    eject: float  # LVOT outflow
    ai: float  # aortic regurgitation (diastole)


_SYS_DELAY_MS = 30.0


def frame_timing(p: WorldParams, k: int, beat_gain: np.ndarray) -> Timing:
    """Timing of frame ``k``; ``beat_gain`` scales each beat's MR strength (0.85-1.15)."""
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
    eject = 0.0
    if systolic:
        x = (ts - 0.1 * sys_ms) / (0.8 * sys_ms)
        eject = math.sin(math.pi * x) ** 0.8 if 0 < x < 1 else 0.0
    ai = 0.0
    if systolic or tc < _SYS_DELAY_MS:
        opening, inflow = 0.0, 0.0
        pv = 0.6 * math.sin(math.pi * ts / sys_ms) if systolic else 0.0
    else:
        dia = rr - _SYS_DELAY_MS - sys_ms
        pd = min(max((tc - _SYS_DELAY_MS - sys_ms) / max(dia, 1.0), 0.0), 1.0)
        e_wave = math.exp(-(((pd - 0.17) / 0.1) ** 2))
        a_wave = 0.65 * math.exp(-(((pd - 0.86) / 0.07) ** 2))
        inflow = max(e_wave, a_wave)
        plateau = 0.4 if 0.06 < pd < 0.97 else 0.0
        opening = min(1.0, max(1.2 * inflow, plateau))
        pv = 0.5 * math.exp(-(((pd - 0.25) / 0.15) ** 2)) - 0.3 * math.exp(-(((pd - 0.88) / 0.06) ** 2))
        ai = (1.0 - 0.5 * pd) if pd > 0.02 else 0.0
    t_relax = tc - _SYS_DELAY_MS - sys_ms
    flash = math.exp(-(((tc - 50.0) / 35.0) ** 2)) - 0.8 * math.exp(-(((t_relax - 60.0) / 40.0) ** 2))
    return Timing(t - p.start_phase * rr, systolic, g, opening, inflow, pv, contraction, flash, eject, ai)
