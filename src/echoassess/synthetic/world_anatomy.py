"""Heart geometry of the world renderer: chambers and valves per view.

All coordinates are canonical physical coordinates in cm: origin at the fan's
apex (the transducer), ``x`` lateral (to the right of the screen before any
mirroring), ``y`` depth. A mirrored clip is drawn by flipping ``x`` when the
canonical scene is sampled onto pixels, so nothing here knows about mirroring.

Each chamber is a rotated ellipse (:class:`Blob`) with an analytic signed
distance. The left ventricle sits on the LV side of the mitral annulus line
and the left atrium on its LA side; the annulus is the segment between the
two hinge points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .world_params import WorldParams

__all__ = ["Blob", "Heart", "build_heart"]


def _unit(v: np.ndarray | tuple[float, float]) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / float(np.hypot(v[0], v[1]))


@dataclass(frozen=True)
class Blob:
    """An ellipse: centre, unit long axis, semi-axes along and across (cm)."""

    cx: float
    cy: float
    ex: float
    ey: float
    along: float
    across: float

    @classmethod
    def make(cls, centre, axis, along: float, across: float) -> Blob:
        e = _unit(axis)
        return cls(float(centre[0]), float(centre[1]), float(e[0]), float(e[1]), float(along), float(across))

    def local(self, x, y):
        dx, dy = x - self.cx, y - self.cy
        return dx * self.ex + dy * self.ey, -dx * self.ey + dy * self.ex

    def f(self, x, y):
        """Normalised radius (< 1 inside)."""
        p, q = self.local(x, y)
        return np.sqrt((p / self.along) ** 2 + (q / self.across) ** 2)

    def sdist(self, x, y):
        """First-order signed distance to the boundary (cm, negative inside)."""
        p, q = self.local(x, y)
        a2, b2 = self.along**2, self.across**2
        f = np.sqrt(p * p / a2 + q * q / b2) + 1e-9
        g = np.sqrt((p / a2) ** 2 + (q / b2) ** 2) / f + 1e-9
        return (f - 1.0) / g

    def grad(self, x: float, y: float) -> tuple[float, float]:
        """Outward unit normal direction at a point (gradient of ``f``)."""
        p, q = self.local(x, y)
        gp, gq = p / self.along**2, q / self.across**2
        gx, gy = gp * self.ex - gq * self.ey, gp * self.ey + gq * self.ex
        n = math.hypot(gx, gy) or 1.0
        return gx / n, gy / n

    def contracted(self, base: np.ndarray, k_along: float, k_across: float) -> Blob:
        """Shrunk toward ``base`` (a point on its long axis that stays fixed)."""
        e = np.array([self.ex, self.ey])
        c = np.array([self.cx, self.cy])
        t = float((base - c) @ e)
        new_c = base - t * k_along * e
        return Blob(
            float(new_c[0]), float(new_c[1]), self.ex, self.ey, self.along * k_along, self.across * k_across
        )

    def boundary(self, n: int = 64) -> np.ndarray:
        a = np.linspace(0, 2 * math.pi, n, endpoint=False)
        p, q = self.along * np.cos(a), self.across * np.sin(a)
        x = self.cx + p * self.ex - q * self.ey
        y = self.cy + p * self.ey + q * self.ex
        return np.stack([x, y], axis=1)


@dataclass
class Heart:
    """One view of one heart (canonical cm)."""

    k: float
    M: np.ndarray  # annulus centre
    u: np.ndarray  # unit, LV -> LA through the valve
    v: np.ndarray  # unit, along the annulus (hinge0 -> hinge1)
    half_annulus: float
    lv: list[Blob]  # LV pools (kept on the LV side of the annulus line)
    la: list[Blob]  # LA pools (kept on the LA side)
    others: list[Blob]  # RV, RA, aortic root, LVOT, descending aorta
    lv_apex: np.ndarray
    anterior: int  # 0 or 1: the hinge of the (longer) anterior leaflet
    av: np.ndarray | None = None  # aortic valve centre
    lvot_axis: np.ndarray | None = None  # LV -> aorta through the AV
    ao_axis: np.ndarray | None = None
    lvot: Blob | None = None
    ao: Blob | None = None
    tv: tuple[np.ndarray, np.ndarray] | None = None
    pv0: np.ndarray = field(default_factory=lambda: np.zeros(2))
    pv_dir: np.ndarray = field(default_factory=lambda: np.array([0.0, -1.0]))

    @property
    def hinges(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.half_annulus
        return self.M - h * self.v, self.M + h * self.v

    @property
    def coapt(self) -> np.ndarray:
        """Coaptation point: just on the LV side of the annulus centre (tenting)."""
        return self.M - 0.22 * self.k * self.u

    def plane(self, x, y):
        """Signed distance to the annulus line (cm), positive on the LA side."""
        return (x - self.M[0]) * self.u[0] + (y - self.M[1]) * self.u[1]

    def along(self, x, y):
        return (x - self.M[0]) * self.v[0] + (y - self.M[1]) * self.v[1]


def build_heart(p: WorldParams, rng: np.random.Generator) -> Heart:
    """The chambers of ``p.view`` with the patient's proportions drawn from ``rng``."""

    def jit(a: float = 0.08) -> float:
        return 1.0 + rng.uniform(-a, a)

    if p.view in ("a4c", "a2c", "a3c"):
        return _apical_heart(p, rng, jit)
    if p.view == "plax":
        return _plax_heart(p, rng, jit)
    return _tee_heart(p, rng, jit)


