"""The B-mode layer of an apical 4-chamber clip: tissue echogenicity, speckle,
moving valves and the clip device with its acoustic shadow.

Myocardium is brighter where its surface faces the beam; the LV contracts in
systole; speckle is drawn on the beam grid
(:func:`echoassess.synthetic.render_common.speckle_fields`), decorrelating
slowly in tissue and every frame in blood.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .params import SceneParams
from .render_common import f32, smooth_noise, speckle_fields
from .scene_anatomy import Anatomy, ChamberField, Ellipse, chamber_field, combine
from .scene_layout import FanGrid, Layout
from .scene_timing import FrameTiming

__all__ = ["Tissue", "make_tissue", "render_bmode"]


@dataclass(frozen=True)
class Tissue:
    """Everything static the B-mode of each frame needs.

    Per-fan-pixel arrays (``*_f``) follow the ``in_fan`` order; ``hx, hy``
    is the half-resolution grid (cm) the anatomy is sampled on.
    """

    p: SceneParams
    ana: Anatomy
    lay: Layout
    grid: FanGrid
    hx: np.ndarray
    hy: np.ndarray
    wob: np.ndarray
    static_fields: ChamberField  # the chambers that do not contract
    texture: np.ndarray
    outside_tex: np.ndarray
    speckle: tuple[np.ndarray, np.ndarray, np.ndarray]
    shadow: np.ndarray  # (H, W) B-mode attenuation behind the clip (1 = none)
    shadow_f: np.ndarray
    haze_f: np.ndarray
    gain_f: np.ndarray
    clip_xy: tuple[float, float] | None
    valve_rows: slice  # the rows the leaflets can reach
    leaflets: np.ndarray  # (H, W) uint8 scratch layer


def make_tissue(
    p: SceneParams,
    ana: Anatomy,
    lay: Layout,
    grid: FanGrid,
    ana_rng: np.random.Generator,
    rng: np.random.Generator,
) -> tuple[Tissue, np.ndarray]:
    """The B-mode's static fields and the beats' gains ``(16,)``.

    Draws, in order: the boundary irregularity from ``ana_rng``, the beat
    gains and the speckle from ``rng``, then the tissue texture from
    ``ana_rng`` (the same heart from the same ``anatomy_seed``).
    """
    rows, cols, s = p.rows, p.cols, lay.spacing_cm
    r_px, theta, in_fan = grid.r_px, grid.theta, grid.in_fan
    # half-resolution grid for the anatomy (smooth anyway)
    hr, hc = (rows + 1) // 2, (cols + 1) // 2
    hx = grid.x_cm[::2, ::2]
    hy = grid.y_cm[::2, ::2]
    wob = (0.12 * ana.scale * smooth_noise(ana_rng, (hr, hc), max(3.0, 0.6 / (2 * s)))).astype(np.float32)
    static_fields = combine(
        [
            chamber_field(e, w, hx, hy, wob)
            for e, w in ((ana.rv, 0.5), (ana.la, 0.35), (ana.ra, 0.35), (ana.ao, 0.25))
        ]
    )
    beat_gain = 1.0 + 0.06 * rng.standard_normal(16)
    beat_gain = np.clip(beat_gain, 0.85, 1.15)
    speckle = speckle_fields(
        rng,
        radius_px=lay.radius_px,
        half_angle_rad=lay.half_angle_rad,
        r_px=r_px,
        theta=theta,
        in_fan=in_fan,
        sigma_y=1.8 * lay.radius_px / 480.0,
    )
    # static tissue texture and depth gain
    texture = np.clip(
        1.0 + 0.22 * smooth_noise(ana_rng, (hr, hc), 4.0) + 0.3 * smooth_noise(ana_rng, (hr, hc), 14.0),
        0.3,
        None,
    )
    outside_tex = 0.065 * np.exp(0.8 * smooth_noise(ana_rng, (hr, hc), 9.0))
    rn = r_px / lay.radius_px
    depth_gain = (1.05 - 0.35 * rn) * (1 - 0.35 * (np.abs(theta) / lay.half_angle_rad) ** 6)
    haze = (0.06 + 0.18 * p.noise_level) * np.exp(-grid.y_cm / 2.5) + 0.8 * np.exp(-r_px * s / 0.35)
    depth_gain = np.clip(depth_gain, 0.05, None).astype(np.float32)
    clip_xy, shadow = _clip_shadow(p, ana, lay, grid)
    vy = lay.to_px(0.0, ana.mv_septal[1])[1]
    reach = 3.0 * ana.scale / s
    tissue = Tissue(
        p=p,
        ana=ana,
        lay=lay,
        grid=grid,
        hx=hx,
        hy=hy,
        wob=wob,
        static_fields=static_fields,
        texture=texture,
        outside_tex=outside_tex,
        speckle=speckle,
        shadow=shadow,
        shadow_f=shadow[in_fan],
        haze_f=haze[in_fan].astype(np.float32),
        gain_f=(depth_gain * np.float32(p.tissue_gain))[in_fan],
        clip_xy=clip_xy,
        valve_rows=slice(max(0, int(vy - reach)), min(rows, int(vy + 0.6 * reach))),
        leaflets=np.zeros((rows, cols), np.uint8),
    )
    return tissue, beat_gain


def _clip_shadow(
    p: SceneParams, ana: Anatomy, lay: Layout, grid: FanGrid
) -> tuple[tuple[float, float] | None, np.ndarray]:
    """The post-clip device's centre (pixels) and the B-mode attenuation of its shadow."""
    s = lay.spacing_cm
    clip_xy = None
    shadow = np.ones((p.rows, p.cols), np.float32)
    if p.post_clip:
        cx_cm, cy_cm = ana.coapt[0], ana.coapt[1] - 0.25 * ana.scale
        clip_xy = lay.to_px(cx_cm, cy_cm)
        r_clip = math.hypot(cx_cm, cy_cm) / s
        th_clip = math.atan2(cx_cm, cy_cm)
        half_w = math.atan2(0.28 / s, r_clip)
        edge = np.clip((half_w - np.abs(grid.theta - th_clip)) / (0.4 * half_w) + 0.5, 0, 1)
        behind = np.clip((grid.r_px - (r_clip + 0.35 / s)) / 4.0, 0, 1)
        shadow = (1.0 - 0.88 * edge * behind).astype(np.float32)
    return clip_xy, shadow


