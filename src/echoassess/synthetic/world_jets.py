"""The regurgitant jets of a world clip: their paths, widths and per-frame colour.

Each jet leaves its orifice on the annulus, runs into the left atrium along a
centreline that slides along the LA wall when it meets it (eccentric,
wall-hugging jets), and is drawn as a tube whose half-width follows the neck
(the vena contracta, exactly as the truth states it) and widens past
mid-length. Its velocity aliases into a mosaic whose look is the clip's
texture (``fine``, ``coarse`` with dark dropout streaks, ``edge_aliased``,
``variance``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .render_common import smooth_noise
from .world_anatomy import Heart
from .world_colourbox import CropGeometry, FlowLayers, MosaicNoise
from .world_params import WorldParams

__all__ = ["JetField", "JetSet", "make_jets", "draw_jets", "tube", "march_straight"]


def _towards(u: np.ndarray, v: np.ndarray, deg: float) -> np.ndarray:
    """``u`` turned by ``deg`` toward ``v`` (both unit, perpendicular)."""
    a = math.radians(deg)
    return math.cos(a) * u + math.sin(a) * v


def _march(
    heart: Heart, start: np.ndarray, d0: np.ndarray, length: float, *, hug: bool, max_turn_deg: float = 75.0
) -> np.ndarray:
    """A jet path from the orifice; it slides along the LA wall when it meets it."""
    la = heart.la[0]
    step = 0.04
    n = max(2, int(math.ceil(length / step)) + 1)
    pts = np.empty((n, 2))
    x, y = float(start[0]), float(start[1])
    d = np.array(d0, dtype=float)
    u = heart.u
    lim = math.radians(max_turn_deg)
    wall = 0.78 if hug else 0.9
    for i in range(n):
        pts[i] = (x, y)
        nx_, ny_ = x + d[0] * step, y + d[1] * step
        if i * step > 0.4 and float(la.f(nx_, ny_)) > wall:
            gx, gy = la.grad(x, y)
            if d[0] * gx + d[1] * gy > 0:
                tx, ty = -gy, gx
                if tx * d[0] + ty * d[1] < 0:
                    tx, ty = -tx, -ty
                mix = 0.35 if hug else 0.2
                d = (1 - mix) * d + mix * np.array([tx, ty]) - 0.05 * np.array([gx, gy])
                d /= float(np.hypot(*d))
                ang = math.atan2(d[0] * u[1] - d[1] * u[0], d @ u)
                if abs(ang) > lim:
                    a0 = math.atan2(u[1], u[0])
                    a = a0 - math.copysign(lim, ang)
                    d = np.array([math.cos(a), math.sin(a)])
                nx_, ny_ = x + d[0] * step, y + d[1] * step
        x, y = nx_, ny_
    return pts


@dataclass
class JetField:
    """One jet's static geometry on the sub-window ``sl`` of the crop it can reach."""

    sl: tuple[slice, slice]
    s: np.ndarray  # arc length of the nearest centreline point (cm)
    d: np.ndarray  # distance to the centreline (cm)
    cosb: np.ndarray  # centreline tangent . beam (away from the probe)
    ok: np.ndarray  # LA side, inside the LA, not behind the orifice
    length: float
    half_width: float
    neck: float  # half vena contracta
    wobble: np.ndarray


def _bbox(mask: np.ndarray, pad: int = 2) -> tuple[slice, slice]:
    """The slices of ``mask``'s bounding box, ``pad`` pixels wider."""
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return slice(0, 0), slice(0, 0)
    return (
        slice(max(0, ys.min() - pad), ys.max() + pad + 1),
        slice(max(0, xs.min() - pad), xs.max() + pad + 1),
    )


