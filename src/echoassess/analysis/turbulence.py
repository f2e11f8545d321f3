"""Stage 4, turbulence: the colour mosaic of turbulent (regurgitant) flow,
measured at the scale of the clip's colour cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import mosaic
from .params import AnalysisParams
from .scan import ColourFlow
from .screen import Scale

__all__ = ["Turbulence", "find_turbulence"]


@dataclass(frozen=True)
class Turbulence:
    """The turbulent flow of every frame and the scale it was measured at."""

    turbs: np.ndarray  # (T, h, w) bool
    cell_px: int  # the colour cell size
    window_px: int  # the side of the coherence window
    close_px: int  # the closing that joins a coarse mosaic's pieces


def find_turbulence(flow: ColourFlow, scale: Scale, p: AnalysisParams) -> Turbulence:
    """The turbulent mask of every frame (coherence, variance and coarse mosaics)."""
    t = p.turbulence
    velocity, flows, variance = flow.velocity, flow.flows, flow.variance
    base_window = max(3, int(round(t.turbulence_window_cm / scale.cm_per_px)) | 1)
    cell = _cell_size(velocity, flows, base_window, p)
    window = max(base_window, (3 * cell) | 1)
    turbs = np.zeros_like(flows)
    for i in range(flows.shape[0]):
        turbs[i] = mosaic.turbulent_mask(
            velocity[i],
            flows[i],
            None if variance is None else variance[i],
            window_px=window,
            lag_px=cell,
            threshold=t.turbulence_threshold,
            variance_threshold=t.variance_threshold,
            min_area_px=scale.px(t.min_turbulent_area_cm2),
            coarse_scales=t.coarse_scales,
        )
    close_px = max(1, 2 * cell + 1) if cell > 1 else 3
    return Turbulence(turbs, cell, window, close_px)


def _cell_size(velocity: np.ndarray, flows: np.ndarray, window: int, p: AnalysisParams) -> int:
    """The colour cell size of the clip, from its most turbulent frames."""
    T = flows.shape[0]
    counts = np.zeros(T)
    busy = np.zeros_like(flows)
    n_flow = flows.sum(axis=(1, 2))
    for i in np.argsort(n_flow)[::-1][: p.turbulence.cell_probe_frames]:  # the frames with most flow
        if not n_flow[i]:
            continue
        tm = mosaic.turbulence_map(
            velocity[i], flows[i], window_px=2 * window + 1, lag_px=p.turbulence.max_cell_px
        )
        busy[i] = tm > p.turbulence.cell_busy_level
        counts[i] = busy[i].sum()
    if counts.max() <= 0:
        return 1
    top = np.argsort(counts)[::-1][: min(p.turbulence.cell_top_frames, T)]
    top = top[counts[top] > 0]
    return mosaic.colour_cell_px(velocity[top], flows[top], busy[top], max_lag=p.turbulence.max_cell_px)