def render_bmode(t: Tissue, frame: np.ndarray, k: int, tm: FrameTiming) -> np.ndarray:
    """Draw frame ``k``'s B-mode into the fan of ``frame``; return its echogenicity ``(H, W) float32``."""
    p, ana, lay, in_fan = t.p, t.ana, t.lay, t.grid.in_fan
    rows, cols = p.rows, p.cols
    z0f, z1f, z2f = t.speckle
    lv = ana.lv
    cshr = 1.0 - 0.12 * tm.contraction
    cut = lv.cut_below if lv.cut_below is not None else lv.cy
    lv_k = Ellipse(
        lv.cx,
        cut - (cut - lv.cy) * (1 - 0.06 * tm.contraction),
        lv.a * cshr,
        lv.b * (1 - 0.06 * tm.contraction),
        lv.rot,
        lv.cut_below,
    )
    E_half = _echogenicity(ana, lv_k, t.hx, t.hy, t.texture, t.outside_tex, t.static_fields, t.wob, p)
    E = cv2.resize(E_half, (cols, rows), interpolation=cv2.INTER_LINEAR)
    t.leaflets[:] = 0
    _draw_valves(t.leaflets, ana, lay, tm.opening)
    vr = t.valve_rows
    E[vr] = np.maximum(E[vr], t.leaflets[vr].astype(np.float32) * (2.2 / 255.0))
    if p.post_clip and t.clip_xy is not None:
        _draw_clip(E, lay, t.clip_xy, ana)
    Ef = E[in_fan] * t.shadow_f
    a = 0.35 * math.sin(2 * math.pi * tm.t_ms / 1400.0)
    b = 2 * math.pi * k * 0.37
    env_t = np.abs(np.complex64(math.cos(a)) * z0f + np.complex64(math.sin(a)) * z1f)
    env_b = np.abs(np.complex64(math.cos(b)) * z2f + np.complex64(math.sin(b)) * z1f)
    env = np.where(Ef < 0.1, env_b, env_t)
    amp = (Ef + t.haze_f) * env * t.gain_f
    db = np.log10(amp + np.float32(1e-3)) * np.float32(20.0 / 52.0) + np.float32(36.0 / 52.0)
    grey_f = np.clip(db, 0.0, 1.0) ** np.float32(1.45) * np.float32(250.0)
    grey = np.zeros((rows, cols), np.float32)
    grey[in_fan] = grey_f
    grey = f32(cv2.GaussianBlur(grey, (0, 0), 0.6))
    grey = np.where(in_fan, grey, 0.0).astype(np.uint8)
    frame[in_fan] = grey[in_fan][:, None]
    return E


