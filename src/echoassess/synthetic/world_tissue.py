"""The B-mode layer of a world clip: tissue echogenicity, speckle, valves and
the clip device with its acoustic shadow, and the left-atrial pool's truth.

The chambers' signed distances are sampled on a half-resolution grid (the
anatomy is smooth) and the echogenicity is resized to the screen; speckle
is drawn on the beam grid (:func:`render_common.speckle_fields`), slowly
decorrelating in tissue and changing every frame in blood.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .render_common import f32, smooth_noise, speckle_fields
from .world_anatomy import Blob, Heart
from .world_layout import FanGrid, WorldLayout
from .world_params import WorldParams
from .world_timing import Timing

__all__ = ["BLOOD_EDGE_CM", "ClipDevice", "LaPool", "Tissue", "make_tissue", "render_bmode"]

#: Half the width of the B-mode's blood ramp (``blood = clip(-d / 0.12)``).
BLOOD_EDGE_CM = 0.06


@dataclass(frozen=True)
class _HalfGrid:
    """The static anatomy on the half-resolution grid (cm)."""

    hx: np.ndarray
    hy: np.ndarray
    wob: np.ndarray  # boundary irregularity (cm)
    plane_h: np.ndarray  # signed distance to the annulus line
    d_static: np.ndarray  # distance to the chambers that do not contract
    texture: np.ndarray
    outside_tex: np.ndarray
    near: np.ndarray  # near-field clutter
    clutter_blood: np.ndarray | float
    wall_cm: float
    posterior: np.ndarray

    def echogenicity(self, lv_blobs: list[Blob]) -> np.ndarray:
        """Linear backscatter amplitude with the LV drawn as ``lv_blobs`` (float32)."""
        hx, hy = self.hx, self.hy
        d_lv = np.minimum.reduce([b.sdist(hx, hy) for b in lv_blobs])
        d_lv = np.maximum(d_lv, self.plane_h - 0.15)
        d = np.minimum(self.d_static, d_lv) + self.wob
        blood = np.clip(-d / (2 * BLOOD_EDGE_CM), 0, 1)
        myo = 0.85 * self.texture
        peri = 1.8 * np.exp(-(((d - self.wall_cm - 0.25) / 0.16) ** 2)) * self.posterior * self.texture
        E = np.where(d < self.wall_cm, myo, self.outside_tex)
        E = np.maximum(E, peri) + self.near
        E = E * (1 - blood) + self.clutter_blood * blood
        return E.astype(np.float32)


def _half_grid(
    p: WorldParams, heart: Heart, grid: FanGrid, s: float, ana_rng: np.random.Generator
) -> _HalfGrid:
    k = heart.k
    hx, hy = grid.x_cm[::2, ::2], grid.y_cm[::2, ::2]
    hr_, hc_ = hx.shape
    hstep = max(2 * s, 1e-3)
    wob = (0.1 * k * smooth_noise(ana_rng, (hr_, hc_), max(2.0, 0.5 / hstep))).astype(np.float32)
    plane_h = heart.plane(hx, hy)
    d_la_h = np.minimum.reduce([b.sdist(hx, hy) for b in heart.la])
    d_la_h = np.maximum(d_la_h, -plane_h - 0.15)
    d_static = d_la_h
    for b in heart.others:
        d_static = np.minimum(d_static, b.sdist(hx, hy))
    texture = np.clip(
        1.0 + 0.25 * smooth_noise(ana_rng, (hr_, hc_), 3.0) + 0.3 * smooth_noise(ana_rng, (hr_, hc_), 12.0),
        0.25,
        None,
    )
    outside_tex = 0.07 * np.exp(0.9 * smooth_noise(ana_rng, (hr_, hc_), 8.0))
    hr_cm = np.hypot(hx, hy)
    near = 0.9 * np.exp(-hr_cm / 0.5) if p.is_tee else 0.25 * np.exp(-hr_cm / 1.2)
    clutter_blood = 0.012 + 0.025 * p.noise_level + (0.0 if p.is_tee else 0.12 * np.exp(-hy / 2.0))
    posterior = np.clip((hy - heart.M[1] + 2.0) / 3.0, 0.3, 1.0)
    return _HalfGrid(
        hx, hy, wob, plane_h, d_static, texture, outside_tex, near, clutter_blood, 0.95 * k, posterior
    )


@dataclass(frozen=True)
class LaPool:
    """The left-atrial blood pool on the full grid (static: the LA does not contract).

    ``d_la`` is the signed distance to the pool (cm) and ``wob`` the boundary
    irregularity, both full resolution; ``mask`` is the part inside the fan.
    """

    d_la: np.ndarray
    wob: np.ndarray
    mask: np.ndarray
    complete: bool


def _la_pool(heart: Heart, grid: FanGrid, wob_half: np.ndarray) -> LaPool:
    rows, cols = grid.in_fan.shape
    plane_f = heart.plane(grid.x_cm, grid.y_cm)
    d_la_f = np.minimum.reduce([b.sdist(grid.x_cm, grid.y_cm) for b in heart.la])
    d_la_f = np.maximum(d_la_f, -plane_f)
    wob_f = cv2.resize(wob_half, (cols, rows), interpolation=cv2.INTER_LINEAR)
    # the B-mode draws blood as clip(-d / 0.12): the pool's edge, where half of
    # a pixel is blood, lies 0.06 cm inside d = 0 (d < 0 alone would count the
    # inner half of the wall's ramp as blood, ~10 % of the area)
    la_full = d_la_f + wob_f < -BLOOD_EDGE_CM
    la_mask = la_full & grid.in_fan
    # the whole pool is shown: (almost) none of it outside the fan or the screen
    la_edge = bool(la_full[0].any() or la_full[-1].any() or la_full[:, 0].any() or la_full[:, -1].any())
    la_complete = bool(not la_edge and la_mask.sum() >= 0.98 * la_full.sum())
    return LaPool(d_la_f, wob_f, la_mask, la_complete)


@dataclass(frozen=True)
class ClipDevice:
    """The MitraClip (post-clip clips): centre (cm, pixels) and the shadow's
    B-mode attenuation (1 = none) over the screen."""

    centre_cm: np.ndarray
    xy: tuple[float, float] | None
    shadow: np.ndarray


def _clip_device(p: WorldParams, heart: Heart, lay: WorldLayout, grid: FanGrid) -> ClipDevice:
    k, s = heart.k, lay.spacing_cm
    clip_xy = None
    shadow = np.ones((p.rows, p.cols), np.float32)
    clip_c = heart.coapt + 0.05 * k * heart.u
    if p.post_clip:
        clip_xy = lay.to_px(*clip_c)
        rc = float(np.hypot(*clip_c))
        thc = math.atan2(clip_c[0], clip_c[1])
        half_w = math.atan2(0.3 * k, rc)
        edge = np.clip((half_w - np.abs(grid.theta - thc)) / (0.35 * half_w) + 0.5, 0, 1)
        behind = np.clip((grid.r_cm - (rc + 0.4 * k)) / (4.0 * s), 0, 1)
        shadow = (1.0 - 0.9 * edge * behind).astype(np.float32)
    return ClipDevice(clip_c, clip_xy, shadow)


@dataclass(frozen=True)
class Tissue:
    """Everything static the B-mode of each frame needs."""

    p: WorldParams
    heart: Heart
    lay: WorldLayout
    grid: FanGrid
    half: _HalfGrid
    device: ClipDevice
    speckle: tuple[np.ndarray, np.ndarray, np.ndarray]  # complex64 per fan pixel
    gain_f: np.ndarray  # depth and tissue gain per fan pixel
    shadow_f: np.ndarray
    grey_lut: np.ndarray
    leaflets: np.ndarray  # (H, W) uint8 scratch layer


def make_tissue(
    p: WorldParams,
    heart: Heart,
    lay: WorldLayout,
    grid: FanGrid,
    ana_rng: np.random.Generator,
    rng: np.random.Generator,
) -> tuple[Tissue, LaPool, np.ndarray]:
    """The B-mode's static fields, the LA pool and the beats' gains.

    Draws, in order: the anatomy's texture from ``ana_rng``, then the beat
    gains (16 beats) and the speckle from ``rng``.

    Returns
    -------
    tissue : Tissue
    la : LaPool
    beat_gain : (16,) float
    """
    half = _half_grid(p, heart, grid, lay.spacing_cm, ana_rng)
    la = _la_pool(heart, grid, half.wob)
    beat_gain = np.clip(1.0 + 0.06 * rng.standard_normal(16), 0.85, 1.15)
    speckle = speckle_fields(
        rng,
        radius_px=lay.radius_px,
        half_angle_rad=lay.half_angle_rad,
        r_px=grid.r_px,
        theta=grid.theta_s,
        in_fan=grid.in_fan,
        sigma_y=1.8 * max(lay.radius_px, 200) / 480.0,
    )
    rn = grid.r_px / lay.radius_px
    depth_gain = (1.05 - 0.3 * np.clip(rn, 0, 1.2)) * (
        1 - 0.35 * (np.abs(grid.theta_s) / lay.half_angle_rad) ** 6
    )
    gain_f = (np.clip(depth_gain, 0.05, None) * np.float32(p.tissue_gain))[grid.in_fan]
    device = _clip_device(p, heart, lay, grid)
    grey_lut = np.linspace(0.0, 1.0, 1024, dtype=np.float32) ** np.float32(1.45) * np.float32(250.0)
    tissue = Tissue(
        p,
        heart,
        lay,
        grid,
        half,
        device,
        speckle,
        gain_f.astype(np.float32),
        device.shadow[grid.in_fan],
        grey_lut,
        np.zeros((p.rows, p.cols), np.uint8),
    )
    return tissue, la, beat_gain


def render_bmode(t: Tissue, frame: np.ndarray, fi: int, tm: Timing) -> np.ndarray:
    """Draw frame ``fi``'s B-mode into the fan of ``frame``; return its echogenicity ``(H, W) float32``."""
    p, heart, lay, in_fan = t.p, t.heart, t.lay, t.grid.in_fan
    rows, cols = p.rows, p.cols
    z0f, z1f, z2f = t.speckle
    ka, kc = 1 - 0.07 * tm.contraction, 1 - 0.13 * tm.contraction
    lv_k = [b.contracted(np.asarray(heart.M), ka, kc) for b in heart.lv]
    E = cv2.resize(t.half.echogenicity(lv_k), (cols, rows), interpolation=cv2.INTER_LINEAR)
    t.leaflets[:] = 0
    _draw_valves(t.leaflets, heart, lay, tm, p.post_clip)
    E = np.maximum(E, t.leaflets.astype(np.float32) * (2.2 / 255.0))
    if t.device.xy is not None:
        _draw_clip(E, lay, t.device.centre_cm, heart)
    Ef = E[in_fan] * t.shadow_f
    a = 0.35 * math.sin(2 * math.pi * tm.t_ms / 1400.0)
    b = 2 * math.pi * fi * 0.37
    # tissue speckle decorrelates slowly; blood speckle changes every frame
    env = np.abs(np.complex64(math.cos(a)) * z0f + np.complex64(math.sin(a)) * z1f)
    low = Ef < 0.1
    cb, sb = np.complex64(math.cos(b)), np.complex64(math.sin(b))
    env[low] = np.abs(cb * z2f[low] + sb * z1f[low])
    amp = Ef * env * t.gain_f
    db = np.log10(amp + np.float32(1e-3)) * np.float32(20.0 / 52.0 * 1023) + np.float32(36.0 / 52.0 * 1023)
    grey = np.zeros((rows, cols), np.float32)
    grey[in_fan] = t.grey_lut[np.clip(db, 0, 1023).astype(np.int16)]
    grey = f32(cv2.GaussianBlur(grey, (0, 0), 0.6))
    frame[in_fan] = grey[in_fan].astype(np.uint8)[:, None]
    return E


