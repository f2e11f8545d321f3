"""The colour-flow layer of an apical 4-chamber clip: every flow source, and the truth.

Flow inside the colour box is a velocity field (cm/s, positive toward the
probe) with a turbulence (variance) field; it is wrapped at the Nyquist
limit (aliasing) and coloured with the same table that is drawn as the
legend. Sources, from lowest to highest display priority: colour noise
specks, wall-motion flash over the myocardium, pulmonary-vein flow,
diastolic LV inflow, PISA convergence, regurgitant jets
(:mod:`echoassess.synthetic.scene_jets`). Only the pixels finally coloured
by a jet are truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .params import SceneParams
from .render_common import f32, flow_colours, separate_jets, smooth_noise
from .scene_anatomy import Anatomy
from .scene_colourbox import SceneCrop
from .scene_jets import Jet, draw_jets, half_width_profile
from .scene_timing import FrameTiming

__all__ = ["FlowScene", "make_flow_scene", "render_flow"]

#: source codes in the per-pixel source map (jets are 1..4)
SRC_SPECK, SRC_PV, SRC_INFLOW, SRC_PISA, SRC_FLASH = 200, 103, 101, 102, 104


@dataclass(frozen=True)
class FlowScene:
    """Everything static the colour flow of each frame needs (cm on the crop).

    ``in_*``: the diastolic inflow's axis (valve centre toward the LV apex),
    offsets and irregularity; ``pv_*``: the pulmonary vein's (LA roof toward
    the valve).
    """

    p: SceneParams
    ana: Anatomy
    crop: SceneCrop
    orifices: list[tuple[float, float]]
    jets: list[Jet]
    lut: np.ndarray
    spacing_cm: float
    in_dir: np.ndarray
    rel_x: np.ndarray
    rel_y: np.ndarray
    in_s: np.ndarray
    in_d: np.ndarray
    in_wob: np.ndarray
    to_vc: np.ndarray
    pv_dir: np.ndarray
    pv_s: np.ndarray
    pv_d: np.ndarray

    @property
    def v_show(self) -> float:
        """Display threshold of the low-velocity sources (cm/s)."""
        return 0.12 * self.p.nyquist_cm_s / self.p.gain


def make_flow_scene(
    p: SceneParams,
    ana: Anatomy,
    crop: SceneCrop,
    jets: tuple[list[tuple[float, float]], list[Jet]],
    lut: np.ndarray,
    s: float,
    rng: np.random.Generator,
) -> FlowScene:
    """The inflow's and pulmonary vein's geometry (the inflow's irregularity drawn from ``rng``)."""
    cx_cm, cy_cm = crop.cx_cm, crop.cy_cm
    hx0, hx1 = ana.mv_septal[0], ana.mv_lateral[0]
    mv_y = ana.mv_septal[1]
    # inflow axis: valve centre toward the LV apex
    vc = np.array([(hx0 + hx1) / 2, mv_y - 0.3 * ana.scale])
    in_dir = np.array(ana.lv_apex) - vc
    in_dir /= np.linalg.norm(in_dir)
    rel_x, rel_y = cx_cm - vc[0], cy_cm - vc[1]
    in_wob = smooth_noise(rng, crop.shape, max(2.0, 0.3 / s))
    # pulmonary vein: from the LA roof toward the valve
    pv0 = np.array([ana.la.cx + 0.7 * ana.scale, ana.la.cy + 0.9 * ana.la.b])
    pv_dir = vc - pv0
    pv_dir /= np.linalg.norm(pv_dir)
    pr_x, pr_y = cx_cm - pv0[0], cy_cm - pv0[1]
    return FlowScene(
        p=p,
        ana=ana,
        crop=crop,
        orifices=jets[0],
        jets=jets[1],
        lut=lut,
        spacing_cm=s,
        in_dir=in_dir,
        rel_x=rel_x,
        rel_y=rel_y,
        in_s=rel_x * in_dir[0] + rel_y * in_dir[1],
        in_d=np.abs(rel_x * in_dir[1] - rel_y * in_dir[0]),
        in_wob=in_wob,
        to_vc=np.hypot(rel_x, rel_y) + 1e-3,
        pv_dir=pv_dir,
        pv_s=pr_x * pv_dir[0] + pr_y * pv_dir[1],
        pv_d=np.abs(pr_x * pv_dir[1] - pr_y * pv_dir[0]),
    )


# -- the sources, in display order --------------------------------------------
Layers = tuple[np.ndarray, np.ndarray, np.ndarray]  # velocity, variance, source


def _turbulence(fs: FlowScene, rng: np.random.Generator) -> np.ndarray:
    """One frame's colour noise: cells along the colour beams, unit standard deviation."""
    c = fs.crop
    cells = rng.standard_normal(c.cell_shape).astype(np.float32)
    cells = f32(cv2.GaussianBlur(cells, (0, 0), 1.1))
    turb_noise = f32(cv2.remap(cells, c.cell_b, c.cell_r, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT))
    return turb_noise / (float(turb_noise.std()) or 1.0)


def _specks(fs: FlowScene, layers: Layers, rng: np.random.Generator) -> None:
    p, s, (ch, cw) = fs.p, fs.spacing_cm, fs.crop.shape
    vel, var, src = layers
    n_specks = rng.poisson(p.noise_level * p.gain**2 * fs.crop.box_in_c.sum() * s * s * 0.5)
    if n_specks:
        sp = np.zeros((ch, cw), np.uint8)
        sv = rng.uniform(-0.95, 0.95, n_specks + 1) * p.nyquist_cm_s
        for i in range(n_specks):
            cx_, cy_ = int(rng.integers(0, cw)), int(rng.integers(0, ch))
            cv2.circle(sp, (cx_, cy_), int(rng.integers(0, 3)), i + 1, -1)
        m = sp > 0
        vel[m] = sv[sp[m] - 1]
        var[m] = rng.uniform(0, 0.6)
        src[m] = SRC_SPECK


def _flash(fs: FlowScene, layers: Layers, tm: FrameTiming, E_crop: np.ndarray, turb: np.ndarray) -> None:
    """Wall-motion flash: patchy low-velocity colour over moving myocardium."""
    p, vel, var, src = fs.p, *layers
    fl = tm.flash * p.noise_level * p.gain
    if abs(fl) > 0.1:
        tissue = (E_crop > 0.3) & fs.crop.box_in_c
        patch = tissue & (turb > 2.2 - 1.6 * min(abs(fl), 1.0))
        v = math.copysign(1.0, fl) * p.nyquist_cm_s * (0.18 + 0.25 * np.abs(turb))
        vel[patch] = v[patch]
        var[patch] = 0.1
        src[patch] = SRC_FLASH


def _pulmonary_vein(fs: FlowScene, layers: Layers, tm: FrameTiming, turb: np.ndarray) -> None:
    p, c, scale, (vel, var, src) = fs.p, fs.crop, fs.ana.scale, layers
    if p.pulmonary_vein_flow and abs(tm.pv) > 0.05:
        pv_s, pv_d = fs.pv_s, fs.pv_d
        L = 2.0 * scale
        w = 0.18 * scale * (1 + 0.5 * (pv_s / L)) * (1 + 0.2 * fs.in_wob)
        m = (pv_s > 0) & (pv_s < L) & (pv_d < w) & (c.la_f < 0.97)
        speed = 32.0 * tm.pv * (1 - (pv_d / w) ** 2).clip(0) * (1 - 0.6 * pv_s / L)
        speed = speed + 0.1 * p.nyquist_cm_s * turb
        v = -speed * (fs.pv_dir[0] * c.beam_x + fs.pv_dir[1] * c.beam_y)
        m &= np.abs(v) > fs.v_show
        vel[m] = v[m]
        var[m] = 0.05
        src[m] = SRC_PV


def _inflow(fs: FlowScene, layers: Layers, tm: FrameTiming, turb: np.ndarray) -> None:
    """Diastolic inflow (LV side) and convergence on the LA side."""
    p, c, scale, (vel, var, src) = fs.p, fs.crop, fs.ana.scale, layers
    if p.inflow and tm.inflow > 0.05:
        in_s, in_d, in_dir = fs.in_s, fs.in_d, fs.in_dir
        L = (2.8 + 2.4 * tm.inflow) * scale
        u_in = np.clip(in_s / L, 0, 1)
        w = 1.05 * scale * tm.opening**0.5 * half_width_profile(u_in, 0.5)
        w = w * (1 + 0.15 * fs.in_wob)
        lvside = (in_s > -0.2) & (in_s < L) & (in_d < w) & c.lv_blood_c
        speed = 95.0 * tm.inflow * (1 - (in_d / np.maximum(w, 1e-3)) ** 2).clip(0) ** 0.5
        speed = speed * (1 - 0.7 * u_in)
        v_lv = -(speed * (in_dir[0] * c.beam_x + in_dir[1] * c.beam_y))
        rc = 1.4 * scale
        laside = (fs.to_vc < rc) & (c.plane > -0.1) & (c.la_f < 1.0)
        speed_la = 50.0 * tm.inflow * (1 - fs.to_vc / rc)
        v_la = speed_la * (fs.rel_x * c.beam_x + fs.rel_y * c.beam_y) / fs.to_vc  # toward vc
        v_in = np.where(lvside, v_lv, v_la)
        v_in = v_in + 0.08 * p.nyquist_cm_s * turb
        m = (lvside | laside) & (np.abs(v_in) > fs.v_show)
        vel[m] = v_in[m]
        var[m] = 0.15 * tm.inflow
        src[m] = SRC_INFLOW


def _pisa(fs: FlowScene, layers: Layers, tm: FrameTiming, turb: np.ndarray) -> None:
    """Systolic flow convergence (PISA) below the orifice nearest the coaptation point."""
    p, c, ana, (vel, var, src) = fs.p, fs.crop, fs.ana, layers
    nyq = p.nyquist_cm_s
    orifices = fs.orifices
    orf = orifices[int(np.argmin([abs(o[0] - ana.coapt[0]) for o in orifices]))]
    ox, oy = c.cx_cm - orf[0], c.cy_cm - orf[1]
    ro = np.hypot(ox, oy) + 1e-3
    rp = p.pisa_radius_cm * ana.scale**0.5 * tm.g**0.5
    speed = np.minimum(nyq * (rp / ro) ** 2, 4 * nyq)
    v = speed * (ox * c.beam_x + oy * c.beam_y) / ro  # toward the orifice
    v = v + 0.1 * nyq * turb
    m = (c.plane < -0.02) & (ro < 1.9 * rp) & (np.abs(v) > 0.3 * nyq) & (c.lv_blood_c | (ro < 0.6 * rp))
    vel[m] = v[m]
    var[m] = np.clip(0.08 * speed[m] / nyq, 0, 0.3)  # laminar convergence
    src[m] = SRC_PISA


def render_flow(
    fs: FlowScene,
    frame: np.ndarray,
    truth: tuple[np.ndarray, np.ndarray],
    tm: FrameTiming,
    E: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Colour one frame's flow into ``frame`` and write its truth ``(labels, confounders)`` in place.

    ``E`` is the frame's B-mode echogenicity (for the wall flash).
    """
    c = fs.crop
    ch, cw = c.shape
    layers = (np.zeros((ch, cw), np.float32), np.zeros((ch, cw), np.float32), np.zeros((ch, cw), np.uint8))
    vel, var, src = layers
    turb = _turbulence(fs, rng)
    _specks(fs, layers, rng)
    _flash(fs, layers, tm, E[c.crop], turb)
    _pulmonary_vein(fs, layers, tm, turb)
    _inflow(fs, layers, tm, turb)
    if tm.systolic and tm.g > 0.05:
        if fs.p.pisa and fs.orifices:
            _pisa(fs, layers, tm, turb)
        draw_jets(fs.p, fs.jets, c, tm.g, layers, turb)
    shown = (src > 0) & c.colour_ok
    if fs.jets and tm.systolic:
        separate_jets(src, shown, len(fs.jets))
    if shown.any():
        sub = frame[c.crop]
        sub[shown] = flow_colours(fs.lut, vel[shown], var[shown], fs.p.nyquist_cm_s)
        labels, confounders = truth
        labels[c.crop] = np.where(shown & (src < 100), src, 0).astype(np.uint8)
        confounders[c.crop] = shown & (src >= 100)