def _apical_heart(p: WorldParams, rng: np.random.Generator, jit: Callable[..., float]) -> Heart:
    """TTE apical views: LV in the near field, LA in the far field (a4c adds the right heart, a3c the LVOT and aortic root)."""
    k = p.heart_scale
    t = math.radians(p.annulus_tilt_deg)
    D = p.annulus_depth_cm
    view = p.view
    u = np.array([math.sin(t), math.cos(t)])
    v = np.array([math.cos(t), -math.sin(t)])
    x0 = (0.9 * k if view == "a4c" else 0.0) + rng.uniform(-0.5, 0.5)
    M = np.array([x0, D])
    h = 1.35 * k * jit()
    lv_len = min(8.4 * k * jit(0.05), D - 1.1)
    lv = [
        Blob.make(M - lv_len / 2 * u, u, lv_len / 2, 2.1 * k * jit()),
        Blob.make(M - 1.0 * k * u, u, 1.3 * k, 1.85 * k),
    ]
    la = [
        Blob.make(M + 2.35 * k * u, u, 2.2 * k * jit(), 2.0 * k * jit()),
        Blob.make(M + 0.8 * k * u, u, 1.1 * k, 1.6 * k),
    ]
    others: list[Blob] = []
    hr = Heart(k, M, u, v, h, lv, la, others, M - lv_len * u, anterior=0)
    if view == "a4c":
        rv_c = M - 4.25 * k * v - 3.5 * k * u
        others.append(Blob.make(rv_c, u + 0.15 * v, 3.4 * k * jit(), 1.45 * k * jit()))
        others.append(Blob.make(M - 4.25 * k * v + 2.0 * k * u, u, 1.9 * k * jit(), 1.6 * k * jit()))
        hr.tv = (M - 2.55 * k * v - 0.3 * k * u, M - 5.6 * k * v - 0.1 * k * u)
    if view == "a3c":
        av = M - 2.95 * k * v - 0.45 * k * u
        ao_ax = _unit(u - 0.35 * v)
        lvot_ax = _unit(av - (M - 3.0 * k * u - 0.6 * k * v))
        hr.av, hr.ao_axis, hr.lvot_axis = av, ao_ax, lvot_ax
        hr.ao = Blob.make(av + 2.0 * k * ao_ax, ao_ax, 2.1 * k, 1.2 * k * jit())
        hr.lvot = Blob.make(av - 1.35 * k * lvot_ax, lvot_ax, 1.5 * k, 0.95 * k)
        others += [hr.ao, hr.lvot]
    hr.pv0 = M + 4.1 * k * u + 0.8 * k * v
    hr.pv_dir = _unit(M - hr.pv0)
    return hr


