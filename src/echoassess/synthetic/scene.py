"""Render a synthetic apical 4-chamber colour-Doppler clip, with its truth.

Pure numpy / OpenCV. The screen is laid out like an echo machine's: a black
background, the B-mode fan (transducer at the top) with speckle, chambers,
walls and moving valve leaflets; an annular-sector colour box over the mitral
valve and left atrium; a colour-bar legend with its Nyquist labels; an ECG
trace with a moving cursor; text overlays and a coloured logo.

:func:`render` builds the layers in the order their random draws are made,
then draws each frame layer by layer:

1. layout and pixel grid (:mod:`~echoassess.synthetic.scene_layout`), the
   heart (:mod:`~echoassess.synthetic.scene_anatomy`) and the cardiac cycle
   (:mod:`~echoassess.synthetic.scene_timing`),
2. B-mode tissue, speckle, valves and clip device
   (:mod:`~echoassess.synthetic.scene_tissue`),
3. colour box (:mod:`~echoassess.synthetic.scene_colourbox`), regurgitant
   jets (:mod:`~echoassess.synthetic.scene_jets`) and every other flow
   (:mod:`~echoassess.synthetic.scene_flow`); only the pixels finally
   coloured by a jet are truth,
4. the screen: text, legend, ECG (:mod:`~echoassess.synthetic.scene_screen`).

Coordinates: x = column, y = row; physical coordinates are in cm from the
fan's apex, x to the right and y down (depth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .colourmaps import colour_lut
from .params import SceneParams
from .scene_anatomy import build_anatomy
from .scene_colourbox import make_crop
from .scene_flow import make_flow_scene, render_flow
from .scene_jets import make_jets
from .scene_layout import FanGrid, Layout, make_layout
from .scene_screen import draw_frame_marks, make_screen
from .scene_timing import frame_timing
from .scene_tissue import make_tissue, render_bmode

__all__ = ["Layout", "RenderedScene", "render"]

_OUTLINE_RGB = (150, 150, 150)


@dataclass(frozen=True)
class RenderedScene:
    """Raw output of :func:`render`; :mod:`echoassess.synthetic.clip` wraps it."""

    frames: np.ndarray  # (T, H, W, 3) uint8
    jet_labels: np.ndarray  # (T, H, W) uint8, 0 = none, k = jet k
    confounders: np.ndarray  # (T, H, W) bool, coloured pixels that are not jet
    phase: np.ndarray  # (T,) "systole" / "diastole"
    layout: Layout
    colour_box_xyxy: tuple[int, int, int, int]
    colour_box_polar: tuple[float, float, float, float]  # r0, r1 (px), theta0, theta1 (rad)
    valve_xy: tuple[float, float]
    orifices_xy: tuple[tuple[float, float], ...]
    la_area_cm2: float
    lut: np.ndarray
    frame_times_ms: np.ndarray
    clip_xy: tuple[float, float] | None


def render(p: SceneParams, rng: np.random.Generator) -> RenderedScene:
    """Draw every frame of the scene ``p`` and its truth; ``rng`` gives every random draw.

    The heart's shape and texture come from ``p.anatomy_seed`` when set (the
    same heart before and after a clip), else from ``rng``.
    """
    lay = make_layout(p)
    # the patient's heart: from its own seed when given (same heart pre and post)
    ana_rng = rng if p.anatomy_seed is None else np.random.default_rng(int(p.anatomy_seed))
    ana = build_anatomy(p, ana_rng)
    grid = FanGrid.make(lay)
    s, T = lay.spacing_cm, p.n_frames
    tissue, beat_gain = make_tissue(p, ana, lay, grid, ana_rng, rng)
    timings = [frame_timing(p, k, beat_gain) for k in range(T)]
    crop = make_crop(ana, lay, grid, tissue.shadow, rng)
    jets = make_jets(p, ana, crop, s, rng)
    n_rows_bar = lay.colour_bar_xyxy[3] - lay.colour_bar_xyxy[1] + 1
    lut = colour_lut(p.colour_map, n_rows_bar, lay.n_var)
    flow = make_flow_scene(p, ana, crop, jets, lut, s, rng)
    static, ecg_t0, ecg_span = make_screen(p, lay, lut)

    frames = np.empty((T, p.rows, p.cols, 3), np.uint8)
    labels = np.zeros((T, p.rows, p.cols), np.uint8)
    confounders = np.zeros((T, p.rows, p.cols), bool)
    phase = np.empty(T, dtype="<U8")
    for k, tm in enumerate(timings):
        phase[k] = "systole" if tm.systolic else "diastole"
        frame = frames[k]
        frame[:] = static
        E = render_bmode(tissue, frame, k, tm)
        frame[crop.outline] = _OUTLINE_RGB
        render_flow(flow, frame, (labels[k], confounders[k]), tm, E, rng)
        draw_frame_marks(p, lay, frame, k, tm, (ecg_t0, ecg_span))

    valve_xy = lay.to_px(*ana.coapt)
    la_area = float((ana.la.f(grid.x_cm, grid.y_cm) < 1.0).__and__(grid.in_fan).sum() * s * s)
    return RenderedScene(
        frames=frames,
        jet_labels=labels,
        confounders=confounders,
        phase=phase,
        layout=lay,
        colour_box_xyxy=crop.xyxy,
        colour_box_polar=crop.polar,
        valve_xy=(float(valve_xy[0]), float(valve_xy[1])),
        orifices_xy=tuple(_xy(lay.to_px(*o)) for o in jets[0]),
        la_area_cm2=la_area,
        lut=lut,
        frame_times_ms=np.array([t.t_ms for t in timings]),
        clip_xy=None if tissue.clip_xy is None else _xy(tissue.clip_xy),
    )


def _xy(pt: tuple[float, float]) -> tuple[float, float]:
    return float(pt[0]), float(pt[1])
