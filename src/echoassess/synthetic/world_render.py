"""Render a world clip: any view, colour style and artefact set, with exact truth.

Independent of :mod:`echoassess.synthetic.scene`. The canonical scene
(:mod:`echoassess.synthetic.world_anatomy`, cm from the transducer) is sampled
on the pixel grid; a mirrored clip samples it with ``x`` flipped, so anatomy
and flow mirror while the text, legend and ECG do not.

:func:`render_world` builds the layers in the order their random draws are
made, then draws each frame layer by layer:

1. layout and pixel grid (:mod:`~echoassess.synthetic.world_layout`),
2. B-mode tissue, speckle, valves and clip device
   (:mod:`~echoassess.synthetic.world_tissue`),
3. colour box (:mod:`~echoassess.synthetic.world_colourbox`), regurgitant
   jets (:mod:`~echoassess.synthetic.world_jets`) and every other flow
   (:mod:`~echoassess.synthetic.world_flow`),
4. the screen: text, legend, ECG, overlays (:mod:`~echoassess.synthetic.world_screen`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .colourmaps import world_lut
from .world_anatomy import build_heart
from .world_colourbox import MosaicGrid, make_crop
from .world_flow import FrameTruth, make_flow_scene, render_flow
from .world_jets import make_jets
from .world_layout import FanGrid, WorldLayout, colour_box_cm, make_layout
from .world_params import WorldParams
from .world_screen import draw_frame_marks, make_screen
from .world_timing import frame_timing
from .world_tissue import make_tissue, render_bmode

__all__ = ["WorldScene", "render_world"]

_OUTLINE_RGB = (150, 150, 150)


@dataclass(frozen=True)
class WorldScene:
    """Raw output of :func:`render_world`; :func:`echoassess.synthetic.generate_world_clip` wraps it.

    ``frames`` (T, H, W, 3) uint8; ``jet_labels`` (T, H, W) uint8 (0 none,
    ``k`` jet ``k``); ``confounders``/``ai_masks`` (T, H, W) bool; the rest
    as in :class:`echoassess.synthetic.ClipTruth`.
    """

    frames: np.ndarray
    jet_labels: np.ndarray
    confounders: np.ndarray
    ai_masks: np.ndarray | None
    phase: np.ndarray
    layout: WorldLayout
    colour_box_xyxy: tuple[int, int, int, int]
    tissue_xyxy: tuple[int, int, int, int]
    valve_xy: tuple[float, float]
    annulus_xy: tuple[tuple[float, float], tuple[float, float]]
    orifices_xy: tuple[tuple[float, float], ...]
    vc_width_cm: tuple[float, ...]
    la_mask: np.ndarray
    la_area_cm2: float
    vc_width_cm_frames: np.ndarray
    la_complete: bool
    overlay_mask: np.ndarray | None
    ecg_xyxy: tuple[int, int, int, int] | None
    lut: np.ndarray
    clip_xy: tuple[float, float] | None
    colour_map: str


def render_world(p: WorldParams, rng: np.random.Generator) -> WorldScene:
    """Draw every frame of the clip ``p`` and its truth; ``rng`` gives every random draw.

    The heart's shape and texture come from ``p.anatomy_seed`` when set (the
    same heart before and after a clip), else from ``rng``.
    """
    ana_rng = rng if p.anatomy_seed is None else np.random.default_rng(int(p.anatomy_seed))
    heart = build_heart(p, ana_rng)
    box_cm = colour_box_cm(p, heart, rng)
    lay = make_layout(p, heart, box_cm)
    grid = FanGrid.make(lay)
    T, s = p.n_frames, lay.spacing_cm
    tissue, la, beat_gain = make_tissue(p, heart, lay, grid, ana_rng, rng)
    timings = [frame_timing(p, i, beat_gain) for i in range(T)]
    crop = make_crop(heart, grid, box_cm, la, tissue.device.shadow)
    jets = make_jets(p, heart, crop, s, rng)
    n_rows_bar = lay.bar_xyxy[3] - lay.bar_xyxy[1] + 1
    lut = world_lut(p.colour_map, n_rows_bar, lay.n_var)
    flow = make_flow_scene(p, heart, crop, jets, MosaicGrid.make(p, grid, crop, box_cm, s), lut, s, rng)
    screen = make_screen(p, lay, lut, timings, (crop.box_in, crop.outline, box_cm), rng)

    frames = np.empty((T, p.rows, p.cols, 3), np.uint8)
    labels = np.zeros((T, p.rows, p.cols), np.uint8)
    confounders = np.zeros((T, p.rows, p.cols), bool)
    ai_masks = np.zeros((T, p.rows, p.cols), bool) if (p.ai_jet and heart.av is not None) else None
    phase = np.empty(T, dtype="<U8")
    vc_frames = np.full((T, p.n_jets), np.nan)
    for fi, tm in enumerate(timings):
        phase[fi] = "systole" if tm.systolic else "diastole"
        frame = frames[fi]
        frame[:] = screen.static
        E = render_bmode(tissue, frame, fi, tm)
        frame[crop.outline] = _OUTLINE_RGB
        truth = FrameTruth(labels[fi], confounders[fi], None if ai_masks is None else ai_masks[fi])
        vc_frames[fi] = render_flow(flow, frame, truth, tm, E, rng)
        if screen.overlay is not None and screen.overlay_rgb is not None:
            frame[screen.overlay] = screen.overlay_rgb[screen.overlay]
            truth.labels[screen.overlay] = 0
            truth.confounders[screen.overlay] = True
            if truth.ai is not None:
                truth.ai[screen.overlay] = False
        draw_frame_marks(screen, p, lay, frame, fi, tm)

    valve = lay.to_px(*heart.M)
    h0, h1 = heart.hinges
    return WorldScene(
        frames=frames,
        jet_labels=labels,
        confounders=confounders,
        ai_masks=ai_masks,
        phase=phase,
        layout=lay,
        colour_box_xyxy=crop.xyxy,
        tissue_xyxy=grid.tissue_xyxy,
        valve_xy=(float(valve[0]), float(valve[1])),
        annulus_xy=(_xy(lay.to_px(*h0)), _xy(lay.to_px(*h1))),
        orifices_xy=tuple(_xy(lay.to_px(*o)) for o in jets.orifices),
        vc_width_cm=tuple(jets.vc_widths),
        la_mask=la.mask,
        la_area_cm2=float(la.mask.sum() * s * s),
        vc_width_cm_frames=vc_frames,
        la_complete=la.complete,
        overlay_mask=screen.overlay,
        ecg_xyxy=screen.ecg_xyxy,
        lut=lut,
        clip_xy=None if tissue.device.xy is None else _xy(tissue.device.xy),
        colour_map=p.colour_map + ("+variance" if lay.n_var > 1 else ""),
    )


def _xy(pt: tuple[float, float]) -> tuple[float, float]:
    return float(pt[0]), float(pt[1])
