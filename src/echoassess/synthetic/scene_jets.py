"""The regurgitant jets of an apical 4-chamber clip: orifices, paths and colour.

Each jet leaves its orifice on the valve, runs into the left atrium along a
centreline that turns along the LA wall when it meets it (never more than
70 degrees from the valve axis), and is drawn as a tube narrow at the vena
contracta, widest past mid-length and rounded at the tip; its velocity
aliases into a turbulent mosaic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .params import SceneParams
from .render_common import smooth_noise
from .scene_anatomy import Anatomy, Ellipse
from .scene_colourbox import SceneCrop

__all__ = ["Jet", "draw_jets", "half_width_profile", "make_jets"]


@dataclass
class Jet:
    """One jet's static geometry on the colour box's crop (cm)."""

    orifice: tuple[float, float]  # cm
    s: np.ndarray  # (h, w) arc length of nearest centreline point (cm), crop
    d: np.ndarray  # distance to the centreline (cm)
    tx: np.ndarray  # centreline tangent at the nearest point
    ty: np.ndarray
    behind: np.ndarray  # bool, upstream of the orifice
    length_cm: float
    half_width_cm: float
    wobble: np.ndarray  # static boundary irregularity (unit sd)


def _centreline(
    start: tuple[float, float],
    direction: tuple[float, float],
    length: float,
    la: Ellipse,
    *,
    hug: bool,
    axis: tuple[float, float] | None = None,
    max_turn_deg: float = 70.0,
) -> np.ndarray:
    """March a jet path from the orifice; it turns along the LA wall when it meets it.

    With ``axis`` (the valve axis, into the LA) the path never turns more than
    ``max_turn_deg`` from it, so a jet cannot run back along the annulus.
    """
    step = 0.04
    n = max(2, int(math.ceil(length / step)) + 1)
    pts = np.empty((n, 2))
    x, y = start
    dx, dy = direction
    wall = 0.8 if hug else 0.9
    eps = 1e-3
    for i in range(n):
        pts[i] = (x, y)
        nx, ny = x + dx * step, y + dy * step
        s = i * step
        f_next = float(la.f(np.array(nx), np.array(ny)))
        if s > 0.5 and f_next > wall:
            gx = float(la.f(np.array(x + eps), np.array(y)) - la.f(np.array(x - eps), np.array(y)))
            gy = float(la.f(np.array(x), np.array(y + eps)) - la.f(np.array(x), np.array(y - eps)))
            gn = math.hypot(gx, gy) or 1.0
            gx, gy = gx / gn, gy / gn
            if dx * gx + dy * gy > 0:  # heading out through the wall: slide along it
                tx, ty = -gy, gx
                if tx * dx + ty * dy < 0:
                    tx, ty = -tx, -ty
                mix = 0.35 if hug else 0.2
                dx, dy = (1 - mix) * dx + mix * tx - 0.05 * gx, (1 - mix) * dy + mix * ty - 0.05 * gy
                nrm = math.hypot(dx, dy)
                dx, dy = dx / nrm, dy / nrm
                if axis is not None:
                    dx, dy = _limit_turn((dx, dy), axis, max_turn_deg)
                nx, ny = x + dx * step, y + dy * step
        x, y = nx, ny
    return pts


def _limit_turn(d: tuple[float, float], axis: tuple[float, float], max_deg: float) -> tuple[float, float]:
    """``d`` rotated toward ``axis`` if it points more than ``max_deg`` away from it."""
    ang = math.atan2(d[0] * axis[1] - d[1] * axis[0], d[0] * axis[0] + d[1] * axis[1])
    lim = math.radians(max_deg)
    if abs(ang) <= lim:
        return d
    a0 = math.atan2(axis[1], axis[0])
    a = a0 - math.copysign(lim, ang)  # ang is measured from d to the axis
    return math.cos(a), math.sin(a)


def half_width_profile(u: np.ndarray, w0_frac: float) -> np.ndarray:
    """Jet half-width along its length as a fraction of the greatest half-width.

    ``u`` = arc length / jet length in [0, 1]: narrow at the vena contracta,
    widest past mid-length, rounded at the tip.
    """
    rise = w0_frac + (1 - w0_frac) * np.sin(0.5 * np.pi * np.clip(u / 0.55, 0, 1))
    tip = np.sqrt(np.clip(1 - ((u - 0.55) / 0.45) ** 2, 0, 1))
    return np.where(u <= 0.55, rise, tip)


def _orifices(p: SceneParams, ana: Anatomy, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Where each jet leaves the valve (cm): spread along the annulus, beside the clip after one."""
    n_jets = p.n_jets
    orifices: list[tuple[float, float]] = []
    hx0, hy0 = ana.mv_septal
    hx1, hy1 = ana.mv_lateral
    along = np.array([hx1 - hx0, hy1 - hy0]) / math.hypot(hx1 - hx0, hy1 - hy0)
    if n_jets:
        if p.post_clip:
            offs = {
                1: [rng.choice([-1, 1]) * 0.45],
                2: [-0.5, 0.5],
                3: [-0.75, 0.45, 0.95],
                4: [-1.0, -0.45, 0.45, 1.0],
            }[n_jets]
        else:
            offs = list((np.arange(n_jets) - (n_jets - 1) / 2) * 0.75)
        for o in offs:
            jitter = rng.uniform(-0.08, 0.08)
            pt = np.array(ana.coapt) + (o + jitter) * ana.scale * along
            orifices.append((float(pt[0]), float(pt[1]) + 0.05))
    return orifices


