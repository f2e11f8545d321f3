"""The colour-flow layer of a world clip: every flow source, and the truth.

Sources, lowest display priority first (a later source overwrites an
earlier one): noise specks, wall-motion flashes, pulmonary-vein flow,
diastolic inflow, systolic LVOT outflow, diastolic aortic regurgitation,
PISA, regurgitant jets (:mod:`echoassess.synthetic.world_jets`). The field
is aliased at the Nyquist limit and coloured with the legend's table; only
the pixels finally coloured by a jet (and the jet's dark dropout inside it)
are truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from scipy import ndimage as ndi

from .render_common import flow_colours, separate_jets, smooth_noise
from .world_anatomy import Heart
from .world_colourbox import CropGeometry, FlowLayers, MosaicGrid, MosaicNoise, mosaic_noise
from .world_jets import JetSet, draw_jets, march_straight, tube
from .world_params import WorldParams
from .world_timing import Timing

__all__ = ["FlowScene", "FrameTruth", "make_flow_scene", "render_flow"]

SRC_SPECK, SRC_FLASH, SRC_PV, SRC_INFLOW, SRC_LVOT, SRC_AI, SRC_PISA = (200, 201, 202, 203, 204, 205, 206)
_EIGHT = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class _Outflow:
    """LVOT and aortic-root geometry (views showing the aortic valve)."""

    lv_ax: np.ndarray  # LV -> aorta through the AV
    ao_ax: np.ndarray
    lvot_s: np.ndarray  # along the LVOT axis, > 0 on the aortic side
    lvot_d: np.ndarray
    ao_s: np.ndarray
    ai_s: np.ndarray  # along the AI jet's path (cm)
    ai_dist: np.ndarray
    ai_len: float
    ai_w: float


@dataclass(frozen=True)
class _Confounders:
    """Static geometry of the non-jet flows on the crop (cm)."""

    in_dir: np.ndarray  # inflow axis: valve toward the LV apex
    rel_x: np.ndarray  # from the inflow's origin
    rel_y: np.ndarray
    in_s: np.ndarray
    in_d: np.ndarray
    in_wob: np.ndarray
    clip_gap: np.ndarray  # the clip between the two inflow streams
    to_vc: np.ndarray
    pv_s: np.ndarray
    pv_d: np.ndarray
    outflow: _Outflow | None
    po_x: np.ndarray  # from the PISA's centre
    po_y: np.ndarray
    ro: np.ndarray


def _outflow(heart: Heart, crop: CropGeometry, rng: np.random.Generator) -> _Outflow | None:
    av, lv_ax, ao_ax = heart.av, heart.lvot_axis, heart.ao_axis
    if av is None or lv_ax is None or ao_ax is None:
        return None
    k = heart.k
    ar_x, ar_y = crop.cx - av[0], crop.cy - av[1]
    ai_pts = march_straight(av, -lv_ax, 4.0 * k)
    ai_idx, ai_dist, _ = tube(ai_pts, crop.pix, crop.shape)
    return _Outflow(
        lv_ax=lv_ax,
        ao_ax=ao_ax,
        lvot_s=ar_x * lv_ax[0] + ar_y * lv_ax[1],
        lvot_d=np.abs(ar_x * lv_ax[1] - ar_y * lv_ax[0]),
        ao_s=ar_x * ao_ax[0] + ar_y * ao_ax[1],
        ai_s=ai_idx * 0.04,
        ai_dist=ai_dist,
        ai_len=rng.uniform(2.0, 3.8) * k,
        ai_w=rng.uniform(0.35, 0.6) * k,
    )


def _confounders(
    p: WorldParams, heart: Heart, crop: CropGeometry, jets: JetSet, s: float, rng: np.random.Generator
) -> _Confounders:
    k, u_ax, M = heart.k, heart.u, heart.M
    cx, cy = crop.cx, crop.cy
    in_dir = heart.lv_apex - M
    in_dir = in_dir / np.hypot(*in_dir)
    vc_pt = M - 0.3 * k * u_ax
    rel_x, rel_y = cx - vc_pt[0], cy - vc_pt[1]
    in_s = rel_x * in_dir[0] + rel_y * in_dir[1]
    in_d = np.abs(rel_x * in_dir[1] - rel_y * in_dir[0])
    in_wob = smooth_noise(rng, crop.shape, max(2.0, 0.3 / s))
    # after a clip the valve has two orifices: two inflow streams that merge downstream
    clip_gap = np.zeros(crop.shape, bool)
    if p.post_clip:
        reach_gap = 1.8 * k
        gap_w = 0.3 * k * np.clip(1 - in_s / reach_gap, 0, 1) ** 0.7 * (1 + 0.25 * in_wob)
        clip_gap = (in_s < reach_gap) & (in_d < gap_w)
    pr_x, pr_y = cx - heart.pv0[0], cy - heart.pv0[1]
    outflow = _outflow(heart, crop, rng)
    pisa_c = heart.coapt - 0.05 * k * u_ax
    if jets.orifices:
        near_o = jets.orifices[int(np.argmin([abs(o) for o in jets.offsets]))]
        pisa_c = near_o - 0.25 * k * u_ax
    po_x, po_y = cx - pisa_c[0], cy - pisa_c[1]
    return _Confounders(
        in_dir=in_dir,
        rel_x=rel_x,
        rel_y=rel_y,
        in_s=in_s,
        in_d=in_d,
        in_wob=in_wob,
        clip_gap=clip_gap,
        to_vc=np.hypot(rel_x, rel_y) + 1e-3,
        pv_s=pr_x * heart.pv_dir[0] + pr_y * heart.pv_dir[1],
        pv_d=np.abs(pr_x * heart.pv_dir[1] - pr_y * heart.pv_dir[0]),
        outflow=outflow,
        po_x=po_x,
        po_y=po_y,
        ro=np.hypot(po_x, po_y) + 1e-3,
    )


@dataclass(frozen=True)
class FlowScene:
    """Everything static the colour flow of each frame needs."""

    p: WorldParams
    heart: Heart
    crop: CropGeometry
    jets: JetSet
    conf: _Confounders
    mosaic: MosaicGrid
    lut: np.ndarray
    spacing_cm: float

    @cached_property
    def orifice_px(self) -> list[tuple[int, int]]:
        """Each jet's orifice as the nearest crop pixel ``(row, col)``."""
        out = []
        for ox, oy in self.jets.orifices:
            k = int(np.argmin((self.crop.cx - ox) ** 2 + (self.crop.cy - oy) ** 2))
            out.append(divmod(k, self.crop.shape[1]))
        return out

    @property
    def v_show(self) -> float:
        """Display threshold of the low-velocity sources (cm/s)."""
        return 0.12 * self.p.nyquist_cm_s / self.p.gain