def tube(
    pts: np.ndarray, pix: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pixel ``pix`` (N, 2 cm): the nearest point of the path ``pts``
    (index), the distance to it (cm, float32) and the path's unit tangents."""
    tang = np.gradient(pts, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    dist, idx = cKDTree(pts).query(pix)
    idx = idx.reshape(shape)
    return idx, dist.reshape(shape).astype(np.float32), tang


def _width(sv: np.ndarray, L: np.ndarray | float, W: float, neck: float) -> np.ndarray:
    """Half-width along a jet: the neck just past the orifice, widest past mid-length."""
    s_vc = 0.25
    top = np.maximum(0.55 * L, s_vc + 0.2)
    rise = neck + (W - neck) * np.sin(0.5 * np.pi * np.clip((sv - s_vc) / (top - s_vc), 0, 1))
    tip = W * np.sqrt(np.clip(1 - ((sv - top) / np.maximum(L - top, 1e-3)) ** 2, 0, 1))
    return np.where(sv <= top, rise, tip)


def march_straight(start: np.ndarray, d: np.ndarray, length: float) -> np.ndarray:
    """A straight path from ``start`` along ``d`` (0.04 cm steps)."""
    n = max(2, int(math.ceil(length / 0.04)) + 1)
    t = np.arange(n)[:, None] * 0.04
    return start[None, :] + t * d[None, :]


@dataclass(frozen=True)
class JetSet:
    """The clip's jets: offsets along the annulus (in ``k`` units), orifices
    (canonical cm), their static fields and vena-contracta widths (cm)."""

    offsets: list[float]
    orifices: list[np.ndarray]
    fields: list[JetField]
    vc_widths: list[float]


def _offsets(p: WorldParams, rng: np.random.Generator) -> list[float]:
    """Each orifice's place along the annulus (hinge units; after a clip, beside it)."""
    n_jets = p.n_jets
    offsets: list[float] = []
    if n_jets:
        if p.post_clip:
            offsets = {
                1: [float(rng.choice([-1, 1])) * 0.5],
                2: [-0.5, 0.5],
                3: [-0.8, 0.45, 0.95],
                4: [-1.0, -0.45, 0.45, 1.0],
            }[n_jets]
        else:
            offsets = list((np.arange(n_jets) - (n_jets - 1) / 2) * 0.75 + rng.uniform(-0.25, 0.25))
        offsets = [float(np.clip(o + rng.uniform(-0.06, 0.06), -1.05, 1.05)) for o in offsets]
    return offsets


def make_jets(
    p: WorldParams,
    heart: Heart,
    crop: CropGeometry,
    s: float,
    rng: np.random.Generator,
) -> JetSet:
    """Draw the jets' orifices, directions and sizes and sample their fields on the crop."""
    n_jets, k = p.n_jets, heart.k
    offsets = _offsets(p, rng)
    orifices = [heart.M + o * k * heart.v for o in offsets]
    cx, cy, (ch, cw) = crop.cx, crop.cy, crop.shape
    jets: list[JetField] = []
    vc_widths: list[float] = []
    for j, orf in enumerate(orifices):
        if n_jets > 1 and p.touching and j < 2:
            spread = 14.0 if j == 0 else -14.0  # the first two converge and merge
        else:
            spread = (j - (n_jets - 1) / 2) * (16.0 if n_jets > 1 else 0.0)
        ang = p.jet_angle_deg + spread + rng.uniform(-5, 5)
        ang = float(np.clip(ang, -70, 70))
        d0 = _towards(heart.u, heart.v, ang)
        shrink = 0.8 if n_jets > 1 else 1.0
        length = p.jet_length_cm * rng.uniform(0.85, 1.15) * shrink
        width = p.jet_width_cm * rng.uniform(0.85, 1.15) * shrink
        vc = min(p.vc_width_cm * rng.uniform(0.9, 1.1), 0.9 * width)
        pts = _march(heart, orf, d0, length * 1.3, hug=p.wall_hugging)
        idx, dist, tang = tube(pts, crop.pix, (ch, cw))
        behind = (idx == 0) & ((cx - orf[0]) * d0[0] + (cy - orf[1]) * d0[1] < 0)
        sj = (idx * 0.04).astype(np.float32)
        ok = (crop.plane > 0) & crop.la_allowed & ~behind
        reach = (
            ok & (sj <= length * p.gain**0.5 + 0.1) & (dist <= max(width / 2 * p.gain**0.5 * 1.6, vc) + 0.1)
        )
        sl = _bbox(reach)
        cosb = (tang[idx, 0] * crop.beam_x + tang[idx, 1] * crop.beam_y).astype(np.float32)
        wob_j = smooth_noise(rng, (ch, cw), max(1.5, 0.25 / s))
        jets.append(JetField(sl, sj[sl], dist[sl], cosb[sl], ok[sl], length, width / 2, vc / 2, wob_j[sl]))
        vc_widths.append(round(float(vc), 4))
    return JetSet(offsets, orifices, jets, vc_widths)


def draw_jets(
    p: WorldParams,
    jets: list[JetField],
    g: float,
    flow: FlowLayers,
    noise: MosaicNoise,
) -> np.ndarray:
    """Draw the jets of a systolic frame of strength ``g`` into ``flow`` (in place).

    Where two jets' tubes overlap, a pixel belongs to the jet it lies
    relatively deeper in. Returns each jet's drawn neck width (cm; ``NaN``
    for a jet not drawn on the frame).
    """
    gain_ext, coarse = p.gain**0.5, p.effective_mosaic == "coarse"
    necks = np.full(len(jets), np.nan)
    best = np.full(flow.vel.shape, np.inf, np.float32)
    for j, jet in enumerate(jets):
        sl = jet.sl
        L = jet.length * (0.35 + 0.65 * g) * gain_ext
        W = jet.half_width * (0.45 + 0.55 * g) * gain_ext
        neck = jet.neck * (0.6 + 0.4 * g)
        # the neck (first 0.25 cm) is exactly the vena contracta: no wobble there
        wob_w = 1 + 0.14 * jet.wobble * np.clip((jet.s - 0.3) / 0.6, 0, 1)
        w = _width(jet.s, L, max(W, neck * 1.05), neck) * wob_w
        m = (jet.s <= L) & (jet.d <= w) & jet.ok
        rel = jet.d / np.maximum(w, 1e-3)
        best_s = best[sl]
        m &= rel < best_s
        if not m.any():
            continue
        necks[j] = 2.0 * neck  # the drawn neck, exactly
        best_s[m] = rel[m]
        prof = np.clip(1 - rel**2, 0, 1)
        v, vv = _jet_velocity(p, jet, g, prof, noise.mos[sl], noise.smooth[sl])
        vel_s, var_s, src_s = flow.vel[sl], flow.var[sl], flow.src[sl]
        vel_s[m], var_s[m], src_s[m] = v[m], vv[m], j + 1
        if coarse and noise.streak is not None:
            # near-zero-velocity streaks and holes inside the jet
            holes = m & (prof > 0.1) & (jet.s > 0.45) & (noise.streak[sl] > 1.3 - 0.4 * p.turbulence)
            vel_s[holes] = 0.0
            flow.dark[sl][holes] = True
    return necks


def _jet_velocity(
    p: WorldParams, jet: JetField, g: float, prof: np.ndarray, mos_j: np.ndarray, smooth_j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Velocity (cm/s) and variance of a jet's pixels, ``prof`` = 1 on the axis, 0 at the edge."""
    nyq = p.nyquist_cm_s
    cosb = jet.cosb
    # displayed mean velocity: well below the CW peak, decaying downstream
    core = 0.5 * p.jet_velocity_cm_s * g**0.5 / (1 + jet.s / 1.2)
    if p.texture == "edge_aliased":
        speed = core * (0.5 + 0.5 * prof) + 2.0 * nyq
        v = -speed * cosb + nyq * (1.6 + 1.2 * prof) * mos_j
        vv = np.clip(0.35 + 0.5 * prof + 0.2 * smooth_j, 0, 1)
    else:
        speed = core * prof**1.6 + 0.6 * nyq  # the slow, unaliased outer shell
        sgn = np.sign(-cosb)
        v = -speed * cosb
        v = np.where(np.abs(v) < 0.25 * nyq, sgn * 0.25 * nyq, v)
        amp = p.turbulence * nyq * (0.04 + 1.8 * prof**2.2)
        v = v + amp * mos_j
        vv = p.turbulence * (0.05 + 0.9 * prof**0.8) + 0.12 * mos_j * prof
        vv = np.clip(vv, 0, 1)
    return v, vv
