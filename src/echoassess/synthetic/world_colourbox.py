"""The colour box of a world clip: its crop of the screen, the colour cells'
noise and the flow layers each frame fills.

All colour flow is computed on the crop of the screen around the colour box
(:class:`CropGeometry`); a frame's flow is a velocity, a variance and a
source per crop pixel (:class:`FlowLayers`). Colour Doppler is coarse and
noisy: its noise lives on cells along the colour beams (:class:`MosaicGrid`),
redrawn every frame (:func:`mosaic_noise`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .render_common import f32
from .world_anatomy import Heart
from .world_layout import BoxCm, FanGrid
from .world_params import WorldParams
from .world_tissue import LaPool

__all__ = ["CropGeometry", "FlowLayers", "MosaicGrid", "MosaicNoise", "make_crop", "mosaic_noise"]

_EIGHT = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class CropGeometry:
    """The colour box and the static masks of its crop (canonical cm).

    ``box_in``/``outline`` are full-screen; every other array is ``(ch, cw)``
    on ``crop``. ``beam_x, beam_y`` is the unit beam direction (away from the
    probe), ``plane`` the signed distance to the annulus line (LA side
    positive), ``pix`` the crop's pixel centres as ``(ch * cw, 2)`` cm.
    """

    box_in: np.ndarray
    outline: np.ndarray
    xyxy: tuple[int, int, int, int]
    crop: tuple[slice, slice]
    shape: tuple[int, int]
    cx: np.ndarray
    cy: np.ndarray
    pix: np.ndarray
    box_c: np.ndarray
    beam_x: np.ndarray
    beam_y: np.ndarray
    plane: np.ndarray
    la_c: np.ndarray  # LA blood
    la_allowed: np.ndarray  # where a jet may colour: the LA and the band over the annulus
    colour_ok: np.ndarray  # inside the box, out of the clip's shadow
    lv_c: np.ndarray  # LV blood
    outflow_c: np.ndarray  # LVOT and aortic root


def make_crop(heart: Heart, grid: FanGrid, box_cm: BoxCm, la: LaPool, shadow: np.ndarray) -> CropGeometry:
    """The colour box ``box_cm`` on the screen and its crop's static masks."""
    k = heart.k
    r0, r1, th0, th1 = box_cm
    box_in = (grid.r_cm > r0) & (grid.r_cm < r1) & (grid.theta > th0) & (grid.theta < th1) & grid.in_fan
    box_dil = cv2.dilate(box_in.astype(np.uint8), _EIGHT).astype(bool) & (
        cv2.dilate(grid.in_fan.astype(np.uint8), _EIGHT).astype(bool)
    )
    outline = box_dil & ~box_in
    bys, bxs = np.nonzero(box_dil)
    box_xyxy = (int(bxs.min()), int(bys.min()), int(bxs.max()), int(bys.max()))
    bx0, by0, bx1, by1 = box_xyxy
    crop = (slice(by0, by1 + 1), slice(bx0, bx1 + 1))
    ch, cw = by1 - by0 + 1, bx1 - bx0 + 1
    cx, cy = grid.x_cm[crop], grid.y_cm[crop]
    rr_c = np.maximum(np.hypot(cx, cy), 1e-3)
    plane = heart.plane(cx, cy)
    alongc = heart.along(cx, cy)
    d_la_c = la.d_la[crop] + la.wob[crop]  # (jet geometry: unchanged by BLOOD_EDGE_CM)
    annulus_band = (plane > 0) & (plane < 0.5 * k) & (np.abs(alongc) < heart.half_annulus)
    d_lv_c0 = np.maximum(np.minimum.reduce([b.sdist(cx, cy) for b in heart.lv]), plane)
    d_oth = [b.sdist(cx, cy) for b in (heart.lvot, heart.ao) if b is not None]
    outflow_c = (np.minimum.reduce(d_oth) < -0.05) if d_oth else np.zeros((ch, cw), bool)
    return CropGeometry(
        box_in=box_in,
        outline=outline,
        xyxy=box_xyxy,
        crop=crop,
        shape=(ch, cw),
        cx=cx,
        cy=cy,
        pix=np.stack([cx.ravel(), cy.ravel()], axis=1),
        box_c=box_in[crop],
        beam_x=cx / rr_c,
        beam_y=cy / rr_c,
        plane=plane,
        la_c=d_la_c < 0,
        la_allowed=(d_la_c < 0.04) | annulus_band,
        colour_ok=box_in[crop] & (shadow[crop] > 0.5),
        lv_c=d_lv_c0 < -0.05,
        outflow_c=outflow_c,
    )