def make_flow_scene(
    p: WorldParams,
    heart: Heart,
    crop: CropGeometry,
    jets: JetSet,
    mosaic: MosaicGrid,
    lut: np.ndarray,
    s: float,
    rng: np.random.Generator,
) -> FlowScene:
    """The confounders' geometry (drawing their irregularity from ``rng``) and the flow's statics."""
    return FlowScene(p, heart, crop, jets, _confounders(p, heart, crop, jets, s, rng), mosaic, lut, s)


# -- the sources, in display order --------------------------------------------
def _specks(fs: FlowScene, f: FlowLayers, rng: np.random.Generator) -> None:
    p, s, (ch, cw) = fs.p, fs.spacing_cm, fs.crop.shape
    n_specks = rng.poisson(p.noise_level * p.gain**2 * fs.crop.box_c.sum() * s * s * 0.4)
    if n_specks:
        sp = np.zeros((ch, cw), np.int32)
        sv = rng.uniform(-0.95, 0.95, n_specks + 1) * p.nyquist_cm_s
        for i in range(n_specks):
            cv2.circle(
                sp,
                (int(rng.integers(0, cw)), int(rng.integers(0, ch))),
                int(rng.integers(0, 3)),
                i + 1,
                -1,
            )
        m = sp > 0
        f.vel[m] = sv[sp[m] - 1]
        f.var[m] = 0.3
        f.src[m] = SRC_SPECK


def _flash(fs: FlowScene, f: FlowLayers, tm: Timing, E_crop: np.ndarray, smooth: np.ndarray) -> None:
    """Wall-motion flash: patchy low-velocity colour over moving tissue."""
    p, crop = fs.p, fs.crop
    fl = tm.flash * p.noise_level * p.gain
    if p.wall_flash and abs(fl) > 0.1:
        tissue = (E_crop > 0.3) & ~crop.la_c & ~crop.lv_c
        patch = tissue & (smooth > 2.0 - 1.5 * min(abs(fl), 1.0))
        v = math.copysign(1.0, fl) * p.nyquist_cm_s * (0.18 + 0.25 * np.abs(smooth))
        f.vel[patch] = v[patch]
        f.var[patch] = 0.1
        f.src[patch] = SRC_FLASH


