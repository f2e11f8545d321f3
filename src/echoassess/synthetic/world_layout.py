"""Screen layout of a world clip: the fan, colour box, legend and ECG strip,
and the fan's pixel grid in canonical cm.

A mirrored clip samples the canonical scene with ``x`` flipped
(:attr:`WorldLayout.sign`), so anatomy and flow mirror while the screen's
text, legend and ECG do not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .world_anatomy import Heart
from .world_params import WorldParams

__all__ = ["BoxCm", "FanGrid", "WorldLayout", "colour_box_cm", "make_layout"]

#: The colour box as an annular sector: r0, r1 (cm), th0, th1 (rad, canonical).
BoxCm = tuple[float, float, float, float]


@dataclass(frozen=True)
class WorldLayout:
    """Where everything sits on the screen (pixels unless the name says cm)."""

    rows: int
    cols: int
    apex_x: float
    apex_y: float
    radius_px: float
    half_angle_rad: float
    spacing_cm: float
    sign: int  # -1 when mirrored
    window_xyxy: tuple[int, int, int, int]  # displayed part of the fan
    bar_xyxy: tuple[int, int, int, int]
    n_var: int
    ecg_xyxy: tuple[int, int, int, int]

    def to_px(self, x_cm: float, y_cm: float) -> tuple[float, float]:
        """Canonical cm (mirrored when ``sign`` is -1) to pixel ``(x, y)``."""
        s = self.spacing_cm
        return self.apex_x + self.sign * x_cm / s, self.apex_y + y_cm / s


def colour_box_cm(p: WorldParams, heart: Heart, rng: np.random.Generator) -> BoxCm:
    """Colour box as an annular sector (r0, r1 cm; th0, th1 rad, canonical)."""
    k = heart.k
    la_pts = np.concatenate([b.boundary(48) for b in heart.la])
    la_pts = la_pts[heart.plane(la_pts[:, 0], la_pts[:, 1]) > 0]
    h0, h1 = heart.hinges
    key = [la_pts, np.array([h0, h1, heart.coapt - 1.6 * k * heart.u])]
    # (a heart with an aortic valve has its LVOT axis)
    if (
        heart.av is not None
        and heart.lvot_axis is not None
        and (p.lvot_flow or p.ai_jet)
        and rng.random() < 0.85
    ):
        key.append(np.array([heart.av, heart.av - 1.5 * k * heart.lvot_axis]))
    pts = np.concatenate(key)
    r = np.hypot(pts[:, 0], pts[:, 1])
    th = np.arctan2(pts[:, 0], pts[:, 1])
    half = math.radians(p.sector_angle_deg / 2)
    m = rng.uniform(0.2, 0.6, 4)
    r0 = max(0.35, float(r.min()) - m[0])
    r1 = min(p.depth_cm - 0.15, float(r.max()) + m[1])
    th0 = max(-half + 0.01, float(th.min()) - m[2] * 0.15)
    th1 = min(half - 0.01, float(th.max()) + m[3] * 0.15)
    return r0, r1, th0, th1


def make_layout(p: WorldParams, heart: Heart, box: BoxCm) -> WorldLayout:
    """The fan, legend and ECG strip on the screen (the fan zoomed on ``box`` or the valve)."""
    rows, cols = p.rows, p.cols
    half = math.radians(p.sector_angle_deg / 2)
    left_lim, right_lim = 0.13 * cols, 0.84 * cols
    if p.bar_side == "left":
        left_lim, right_lim = 0.17 * cols, 0.88 * cols
    apex_y: float = round(0.06 * rows)
    bottom = 0.865 * rows
    radius = min(bottom - apex_y - 2, (right_lim - left_lim) / 2 / math.sin(half))
    radius = float(math.floor(radius))
    apex_x = float(round((left_lim + right_lim) / 2))
    s = p.depth_cm / radius
    sign = -1 if p.mirrored else 1
    window = (int(left_lim), 0, int(right_lim), int(bottom))
    if p.zoom_factor > 1.0:
        s = s / p.zoom_factor
        if p.view.startswith("tee"):
            cx, cy = float(heart.M[0]), float(heart.M[1]) * 0.85
        else:
            r0, r1, th0, th1 = box
            rm, tm = (r0 + r1) / 2, (th0 + th1) / 2
            cx, cy = rm * math.sin(tm), rm * math.cos(tm)
        s = min(s, cy / (0.5 * rows))  # the apex must sit above the image
        apex_x = float(round((left_lim + right_lim) / 2 - sign * cx / s))
        apex_y = float(round(0.46 * rows - cy / s))
        radius = float(math.floor(p.depth_cm / s))
    bar_h = max(40, 2 * round(0.14 * rows))
    bar_w = max(8, round(0.016 * cols))
    n_var = bar_w if p.texture == "variance" else 1
    if p.bar_side == "right":
        bx0, by0 = round(0.875 * cols), round(0.2 * rows)
    else:
        bx0, by0 = round(0.035 * cols), round(0.52 * rows)
    bar = (bx0, by0, bx0 + bar_w - 1, by0 + bar_h - 1)
    ecg = (round(0.08 * cols), round(0.89 * rows), round(0.92 * cols), round(0.975 * rows))
    return WorldLayout(rows, cols, apex_x, float(apex_y), radius, half, s, sign, window, bar, n_var, ecg)


@dataclass(frozen=True)
class FanGrid:
    """Every pixel's place in the fan.

    Attributes
    ----------
    r_px, theta_s : (H, W) float32
        Distance from the apex (pixels) and screen beam angle (radians).
    theta : (H, W) float32
        Canonical beam angle (``theta_s`` mirrored with the anatomy).
    x_cm, y_cm, r_cm : (H, W) float32
        Canonical position and distance from the apex (cm).
    in_fan : (H, W) bool
        The displayed part of the fan.
    tissue_xyxy : (int, int, int, int)
        The fan's bounding box.
    """

    r_px: np.ndarray
    theta_s: np.ndarray
    theta: np.ndarray
    x_cm: np.ndarray
    y_cm: np.ndarray
    r_cm: np.ndarray
    in_fan: np.ndarray
    tissue_xyxy: tuple[int, int, int, int]

    @classmethod
    def make(cls, lay: WorldLayout) -> FanGrid:
        s = lay.spacing_cm
        yy, xx = np.mgrid[0 : lay.rows, 0 : lay.cols].astype(np.float32)
        dxp, dyp = xx - np.float32(lay.apex_x), yy - np.float32(lay.apex_y)
        r_px = np.hypot(dxp, dyp)
        theta_s = np.arctan2(dxp, dyp)
        wx0, wy0, wx1, wy1 = lay.window_xyxy
        in_fan = (r_px <= lay.radius_px) & (np.abs(theta_s) <= lay.half_angle_rad) & (dyp >= 0)
        in_fan &= (r_px >= 2) & (xx >= wx0) & (xx <= wx1) & (yy <= wy1)
        ys_, xs_ = np.nonzero(in_fan)
        return cls(
            r_px=r_px,
            theta_s=theta_s,
            theta=lay.sign * theta_s,
            x_cm=lay.sign * dxp * np.float32(s),
            y_cm=dyp * np.float32(s),
            r_cm=r_px * np.float32(s),
            in_fan=in_fan,
            tissue_xyxy=(int(xs_.min()), int(ys_.min()), int(xs_.max()), int(ys_.max())),
        )
