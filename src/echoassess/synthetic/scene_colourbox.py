"""The colour box of an apical 4-chamber clip: an annular sector over the
mitral valve and left atrium, its crop of the screen and the static masks
the flow sources need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .scene_anatomy import Anatomy
from .scene_layout import FanGrid, Layout

__all__ = ["SceneCrop", "make_crop"]


@dataclass(frozen=True)
class SceneCrop:
    """The colour box and the static masks of its crop (cm from the apex).

    ``box_in``/``outline`` are full-screen; every other array is ``(ch, cw)``
    on ``crop``. ``polar`` is the sector (r0, r1 in pixels; th0, th1 in
    radians); ``beam_x, beam_y`` the unit beam direction (away from the
    probe); ``plane`` the signed distance to the valve plane (LA side
    positive); ``cells_*`` where each pixel falls on the colour cells
    (~0.09 cm along the beam x ~0.7 degree across).
    """

    box_in: np.ndarray
    outline: np.ndarray
    xyxy: tuple[int, int, int, int]
    polar: tuple[float, float, float, float]
    crop: tuple[slice, slice]
    shape: tuple[int, int]
    cx_cm: np.ndarray
    cy_cm: np.ndarray
    box_in_c: np.ndarray
    beam_x: np.ndarray
    beam_y: np.ndarray
    la_f: np.ndarray  # the LA ellipse's normalised radius
    plane: np.ndarray
    la_allowed: np.ndarray  # where a jet may colour: the LA and a band over the annulus
    la_side: np.ndarray
    lv_blood_c: np.ndarray
    colour_ok: np.ndarray  # inside the box, out of the clip's shadow
    cell_r: np.ndarray
    cell_b: np.ndarray
    cell_shape: tuple[int, int]


def _sector(
    ana: Anatomy, lay: Layout, grid: FanGrid, rng: np.random.Generator
) -> tuple[float, float, float, float, np.ndarray]:
    """The box's sector (r0, r1 px; th0, th1 rad), drawn around the valve, and its inside."""
    s = lay.spacing_cm
    v_r = math.hypot(*ana.coapt) / s
    v_th = math.atan2(*ana.coapt)
    box_r0 = v_r - 3.0 * ana.scale / s * rng.uniform(0.9, 1.1)
    box_r1 = min(lay.radius_px - 2, v_r + 5.0 * ana.scale / s * rng.uniform(0.95, 1.1))
    half_box = math.atan2(2.7 * ana.scale * rng.uniform(0.95, 1.1), v_r * s)
    th0 = max(-lay.half_angle_rad + 0.01, v_th - half_box + rng.uniform(-0.02, 0.02))
    th1 = min(lay.half_angle_rad - 0.01, v_th + half_box + rng.uniform(-0.02, 0.02))
    r_px, theta = grid.r_px, grid.theta
    box_in = (r_px > box_r0) & (r_px < box_r1) & (theta > th0) & (theta < th1) & grid.in_fan
    return float(box_r0), float(box_r1), float(th0), float(th1), box_in


def make_crop(
    ana: Anatomy, lay: Layout, grid: FanGrid, shadow: np.ndarray, rng: np.random.Generator
) -> SceneCrop:
    """Draw the colour box over the valve and LA and compute its crop's static masks."""
    s = lay.spacing_cm
    box_r0, box_r1, th0, th1, box_in = _sector(ana, lay, grid, rng)
    box_dil = cv2.dilate(box_in.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ys, xs = np.nonzero(box_dil)
    box_xyxy = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    bx0, by0, bx1, by1 = box_xyxy
    crop = (slice(by0, by1 + 1), slice(bx0, bx1 + 1))
    cx_cm, cy_cm = grid.x_cm[crop], grid.y_cm[crop]
    box_in_c = box_in[crop]
    rr_c = np.maximum(grid.r_px[crop], 1e-3) * s
    # static chamber masks in the crop (the LA does not contract in systole)
    la_f = ana.la.f(cx_cm, cy_cm)
    mv_y = ana.mv_septal[1]
    # valve plane: line through the hinges; positive = LA side
    hx0, hy0 = ana.mv_septal
    hx1, hy1 = ana.mv_lateral
    nvx, nvy = -(hy1 - hy0), (hx1 - hx0)
    nn = math.hypot(nvx, nvy)
    nvx, nvy = nvx / nn, nvy / nn
    if nvy < 0:
        nvx, nvy = -nvx, -nvy
    plane = (cx_cm - hx0) * nvx + (cy_cm - hy0) * nvy
    annulus_span = (cx_cm > min(hx0, hx1) - 0.1) & (cx_cm < max(hx0, hx1) + 0.1)
    # colour cells: ~0.09 cm along the beam x ~0.7 degree across
    cell_r = (grid.r_px[crop] * s / 0.09).astype(np.float32)
    cell_b = ((grid.theta[crop] - th0) / math.radians(0.7) + 1).astype(np.float32)
    return SceneCrop(
        box_in=box_in,
        outline=box_dil & ~box_in,
        xyxy=box_xyxy,
        polar=(box_r0, box_r1, th0, th1),
        crop=crop,
        shape=(by1 - by0 + 1, bx1 - bx0 + 1),
        cx_cm=cx_cm,
        cy_cm=cy_cm,
        box_in_c=box_in_c,
        beam_x=cx_cm / rr_c,
        beam_y=cy_cm / rr_c,
        la_f=la_f,
        plane=plane,
        la_allowed=(la_f < 1.0 + 0.05 / ana.la.a) | ((plane > -0.1) & (plane < 0.4) & annulus_span),
        la_side=plane > -0.05,
        lv_blood_c=(ana.lv.f(cx_cm, cy_cm) < 0.97) & (cy_cm < mv_y + 0.05),
        colour_ok=box_in_c & (shadow[crop] > 0.5),
        cell_r=cell_r,
        cell_b=cell_b,
        cell_shape=(int(cell_r.max()) + 3, int(cell_b.max()) + 3),
    )