def _pulmonary_vein(fs: FlowScene, f: FlowLayers, tm: Timing, smooth: np.ndarray) -> None:
    """Pulmonary-vein flow: low velocity, smooth."""
    p, c, crop, k = fs.p, fs.conf, fs.crop, fs.heart.k
    if p.pulmonary_vein_flow and abs(tm.pv) > 0.05:
        L = 2.2 * k
        w = 0.22 * k * (1 + 0.5 * np.clip(c.pv_s / L, 0, 1)) * (1 + 0.15 * c.in_wob)
        m = (c.pv_s > -0.1) & (c.pv_s < L) & (c.pv_d < w) & crop.la_c
        speed = 45.0 * tm.pv * np.clip(1 - (c.pv_d / w) ** 2, 0, 1)
        speed = speed * (1 - 0.6 * np.clip(c.pv_s / L, 0, 1))
        speed = speed + 0.03 * p.nyquist_cm_s * smooth
        v = -speed * (fs.heart.pv_dir[0] * crop.beam_x + fs.heart.pv_dir[1] * crop.beam_y)
        m &= np.abs(v) > fs.v_show
        f.vel[m], f.var[m], f.src[m] = v[m], 0.03, SRC_PV


def _inflow(fs: FlowScene, f: FlowLayers, tm: Timing, smooth: np.ndarray) -> None:
    """Diastolic inflow: LV side and convergence on the LA side."""
    p, c, crop, k = fs.p, fs.conf, fs.crop, fs.heart.k
    if p.inflow and tm.inflow > 0.05:
        L = (2.8 + 2.4 * tm.inflow) * k
        ui = np.clip(c.in_s / L, 0, 1)
        w = 1.05 * k * tm.opening**0.5 * (0.5 + 0.5 * np.sin(np.pi * np.clip(ui / 0.6, 0, 1) / 2))
        w = w * (1 + 0.15 * c.in_wob)
        lvside = (c.in_s > -0.2) & (c.in_s < L) & (c.in_d < w) & crop.lv_c & ~c.clip_gap
        speed = 72.0 * tm.inflow * np.clip(1 - (c.in_d / np.maximum(w, 1e-3)) ** 2, 0, 1) ** 0.5
        speed = speed * (1 - 0.7 * ui)
        v_lv = -speed * (c.in_dir[0] * crop.beam_x + c.in_dir[1] * crop.beam_y)
        rcv = 1.4 * k
        laside = (c.to_vc < rcv) & (crop.plane > -0.1) & crop.la_c
        v_la = (
            50.0 * tm.inflow * (1 - c.to_vc / rcv) * (c.rel_x * crop.beam_x + c.rel_y * crop.beam_y) / c.to_vc
        )
        v_in = np.where(lvside, v_lv, v_la) + 0.08 * p.nyquist_cm_s * smooth
        m = (lvside | laside) & (np.abs(v_in) > fs.v_show)
        f.vel[m], f.var[m], f.src[m] = v_in[m], 0.12 * tm.inflow, SRC_INFLOW


def _lvot(fs: FlowScene, o: _Outflow, f: FlowLayers, tm: Timing, smooth: np.ndarray) -> None:
    """Systolic LVOT outflow through the aortic valve."""
    p, crop, k = fs.p, fs.crop, fs.heart.k
    if p.lvot_flow and tm.eject > 0.05:
        w = 0.75 * k
        m = crop.outflow_c & (o.lvot_s > -2.2 * k) & (o.lvot_s < 0) & (o.lvot_d < w)
        speed = (
            95.0
            * tm.eject
            * np.clip(1 - (o.lvot_d / w) ** 2, 0, 1) ** 0.8
            * (0.4 + 0.6 * np.clip(1 + o.lvot_s / (2.2 * k), 0, 1))
        )
        v1 = -speed * (o.lv_ax[0] * crop.beam_x + o.lv_ax[1] * crop.beam_y)
        m2 = crop.outflow_c & (o.lvot_s >= 0) & (o.ao_s < 2.5 * k)
        v2 = -90.0 * tm.eject * (o.ao_ax[0] * crop.beam_x + o.ao_ax[1] * crop.beam_y)
        v = np.where(m2, v2, v1) + 0.08 * p.nyquist_cm_s * smooth
        m = (m | m2) & (np.abs(v) > fs.v_show)
        f.vel[m], f.var[m], f.src[m] = v[m], 0.15, SRC_LVOT


def _aortic_regurgitation(fs: FlowScene, o: _Outflow, f: FlowLayers, tm: Timing, mos: np.ndarray) -> None:
    """Diastolic aortic regurgitation: a mosaic jet into the LVOT."""
    p, crop, nyq = fs.p, fs.crop, fs.p.nyquist_cm_s
    if p.ai_jet and tm.ai > 0.05:
        L = o.ai_len * (0.5 + 0.5 * tm.ai)
        w = o.ai_w * (0.45 + 0.55 * np.sin(np.pi / 2 * np.clip(o.ai_s / (0.5 * L), 0, 1)))
        m = (o.ai_s < L) & (o.ai_dist < w) & (crop.lv_c | crop.outflow_c) & (o.lvot_s < 0.05)
        prof = np.clip(1 - (o.ai_dist / np.maximum(w, 1e-3)) ** 2, 0, 1)
        speed = 380.0 * tm.ai / (1 + o.ai_s / 1.5) * prof + 0.5 * nyq
        v = speed * (o.lv_ax[0] * crop.beam_x + o.lv_ax[1] * crop.beam_y)
        v = v + nyq * (0.1 + 2.5 * prof) * mos
        f.vel[m], f.var[m], f.src[m] = v[m], np.clip(0.3 + 0.6 * prof[m], 0, 1), SRC_AI