def _plax_heart(p: WorldParams, rng: np.random.Generator, jit: Callable[..., float]) -> Heart:
    """TTE parasternal long axis: RV in the near field, aortic root beside the LV, LA behind the root."""
    k = p.heart_scale
    t = math.radians(p.annulus_tilt_deg)
    D = p.annulus_depth_cm
    u = np.array([math.sin(t), math.cos(t)])  # down and to the right
    v = np.array([math.cos(t), -math.sin(t)])  # up and to the right
    M = np.array([rng.uniform(-1.0, 0.3), D])
    h = 1.3 * k * jit()
    lv_c = np.array([M[0] - 4.0 * k, D - 1.6 * k])
    lv_ax = _unit((1.0, 0.2))
    lv = [
        Blob.make(lv_c, lv_ax, 4.6 * k * jit(0.05), 2.2 * k * jit()),
        Blob.make(M - 1.0 * k * u, u, 1.2 * k, 1.8 * k),
    ]
    la = [
        Blob.make(M + 2.3 * k * u, u, 2.1 * k * jit(), 1.9 * k * jit()),
        Blob.make(M + 0.8 * k * u, u, 1.1 * k, 1.55 * k),
    ]
    av = M + 2.6 * k * v - 0.2 * k * u
    ao_ax = _unit((1.0, -0.3))
    lvot_ax = _unit(av - (lv_c + np.array([1.2 * k, 0.0])))
    ao = Blob.make(av + 2.1 * k * ao_ax, ao_ax, 2.2 * k, 1.3 * k * jit())
    lvot = Blob.make(av - 1.35 * k * lvot_ax, lvot_ax, 1.5 * k, 0.95 * k)
    lv_top = lv_c[1] - 2.2 * k
    rv = Blob.make((M[0] - 2.0 * k, lv_top - 1.0 * k - 0.9 * k), (1.0, 0.08), 4.8 * k, 0.9 * k * jit())
    desc = Blob.make(M + 4.9 * k * u - 0.6 * k * v, (1, 0), 0.75 * k, 0.7 * k)
    hr = Heart(
        k,
        M,
        u,
        v,
        h,
        lv,
        la,
        [ao, lvot, rv, desc],
        lv_c - 4.6 * k * lv_ax,
        anterior=1,
        av=av,
        lvot_axis=lvot_ax,
        ao_axis=ao_ax,
        lvot=lvot,
        ao=ao,
    )
    hr.pv0 = M + 4.0 * k * u - 0.7 * k * v
    hr.pv_dir = _unit(M - hr.pv0)
    return hr


def _tee_heart(p: WorldParams, rng: np.random.Generator, jit: Callable[..., float]) -> Heart:
    """TEE mid-oesophageal views: the LA right under the probe (me4c adds the right heart, lvot the LVOT and aortic root)."""
    k = p.heart_scale
    t = math.radians(p.annulus_tilt_deg)
    D = p.annulus_depth_cm
    view = p.view
    # TEE mid-oesophageal: the LA right under the probe
    u = np.array([math.sin(t), -math.cos(t)])  # up, toward the probe
    v = np.array([math.cos(t), math.sin(t)])
    M = np.array([rng.uniform(-0.6, 0.6), D])
    h = (1.6 if view == "tee_comm" else 1.35) * k * jit()
    la_len = min(4.3 * k * jit(0.05), D - 0.7)
    lv = [
        Blob.make(M - 4.4 * k * u, u, 4.4 * k * jit(0.05), 2.2 * k * jit()),
        Blob.make(M - 1.0 * k * u, u, 1.3 * k, 1.85 * k),
    ]
    la = [
        Blob.make(M + la_len / 2 * u, u, la_len / 2, 2.2 * k * jit()),
        Blob.make(M + 0.75 * k * u, u, min(1.0 * k, la_len / 2), 1.6 * k),
    ]
    hr = Heart(k, M, u, v, h, lv, la, [], M - 8.8 * k * u, anterior=0)
    if view == "tee_me4c":
        hr.others.append(Blob.make(M + 1.9 * k * u - 4.3 * k * v, u, 1.8 * k * jit(), 1.6 * k * jit()))
        hr.others.append(Blob.make(M - 3.4 * k * u - 4.3 * k * v, u - 0.1 * v, 3.5 * k, 1.4 * k * jit()))
        hr.tv = (M - 2.6 * k * v - 0.3 * k * u, M - 5.6 * k * v - 0.1 * k * u)
    if view == "tee_lvot":
        av = M + 2.7 * k * v + 0.35 * k * u
        ao_ax = _unit(v - 0.3 * u)
        lvot_ax = _unit(av - (M - 2.8 * k * u + 1.0 * k * v))
        hr.av, hr.ao_axis, hr.lvot_axis, hr.anterior = av, ao_ax, lvot_ax, 1
        hr.ao = Blob.make(av + 2.1 * k * ao_ax, ao_ax, 2.2 * k, 1.2 * k * jit())
        hr.lvot = Blob.make(av - 1.3 * k * lvot_ax, lvot_ax, 1.4 * k, 0.9 * k)
        hr.others += [hr.ao, hr.lvot]
    hr.pv0 = M + 0.93 * la_len * u + 1.3 * k * v
    hr.pv_dir = _unit(M + 0.5 * k * u - hr.pv0)
    return hr
