"""Stage 3, colour decoding: one pass over the frames turns the colour box of
each into compact flow maps (flow, velocity, variance, grey level) through the
colour bar's lookup table; coloured overlays that never change are removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import colourflow
from ..errors import NoColourFlowError
from .params import AnalysisParams
from .screen import Screen

__all__ = ["ColourFlow", "decode_colour"]


@dataclass(frozen=True)
class ColourFlow:
    """The clip's colour box, decoded (crop-sized arrays)."""

    flows: np.ndarray  # (T, h, w) bool: colour flow, static overlays removed
    velocity: np.ndarray  # (T, h, w) float32: velocity in Nyquist units (-1..1)
    variance: np.ndarray | None  # (T, h, w) float32 0..1 (variance maps only)
    grey: np.ndarray  # (T, h, w) uint8: the frame's grey level (tissue where no flow)
    static: np.ndarray  # (h, w) bool: the static coloured overlay removed
    ecg_strips: np.ndarray | None  # (T, sh, sw, 3) uint8: the rows around the ECG trace
    ecg_origin: tuple[int, int]  # (x0, y0) of the strips in the frame

    @property
    def any_flow(self) -> bool:
        return bool(self.flows.any())


def decode_colour(
    frames: Iterable[np.ndarray],
    n_frames: int,
    screen: Screen,
    p: AnalysisParams,
    *,
    path: Path,
    warnings: list[str],
    progress: Callable[[int, int], None] | None,
) -> ColourFlow:
    """The flow maps of every frame; no flow at all adds a warning, or is an error
    when no colour bar was found either."""
    scan = _scan_frames(frames, n_frames, screen.box, screen.lut, ecg_trace=screen.trace, progress=progress)
    static = _static_overlay(scan, p)
    flows = scan.flow & ~static
    if not flows.any():
        if screen.bar.source == "default":
            raise NoColourFlowError(
                path,
                "no colour-Doppler flow in the colour box and no colour bar",
                hint="is this a colour-Doppler clip?",
            )
        warnings.append("no colour flow shown in the colour box")
    return ColourFlow(
        flows=flows,
        velocity=scan.velocity_q.astype(np.float32) / 127.0,
        variance=None if scan.variance_q is None else scan.variance_q.astype(np.float32) / 255.0,
        grey=scan.grey,
        static=static,
        ecg_strips=scan.ecg_strips,
        ecg_origin=scan.ecg_origin,
    )


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
    lut: colourflow.ColourLUT,
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
    # as quantising colourflow.flow_map's output, without float frames)
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
    core = always & (spread <= p.colour.static_max_change)
    if not core.any():
        return core
    # the JPEG halo of an overlay is coloured in nearly every frame too
    near = cv2.dilate(core.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return core | (near & (scan.flow.mean(axis=0) >= p.colour.static_halo_fraction))