def _line(layer: np.ndarray, lay: WorldLayout, a: np.ndarray, b: np.ndarray, th: int) -> None:
    pa = tuple(int(round(c)) for c in lay.to_px(*a))
    pb = tuple(int(round(c)) for c in lay.to_px(*b))
    cv2.line(layer, pa, pb, 255, th, cv2.LINE_AA)


def _draw_valves(layer: np.ndarray, heart: Heart, lay: WorldLayout, tm: Timing, clipped: bool) -> None:
    """Mitral leaflets (opening less after a clip), tricuspid and aortic cusps, in place."""
    s = lay.spacing_cm
    k = heart.k
    th = max(1, int(round(0.13 / s)))
    u, v = heart.u, heart.v
    h = heart.hinges
    c = heart.coapt
    opening = tm.opening * (0.45 if clipped else 1.0)
    for i, hinge in enumerate(h):
        length = (2.1 if i == heart.anterior else 1.4) * k
        side = -1 if i == 0 else 1
        open_dir = -u + 0.15 * side * v
        open_tip = hinge + length * open_dir / np.hypot(*open_dir)
        closed_tip = c + side * 0.04 * k * v
        tip = (1 - opening) * closed_tip + opening * open_tip
        _line(layer, lay, hinge, tip, th)
        cv2.circle(layer, tuple(int(round(q)) for q in lay.to_px(*hinge)), th + 1, 255, -1, cv2.LINE_AA)
    if heart.tv is not None:
        t0, t1 = heart.tv
        tc = (t0 + t1) / 2 - 0.2 * k * u
        for i, hinge in enumerate((t0, t1)):
            side = 1 if i == 0 else -1
            open_tip = hinge + 1.5 * k * (-u + 0.2 * side * v) / np.hypot(1, 0.2)
            tip = (1 - tm.opening) * tc + tm.opening * open_tip
            _line(layer, lay, hinge, tip, th)
    if heart.av is not None and heart.lvot_axis is not None:
        ax = heart.lvot_axis
        perp = np.array([-ax[1], ax[0]])
        r = 0.95 * k
        op = tm.eject
        for side in (-1, 1):
            root = heart.av + side * r * perp
            closed = heart.av + side * 0.05 * perp
            opened = root + 0.9 * k * ax - side * 0.15 * perp
            _line(layer, lay, root, (1 - op) * closed + op * opened, max(1, th - 1))
            # the aortic walls' hinge points
            cv2.circle(layer, tuple(int(round(q)) for q in lay.to_px(*root)), th, 255, -1, cv2.LINE_AA)


