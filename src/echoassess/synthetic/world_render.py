"""Render a world clip: any view, colour style and artefact set, with exact truth.

Independent of :mod:`echoassess.synthetic.scene`. The canonical scene
(:mod:`echoassess.synthetic.world_anatomy`, cm from the transducer) is sampled
on the pixel grid; a mirrored clip samples it with ``x`` flipped, so anatomy
and flow mirror while the text, legend and ECG do not.

Flow inside the colour box is a velocity field (cm/s, positive toward the
probe) plus a variance field, wrapped at the Nyquist limit and coloured with
the table drawn as the legend. Sources, lowest display priority first: noise
specks, wall-motion flashes, pulmonary-vein flow, diastolic inflow, systolic
LVOT outflow, diastolic aortic regurgitation, PISA, regurgitant jets. Only the
pixels finally coloured by a jet are truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from .colourmaps import _STOPS, BASELINE_FRACTION, _ramp, black_rows, velocity_rows
from .scene import _separate_jets
from .world_anatomy import Blob, Heart, build_heart
from .world_params import WorldParams

__all__ = ["WorldScene", "render_world", "world_lut"]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
SRC_SPECK, SRC_FLASH, SRC_PV, SRC_INFLOW, SRC_LVOT, SRC_AI, SRC_PISA = (200, 201, 202, 203, 204, 205, 206)
_EIGHT = np.ones((3, 3), np.uint8)

# -- colour maps --------------------------------------------------------------
# (fraction of Nyquist, RGB) control points, toward (positive) then away: the two
# maps of the apical generator and three more vendors' looks.
_MAPS = {
    **_STOPS,
    # GE-like: deep red -> orange -> yellow -> near white; blue -> cyan -> white
    "ge_like": (
        (
            (0.0, (110, 0, 0)),
            (0.3, (210, 30, 0)),
            (0.6, (255, 130, 0)),
            (0.85, (255, 220, 40)),
            (1.0, (255, 255, 215)),
        ),
        ((0.0, (0, 0, 120)), (0.35, (0, 50, 235)), (0.7, (0, 180, 255)), (1.0, (215, 255, 255))),
    ),
    # Philips-like: dark red -> bright red -> yellow; navy -> blue -> light blue
    "philips_like": (
        ((0.0, (60, 0, 10)), (0.45, (230, 0, 20)), (0.8, (255, 170, 40)), (1.0, (255, 250, 110))),
        ((0.0, (0, 0, 60)), (0.5, (0, 60, 255)), (0.85, (80, 170, 255)), (1.0, (160, 220, 255))),
    ),
    # Siemens-like: maroon -> red -> orange; dark blue -> royal blue -> cyan-teal
    "siemens_like": (
        ((0.0, (80, 0, 20)), (0.5, (200, 20, 30)), (1.0, (255, 140, 60))),
        ((0.0, (0, 20, 90)), (0.5, (20, 70, 210)), (1.0, (60, 210, 210))),
    ),
}


def world_lut(name: str, n_rows: int, n_var: int = 1) -> np.ndarray:
    """Colour table ``(n_rows, n_var, 3) uint8`` (top row = +Nyquist); ``n_var > 1``
    adds variance green (the variance version of the map)."""
    pos, neg = _MAPS[name]
    uu = velocity_rows(n_rows)
    mag = np.clip((np.abs(uu) - BASELINE_FRACTION) / (1.0 - BASELINE_FRACTION), 0.0, 1.0)
    rgb = np.where((uu >= 0)[:, None], _ramp(pos, mag), _ramp(neg, mag))
    lo, hi = black_rows(n_rows)
    rgb[lo : hi + 1] = 0.0
    out = np.repeat(rgb[:, None, :], n_var, axis=1)
    if n_var > 1:
        w = np.linspace(0.0, 1.0, n_var)
        out[..., 1] = out[..., 1] + (255.0 - out[..., 1]) * 0.85 * w[None, :]
        out[..., 0] *= 1.0 - 0.3 * w[None, :]
        out[..., 2] *= 1.0 - 0.3 * w[None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


# -- layout -------------------------------------------------------------------
@dataclass(frozen=True)
class WorldLayout:
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
        s = self.spacing_cm
        return self.apex_x + self.sign * x_cm / s, self.apex_y + y_cm / s


def _box_cm(p: WorldParams, heart: Heart, rng: np.random.Generator) -> tuple[float, ...]:
    """Colour box as an annular sector (r0, r1 cm; th0, th1 rad, canonical)."""
    k = heart.k
    pts = [b.boundary(48) for b in heart.la]
    la_pts = np.concatenate(pts)
    la_pts = la_pts[heart.plane(la_pts[:, 0], la_pts[:, 1]) > 0]
    h0, h1 = heart.hinges
    key = [la_pts, np.array([h0, h1, heart.coapt - 1.6 * k * heart.u])]
    if heart.av is not None and (p.lvot_flow or p.ai_jet) and rng.random() < 0.85:
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


def _layout(p: WorldParams, heart: Heart, box: tuple[float, ...]) -> WorldLayout:
    rows, cols = p.rows, p.cols
    half = math.radians(p.sector_angle_deg / 2)
    left_lim, right_lim = 0.13 * cols, 0.84 * cols
    if p.bar_side == "left":
        left_lim, right_lim = 0.17 * cols, 0.88 * cols
    apex_y = round(0.06 * rows)
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


#: Half the width of the B-mode's blood ramp (``blood = clip(-d / 0.12)``).
_BLOOD_EDGE_CM = 0.06


# -- timing -------------------------------------------------------------------
@dataclass(frozen=True)
class _Timing:
    t_ms: float
    systolic: bool
    g: float  # MR strength 0..1
    opening: float  # mitral opening
    inflow: float
    pv: float
    contraction: float
    flash: float
    eject: float  # LVOT outflow
    ai: float  # aortic regurgitation (diastole)


_SYS_DELAY_MS = 30.0


def _timing(p: WorldParams, k: int, beat_gain: np.ndarray) -> _Timing:
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
    eject = 0.0
    if systolic:
        x = (ts - 0.1 * sys_ms) / (0.8 * sys_ms)
        eject = math.sin(math.pi * x) ** 0.8 if 0 < x < 1 else 0.0
    ai = 0.0
    if systolic or tc < _SYS_DELAY_MS:
        opening, inflow = 0.0, 0.0
        pv = 0.6 * math.sin(math.pi * ts / sys_ms) if systolic else 0.0
    else:
        dia = rr - _SYS_DELAY_MS - sys_ms
        pd = min(max((tc - _SYS_DELAY_MS - sys_ms) / max(dia, 1.0), 0.0), 1.0)
        e_wave = math.exp(-(((pd - 0.17) / 0.1) ** 2))
        a_wave = 0.65 * math.exp(-(((pd - 0.86) / 0.07) ** 2))
        inflow = max(e_wave, a_wave)
        plateau = 0.4 if 0.06 < pd < 0.97 else 0.0
        opening = min(1.0, max(1.2 * inflow, plateau))
        pv = 0.5 * math.exp(-(((pd - 0.25) / 0.15) ** 2)) - 0.3 * math.exp(-(((pd - 0.88) / 0.06) ** 2))
        ai = (1.0 - 0.5 * pd) if pd > 0.02 else 0.0
    t_relax = tc - _SYS_DELAY_MS - sys_ms
    flash = math.exp(-(((tc - 50.0) / 35.0) ** 2)) - 0.8 * math.exp(-(((t_relax - 60.0) / 40.0) ** 2))
    return _Timing(t - p.start_phase * rr, systolic, g, opening, inflow, pv, contraction, flash, eject, ai)


# -- helpers ------------------------------------------------------------------
def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigma)
    return n / (float(n.std()) or 1.0)


def _wrap(x: np.ndarray) -> np.ndarray:
    return np.mod(x + 1.0, 2.0) - 1.0


def _rot(d: np.ndarray, ang: float) -> np.ndarray:
    c, s_ = math.cos(ang), math.sin(ang)
    return np.array([c * d[0] - s_ * d[1], s_ * d[0] + c * d[1]])


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
class _JetField:
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
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return slice(0, 0), slice(0, 0)
    return (
        slice(max(0, ys.min() - pad), ys.max() + pad + 1),
        slice(max(0, xs.min() - pad), xs.max() + pad + 1),
    )


def _tube(pts: np.ndarray, pix: np.ndarray, shape: tuple[int, int]):
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


# -- the scene ----------------------------------------------------------------
@dataclass(frozen=True)
class WorldScene:
    frames: np.ndarray
    jet_labels: np.ndarray
    confounders: np.ndarray
    ai_masks: np.ndarray | None
    phase: np.ndarray
    layout: WorldLayout
    colour_box_xyxy: tuple[int, int, int, int]
    tissue_xyxy: tuple[int, int, int, int]
    valve_xy: tuple[float, float]
    annulus_xy: tuple[tuple[float, float], tuple[float, float]]
    orifices_xy: tuple[tuple[float, float], ...]
    vc_width_cm: tuple[float, ...]
    la_mask: np.ndarray
    la_area_cm2: float
    vc_width_cm_frames: np.ndarray
    la_complete: bool
    overlay_mask: np.ndarray | None
    ecg_xyxy: tuple[int, int, int, int] | None
    lut: np.ndarray
    clip_xy: tuple[float, float] | None
    colour_map: str


def render_world(p: WorldParams, rng: np.random.Generator) -> WorldScene:
    ana_rng = rng if p.anatomy_seed is None else np.random.default_rng(int(p.anatomy_seed))
    heart = build_heart(p, ana_rng)
    box_cm = _box_cm(p, heart, rng)
    lay = _layout(p, heart, box_cm)
    rows, cols, s, T = p.rows, p.cols, lay.spacing_cm, p.n_frames
    k = heart.k
    u_ax, v_ax = heart.u, heart.v

    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    dxp, dyp = xx - np.float32(lay.apex_x), yy - np.float32(lay.apex_y)
    r_px = np.hypot(dxp, dyp)
    theta_s = np.arctan2(dxp, dyp)
    wx0, wy0, wx1, wy1 = lay.window_xyxy
    in_fan = (r_px <= lay.radius_px) & (np.abs(theta_s) <= lay.half_angle_rad) & (dyp >= 0)
    in_fan &= (r_px >= 2) & (xx >= wx0) & (xx <= wx1) & (yy <= wy1)
    x_cm = lay.sign * dxp * np.float32(s)
    y_cm = dyp * np.float32(s)
    theta = lay.sign * theta_s
    r_cm = r_px * np.float32(s)
    ys_, xs_ = np.nonzero(in_fan)
    tissue_xyxy = (int(xs_.min()), int(ys_.min()), int(xs_.max()), int(ys_.max()))

    # -- anatomy on a half-resolution grid
    hx, hy = x_cm[::2, ::2], y_cm[::2, ::2]
    hr_, hc_ = hx.shape
    hstep = max(2 * s, 1e-3)
    wob = (0.1 * k * _smooth_noise(ana_rng, (hr_, hc_), max(2.0, 0.5 / hstep))).astype(np.float32)
    plane_h = heart.plane(hx, hy)
    d_la_h = np.minimum.reduce([b.sdist(hx, hy) for b in heart.la])
    d_la_h = np.maximum(d_la_h, -plane_h - 0.15)
    d_static = d_la_h
    for b in heart.others:
        d_static = np.minimum(d_static, b.sdist(hx, hy))
    texture = np.clip(
        1.0 + 0.25 * _smooth_noise(ana_rng, (hr_, hc_), 3.0) + 0.3 * _smooth_noise(ana_rng, (hr_, hc_), 12.0),
        0.25,
        None,
    )
    outside_tex = 0.07 * np.exp(0.9 * _smooth_noise(ana_rng, (hr_, hc_), 8.0))
    hr_cm = np.hypot(hx, hy)
    near = 0.9 * np.exp(-hr_cm / 0.5) if p.is_tee else 0.25 * np.exp(-hr_cm / 1.2)
    clutter_blood = 0.012 + 0.025 * p.noise_level + (0.0 if p.is_tee else 0.12 * np.exp(-hy / 2.0))
    wall_cm = 0.95 * k
    posterior = np.clip((hy - heart.M[1] + 2.0) / 3.0, 0.3, 1.0)

    def echogenicity(lv_blobs: list[Blob]) -> np.ndarray:
        d_lv = np.minimum.reduce([b.sdist(hx, hy) for b in lv_blobs])
        d_lv = np.maximum(d_lv, plane_h - 0.15)
        d = np.minimum(d_static, d_lv) + wob
        blood = np.clip(-d / (2 * _BLOOD_EDGE_CM), 0, 1)
        myo = 0.85 * texture
        peri = 1.8 * np.exp(-(((d - wall_cm - 0.25) / 0.16) ** 2)) * posterior * texture
        E = np.where(d < wall_cm, myo, outside_tex)
        E = np.maximum(E, peri) + near
        E = E * (1 - blood) + clutter_blood * blood
        return E.astype(np.float32)

    # LA pool on the full grid (static: the LA does not contract)
    plane_f = heart.plane(x_cm, y_cm)
    d_la_f = np.minimum.reduce([b.sdist(x_cm, y_cm) for b in heart.la])
    d_la_f = np.maximum(d_la_f, -plane_f)
    wob_f = cv2.resize(wob, (cols, rows), interpolation=cv2.INTER_LINEAR)
    # the B-mode draws blood as clip(-d / 0.12): the pool's edge, where half of
    # a pixel is blood, lies 0.06 cm inside d = 0 (d < 0 alone would count the
    # inner half of the wall's ramp as blood, ~10 % of the area)
    la_full = d_la_f + wob_f < -_BLOOD_EDGE_CM
    la_mask = la_full & in_fan
    # the whole pool is shown: (almost) none of it outside the fan or the screen
    la_edge = bool(la_full[0].any() or la_full[-1].any() or la_full[:, 0].any() or la_full[:, -1].any())
    la_complete = bool(not la_edge and la_mask.sum() >= 0.98 * la_full.sum())

    beat_gain = np.clip(1.0 + 0.06 * rng.standard_normal(16), 0.85, 1.15)
    timings = [_timing(p, i, beat_gain) for i in range(T)]

    # -- speckle on the beam grid
    n_beams = max(48, int(0.22 * lay.radius_px * 2 * lay.half_angle_rad))
    n_r = int(lay.radius_px) + 2
    speck_fields = []
    for _ in range(3):
        z = rng.standard_normal((n_r, n_beams, 2)).astype(np.float32)
        z = cv2.GaussianBlur(z, (0, 0), sigmaX=0.8, sigmaY=1.8 * max(lay.radius_px, 200) / 480.0)
        z /= float(np.sqrt((z**2).sum(axis=-1).mean()))
        speck_fields.append(z)
    map_r = r_px.astype(np.float32)
    map_b = ((theta_s + lay.half_angle_rad) / (2 * lay.half_angle_rad) * (n_beams - 1)).astype(np.float32)
    z0f, z1f, z2f = (
        (lambda m: (m[..., 0] + 1j * m[..., 1])[in_fan].astype(np.complex64))(
            cv2.remap(z, map_b, map_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        )
        for z in speck_fields
    )
    rn = r_px / lay.radius_px
    depth_gain = (1.05 - 0.3 * np.clip(rn, 0, 1.2)) * (1 - 0.35 * (np.abs(theta_s) / lay.half_angle_rad) ** 6)
    gain_f = (np.clip(depth_gain, 0.05, None) * np.float32(p.tissue_gain))[in_fan]
    gain_f = gain_f.astype(np.float32)

    # -- clip device and its shadow
    clip_xy = None
    shadow = np.ones((rows, cols), np.float32)
    clip_c = heart.coapt + 0.05 * k * u_ax
    if p.post_clip:
        clip_xy = lay.to_px(*clip_c)
        rc = float(np.hypot(*clip_c))
        thc = math.atan2(clip_c[0], clip_c[1])
        half_w = math.atan2(0.3 * k, rc)
        edge = np.clip((half_w - np.abs(theta - thc)) / (0.35 * half_w) + 0.5, 0, 1)
        behind = np.clip((r_cm - (rc + 0.4 * k)) / (4.0 * s), 0, 1)
        shadow = (1.0 - 0.9 * edge * behind).astype(np.float32)
    shadow_f = shadow[in_fan]

    # -- colour box
    r0, r1, th0, th1 = box_cm
    box_in = (r_cm > r0) & (r_cm < r1) & (theta > th0) & (theta < th1) & in_fan
    box_dil = cv2.dilate(box_in.astype(np.uint8), _EIGHT).astype(bool) & (
        cv2.dilate(in_fan.astype(np.uint8), _EIGHT).astype(bool)
    )
    outline = box_dil & ~box_in
    bys, bxs = np.nonzero(box_dil)
    box_xyxy = (int(bxs.min()), int(bys.min()), int(bxs.max()), int(bys.max()))
    bx0, by0, bx1, by1 = box_xyxy
    crop = (slice(by0, by1 + 1), slice(bx0, bx1 + 1))
    ch, cw = by1 - by0 + 1, bx1 - bx0 + 1
    cx, cy = x_cm[crop], y_cm[crop]
    box_c = box_in[crop]
    rr_c = np.maximum(np.hypot(cx, cy), 1e-3)
    beam_x, beam_y = cx / rr_c, cy / rr_c  # unit, away from the probe
    plane = heart.plane(cx, cy)
    alongc = heart.along(cx, cy)
    d_la_c = d_la_f[crop] + wob_f[crop]  # (jet geometry: unchanged by _BLOOD_EDGE_CM)
    la_c = d_la_c < 0
    annulus_band = (plane > 0) & (plane < 0.5 * k) & (np.abs(alongc) < heart.half_annulus)
    la_allowed = (d_la_c < 0.04) | annulus_band
    colour_ok = box_c & (shadow[crop] > 0.5)
    d_lv_c0 = np.maximum(np.minimum.reduce([b.sdist(cx, cy) for b in heart.lv]), plane)
    lv_c = d_lv_c0 < -0.05
    d_oth = [b.sdist(cx, cy) for b in (heart.lvot, heart.ao) if b is not None]
    outflow_c = (np.minimum.reduce(d_oth) < -0.05) if d_oth else np.zeros((ch, cw), bool)

    # -- jets
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
    orifices = [heart.M + o * k * v_ax for o in offsets]
    pix = np.stack([cx.ravel(), cy.ravel()], axis=1)
    jets: list[_JetField] = []
    vc_widths: list[float] = []
    for j, orf in enumerate(orifices):
        if n_jets > 1 and p.touching and j < 2:
            spread = 14.0 if j == 0 else -14.0  # the first two converge and merge
        else:
            spread = (j - (n_jets - 1) / 2) * (16.0 if n_jets > 1 else 0.0)
        ang = p.jet_angle_deg + spread + rng.uniform(-5, 5)
        ang = float(np.clip(ang, -70, 70))
        d0 = _towards(u_ax, v_ax, ang)
        shrink = 0.8 if n_jets > 1 else 1.0
        length = p.jet_length_cm * rng.uniform(0.85, 1.15) * shrink
        width = p.jet_width_cm * rng.uniform(0.85, 1.15) * shrink
        vc = min(p.vc_width_cm * rng.uniform(0.9, 1.1), 0.9 * width)
        pts = _march(heart, orf, d0, length * 1.3, hug=p.wall_hugging)
        idx, dist, tang = _tube(pts, pix, (ch, cw))
        behind = (idx == 0) & ((cx - orf[0]) * d0[0] + (cy - orf[1]) * d0[1] < 0)
        sj = (idx * 0.04).astype(np.float32)
        ok = (plane > 0) & la_allowed & ~behind
        reach = (
            ok & (sj <= length * p.gain**0.5 + 0.1) & (dist <= max(width / 2 * p.gain**0.5 * 1.6, vc) + 0.1)
        )
        sl = _bbox(reach)
        cosb = (tang[idx, 0] * beam_x + tang[idx, 1] * beam_y).astype(np.float32)
        wob_j = _smooth_noise(rng, (ch, cw), max(1.5, 0.25 / s))
        jets.append(_JetField(sl, sj[sl], dist[sl], cosb[sl], ok[sl], length, width / 2, vc / 2, wob_j[sl]))
        vc_widths.append(round(float(vc), 4))

    # confounder geometry
    M = heart.M
    in_dir = heart.lv_apex - M
    in_dir = in_dir / np.hypot(*in_dir)
    vc_pt = M - 0.3 * k * u_ax
    rel_x, rel_y = cx - vc_pt[0], cy - vc_pt[1]
    in_s = rel_x * in_dir[0] + rel_y * in_dir[1]
    in_d = np.abs(rel_x * in_dir[1] - rel_y * in_dir[0])
    in_wob = _smooth_noise(rng, (ch, cw), max(2.0, 0.3 / s))
    # after a clip the valve has two orifices: two inflow streams that merge downstream
    clip_gap = np.zeros((ch, cw), bool)
    if p.post_clip:
        reach_gap = 1.8 * k
        gap_w = 0.3 * k * np.clip(1 - in_s / reach_gap, 0, 1) ** 0.7 * (1 + 0.25 * in_wob)
        clip_gap = (in_s < reach_gap) & (in_d < gap_w)
    to_vc = np.hypot(rel_x, rel_y) + 1e-3
    pr_x, pr_y = cx - heart.pv0[0], cy - heart.pv0[1]
    pv_s = pr_x * heart.pv_dir[0] + pr_y * heart.pv_dir[1]
    pv_d = np.abs(pr_x * heart.pv_dir[1] - pr_y * heart.pv_dir[0])
    if heart.av is not None:
        av = heart.av
        ar_x, ar_y = cx - av[0], cy - av[1]
        lv_ax = heart.lvot_axis
        ao_ax = heart.ao_axis
        lvot_s = ar_x * lv_ax[0] + ar_y * lv_ax[1]  # > 0 on the aortic side
        lvot_d = np.abs(ar_x * lv_ax[1] - ar_y * lv_ax[0])
        ao_s = ar_x * ao_ax[0] + ar_y * ao_ax[1]
        ai_pts = _march_straight(av, -lv_ax, 4.0 * k)
        ai_idx, ai_dist, _ = _tube(ai_pts, pix, (ch, cw))
        ai_len = rng.uniform(2.0, 3.8) * k
        ai_w = rng.uniform(0.35, 0.6) * k
    pisa_c = heart.coapt - 0.05 * k * u_ax
    if orifices:
        near_o = orifices[int(np.argmin([abs(o) for o in offsets]))]
        pisa_c = near_o - 0.25 * k * u_ax
    po_x, po_y = cx - pisa_c[0], cy - pisa_c[1]
    ro = np.hypot(po_x, po_y) + 1e-3

    # mosaic cells on the colour beams
    cell = p.mosaic_cell_px
    th_mid = (th0 + th1) / 2
    r_mid = max((r0 + r1) / 2 / s, 10.0)
    cell_r = (r_px[crop] / cell).astype(np.float32)
    cell_b = ((theta[crop] - th0) * r_mid / (cell * 1.3) + 1).astype(np.float32)
    cell_shape = (int(cell_r.max()) + 3, int(cell_b.max()) + 3)
    fine_r = (r_px[crop] / 2.5).astype(np.float32)
    fine_b = ((theta[crop] - th0) * r_mid / 3.0 + 1).astype(np.float32)
    fine_shape = (int(fine_r.max()) + 3, int(fine_b.max()) + 3)
    del th_mid
    warp_shape = (max(2, ch // max(2, int(cell * 0.8))), max(2, cw // max(2, int(cell * 0.8))))
    # dropout streaks run along the beams: long radially, narrow across
    hole_r = (r_px[crop] / max(6.0, 1.2 * cell)).astype(np.float32)
    hole_b = ((theta[crop] - th0) * r_mid / max(2.5, 0.4 * cell) + 1).astype(np.float32)
    hole_shape = (int(hole_r.max()) + 3, int(hole_b.max()) + 3)

    # colour table
    n_rows_bar = lay.bar_xyxy[3] - lay.bar_xyxy[1] + 1
    lut = world_lut(p.colour_map, n_rows_bar, lay.n_var)
    lo_row, hi_row = black_rows(n_rows_bar)
    nyq = p.nyquist_cm_s
    gain_ext = p.gain**0.5
    v_show = 0.12 * nyq / p.gain
    texture_kind = p.texture
    coarse = p.effective_mosaic == "coarse"

    # -- static screen and overlays
    static = _static_screen(p, lay, lut)
    ecg_xyxy = None
    ecg_cursor = None
    if p.ecg_mode != "none":
        ecg_xyxy = lay.ecg_xyxy
        t_first, t_last = timings[0].t_ms, timings[-1].t_ms
        if p.ecg_mode == "frozen":
            t0, span = t_first, max(t_last - t_first, p.frame_time_ms)
        else:
            span = max((t_last - t_first) * 1.08 + p.frame_time_ms, 1.2 * p.rr_ms)
            t0 = t_first - 0.04 * span
            ecg_cursor = (t0, span)
        pts = _ecg_trace(p, lay, t0, span)
        cv2.polylines(static, [pts], False, p.ecg_rgb, 1, cv2.LINE_AA)
    overlay = None
    overlay_rgb = None
    if p.has_overlays:
        overlay, overlay_rgb = _overlays(p, lay, lut, box_in, outline, box_cm, rng)

    frames = np.empty((T, rows, cols, 3), np.uint8)
    labels = np.zeros((T, rows, cols), np.uint8)
    confounders = np.zeros((T, rows, cols), bool)
    ai_masks = np.zeros((T, rows, cols), bool) if (p.ai_jet and heart.av is not None) else None
    phase = np.empty(T, dtype="<U8")
    vc_frames = np.full((T, n_jets), np.nan)
    leaflets = np.zeros((rows, cols), np.uint8)
    grey_lut = np.linspace(0.0, 1.0, 1024, dtype=np.float32) ** np.float32(1.45) * np.float32(250.0)
    outline_rgb = (150, 150, 150)
    base_M = np.asarray(M)

    for fi, tm in enumerate(timings):
        phase[fi] = "systole" if tm.systolic else "diastole"
        # ---- B-mode
        ka, kc = 1 - 0.07 * tm.contraction, 1 - 0.13 * tm.contraction
        lv_k = [b.contracted(base_M, ka, kc) for b in heart.lv]
        E = cv2.resize(echogenicity(lv_k), (cols, rows), interpolation=cv2.INTER_LINEAR)
        leaflets[:] = 0
        _draw_valves(leaflets, heart, lay, tm, p.post_clip)
        E = np.maximum(E, leaflets.astype(np.float32) * (2.2 / 255.0))
        if clip_xy is not None:
            _draw_clip(E, lay, clip_c, heart)
        Ef = E[in_fan] * shadow_f
        a = 0.35 * math.sin(2 * math.pi * tm.t_ms / 1400.0)
        b = 2 * math.pi * fi * 0.37
        # tissue speckle decorrelates slowly; blood speckle changes every frame
        env = np.abs(np.complex64(math.cos(a)) * z0f + np.complex64(math.sin(a)) * z1f)
        low = Ef < 0.1
        cb, sb = np.complex64(math.cos(b)), np.complex64(math.sin(b))
        env[low] = np.abs(cb * z2f[low] + sb * z1f[low])
        amp = Ef * env * gain_f
        db = np.log10(amp + np.float32(1e-3)) * np.float32(20.0 / 52.0 * 1023) + np.float32(
            36.0 / 52.0 * 1023
        )
        grey = np.zeros((rows, cols), np.float32)
        grey[in_fan] = grey_lut[np.clip(db, 0, 1023).astype(np.int16)]
        grey = cv2.GaussianBlur(grey, (0, 0), 0.6)
        frame = frames[fi]
        frame[:] = static
        frame[in_fan] = grey[in_fan].astype(np.uint8)[:, None]
        frame[outline] = outline_rgb

        # ---- colour flow in the crop
        vel = np.zeros((ch, cw), np.float32)
        var = np.zeros((ch, cw), np.float32)
        src = np.zeros((ch, cw), np.uint8)
        # dark (near-zero) dropout inside a jet: shown black, but the jet's area
        dark = np.zeros((ch, cw), bool)
        cells = rng.standard_normal(cell_shape).astype(np.float32)
        if coarse:
            # irregular single-colour patches: nearest cell of a domain-warped grid
            wr = cv2.resize(
                rng.standard_normal(warp_shape).astype(np.float32), (cw, ch), interpolation=cv2.INTER_CUBIC
            )
            wb = cv2.resize(
                rng.standard_normal(warp_shape).astype(np.float32), (cw, ch), interpolation=cv2.INTER_CUBIC
            )
            mos = cv2.remap(
                cells,
                cell_b + 0.45 * wb,
                cell_r + 0.45 * wr,
                cv2.INTER_NEAREST,
                borderMode=cv2.BORDER_REFLECT,
            )
            hole_cells = rng.standard_normal(hole_shape).astype(np.float32)
            streak = cv2.remap(hole_cells, hole_b, hole_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            streak /= float(streak.std()) or 1.0
        else:
            mos = cv2.remap(cells, cell_b, cell_r, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT)
        mos /= float(mos.std()) or 1.0
        fcells = cv2.GaussianBlur(rng.standard_normal(fine_shape).astype(np.float32), (0, 0), 1.0)
        smooth = cv2.remap(fcells, fine_b, fine_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        smooth /= float(smooth.std()) or 1.0
        # specks
        n_specks = rng.poisson(p.noise_level * p.gain**2 * box_c.sum() * s * s * 0.4)
        if n_specks:
            sp = np.zeros((ch, cw), np.int32)
            sv = rng.uniform(-0.95, 0.95, n_specks + 1) * nyq
            for i in range(n_specks):
                cv2.circle(
                    sp,
                    (int(rng.integers(0, cw)), int(rng.integers(0, ch))),
                    int(rng.integers(0, 3)),
                    i + 1,
                    -1,
                )
            m = sp > 0
            vel[m] = sv[sp[m] - 1]
            var[m] = 0.3
            src[m] = SRC_SPECK
        # wall-motion flash
        fl = tm.flash * p.noise_level * p.gain
        if p.wall_flash and abs(fl) > 0.1:
            tissue = (E[crop] > 0.3) & ~la_c & ~lv_c
            patch = tissue & (smooth > 2.0 - 1.5 * min(abs(fl), 1.0))
            v = math.copysign(1.0, fl) * nyq * (0.18 + 0.25 * np.abs(smooth))
            vel[patch] = v[patch]
            var[patch] = 0.1
            src[patch] = SRC_FLASH
        # pulmonary-vein flow: low velocity, smooth
        if p.pulmonary_vein_flow and abs(tm.pv) > 0.05:
            L = 2.2 * k
            w = 0.22 * k * (1 + 0.5 * np.clip(pv_s / L, 0, 1)) * (1 + 0.15 * in_wob)
            m = (pv_s > -0.1) & (pv_s < L) & (pv_d < w) & la_c
            speed = 45.0 * tm.pv * np.clip(1 - (pv_d / w) ** 2, 0, 1)
            speed = speed * (1 - 0.6 * np.clip(pv_s / L, 0, 1))
            speed = speed + 0.03 * nyq * smooth
            v = -speed * (heart.pv_dir[0] * beam_x + heart.pv_dir[1] * beam_y)
            m &= np.abs(v) > v_show
            vel[m], var[m], src[m] = v[m], 0.03, SRC_PV
        # diastolic inflow: LV side and convergence on the LA side
        if p.inflow and tm.inflow > 0.05:
            L = (2.8 + 2.4 * tm.inflow) * k
            ui = np.clip(in_s / L, 0, 1)
            w = 1.05 * k * tm.opening**0.5 * (0.5 + 0.5 * np.sin(np.pi * np.clip(ui / 0.6, 0, 1) / 2))
            w = w * (1 + 0.15 * in_wob)
            lvside = (in_s > -0.2) & (in_s < L) & (in_d < w) & lv_c & ~clip_gap
            speed = 72.0 * tm.inflow * np.clip(1 - (in_d / np.maximum(w, 1e-3)) ** 2, 0, 1) ** 0.5
            speed = speed * (1 - 0.7 * ui)
            v_lv = -speed * (in_dir[0] * beam_x + in_dir[1] * beam_y)
            rcv = 1.4 * k
            laside = (to_vc < rcv) & (plane > -0.1) & la_c
            v_la = 50.0 * tm.inflow * (1 - to_vc / rcv) * (rel_x * beam_x + rel_y * beam_y) / to_vc
            v_in = np.where(lvside, v_lv, v_la) + 0.08 * nyq * smooth
            m = (lvside | laside) & (np.abs(v_in) > v_show)
            vel[m], var[m], src[m] = v_in[m], 0.12 * tm.inflow, SRC_INFLOW
        if heart.av is not None:
            # systolic LVOT outflow through the aortic valve
            if p.lvot_flow and tm.eject > 0.05:
                w = 0.75 * k
                m = outflow_c & (lvot_s > -2.2 * k) & (lvot_s < 0) & (lvot_d < w)
                speed = (
                    95.0
                    * tm.eject
                    * np.clip(1 - (lvot_d / w) ** 2, 0, 1) ** 0.8
                    * (0.4 + 0.6 * np.clip(1 + lvot_s / (2.2 * k), 0, 1))
                )
                v1 = -speed * (lv_ax[0] * beam_x + lv_ax[1] * beam_y)
                m2 = outflow_c & (lvot_s >= 0) & (ao_s < 2.5 * k)
                v2 = -90.0 * tm.eject * (ao_ax[0] * beam_x + ao_ax[1] * beam_y)
                v = np.where(m2, v2, v1) + 0.08 * nyq * smooth
                m = (m | m2) & (np.abs(v) > v_show)
                vel[m], var[m], src[m] = v[m], 0.15, SRC_LVOT
            # diastolic aortic regurgitation: a mosaic jet into the LVOT
            if p.ai_jet and tm.ai > 0.05:
                ai_s = ai_idx * 0.04
                L = ai_len * (0.5 + 0.5 * tm.ai)
                w = ai_w * (0.45 + 0.55 * np.sin(np.pi / 2 * np.clip(ai_s / (0.5 * L), 0, 1)))
                m = (ai_s < L) & (ai_dist < w) & (lv_c | outflow_c) & (lvot_s < 0.05)
                prof = np.clip(1 - (ai_dist / np.maximum(w, 1e-3)) ** 2, 0, 1)
                speed = 380.0 * tm.ai / (1 + ai_s / 1.5) * prof + 0.5 * nyq
                v = speed * (lv_ax[0] * beam_x + lv_ax[1] * beam_y)
                v = v + nyq * (0.1 + 2.5 * prof) * mos
                vel[m], var[m], src[m] = v[m], np.clip(0.3 + 0.6 * prof[m], 0, 1), SRC_AI
        # systolic PISA and regurgitant jets
        if tm.systolic and tm.g > 0.05 and n_jets:
            if p.pisa:
                rp = p.pisa_radius_cm * k**0.5 * tm.g**0.5
                cap = 6.0 if p.pisa_rings else 3.0
                speed = np.minimum(nyq * (rp / ro) ** 2, cap * nyq)
                v = speed * (po_x * beam_x + po_y * beam_y) / ro
                v = v + (0.03 if p.pisa_rings else 0.1) * nyq * smooth
                reach = (2.4 if p.pisa_rings else 1.8) * rp
                m = (plane < -0.02) & (ro < reach) & (np.abs(v) > 0.3 * nyq)
                m &= lv_c | (ro < 0.6 * rp)
                vel[m], var[m], src[m] = v[m], np.clip(0.08 * speed[m] / nyq, 0, 0.3), SRC_PISA
            best = np.full((ch, cw), np.inf, np.float32)
            for j, jet in enumerate(jets):
                sl = jet.sl
                g = tm.g
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
                vc_frames[fi, j] = 2.0 * neck  # the drawn neck, exactly
                best_s[m] = rel[m]
                prof = np.clip(1 - rel**2, 0, 1)
                cosb = jet.cosb
                mos_j, smooth_j = mos[sl], smooth[sl]
                # displayed mean velocity: well below the CW peak, decaying downstream
                core = 0.5 * p.jet_velocity_cm_s * g**0.5 / (1 + jet.s / 1.2)
                if texture_kind == "edge_aliased":
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
                vel_s, var_s, src_s = vel[sl], var[sl], src[sl]
                vel_s[m], var_s[m], src_s[m] = v[m], vv[m], j + 1
                if coarse:
                    # near-zero-velocity streaks and holes inside the jet
                    holes = m & (prof > 0.1) & (jet.s > 0.45) & (streak[sl] > 1.3 - 0.4 * p.turbulence)
                    vel_s[holes] = 0.0
                    dark[sl][holes] = True
        dark &= (src > 0) & (src < 100)
        shown = (src > 0) & colour_ok & ~dark
        if n_jets and tm.systolic:
            _separate_jets(src, shown, n_jets, touching=p.touching)
        # the jet's dropout counts when it lies inside the jet as shown: in a
        # region of the jet's pixels that holds shown pixels of the same jet
        dark &= colour_ok
        if dark.any() and not p.touching:
            for j in range(1, n_jets + 1):  # jets that must not touch stay apart
                other = (shown | dark) & (src > 0) & (src < 100) & (src != j)
                if other.any():
                    dark &= ~((src == j) & (cv2.dilate(other.astype(np.uint8), _EIGHT) > 0))
        if dark.any():
            for j in range(1, n_jets + 1):
                dj = dark & (src == j)
                if not dj.any():
                    continue
                lab, n = ndi.label(dj | (shown & (src == j)), structure=_EIGHT)
                has_shown = np.zeros(n + 1, bool)
                has_shown[np.unique(lab[shown & (src == j)])] = True
                has_shown[0] = False
                dark[dj & ~has_shown[lab]] = False
        if shown.any():
            uu = _wrap(vel[shown] / nyq)
            row = np.clip(np.floor((1.0 - uu) / 2.0 * n_rows_bar), 0, n_rows_bar - 1).astype(int)
            in_black = (row >= lo_row) & (row <= hi_row)
            row = np.where(in_black & (uu >= 0), lo_row - 1, row)
            row = np.where(in_black & (uu < 0), hi_row + 1, row)
            vi = (
                np.clip((var[shown] * lay.n_var).astype(int), 0, lay.n_var - 1)
                if lay.n_var > 1
                else np.zeros_like(row)
            )
            sub = frame[crop]
            sub[shown] = lut[row, vi]
            labels[fi][crop] = np.where((shown | dark) & (src < 100), src, 0).astype(np.uint8)
            confounders[fi][crop] = shown & (src >= 100)
            if ai_masks is not None:
                ai_masks[fi][crop] = shown & (src == SRC_AI)
        if overlay is not None:
            frame[overlay] = overlay_rgb[overlay]
            labels[fi][overlay] = 0
            confounders[fi][overlay] = True
            if ai_masks is not None:
                ai_masks[fi][overlay] = False
        # ---- per-frame overlays: ECG cursor and frame counter
        if ecg_cursor is not None:
            ex = lay.ecg_xyxy
            c0, span = ecg_cursor
            cur = ex[0] + (tm.t_ms - c0) / span * (ex[2] - ex[0])
            cur = int(round(min(max(cur, ex[0]), ex[2])))
            cv2.line(frame, (cur, ex[1]), (cur, ex[3]), p.cursor_rgb, 1 if rows < 600 else 2)
        if p.frame_counter:
            cv2.putText(
                frame,
                f"{fi + 1}/{T}",
                (round(0.88 * cols), round(0.13 * rows)),
                _FONT,
                _font_scale(p),
                (200, 200, 200),
                1,
                cv2.LINE_AA,
            )

    valve = lay.to_px(*M)
    h0, h1 = heart.hinges
    return WorldScene(
        frames=frames,
        jet_labels=labels,
        confounders=confounders,
        ai_masks=ai_masks,
        phase=phase,
        layout=lay,
        colour_box_xyxy=box_xyxy,
        tissue_xyxy=tissue_xyxy,
        valve_xy=(float(valve[0]), float(valve[1])),
        annulus_xy=(tuple(float(c) for c in lay.to_px(*h0)), tuple(float(c) for c in lay.to_px(*h1))),
        orifices_xy=tuple(tuple(float(c) for c in lay.to_px(*o)) for o in orifices),
        vc_width_cm=tuple(vc_widths),
        la_mask=la_mask,
        la_area_cm2=float(la_mask.sum() * s * s),
        vc_width_cm_frames=vc_frames,
        la_complete=la_complete,
        overlay_mask=overlay,
        ecg_xyxy=ecg_xyxy,
        lut=lut,
        clip_xy=None if clip_xy is None else (float(clip_xy[0]), float(clip_xy[1])),
        colour_map=p.colour_map + ("+variance" if lay.n_var > 1 else ""),
    )


def _march_straight(start: np.ndarray, d: np.ndarray, length: float) -> np.ndarray:
    n = max(2, int(math.ceil(length / 0.04)) + 1)
    t = np.arange(n)[:, None] * 0.04
    return start[None, :] + t * d[None, :]


def _line(layer: np.ndarray, lay: WorldLayout, a, b, th: int) -> None:
    pa = tuple(int(round(c)) for c in lay.to_px(*a))
    pb = tuple(int(round(c)) for c in lay.to_px(*b))
    cv2.line(layer, pa, pb, 255, th, cv2.LINE_AA)


def _draw_valves(layer: np.ndarray, heart: Heart, lay: WorldLayout, tm: _Timing, clipped: bool) -> None:
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
    if heart.av is not None:
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


# -- static screen --------------------------------------------------------------
_VIEW_LABEL = {
    "a4c": "A4C",
    "a2c": "A2C",
    "a3c": "APLAX",
    "plax": "PLAX",
    "tee_me4c": "ME 4C 0",
    "tee_comm": "ME MC 60",
    "tee_lvot": "ME LAX 120",
}


def _font_scale(p: WorldParams) -> float:
    return max(0.3, 0.42 * p.rows / 600)


def _put(img, text, org, scale, colour=(210, 210, 210)) -> None:
    cv2.putText(img, text, (int(org[0]), int(org[1])), _FONT, scale, colour, 1, cv2.LINE_AA)


def _static_screen(p: WorldParams, lay: WorldLayout, lut: np.ndarray) -> np.ndarray:
    rows, cols = p.rows, p.cols
    img = np.zeros((rows, cols, 3), np.uint8)
    fs = _font_scale(p)
    lh = max(10, round(0.034 * rows))
    sz = max(8, round(0.04 * rows))
    x0, y0 = round(0.012 * cols), round(0.012 * rows)
    logo = {
        "vendor_a": (0, 110, 200),
        "vendor_b": (200, 60, 160),
        "ge_like": (40, 90, 220),
        "philips_like": (0, 140, 210),
        "siemens_like": (0, 150, 150),
    }[p.colour_map]
    cv2.rectangle(img, (x0, y0), (x0 + sz, y0 + sz), logo, -1)
    cv2.circle(img, (x0 + sz // 2, y0 + sz // 2), max(2, sz // 3), (255, 170, 0), -1, cv2.LINE_AA)
    _put(img, "SynthEcho", (x0 + sz + 6, y0 + sz - 2), fs * 1.1, (255, 170, 0))
    hx0 = round(0.6 * cols)
    _put(img, "ECHOASSESS SYNTHETIC", (hx0, y0 + sz - 4), fs, (200, 200, 200))
    probe = "X7-2t TEE" if p.is_tee else "S5-1"
    _put(img, f"{probe}  MI 1.0 TIs 0.6", (hx0, y0 + sz - 4 + lh), fs * 0.85, (170, 170, 170))
    left = [
        _VIEW_LABEL[p.view],
        f"FR {p.frame_rate_hz:.0f}Hz",
        f"{p.depth_cm:.0f}cm",
        "",
        "2D",
        f" {round(55 * p.tissue_gain)}%",
        " C 50",
        "",
        "CF",
        f" {round(50 * p.gain)}%",
        " 2.5MHz" if not p.is_tee else " 4.4MHz",
        " WF Med",
    ]
    if p.bar_side == "left":
        left = left[:8]
    y = round(0.12 * rows)
    for text in left:
        if text:
            _put(img, text, (x0, y), fs, (220, 220, 220))
        y += lh
    bx0, by0, bx1, by1 = lay.bar_xyxy
    img[by0 : by1 + 1, bx0 : bx1 + 1] = np.repeat(lut, (bx1 - bx0 + 1) // lut.shape[1], axis=1)
    decimals = 1 if p.colour_map in ("vendor_a", "ge_like") else 0
    nyq = f"{p.nyquist_cm_s:.{decimals}f}"
    _put(img, nyq, (bx0 - round(0.006 * cols), by0 - round(0.012 * rows)), fs * 0.9)
    _put(img, "-" + nyq, (bx0 - round(0.01 * cols), by1 + round(0.035 * rows)), fs * 0.9)
    _put(img, "cm/s", (bx0 - round(0.004 * cols), by1 + round(0.07 * rows)), fs * 0.8)
    # depth dots beside the fan's right edge (screen right), every cm
    if p.zoom_factor == 1.0:
        for d in range(1, int(p.depth_cm) + 1):
            rpx = d / lay.spacing_cm
            px = lay.apex_x + rpx * math.sin(lay.half_angle_rad) + max(4, 0.008 * cols)
            py = lay.apex_y + rpx * math.cos(lay.half_angle_rad)
            if 0 <= py < 0.87 * rows:
                cv2.circle(img, (int(round(px)), int(round(py))), 2 if d % 5 == 0 else 1, (200, 200, 200), -1)
    # orientation marker at the apex side
    mx = round(lay.apex_x + (0.08 if not p.mirrored else -0.08) * cols)
    cv2.circle(
        img, (mx, max(4, round(0.05 * rows))), max(2, round(0.006 * rows)), (0, 160, 255), -1, cv2.LINE_AA
    )
    if p.ecg_mode != "none":
        ex = lay.ecg_xyxy
        _put(img, f"HR {p.heart_rate_bpm:.0f}", (ex[2] - round(0.06 * cols), ex[1] - 4), fs * 0.85, p.ecg_rgb)
    return img


def _overlays(
    p: WorldParams,
    lay: WorldLayout,
    lut: np.ndarray,
    box_in: np.ndarray,
    outline: np.ndarray,
    box_cm: tuple[float, ...],
    rng: np.random.Generator,
):
    """Static coloured marks inside the colour box: outline, depth dots, focus marker."""
    rows, cols = p.rows, p.cols
    n = lut.shape[0]
    strong = [i for i in range(n) if abs(1 - (2 * i + 1) / n) > 0.45]
    pick = lambda: tuple(int(c) for c in lut[int(rng.choice(strong)), 0])  # noqa: E731
    layer = np.zeros((rows, cols, 3), np.uint8)
    mask = np.zeros((rows, cols), bool)
    layer[outline] = pick()
    mask |= outline
    r0, r1, th0, th1 = box_cm
    dot_rgb = pick()
    th_d = th0 + rng.uniform(0.08, 0.2) * (th1 - th0)
    tmp = np.zeros((rows, cols), np.uint8)
    for d in np.arange(math.ceil(r0 + 0.3), r1 - 0.2, 1.0):
        c = lay.to_px(d * math.sin(th_d), d * math.cos(th_d))
        cv2.circle(tmp, (int(round(c[0])), int(round(c[1]))), max(1, round(0.004 * rows)), 255, -1)
    m = (tmp > 0) & box_in
    layer[m] = dot_rgb
    mask |= m
    tmp[:] = 0
    fd = rng.uniform(r0 + 0.3 * (r1 - r0), r0 + 0.8 * (r1 - r0))
    th_f = th1 - 0.06 * (th1 - th0)
    c = lay.to_px(fd * math.sin(th_f), fd * math.cos(th_f))
    sz = max(3, round(0.012 * rows))
    tri = np.array([[c[0], c[1] - sz], [c[0], c[1] + sz], [c[0] - lay.sign * 1.4 * sz, c[1]]], np.int32)
    cv2.fillPoly(tmp, [tri], 255)
    m = (tmp > 0) & box_in
    layer[m] = (255, 200, 0) if rng.random() < 0.5 else pick()
    mask |= m
    grey = (layer[..., 0] == layer[..., 1]) & (layer[..., 1] == layer[..., 2])
    mask &= ~grey
    return mask, layer


def _ecg_trace(p: WorldParams, lay: WorldLayout, t0: float, span: float) -> np.ndarray:
    ex0, ey0, ex1, ey1 = lay.ecg_xyxy
    xs = np.arange(ex0, ex1 + 1)
    t = t0 + (xs - ex0) / max(ex1 - ex0, 1) * span
    rr = p.rr_ms
    tc = (t + p.start_phase * rr) % rr
    tc = np.where(tc > rr - 220.0, tc - rr, tc)

    def gs(mu: float, sd: float, a: float) -> np.ndarray:
        return a * np.exp(-(((tc - mu) / sd) ** 2))

    t_peak = 400.0 * math.sqrt(rr / 1000.0) - 80.0
    val = gs(-160, 25, 0.12) + gs(-28, 9, -0.12) + gs(0, 10, 1.0) + gs(28, 10, -0.25)
    val = val + gs(t_peak, 45, 0.28)
    mid = (ey0 + ey1) / 2
    amp = (ey1 - ey0) * 0.45
    ys = mid + amp * 0.3 - val * amp * 1.1
    return np.stack([xs, np.round(ys)], axis=1).astype(np.int32).reshape(-1, 1, 2)
