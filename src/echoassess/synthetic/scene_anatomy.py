"""The heart of the apical 4-chamber generator: chambers as ellipses (cm from
the fan's apex, x to the right, y down) and their distance fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import SceneParams

__all__ = ["Anatomy", "ChamberField", "Ellipse", "build_anatomy", "chamber_field", "combine"]


@dataclass(frozen=True)
class Ellipse:
    """A rotated ellipse (cm), optionally cut below a valve plane."""

    cx: float
    cy: float
    a: float  # semi-axis across
    b: float  # semi-axis along (long axis)
    rot: float = 0.0  # radians, long axis tilt from vertical (positive: bottom to the right)
    cut_below: float | None = None  # no chamber deeper than this (a valve plane)

    def f(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Normalised radius: < 1 inside."""
        c, s = math.cos(self.rot), math.sin(self.rot)
        dx, dy = x - self.cx, y - self.cy
        u = dx * c - dy * s
        v = dx * s + dy * c
        return np.sqrt((u / self.a) ** 2 + (v / self.b) ** 2)

    def scaled(self, k: float) -> Ellipse:
        cut = None if self.cut_below is None else self.cut_below * k
        return Ellipse(self.cx * k, self.cy * k, self.a * k, self.b * k, self.rot, cut)


@dataclass(frozen=True)
class Anatomy:
    """The four chambers, the descending aorta and the valves' hinges (cm from the apex)."""

    lv: Ellipse
    rv: Ellipse
    la: Ellipse
    ra: Ellipse
    ao: Ellipse  # descending aorta, behind the LA
    mv_septal: tuple[float, float]
    mv_lateral: tuple[float, float]
    tv_septal: tuple[float, float]
    tv_lateral: tuple[float, float]
    coapt: tuple[float, float]
    lv_apex: tuple[float, float]
    scale: float


def build_anatomy(p: SceneParams, rng: np.random.Generator) -> Anatomy:
    """The patient's heart in the apical 4-chamber view, proportions drawn from ``rng``."""
    k = min(p.heart_scale, (p.depth_cm - 0.4) / 15.8)
    u = rng.uniform
    dx = u(-0.45, 0.45)  # the probe is never placed twice the same way
    lv = Ellipse(
        1.3 + dx, 7.5, 2.1 * u(0.92, 1.08), 5.6 * u(0.95, 1.05), math.radians(-4 + u(-3, 3)), cut_below=10.8
    ).scaled(k)
    rv = Ellipse(-3.2 + dx, 8.4, 1.55 * u(0.9, 1.1), 4.6, math.radians(10 + u(-3, 3)), cut_below=10.5).scaled(
        k
    )
    la = Ellipse(1.4 + dx, 13.25, 2.15 * u(0.9, 1.12), 2.5 * u(0.9, 1.1), math.radians(u(-8, 8))).scaled(k)
    ra = Ellipse(-3.1 + dx, 12.8, 1.85 * u(0.9, 1.1), 2.2 * u(0.9, 1.1)).scaled(k)
    ao = Ellipse(la.cx / k + 1.3, la.cy / k + la.b / k + 1.05, 0.7, 0.75).scaled(k)

    def hinges(e: Ellipse) -> tuple[tuple[float, float], tuple[float, float]]:
        y = e.cut_below
        assert y is not None, "valve hinges lie on a cut ellipse"
        xs = np.linspace(e.cx - 2 * e.a, e.cx + 2 * e.a, 801)
        inside = xs[e.f(xs, np.full_like(xs, y)) < 1.0]
        return (float(inside[0]), y), (float(inside[-1]), y)

    mv_s, mv_l = hinges(lv)
    tv_l, tv_s = hinges(rv)  # tricuspid: lateral hinge on the left of the screen
    coapt = ((mv_s[0] + mv_l[0]) / 2 + 0.15 * k, mv_s[1] - 0.2 * k)
    return Anatomy(lv, rv, la, ra, ao, mv_s, mv_l, tv_s, tv_l, coapt, ((1.0 + dx) * k, 2.1 * k), k)


@dataclass
class ChamberField:
    """Distance fields of one or more chambers on a grid."""

    dw: np.ndarray  # signed distance (cm) to the outer wall surface
    d: np.ndarray  # signed distance (cm) to the blood boundary
    nx: np.ndarray  # unit normal of the boundary
    ny: np.ndarray
    blood: np.ndarray  # 0..1


def chamber_field(e: Ellipse, wall: float, x: np.ndarray, y: np.ndarray, wob: np.ndarray) -> ChamberField:
    """The chamber ``e`` with a wall ``wall`` cm thick and an irregular boundary ``wob``."""
    step = float(abs(x[0, 1] - x[0, 0])) or 1.0
    f = e.f(x, y)
    gy, gx = np.gradient(f, step)
    gn = np.hypot(gx, gy) + 1e-6
    d = (f - 1.0) / gn + wob  # first-order distance to the (irregular) boundary, cm
    if e.cut_below is not None:
        d = np.where(y < e.cut_below + wall, d, np.maximum(d, (y - e.cut_below)))
        bl = np.where(y < e.cut_below, np.clip(-d / 0.12, 0, 1), 0)
    else:
        bl = np.clip(-d / 0.12, 0, 1)
    return ChamberField(d - wall, d, gx / gn, gy / gn, bl)


def combine(fields: list[ChamberField]) -> ChamberField:
    """Several chambers as one field (the nearest boundary wins)."""
    out = fields[0]
    dw, d, nx, ny, bl = out.dw, out.d, out.nx, out.ny, out.blood
    for f in fields[1:]:
        closer = np.abs(f.d) < np.abs(d)
        d = np.where(closer, f.d, d)
        nx = np.where(closer, f.nx, nx)
        ny = np.where(closer, f.ny, ny)
        dw = np.minimum(dw, f.dw)
        bl = np.maximum(bl, f.blood)
    return ChamberField(dw, d, nx, ny, bl)