def _pisa(fs: FlowScene, f: FlowLayers, tm: Timing, smooth: np.ndarray) -> None:
    """Systolic flow convergence (PISA) on the LV side of the orifice nearest the centre."""
    p, c, crop, k, nyq = fs.p, fs.conf, fs.crop, fs.heart.k, fs.p.nyquist_cm_s
    rp = p.pisa_radius_cm * k**0.5 * tm.g**0.5
    cap = 6.0 if p.pisa_rings else 3.0
    speed = np.minimum(nyq * (rp / c.ro) ** 2, cap * nyq)
    v = speed * (c.po_x * crop.beam_x + c.po_y * crop.beam_y) / c.ro
    v = v + (0.03 if p.pisa_rings else 0.1) * nyq * smooth
    reach = (2.4 if p.pisa_rings else 1.8) * rp
    m = (crop.plane < -0.02) & (c.ro < reach) & (np.abs(v) > 0.3 * nyq)
    m &= crop.lv_c | (c.ro < 0.6 * rp)
    f.vel[m], f.var[m], f.src[m] = v[m], np.clip(0.08 * speed[m] / nyq, 0, 0.3), SRC_PISA


def _sources(
    fs: FlowScene, tm: Timing, E_crop: np.ndarray, rng: np.random.Generator
) -> tuple[FlowLayers, np.ndarray]:
    """One frame's flow layers and each jet's drawn neck width (``NaN``: not drawn)."""
    f = FlowLayers.empty(fs.crop.shape)
    noise: MosaicNoise = mosaic_noise(fs.mosaic, fs.crop.shape, rng)
    _specks(fs, f, rng)
    _flash(fs, f, tm, E_crop, noise.smooth)
    _pulmonary_vein(fs, f, tm, noise.smooth)
    _inflow(fs, f, tm, noise.smooth)
    o = fs.conf.outflow
    if o is not None:
        _lvot(fs, o, f, tm, noise.smooth)
        _aortic_regurgitation(fs, o, f, tm, noise.mos)
    necks = np.full(fs.p.n_jets, np.nan)
    if tm.systolic and tm.g > 0.05 and fs.p.n_jets:
        if fs.p.pisa:
            _pisa(fs, f, tm, noise.smooth)
        necks = draw_jets(fs.p, fs.jets.fields, tm.g, f, noise)
    return f, necks


# -- what is shown, and the truth ---------------------------------------------
def _keep_dark_inside(
    dark: np.ndarray, shown: np.ndarray, src: np.ndarray, n_jets: int, touching: bool
) -> None:
    """Keep a jet's dropout only inside the jet as shown (in place).

    Dropout counts where it lies in a region of the jet's pixels that holds
    shown pixels of the same jet, and (jets that must not touch) not next to
    another jet.
    """
    if dark.any() and not touching:
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


@dataclass(frozen=True)
class FrameTruth:
    """One frame's truth on the full screen, written by :func:`render_flow`."""

    labels: np.ndarray  # (H, W) uint8
    confounders: np.ndarray  # (H, W) bool
    ai: np.ndarray | None  # (H, W) bool


def render_flow(
    fs: FlowScene, frame: np.ndarray, truth: FrameTruth, tm: Timing, E: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Colour one frame's flow into ``frame`` and write its truth (in place).

    ``E`` is the frame's B-mode echogenicity (for the wall flashes). Returns
    each jet's drawn neck width (cm; ``NaN`` where a jet is not drawn).
    """
    crop, p = fs.crop, fs.p
    f, necks = _sources(fs, tm, E[crop.crop], rng)
    src, dark = f.src, f.dark
    dark &= (src > 0) & (src < 100)
    shown = (src > 0) & crop.colour_ok & ~dark
    if p.n_jets and tm.systolic:
        separate_jets(src, shown, p.n_jets, touching=p.touching, origins=fs.orifice_px)
    dark &= crop.colour_ok
    _keep_dark_inside(dark, shown, src, p.n_jets, p.touching)
    if shown.any():
        sub = frame[crop.crop]
        sub[shown] = flow_colours(fs.lut, f.vel[shown], f.var[shown], p.nyquist_cm_s)
        truth.labels[crop.crop] = np.where((shown | dark) & (src < 100), src, 0).astype(np.uint8)
        truth.confounders[crop.crop] = shown & (src >= 100)
        if truth.ai is not None:
            truth.ai[crop.crop] = shown & (src == SRC_AI)
    return necks