def _draw_clip(E: np.ndarray, lay: WorldLayout, clip_c: np.ndarray, heart: Heart) -> None:
    """The clip device's bright echo and its reverberation ghosts, added to ``E`` in place."""
    s = lay.spacing_cm
    k = heart.k
    layer = np.zeros(E.shape, np.uint8)
    cxy = lay.to_px(*clip_c)
    u = heart.u
    ang = math.degrees(math.atan2(u[1], lay.sign * u[0]))
    axes = (max(2, int(round(0.45 * k / s))), max(1, int(round(0.18 * k / s))))
    cv2.ellipse(layer, (int(round(cxy[0])), int(round(cxy[1]))), axes, ang, 0, 360, 255, -1, cv2.LINE_AA)
    E += layer.astype(np.float32) * (9.0 / 255.0)
    rr = math.hypot(*clip_c)
    bx, by = clip_c[0] / rr, clip_c[1] / rr
    for i, strength in enumerate((2.5, 1.4, 0.7), start=1):
        layer[:] = 0
        d = (0.55 + 0.35 * i) * k
        c2 = lay.to_px(clip_c[0] + bx * d, clip_c[1] + by * d)
        cv2.ellipse(
            layer,
            (int(round(c2[0])), int(round(c2[1]))),
            (max(1, int(round(0.22 / s))), max(1, int(round(0.05 / s)))),
            math.degrees(math.atan2(by, lay.sign * bx)) + 90,
            0,
            360,
            255,
            -1,
            cv2.LINE_AA,
        )
        E += layer.astype(np.float32) * (strength / 255.0)
