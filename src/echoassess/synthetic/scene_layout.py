"""Screen layout of an apical 4-chamber clip and the fan's pixel grid.

Physical coordinates are cm from the fan's apex, x to the right and y down
(depth); pixel coordinates are x = column, y = row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .colourmaps import COLOUR_MAPS
from .params import SceneParams

__all__ = ["FanGrid", "Layout", "make_layout"]


@dataclass(frozen=True)
class Layout:
    """Where everything sits on the screen (pixels unless the name says cm)."""

    rows: int
    cols: int
    apex_x: float
    apex_y: float
    radius_px: float
    half_angle_rad: float
    spacing_cm: float
    tissue_xyxy: tuple[int, int, int, int]
    colour_bar_xyxy: tuple[int, int, int, int]
    n_var: int
    ecg_xyxy: tuple[int, int, int, int]

    def to_px(self, x_cm: float, y_cm: float) -> tuple[float, float]:
        """cm from the apex to pixel ``(x, y)``."""
        return self.apex_x + x_cm / self.spacing_cm, self.apex_y + y_cm / self.spacing_cm


def make_layout(p: SceneParams) -> Layout:
    """The fan, legend and ECG strip on a ``p.rows x p.cols`` screen."""
    rows, cols = p.rows, p.cols
    apex_y = round(0.07 * rows)
    half = math.radians(p.sector_angle_deg / 2)
    radius = min(0.86 * rows - apex_y - 2, 0.38 * cols / math.sin(half))
    radius = float(math.floor(radius))
    apex_x = float(round(0.46 * cols))
    spacing = p.depth_cm / radius
    x0 = math.floor(apex_x - radius * math.sin(half))
    x1 = math.ceil(apex_x + radius * math.sin(half))
    tissue = (max(0, x0), int(apex_y), min(cols - 1, x1), min(rows - 1, int(apex_y + radius)))
    bar_h = max(32, 2 * round(0.13 * rows))
    bar_w = max(6, round(0.016 * cols))
    n_var = bar_w if COLOUR_MAPS[p.colour_map] else 1
    bx0 = round(0.865 * cols)
    by0 = round(0.17 * rows)
    bar = (bx0, by0, bx0 + bar_w - 1, by0 + bar_h - 1)
    ecg = (round(0.08 * cols), round(0.885 * rows), round(0.92 * cols), round(0.975 * rows))
    return Layout(rows, cols, apex_x, float(apex_y), radius, half, spacing, tissue, bar, n_var, ecg)


@dataclass(frozen=True)
class FanGrid:
    """Every pixel's place in the fan: distance from the apex (pixels) and
    beam angle (radians), position in cm, and whether it is in the fan
    (all ``(H, W)``, float32 or bool)."""

    r_px: np.ndarray
    theta: np.ndarray
    x_cm: np.ndarray
    y_cm: np.ndarray
    in_fan: np.ndarray

    @classmethod
    def make(cls, lay: Layout) -> FanGrid:
        yy, xx = np.mgrid[0 : lay.rows, 0 : lay.cols].astype(np.float32)
        dxp, dyp = xx - lay.apex_x, yy - lay.apex_y
        r_px = np.hypot(dxp, dyp)
        theta = np.arctan2(dxp, dyp)
        in_fan = (r_px <= lay.radius_px) & (np.abs(theta) <= lay.half_angle_rad) & (dyp >= 0)
        in_fan &= r_px >= 0.004 * lay.radius_px
        s = lay.spacing_cm
        return cls(r_px, theta, dxp * s, dyp * s, in_fan)