def make_jets(
    p: SceneParams, ana: Anatomy, crop: SceneCrop, s: float, rng: np.random.Generator
) -> tuple[list[tuple[float, float]], list[Jet]]:
    """Draw the jets' orifices (cm), directions and sizes, and their fields on the crop."""
    n_jets = p.n_jets
    orifices = _orifices(p, ana, rng)
    ch, cw = crop.shape
    cx_cm, cy_cm = crop.cx_cm, crop.cy_cm
    base_dir = np.array(ana.coapt) / math.hypot(*ana.coapt)
    jets: list[Jet] = []
    pix = np.stack([cx_cm.ravel(), cy_cm.ravel()], axis=1)
    for j, orf in enumerate(orifices):
        spread = (j - (n_jets - 1) / 2) * (14.0 if n_jets > 1 else 0.0)
        ang = math.radians(p.jet_angle_deg + spread + rng.uniform(-6, 6))
        c, sn = math.cos(ang), math.sin(ang)
        # rotate the beam direction; positive angle turns toward +x (lateral)
        d0 = (base_dir[0] * c + base_dir[1] * sn, -base_dir[0] * sn + base_dir[1] * c)
        length = p.jet_length_cm * rng.uniform(0.85, 1.15) * (0.8 if n_jets > 1 else 1.0)
        width = p.jet_width_cm * rng.uniform(0.85, 1.15) * (0.8 if n_jets > 1 else 1.0)
        axis = (float(base_dir[0]), float(base_dir[1]))
        d0 = _limit_turn(d0, axis, 70.0)
        pts = _centreline(orf, d0, length * 1.25, ana.la, hug=p.wall_hugging, axis=axis)
        tang = np.gradient(pts, axis=0)
        tang /= np.linalg.norm(tang, axis=1, keepdims=True)
        dist, idx = cKDTree(pts).query(pix)
        idx = idx.reshape(ch, cw)
        behind = (idx == 0) & ((cx_cm - orf[0]) * d0[0] + (cy_cm - orf[1]) * d0[1] < 0)
        jets.append(
            Jet(
                orf,
                (idx * 0.04).astype(np.float32),
                dist.reshape(ch, cw).astype(np.float32),
                tang[idx, 0].astype(np.float32),
                tang[idx, 1].astype(np.float32),
                behind,
                length,
                width / 2,
                smooth_noise(rng, (ch, cw), max(2.0, 0.25 / s)),
            )
        )
    return orifices, jets


def draw_jets(
    p: SceneParams,
    jets: list[Jet],
    crop: SceneCrop,
    g: float,
    layers: tuple[np.ndarray, np.ndarray, np.ndarray],
    turb_noise: np.ndarray,
) -> None:
    """Draw the jets of a systolic frame of strength ``g`` into ``layers`` =
    (velocity, variance, source), in place; a later jet overwrites an earlier one."""
    vel, var, src = layers
    nyq, gain_ext = p.nyquist_cm_s, p.gain**0.5
    for j, jet in enumerate(jets):
        L = jet.length_cm * (0.35 + 0.65 * g) * gain_ext
        u = jet.s / L
        W = jet.half_width_cm * (0.45 + 0.55 * g) * gain_ext
        W = W * half_width_profile(np.clip(u, 0, 1), 0.18) * (1 + 0.14 * jet.wobble + 0.08 * turb_noise)
        m = (u <= 1.0) & (jet.d <= W) & crop.la_side & crop.la_allowed & ~jet.behind
        prof = np.clip(1 - (jet.d / np.maximum(W, 1e-3)) ** 2, 0, 1)
        speed = p.jet_velocity_cm_s * g**0.5 / (1 + jet.s / 1.2) * prof**1.8
        speed = speed + 0.4 * nyq
        v = -speed * (jet.tx * crop.beam_x + jet.ty * crop.beam_y)
        v = v + p.turbulence * nyq * (0.12 + 2.8 * prof**1.3) * turb_noise
        vel[m] = v[m]
        var[m] = np.clip(p.turbulence * (0.05 + 0.75 * prof[m]) + 0.18 * turb_noise[m], 0, 1)
        src[m] = j + 1