def _echogenicity(
    ana: Anatomy,
    lv: Ellipse,
    x: np.ndarray,
    y: np.ndarray,
    texture: np.ndarray,
    outside: np.ndarray,
    static: ChamberField,
    wob: np.ndarray,
    p: SceneParams,
) -> np.ndarray:
    """Linear backscatter amplitude on the half-resolution grid.

    Myocardium is brighter where its surface faces the beam (specular
    reflection) and fades where it runs along the beam, as on real scans
    (lateral-wall drop-out); a bright pericardium wraps the ventricles; lung
    and mediastinum outside are dark and patchy; blood is nearly black.
    ``static`` holds the chambers that do not move (RV and atria).
    """
    c = combine([chamber_field(lv, 1.0, x, y, wob), static])
    r = np.hypot(x, y) + 1e-6
    facing = np.abs(c.nx * x / r + c.ny * y / r)  # |normal . beam|
    myo = 0.9 * texture * (0.35 + 0.85 * facing**2)
    peri = np.exp(-(((c.dw - 0.2) / 0.13) ** 2)) * (0.6 + 1.4 * facing)
    peri = peri * np.clip((ana.mv_septal[1] + 0.5 - y) / 1.5, 0.25, 1.0)  # fades round the atria
    E = np.where(c.dw < 0, myo, outside)
    E = np.maximum(E, 2.0 * peri * texture)
    # near-field clutter in the apex
    blood = c.blood
    E = E * (1 - blood) + (0.012 + 0.02 * p.noise_level + 0.15 * np.exp(-y / 1.8)) * blood
    return E.astype(np.float32)


def _draw_valves(layer: np.ndarray, ana: Anatomy, lay: Layout, opening: float) -> None:
    """Mitral and tricuspid leaflets, ``opening`` 0 (closed) to 1, in place."""
    s = lay.spacing_cm
    th = max(1, int(round(0.14 / s)))
    k = ana.scale
    # mitral: closed -> both leaflets meet at the coaptation point
    c = np.array(ana.coapt)
    hs, hl = np.array(ana.mv_septal), np.array(ana.mv_lateral)
    open_ant = hs + 2.1 * k * np.array([0.25, -0.97])
    open_post = hl + 1.3 * k * np.array([-0.2, -0.98])
    tip_a = (1 - opening) * c + opening * open_ant
    tip_p = (1 - opening) * (c + np.array([0.05, 0.0])) + opening * open_post
    # tricuspid
    ts_, tl_ = np.array(ana.tv_septal), np.array(ana.tv_lateral)
    tc = (ts_ + tl_) / 2 - np.array([0, 0.2 * k])
    open_ts = ts_ + 1.6 * k * np.array([-0.2, -0.98])
    open_tl = tl_ + 1.3 * k * np.array([0.25, -0.97])
    t_a = (1 - opening) * tc + opening * open_ts
    t_l = (1 - opening) * tc + opening * open_tl
    for a, b in ((hs, tip_a), (hl, tip_p), (ts_, t_a), (tl_, t_l)):
        pa = tuple(int(round(v)) for v in lay.to_px(*a))
        pb = tuple(int(round(v)) for v in lay.to_px(*b))
        cv2.line(layer, pa, pb, 255, th, cv2.LINE_AA)
    for h in (hs, hl, ts_, tl_):
        cv2.circle(layer, tuple(int(round(v)) for v in lay.to_px(*h)), th + 1, 255, -1, cv2.LINE_AA)


def _draw_clip(E: np.ndarray, lay: Layout, clip_xy: tuple[float, float], ana: Anatomy) -> None:
    """The clip device's bright echo and its reverberation ghosts, added to ``E`` in place."""
    s = lay.spacing_cm
    ang = -math.degrees(math.atan2(clip_xy[0] - lay.apex_x, clip_xy[1] - lay.apex_y))
    layer = np.zeros(E.shape, np.uint8)
    centre = (int(round(clip_xy[0])), int(round(clip_xy[1])))
    axes = (max(1, int(round(0.2 / s))), max(2, int(round(0.5 / s))))
    cv2.ellipse(layer, centre, axes, ang, 0, 360, 255, -1, cv2.LINE_AA)
    E += layer.astype(np.float32) * (9.0 / 255.0)
    # reverberation ghosts behind the device
    ux = (clip_xy[0] - lay.apex_x) / math.hypot(clip_xy[0] - lay.apex_x, clip_xy[1] - lay.apex_y)
    uy = (clip_xy[1] - lay.apex_y) / math.hypot(clip_xy[0] - lay.apex_x, clip_xy[1] - lay.apex_y)
    for i, strength in enumerate((3.0, 1.6, 0.8), start=1):
        layer[:] = 0
        d = (0.5 + 0.35 * i) / s
        c2 = (int(round(clip_xy[0] + ux * d)), int(round(clip_xy[1] + uy * d)))
        cv2.ellipse(
            layer,
            c2,
            (max(1, int(round(0.22 / s))), max(1, int(round(0.05 / s)))),
            ang,
            0,
            360,
            255,
            -1,
            cv2.LINE_AA,
        )
        E += layer.astype(np.float32) * (strength / 255.0)