@dataclass(frozen=True)
class MosaicGrid:
    """Where each crop pixel falls on the colour-cell grids (cell row, beam).

    ``cell_*``: the mosaic cells (``mosaic_cell_px``); ``fine_*``: small
    smooth cells for low-velocity flows; ``hole_*``: dropout streaks, long
    along the beam and narrow across; ``warp_shape``: the coarse mosaic's
    domain warp.
    """

    cell_r: np.ndarray
    cell_b: np.ndarray
    cell_shape: tuple[int, int]
    fine_r: np.ndarray
    fine_b: np.ndarray
    fine_shape: tuple[int, int]
    warp_shape: tuple[int, int]
    hole_r: np.ndarray
    hole_b: np.ndarray
    hole_shape: tuple[int, int]
    coarse: bool

    @classmethod
    def make(cls, p: WorldParams, grid: FanGrid, crop: CropGeometry, box_cm: BoxCm, s: float) -> MosaicGrid:
        r0, r1, th0, _ = box_cm
        ch, cw = crop.shape
        cell = p.mosaic_cell_px
        r_mid = max((r0 + r1) / 2 / s, 10.0)
        r_px, theta = grid.r_px[crop.crop], grid.theta[crop.crop]
        cell_r = (r_px / cell).astype(np.float32)
        cell_b = ((theta - th0) * r_mid / (cell * 1.3) + 1).astype(np.float32)
        fine_r = (r_px / 2.5).astype(np.float32)
        fine_b = ((theta - th0) * r_mid / 3.0 + 1).astype(np.float32)
        # dropout streaks run along the beams: long radially, narrow across
        hole_r = (r_px / max(6.0, 1.2 * cell)).astype(np.float32)
        hole_b = ((theta - th0) * r_mid / max(2.5, 0.4 * cell) + 1).astype(np.float32)
        return cls(
            cell_r=cell_r,
            cell_b=cell_b,
            cell_shape=(int(cell_r.max()) + 3, int(cell_b.max()) + 3),
            fine_r=fine_r,
            fine_b=fine_b,
            fine_shape=(int(fine_r.max()) + 3, int(fine_b.max()) + 3),
            warp_shape=(max(2, ch // max(2, int(cell * 0.8))), max(2, cw // max(2, int(cell * 0.8)))),
            hole_r=hole_r,
            hole_b=hole_b,
            hole_shape=(int(hole_r.max()) + 3, int(hole_b.max()) + 3),
            coarse=p.effective_mosaic == "coarse",
        )


@dataclass(frozen=True)
class MosaicNoise:
    """One frame's colour noise on the crop, each of unit standard deviation:
    the mosaic (per cell), a smooth field, and the dropout streaks (coarse
    mosaic only)."""

    mos: np.ndarray
    smooth: np.ndarray
    streak: np.ndarray | None


def mosaic_noise(g: MosaicGrid, shape: tuple[int, int], rng: np.random.Generator) -> MosaicNoise:
    """Draw one frame's colour noise (the draws' order is part of the clip's identity)."""
    ch, cw = shape
    streak = None
    cells = rng.standard_normal(g.cell_shape).astype(np.float32)
    if g.coarse:
        # irregular single-colour patches: nearest cell of a domain-warped grid
        wr = cv2.resize(
            rng.standard_normal(g.warp_shape).astype(np.float32), (cw, ch), interpolation=cv2.INTER_CUBIC
        )
        wb = cv2.resize(
            rng.standard_normal(g.warp_shape).astype(np.float32), (cw, ch), interpolation=cv2.INTER_CUBIC
        )
        mos = f32(
            cv2.remap(
                cells,
                g.cell_b + 0.45 * wb,
                g.cell_r + 0.45 * wr,
                cv2.INTER_NEAREST,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
        hole_cells = rng.standard_normal(g.hole_shape).astype(np.float32)
        streak = f32(
            cv2.remap(hole_cells, g.hole_b, g.hole_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        )
        streak /= float(streak.std()) or 1.0
    else:
        mos = f32(cv2.remap(cells, g.cell_b, g.cell_r, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT))
    mos /= float(mos.std()) or 1.0
    fcells = cv2.GaussianBlur(rng.standard_normal(g.fine_shape).astype(np.float32), (0, 0), 1.0)
    smooth = f32(cv2.remap(fcells, g.fine_b, g.fine_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    smooth /= float(smooth.std()) or 1.0
    return MosaicNoise(mos, smooth, streak)


@dataclass(frozen=True)
class FlowLayers:
    """One frame's colour flow on the crop: velocity (cm/s, toward the probe
    positive), variance (0..1), source (0 none, ``j`` jet ``j``, >= 100 a
    confounder) and the jets' dark dropout (shown black, but jet area)."""

    vel: np.ndarray
    var: np.ndarray
    src: np.ndarray
    dark: np.ndarray

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> FlowLayers:
        return cls(
            np.zeros(shape, np.float32),
            np.zeros(shape, np.float32),
            np.zeros(shape, np.uint8),
            np.zeros(shape, bool),
        )
