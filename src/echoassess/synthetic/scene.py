"""Render a synthetic apical 4-chamber colour-Doppler clip, with its truth.

Pure numpy / OpenCV. The screen is laid out like an echo machine's: a black
background, the B-mode fan (transducer at the top) with speckle, chambers,
walls and moving valve leaflets; an annular-sector colour box over the mitral
valve and left atrium; a colour-bar legend with its Nyquist labels; an ECG
trace with a moving cursor; text overlays and a coloured logo.

Flow inside the colour box is a velocity field (cm/s, positive toward the
probe) with a turbulence (variance) field; it is wrapped at the Nyquist limit
(aliasing) and coloured with the same table that is drawn as the legend.
Sources, from lowest to highest display priority: colour noise specks,
wall-motion flash over the myocardium,
pulmonary-vein flow, diastolic LV inflow, PISA convergence, regurgitant jets.
Only the pixels finally coloured by a jet are truth.

Coordinates: x = column, y = row; physical coordinates are in cm from the
fan's apex, x to the right and y down (depth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from .colourmaps import COLOUR_MAPS, black_rows, colour_lut
from .params import SceneParams

__all__ = ["Layout", "RenderedScene", "render"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
#: source codes in the per-pixel source map
SRC_SPECK, SRC_PV, SRC_INFLOW, SRC_PISA, SRC_FLASH = 200, 103, 101, 102, 104


# -- layout -------------------------------------------------------------------
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
        return self.apex_x + x_cm / self.spacing_cm, self.apex_y + y_cm / self.spacing_cm


def make_layout(p: SceneParams) -> Layout:
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


# -- anatomy ------------------------------------------------------------------
@dataclass(frozen=True)
class _Ellipse:
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

    def scaled(self, k: float) -> _Ellipse:
        cut = None if self.cut_below is None else self.cut_below * k
        return _Ellipse(self.cx * k, self.cy * k, self.a * k, self.b * k, self.rot, cut)


@dataclass(frozen=True)
class _Anatomy:
    lv: _Ellipse
    rv: _Ellipse
    la: _Ellipse
    ra: _Ellipse
    ao: _Ellipse  # descending aorta, behind the LA
    mv_septal: tuple[float, float]
    mv_lateral: tuple[float, float]
    tv_septal: tuple[float, float]
    tv_lateral: tuple[float, float]
    coapt: tuple[float, float]
    lv_apex: tuple[float, float]
    scale: float


def _anatomy(p: SceneParams, rng: np.random.Generator) -> _Anatomy:
    k = min(p.heart_scale, (p.depth_cm - 0.4) / 15.8)
    u = rng.uniform
    dx = u(-0.45, 0.45)  # the probe is never placed twice the same way
    lv = _Ellipse(
        1.3 + dx, 7.5, 2.1 * u(0.92, 1.08), 5.6 * u(0.95, 1.05), math.radians(-4 + u(-3, 3)), cut_below=10.8
    ).scaled(k)
    rv = _Ellipse(
        -3.2 + dx, 8.4, 1.55 * u(0.9, 1.1), 4.6, math.radians(10 + u(-3, 3)), cut_below=10.5
    ).scaled(k)
    la = _Ellipse(1.4 + dx, 13.25, 2.15 * u(0.9, 1.12), 2.5 * u(0.9, 1.1), math.radians(u(-8, 8))).scaled(k)
    ra = _Ellipse(-3.1 + dx, 12.8, 1.85 * u(0.9, 1.1), 2.2 * u(0.9, 1.1)).scaled(k)
    ao = _Ellipse(la.cx / k + 1.3, la.cy / k + la.b / k + 1.05, 0.7, 0.75).scaled(k)

    def hinges(e: _Ellipse) -> tuple[tuple[float, float], tuple[float, float]]:
        y = e.cut_below
        xs = np.linspace(e.cx - 2 * e.a, e.cx + 2 * e.a, 801)
        inside = xs[e.f(xs, np.full_like(xs, y)) < 1.0]
        return (float(inside[0]), y), (float(inside[-1]), y)

    mv_s, mv_l = hinges(lv)
    tv_l, tv_s = hinges(rv)  # tricuspid: lateral hinge on the left of the screen
    coapt = ((mv_s[0] + mv_l[0]) / 2 + 0.15 * k, mv_s[1] - 0.2 * k)
    return _Anatomy(lv, rv, la, ra, ao, mv_s, mv_l, tv_s, tv_l, coapt, ((1.0 + dx) * k, 2.1 * k), k)


# -- timing -------------------------------------------------------------------
@dataclass(frozen=True)
class _FrameTiming:
    t_ms: float
    beat: int
    t_in_cycle_ms: float
    systolic: bool
    g: float  # jet strength 0..1 (systole)
    opening: float  # mitral opening 0..1
    inflow: float  # diastolic inflow amplitude 0..1
    pv: float  # pulmonary vein flow amplitude (negative: reversal)
    contraction: float  # LV contraction 0..1
    flash: float  # wall motion: + toward the probe (systole onset), - away (early diastole)


_SYS_DELAY_MS = 30.0  # R wave to mitral closure / start of MR


def _timing(p: SceneParams, k: int, beat_gain: np.ndarray) -> _FrameTiming:
    rr = p.rr_ms
    t = k * p.frame_time_ms + p.start_phase * rr
    beat = int(t // rr)
    tc = t - beat * rr
    sys_ms = p.systole_ms
    ts = tc - _SYS_DELAY_MS
    systolic = 0.0 <= ts < sys_ms
    bg = float(beat_gain[min(beat, len(beat_gain) - 1)])
    g = math.sin(math.pi * ts / sys_ms) ** 0.6 * bg if systolic else 0.0
    contraction = math.sin(math.pi * min(max(tc / (sys_ms + 60.0), 0.0), 1.0)) ** 0.8
    if systolic or tc < _SYS_DELAY_MS:
        opening, inflow = 0.0, 0.0
        pv = 0.7 * math.sin(math.pi * ts / sys_ms) if systolic else 0.0
    else:
        dia = rr - _SYS_DELAY_MS - sys_ms
        pd = ((tc - _SYS_DELAY_MS - sys_ms) % rr) / max(dia, 1.0) if tc >= _SYS_DELAY_MS else 1.0
        pd = min(max(pd, 0.0), 1.0)
        e_wave = math.exp(-(((pd - 0.17) / 0.1) ** 2))
        a_wave = 0.65 * math.exp(-(((pd - 0.86) / 0.07) ** 2))
        inflow = max(e_wave, a_wave)
        plateau = 0.4 if 0.06 < pd < 0.97 else 0.0
        opening = min(1.0, max(1.2 * inflow, plateau))
        pv = 0.55 * math.exp(-(((pd - 0.25) / 0.15) ** 2)) - 0.35 * math.exp(-(((pd - 0.88) / 0.06) ** 2))
    # fast wall motion just after the R wave and at the start of relaxation
    t_relax = tc - _SYS_DELAY_MS - sys_ms
    flash = math.exp(-(((tc - 50.0) / 35.0) ** 2)) - 0.8 * math.exp(-(((t_relax - 60.0) / 40.0) ** 2))
    return _FrameTiming(
        t - p.start_phase * rr, beat, tc, systolic, g, opening, inflow, pv, contraction, flash
    )


# -- helpers ------------------------------------------------------------------
def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigma)
    sd = float(n.std()) or 1.0
    return n / sd


def _wrap(u: np.ndarray) -> np.ndarray:
    """Alias a velocity in Nyquist units into [-1, 1)."""
    return np.mod(u + 1.0, 2.0) - 1.0


@dataclass
class _Jet:
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
    la: _Ellipse,
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


def _half_width_profile(u: np.ndarray, w0_frac: float) -> np.ndarray:
    """Jet half-width along its length as a fraction of the greatest half-width.

    ``u`` = arc length / jet length in [0, 1]: narrow at the vena contracta,
    widest past mid-length, rounded at the tip.
    """
    rise = w0_frac + (1 - w0_frac) * np.sin(0.5 * np.pi * np.clip(u / 0.55, 0, 1))
    tip = np.sqrt(np.clip(1 - ((u - 0.55) / 0.45) ** 2, 0, 1))
    return np.where(u <= 0.55, rise, tip)


# -- the renderer -------------------------------------------------------------
@dataclass(frozen=True)
class RenderedScene:
    """Raw output of :func:`render`; :mod:`echoassess.synthetic.clip` wraps it."""

    frames: np.ndarray  # (T, H, W, 3) uint8
    jet_labels: np.ndarray  # (T, H, W) uint8, 0 = none, k = jet k
    confounders: np.ndarray  # (T, H, W) bool, coloured pixels that are not jet
    phase: np.ndarray  # (T,) "systole" / "diastole"
    layout: Layout
    colour_box_xyxy: tuple[int, int, int, int]
    colour_box_polar: tuple[float, float, float, float]  # r0, r1 (px), theta0, theta1 (rad)
    valve_xy: tuple[float, float]
    orifices_xy: tuple[tuple[float, float], ...]
    la_area_cm2: float
    lut: np.ndarray
    frame_times_ms: np.ndarray
    clip_xy: tuple[float, float] | None


def render(p: SceneParams, rng: np.random.Generator) -> RenderedScene:
    lay = make_layout(p)
    # the patient's heart: from its own seed when given (same heart pre and post)
    ana_rng = rng if p.anatomy_seed is None else np.random.default_rng(int(p.anatomy_seed))
    ana = _anatomy(p, ana_rng)
    rows, cols = p.rows, p.cols
    s = lay.spacing_cm
    T = p.n_frames

    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    dxp, dyp = xx - lay.apex_x, yy - lay.apex_y
    r_px = np.hypot(dxp, dyp)
    theta = np.arctan2(dxp, dyp)
    in_fan = (r_px <= lay.radius_px) & (np.abs(theta) <= lay.half_angle_rad) & (dyp >= 0)
    in_fan &= r_px >= 0.004 * lay.radius_px
    x_cm, y_cm = dxp * s, dyp * s

    # half-resolution grid for the anatomy (smooth anyway)
    hr, hc = (rows + 1) // 2, (cols + 1) // 2
    hx = x_cm[::2, ::2]
    hy = y_cm[::2, ::2]

    wob = (0.12 * ana.scale * _smooth_noise(ana_rng, (hr, hc), max(3.0, 0.6 / (2 * s)))).astype(np.float32)
    static_fields = _combine(
        [
            _chamber_field(e, w, hx, hy, wob)
            for e, w in ((ana.rv, 0.5), (ana.la, 0.35), (ana.ra, 0.35), (ana.ao, 0.25))
        ]
    )
    beat_gain = 1.0 + 0.06 * rng.standard_normal(16)
    beat_gain = np.clip(beat_gain, 0.85, 1.15)
    timings = [_timing(p, k, beat_gain) for k in range(T)]

    # -- speckle: complex Gaussian fields on the beam grid, mapped to the screen
    n_beams = max(48, int(0.22 * lay.radius_px * 2 * lay.half_angle_rad))
    n_r = int(lay.radius_px) + 2
    fields = []
    for _ in range(3):
        z = rng.standard_normal((n_r, n_beams, 2)).astype(np.float32)
        z = cv2.GaussianBlur(z, (0, 0), sigmaX=0.8, sigmaY=1.8 * lay.radius_px / 480.0)
        z /= float(np.sqrt((z**2).sum(axis=-1).mean()))
        fields.append(z)
    map_r = r_px.astype(np.float32)
    map_b = ((theta + lay.half_angle_rad) / (2 * lay.half_angle_rad) * (n_beams - 1)).astype(np.float32)
    speck = [cv2.remap(z, map_b, map_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT) for z in fields]
    fan_flat = in_fan
    z0f, z1f, z2f = ((z[..., 0] + 1j * z[..., 1])[fan_flat].astype(np.complex64) for z in speck)

    # static tissue texture and depth gain
    texture = np.clip(
        1.0 + 0.22 * _smooth_noise(ana_rng, (hr, hc), 4.0) + 0.3 * _smooth_noise(ana_rng, (hr, hc), 14.0),
        0.3,
        None,
    )
    outside_tex = 0.065 * np.exp(0.8 * _smooth_noise(ana_rng, (hr, hc), 9.0))
    rn = r_px / lay.radius_px
    depth_gain = (1.05 - 0.35 * rn) * (1 - 0.35 * (np.abs(theta) / lay.half_angle_rad) ** 6)
    haze = (0.06 + 0.18 * p.noise_level) * np.exp(-y_cm / 2.5) + 0.8 * np.exp(-r_px * s / 0.35)
    depth_gain = np.clip(depth_gain, 0.05, None).astype(np.float32)

    # post-clip device: bright echo + shadow
    clip_xy = None
    shadow = np.ones((rows, cols), np.float32)
    if p.post_clip:
        cx_cm, cy_cm = ana.coapt[0], ana.coapt[1] - 0.25 * ana.scale
        clip_xy = lay.to_px(cx_cm, cy_cm)
        r_clip = math.hypot(cx_cm, cy_cm) / s
        th_clip = math.atan2(cx_cm, cy_cm)
        half_w = math.atan2(0.28 / s, r_clip)
        edge = np.clip((half_w - np.abs(theta - th_clip)) / (0.4 * half_w) + 0.5, 0, 1)
        behind = np.clip((r_px - (r_clip + 0.35 / s)) / 4.0, 0, 1)
        shadow = (1.0 - 0.88 * edge * behind).astype(np.float32)
    shadow_f = shadow[fan_flat]
    haze_f = haze[fan_flat].astype(np.float32)
    gain_f = (depth_gain * np.float32(p.tissue_gain))[fan_flat]

    # -- colour box (annular sector over the MV and LA)
    v_r = math.hypot(*ana.coapt) / s
    v_th = math.atan2(*ana.coapt)
    box_r0 = v_r - 3.0 * ana.scale / s * rng.uniform(0.9, 1.1)
    box_r1 = min(lay.radius_px - 2, v_r + 5.0 * ana.scale / s * rng.uniform(0.95, 1.1))
    half_box = math.atan2(2.7 * ana.scale * rng.uniform(0.95, 1.1), v_r * s)
    th0 = max(-lay.half_angle_rad + 0.01, v_th - half_box + rng.uniform(-0.02, 0.02))
    th1 = min(lay.half_angle_rad - 0.01, v_th + half_box + rng.uniform(-0.02, 0.02))
    box_in = (r_px > box_r0) & (r_px < box_r1) & (theta > th0) & (theta < th1) & in_fan
    box_dil = cv2.dilate(box_in.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    outline = box_dil & ~box_in
    ys, xs = np.nonzero(box_dil)
    box_xyxy = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    bx0, by0, bx1, by1 = box_xyxy
    crop = (slice(by0, by1 + 1), slice(bx0, bx1 + 1))
    ch, cw = by1 - by0 + 1, bx1 - bx0 + 1
    cx_cm, cy_cm = x_cm[crop], y_cm[crop]
    box_in_c = box_in[crop]
    rr_c = np.maximum(r_px[crop], 1e-3) * s
    beam_x, beam_y = cx_cm / rr_c, cy_cm / rr_c  # unit vector away from the probe

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
    la_allowed = (la_f < 1.0 + 0.05 / ana.la.a) | ((plane > -0.1) & (plane < 0.4) & annulus_span)
    la_side = plane > -0.05
    lv_blood_c = (ana.lv.f(cx_cm, cy_cm) < 0.97) & (cy_cm < mv_y + 0.05)
    shadow_c = shadow[crop]
    colour_ok = box_in_c & (shadow_c > 0.5)

    # -- jets
    n_jets = p.n_jets
    orifices: list[tuple[float, float]] = []
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
    base_dir = np.array(ana.coapt) / math.hypot(*ana.coapt)
    jets: list[_Jet] = []
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
            _Jet(
                orf,
                (idx * 0.04).astype(np.float32),
                dist.reshape(ch, cw).astype(np.float32),
                tang[idx, 0].astype(np.float32),
                tang[idx, 1].astype(np.float32),
                behind,
                length,
                width / 2,
                _smooth_noise(rng, (ch, cw), max(2.0, 0.25 / s)),
            )
        )

    # inflow axis: valve centre toward the LV apex
    vc = np.array([(hx0 + hx1) / 2, mv_y - 0.3 * ana.scale])
    in_dir = np.array(ana.lv_apex) - vc
    in_dir /= np.linalg.norm(in_dir)
    rel_x, rel_y = cx_cm - vc[0], cy_cm - vc[1]
    in_s = rel_x * in_dir[0] + rel_y * in_dir[1]
    in_d = np.abs(rel_x * in_dir[1] - rel_y * in_dir[0])
    in_wob = _smooth_noise(rng, (ch, cw), max(2.0, 0.3 / s))
    to_vc = np.hypot(rel_x, rel_y) + 1e-3
    # pulmonary vein: from the LA roof toward the valve
    pv0 = np.array([ana.la.cx + 0.7 * ana.scale, ana.la.cy + 0.9 * ana.la.b])
    pv_dir = vc - pv0
    pv_dir /= np.linalg.norm(pv_dir)
    pr_x, pr_y = cx_cm - pv0[0], cy_cm - pv0[1]
    pv_s = pr_x * pv_dir[0] + pr_y * pv_dir[1]
    pv_d = np.abs(pr_x * pv_dir[1] - pr_y * pv_dir[0])

    # colour cells: ~0.09 cm along the beam x ~0.7 degree across
    cell_r = (r_px[crop] * s / 0.09).astype(np.float32)
    dth = math.radians(0.7)
    cell_b = ((theta[crop] - th0) / dth + 1).astype(np.float32)
    cell_shape = (int(cell_r.max()) + 3, int(cell_b.max()) + 3)

    # colour table
    n_rows_bar = lay.colour_bar_xyxy[3] - lay.colour_bar_xyxy[1] + 1
    lut = colour_lut(p.colour_map, n_rows_bar, lay.n_var)
    lo_row, hi_row = black_rows(n_rows_bar)
    has_var = COLOUR_MAPS[p.colour_map]
    nyq = p.nyquist_cm_s
    gain_ext = p.gain**0.5
    v_show = 0.12 * nyq / p.gain  # display threshold for low-velocity sources

    # -- static screen
    static = _static_screen(p, lay, lut)
    ecg_pts, ecg_t0, ecg_span = _ecg_trace(p, lay)
    cv2.polylines(static, [ecg_pts], False, (40, 220, 70), 1, cv2.LINE_AA)

    frames = np.empty((T, rows, cols, 3), np.uint8)
    labels = np.zeros((T, rows, cols), np.uint8)
    confounders = np.zeros((T, rows, cols), bool)
    phase = np.empty(T, dtype="<U8")
    leaflet_layer = np.zeros((rows, cols), np.uint8)
    vy = lay.to_px(0.0, ana.mv_septal[1])[1]
    reach = 3.0 * ana.scale / s
    valve_rows = slice(max(0, int(vy - reach)), min(rows, int(vy + 0.6 * reach)))

    for k, tm in enumerate(timings):
        phase[k] = "systole" if tm.systolic else "diastole"
        # ---- B-mode
        lv = ana.lv
        cshr = 1.0 - 0.12 * tm.contraction
        lv_k = _Ellipse(
            lv.cx,
            lv.cut_below - (lv.cut_below - lv.cy) * (1 - 0.06 * tm.contraction),
            lv.a * cshr,
            lv.b * (1 - 0.06 * tm.contraction),
            lv.rot,
            lv.cut_below,
        )
        E_half = _echogenicity(ana, lv_k, hx, hy, texture, outside_tex, static_fields, wob, p)
        E = cv2.resize(E_half, (cols, rows), interpolation=cv2.INTER_LINEAR)
        leaflet_layer[:] = 0
        _draw_valves(leaflet_layer, ana, lay, tm.opening)
        E[valve_rows] = np.maximum(
            E[valve_rows], leaflet_layer[valve_rows].astype(np.float32) * (2.2 / 255.0)
        )
        if p.post_clip and clip_xy is not None:
            _draw_clip(E, lay, clip_xy, ana)
        Ef = E[fan_flat] * shadow_f
        a = 0.35 * math.sin(2 * math.pi * tm.t_ms / 1400.0)
        b = 2 * math.pi * k * 0.37
        env_t = np.abs(np.complex64(math.cos(a)) * z0f + np.complex64(math.sin(a)) * z1f)
        env_b = np.abs(np.complex64(math.cos(b)) * z2f + np.complex64(math.sin(b)) * z1f)
        env = np.where(Ef < 0.1, env_b, env_t)
        amp = (Ef + haze_f) * env * gain_f
        db = np.log10(amp + np.float32(1e-3)) * np.float32(20.0 / 52.0) + np.float32(36.0 / 52.0)
        grey_f = np.clip(db, 0.0, 1.0) ** np.float32(1.45) * np.float32(250.0)
        grey = np.zeros((rows, cols), np.float32)
        grey[fan_flat] = grey_f
        grey = cv2.GaussianBlur(grey, (0, 0), 0.6)
        grey = np.where(in_fan, grey, 0.0).astype(np.uint8)
        frame = static.copy()
        frame[in_fan] = grey[in_fan][:, None]
        frame[outline] = (150, 150, 150)

        # ---- colour flow (crop)
        vel = np.zeros((ch, cw), np.float32)
        var = np.zeros((ch, cw), np.float32)
        src = np.zeros((ch, cw), np.uint8)
        # colour data is coarse and noisy: cells along the colour beams
        cells = rng.standard_normal(cell_shape).astype(np.float32)
        cells = cv2.GaussianBlur(cells, (0, 0), 1.1)
        turb_noise = cv2.remap(cells, cell_b, cell_r, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT)
        turb_noise = turb_noise / (float(turb_noise.std()) or 1.0)
        # specks
        n_specks = rng.poisson(p.noise_level * p.gain**2 * box_in_c.sum() * s * s * 0.5)
        if n_specks:
            sp = np.zeros((ch, cw), np.uint8)
            sv = rng.uniform(-0.95, 0.95, n_specks + 1) * nyq
            for i in range(n_specks):
                cx_, cy_ = int(rng.integers(0, cw)), int(rng.integers(0, ch))
                cv2.circle(sp, (cx_, cy_), int(rng.integers(0, 3)), i + 1, -1)
            m = sp > 0
            vel[m] = sv[sp[m] - 1]
            var[m] = rng.uniform(0, 0.6)
            src[m] = SRC_SPECK
        # wall-motion flash: patchy low-velocity colour over moving myocardium
        fl = tm.flash * p.noise_level * p.gain
        if abs(fl) > 0.1:
            tissue = (E[crop] > 0.3) & box_in_c
            patch = tissue & (turb_noise > 2.2 - 1.6 * min(abs(fl), 1.0))
            v = math.copysign(1.0, fl) * nyq * (0.18 + 0.25 * np.abs(turb_noise))
            vel[patch] = v[patch]
            var[patch] = 0.1
            src[patch] = SRC_FLASH
        # pulmonary vein flow
        if p.pulmonary_vein_flow and abs(tm.pv) > 0.05:
            L = 2.0 * ana.scale
            w = 0.18 * ana.scale * (1 + 0.5 * (pv_s / L)) * (1 + 0.2 * in_wob)
            m = (pv_s > 0) & (pv_s < L) & (pv_d < w) & (la_f < 0.97)
            speed = 32.0 * tm.pv * (1 - (pv_d / w) ** 2).clip(0) * (1 - 0.6 * pv_s / L)
            speed = speed + 0.1 * nyq * turb_noise
            v = -speed * (pv_dir[0] * beam_x + pv_dir[1] * beam_y)
            m &= np.abs(v) > v_show
            vel[m] = v[m]
            var[m] = 0.05
            src[m] = SRC_PV
        # diastolic inflow (LV side) and convergence on the LA side
        if p.inflow and tm.inflow > 0.05:
            L = (2.8 + 2.4 * tm.inflow) * ana.scale
            u_in = np.clip(in_s / L, 0, 1)
            w = 1.05 * ana.scale * tm.opening**0.5 * _half_width_profile(u_in, 0.5)
            w = w * (1 + 0.15 * in_wob)
            lvside = (in_s > -0.2) & (in_s < L) & (in_d < w) & lv_blood_c
            speed = 95.0 * tm.inflow * (1 - (in_d / np.maximum(w, 1e-3)) ** 2).clip(0) ** 0.5
            speed = speed * (1 - 0.7 * u_in)
            v_lv = -(speed * (in_dir[0] * beam_x + in_dir[1] * beam_y))
            rc = 1.4 * ana.scale
            laside = (to_vc < rc) & (plane > -0.1) & (la_f < 1.0)
            speed_la = 50.0 * tm.inflow * (1 - to_vc / rc)
            v_la = speed_la * (rel_x * beam_x + rel_y * beam_y) / to_vc  # toward vc
            v_in = np.where(lvside, v_lv, v_la)
            v_in = v_in + 0.08 * nyq * turb_noise
            m = (lvside | laside) & (np.abs(v_in) > v_show)
            vel[m] = v_in[m]
            var[m] = 0.15 * tm.inflow
            src[m] = SRC_INFLOW
        # systolic PISA and jets
        if tm.systolic and tm.g > 0.05:
            if p.pisa and orifices:
                orf = orifices[int(np.argmin([abs(o[0] - ana.coapt[0]) for o in orifices]))]
                ox, oy = cx_cm - orf[0], cy_cm - orf[1]
                ro = np.hypot(ox, oy) + 1e-3
                rp = p.pisa_radius_cm * ana.scale**0.5 * tm.g**0.5
                speed = np.minimum(nyq * (rp / ro) ** 2, 4 * nyq)
                v = speed * (ox * beam_x + oy * beam_y) / ro  # toward the orifice
                v = v + 0.1 * nyq * turb_noise
                m = (
                    (plane < -0.02)
                    & (ro < 1.9 * rp)
                    & (np.abs(v) > 0.3 * nyq)
                    & (lv_blood_c | (ro < 0.6 * rp))
                )
                vel[m] = v[m]
                var[m] = np.clip(0.08 * speed[m] / nyq, 0, 0.3)  # laminar convergence
                src[m] = SRC_PISA
            for j, jet in enumerate(jets):
                g = tm.g
                L = jet.length_cm * (0.35 + 0.65 * g) * gain_ext
                u = jet.s / L
                W = jet.half_width_cm * (0.45 + 0.55 * g) * gain_ext
                W = (
                    W
                    * _half_width_profile(np.clip(u, 0, 1), 0.18)
                    * (1 + 0.14 * jet.wobble + 0.08 * turb_noise)
                )
                m = (u <= 1.0) & (jet.d <= W) & la_side & la_allowed & ~jet.behind
                prof = np.clip(1 - (jet.d / np.maximum(W, 1e-3)) ** 2, 0, 1)
                speed = p.jet_velocity_cm_s * g**0.5 / (1 + jet.s / 1.2) * prof**1.8
                speed = speed + 0.4 * nyq
                v = -speed * (jet.tx * beam_x + jet.ty * beam_y)
                v = v + p.turbulence * nyq * (0.12 + 2.8 * prof**1.3) * turb_noise
                vel[m] = v[m]
                var[m] = np.clip(p.turbulence * (0.05 + 0.75 * prof[m]) + 0.18 * turb_noise[m], 0, 1)
                src[m] = j + 1
        shown = (src > 0) & colour_ok
        if jets and tm.systolic:
            _separate_jets(src, shown, len(jets))
        if shown.any():
            u = _wrap(vel[shown] / nyq)
            row = np.clip(np.floor((1.0 - u) / 2.0 * n_rows_bar), 0, n_rows_bar - 1).astype(int)
            in_black = (row >= lo_row) & (row <= hi_row)
            row = np.where(in_black & (u >= 0), lo_row - 1, row)
            row = np.where(in_black & (u < 0), hi_row + 1, row)
            if has_var:
                vi = np.clip((var[shown] * lay.n_var).astype(int), 0, lay.n_var - 1)
            else:
                vi = np.zeros_like(row)
            colours = lut[row, vi]
            sub = frame[crop]
            sub[shown] = colours
            lab = np.where(shown & (src < 100), src, 0).astype(np.uint8)
            labels[k][crop] = lab
            confounders[k][crop] = shown & (src >= 100)
        # ---- per-frame overlays: ECG cursor and frame counter
        ex = lay.ecg_xyxy
        cur = ex[0] + (tm.t_ms - ecg_t0) / ecg_span * (ex[2] - ex[0])
        cur = int(round(min(max(cur, ex[0]), ex[2])))
        cv2.line(frame, (cur, ex[1]), (cur, ex[3]), (235, 235, 235), 1)
        fs = _font_scale(p)
        cv2.putText(
            frame,
            f"{k + 1}/{T}",
            (round(0.78 * cols), round(0.1 * rows)),
            _FONT,
            fs,
            (200, 200, 200),
            1,
            cv2.LINE_AA,
        )
        frames[k] = frame

    valve_xy = lay.to_px(*ana.coapt)
    la_area = float((ana.la.f(x_cm, y_cm) < 1.0).__and__(in_fan).sum() * s * s)
    return RenderedScene(
        frames=frames,
        jet_labels=labels,
        confounders=confounders,
        phase=phase,
        layout=lay,
        colour_box_xyxy=box_xyxy,
        colour_box_polar=(float(box_r0), float(box_r1), float(th0), float(th1)),
        valve_xy=(float(valve_xy[0]), float(valve_xy[1])),
        orifices_xy=tuple(tuple(float(v) for v in lay.to_px(*o)) for o in orifices),
        la_area_cm2=la_area,
        lut=lut,
        frame_times_ms=np.array([t.t_ms for t in timings]),
        clip_xy=None if clip_xy is None else (float(clip_xy[0]), float(clip_xy[1])),
    )


def _separate_jets(src: np.ndarray, shown: np.ndarray, n_jets: int, *, touching: bool = False) -> None:
    """Make each jet one 8-connected region, not touching another jet (in place).

    Un-colours the pixels of a jet that touch a later jet (unless ``touching``:
    jets that merge downstream), then keeps each jet's largest piece (a
    fragment cut off by the clip's shadow or by a ragged edge is not shown),
    so that counting regions counts jets.
    """
    eight = np.ones((3, 3), np.uint8)
    for j in range(1, n_jets) if not touching else ():
        later = shown & (src > j) & (src <= n_jets)
        if later.any():
            touch = shown & (src == j) & cv2.dilate(later.astype(np.uint8), eight).astype(bool)
            shown &= ~touch
            src[touch] = 0
    for j in range(1, n_jets + 1):
        m = shown & (src == j)
        if not m.any():
            continue
        lab, n = ndi.label(m, structure=eight)
        if n > 1:
            sizes = np.bincount(lab.ravel())
            sizes[0] = 0
            drop = m & (lab != int(np.argmax(sizes)))
            shown &= ~drop
            src[drop] = 0


@dataclass
class _ChamberField:
    dw: np.ndarray  # signed distance (cm) to the outer wall surface
    d: np.ndarray  # signed distance (cm) to the blood boundary
    nx: np.ndarray  # unit normal of the boundary
    ny: np.ndarray
    blood: np.ndarray  # 0..1


def _chamber_field(e: _Ellipse, wall: float, x: np.ndarray, y: np.ndarray, wob: np.ndarray) -> _ChamberField:
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
    return _ChamberField(d - wall, d, gx / gn, gy / gn, bl)


def _combine(fields: list[_ChamberField]) -> _ChamberField:
    out = fields[0]
    dw, d, nx, ny, bl = out.dw, out.d, out.nx, out.ny, out.blood
    for f in fields[1:]:
        closer = np.abs(f.d) < np.abs(d)
        d = np.where(closer, f.d, d)
        nx = np.where(closer, f.nx, nx)
        ny = np.where(closer, f.ny, ny)
        dw = np.minimum(dw, f.dw)
        bl = np.maximum(bl, f.blood)
    return _ChamberField(dw, d, nx, ny, bl)


def _echogenicity(
    ana: _Anatomy,
    lv: _Ellipse,
    x: np.ndarray,
    y: np.ndarray,
    texture: np.ndarray,
    outside: np.ndarray,
    static: _ChamberField,
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
    c = _combine([_chamber_field(lv, 1.0, x, y, wob), static])
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


def _draw_valves(layer: np.ndarray, ana: _Anatomy, lay: Layout, opening: float) -> None:
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


def _draw_clip(E: np.ndarray, lay: Layout, clip_xy: tuple[float, float], ana: _Anatomy) -> None:
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


# -- static overlays ----------------------------------------------------------
def _font_scale(p: SceneParams) -> float:
    return max(0.22, 0.42 * p.rows / 600)


def _put(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    colour: tuple[int, int, int] = (210, 210, 210),
    thick: int = 1,
) -> None:
    cv2.putText(img, text, (int(org[0]), int(org[1])), _FONT, scale, colour, thick, cv2.LINE_AA)


def _static_screen(p: SceneParams, lay: Layout, lut: np.ndarray) -> np.ndarray:
    rows, cols = p.rows, p.cols
    img = np.zeros((rows, cols, 3), np.uint8)
    fs = _font_scale(p)
    lh = max(9, round(0.033 * rows))
    # logo: coloured badge + name, top left
    sz = max(6, round(0.04 * rows))
    x0, y0 = round(0.012 * cols), round(0.012 * rows)
    cv2.rectangle(img, (x0, y0), (x0 + sz, y0 + sz), (0, 110, 200), -1)
    cv2.circle(img, (x0 + sz // 2, y0 + sz // 2), max(2, sz // 3), (255, 170, 0), -1, cv2.LINE_AA)
    _put(img, "SynthEcho", (x0 + sz + 6, y0 + sz - 2), fs * 1.15, (255, 170, 0), 1)
    _put(img, "ECHOASSESS SYNTHETIC  ADULT ECHO", (round(0.3 * cols), y0 + sz - 4), fs, (200, 200, 200))
    _put(img, "SYNTHETIC PATIENT", (round(0.3 * cols), y0 + sz - 4 + lh), fs * 0.9, (170, 170, 170))
    _put(img, "MI 1.1  TIs 0.7", (round(0.78 * cols), y0 + sz - 4), fs * 0.9, (200, 200, 200))
    left = [
        ("A4C", (230, 230, 230)),
        (f"FR {p.frame_rate_hz:.0f}Hz", (200, 200, 200)),
        (f"{p.depth_cm:.1f}cm", (200, 200, 200)),
        ("", (0, 0, 0)),
        ("2D", (230, 230, 230)),
        (f" {round(55 * p.tissue_gain)}%", (200, 200, 200)),
        (" C 50", (200, 200, 200)),
        (" P Low", (200, 200, 200)),
        (" HGen", (200, 200, 200)),
        ("", (0, 0, 0)),
        ("CF", (230, 230, 230)),
        (f" {round(50 * p.gain)}%", (200, 200, 200)),
        (" 2.5MHz", (200, 200, 200)),
        (" WF 240Hz", (200, 200, 200)),
        (" Med", (200, 200, 200)),
    ]
    y = round(0.12 * rows)
    for text, colour in left:
        if text:
            _put(img, text, (x0, y), fs, colour)
        y += lh
    # colour bar legend with Nyquist labels
    bx0, by0, bx1, by1 = lay.colour_bar_xyxy
    bar = np.repeat(lut, (bx1 - bx0 + 1) // lut.shape[1], axis=1)
    img[by0 : by1 + 1, bx0 : bx1 + 1] = bar
    nyq = f"{p.nyquist_cm_s:.1f}"
    _put(img, "+" + nyq, (bx0 - round(0.01 * cols), by0 - round(0.012 * rows)), fs * 0.95)
    _put(img, "-" + nyq, (bx0 - round(0.01 * cols), by1 + round(0.035 * rows)), fs * 0.95)
    _put(img, "cm/s", (bx0 - round(0.004 * cols), by1 + round(0.07 * rows)), fs * 0.85)
    # depth scale: dots along the right fan edge, every cm
    n_cm = int(p.depth_cm)
    for d in range(1, n_cm + 1):
        rpx = d / lay.spacing_cm
        ang = lay.half_angle_rad
        px = lay.apex_x + rpx * math.sin(ang) + max(4, 0.008 * cols)
        py = lay.apex_y + rpx * math.cos(ang)
        rad = 2 if d % 5 == 0 else 1
        cv2.circle(img, (int(round(px)), int(round(py))), rad, (200, 200, 200), -1)
    _put(
        img,
        f"{p.depth_cm:.0f}",
        (
            round(lay.apex_x + lay.radius_px * math.sin(lay.half_angle_rad) + 0.01 * cols),
            round(min(lay.apex_y + lay.radius_px, 0.86 * rows)),
        ),
        fs,
    )
    # orientation marker near the apex
    mx, my = round(lay.apex_x + 0.09 * cols), round(lay.apex_y + 0.005 * rows)
    cv2.circle(img, (mx, my), max(2, round(0.006 * rows)), (0, 160, 255), -1, cv2.LINE_AA)
    # heart rate
    ex = lay.ecg_xyxy
    _put(img, f"HR {p.heart_rate_bpm:.0f}", (ex[2] - round(0.05 * cols), ex[1] - 4), fs * 0.9, (40, 220, 70))
    return img


def _ecg_trace(p: SceneParams, lay: Layout) -> tuple[np.ndarray, float, float]:
    ex0, ey0, ex1, ey1 = lay.ecg_xyxy
    span = max(p.n_frames * p.frame_time_ms * 1.08, 1.2 * p.rr_ms)
    t0 = -0.04 * span
    xs = np.arange(ex0, ex1 + 1)
    t = t0 + (xs - ex0) / max(ex1 - ex0, 1) * span
    rr = p.rr_ms
    tc = (t + p.start_phase * rr) % rr
    tc = np.where(tc > rr - 220.0, tc - rr, tc)  # P wave before the R

    def g(mu: float, sd: float, a: float) -> np.ndarray:
        return a * np.exp(-(((tc - mu) / sd) ** 2))

    t_peak = 400.0 * math.sqrt(rr / 1000.0) - 80.0  # T wave peak (Bazett-like QT)
    v = g(-160, 25, 0.12) + g(-28, 9, -0.12) + g(0, 10, 1.0) + g(28, 10, -0.25)
    v = v + g(t_peak, 45, 0.28)
    mid = (ey0 + ey1) / 2
    amp = (ey1 - ey0) * 0.45
    ys = mid + amp * 0.3 - v * amp * 1.1
    pts = np.stack([xs, np.round(ys)], axis=1).astype(np.int32).reshape(-1, 1, 2)
    return pts, t0, span
