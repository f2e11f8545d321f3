"""The screen around an apical 4-chamber clip's fan: text, legend and ECG.

A coloured logo and the machine's settings, the colour-bar legend (the
colour table itself) with its Nyquist labels, depth dots along the fan's
edge, an orientation marker, the ECG trace with a sweeping white cursor and
a frame counter.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .params import SceneParams
from .render_common import FONT, draw_legend, ecg_points, put_text
from .scene_layout import Layout
from .scene_timing import FrameTiming

__all__ = ["draw_frame_marks", "font_scale", "make_screen"]


def font_scale(p: SceneParams) -> float:
    """Text size for the screen's height."""
    return max(0.22, 0.42 * p.rows / 600)


def _static_screen(p: SceneParams, lay: Layout, lut: np.ndarray) -> np.ndarray:
    """What every frame shows outside the fan: logo, settings, legend, depth dots, marker, HR."""
    rows, cols = p.rows, p.cols
    img = np.zeros((rows, cols, 3), np.uint8)
    fs = font_scale(p)
    lh = max(9, round(0.033 * rows))
    # logo: coloured badge + name, top left
    sz = max(6, round(0.04 * rows))
    x0, y0 = round(0.012 * cols), round(0.012 * rows)
    cv2.rectangle(img, (x0, y0), (x0 + sz, y0 + sz), (0, 110, 200), -1)
    cv2.circle(img, (x0 + sz // 2, y0 + sz // 2), max(2, sz // 3), (255, 170, 0), -1, cv2.LINE_AA)
    put_text(img, "SynthEcho", (x0 + sz + 6, y0 + sz - 2), fs * 1.15, (255, 170, 0))
    put_text(img, "ECHOASSESS SYNTHETIC  ADULT ECHO", (round(0.3 * cols), y0 + sz - 4), fs, (200, 200, 200))
    put_text(img, "SYNTHETIC PATIENT", (round(0.3 * cols), y0 + sz - 4 + lh), fs * 0.9, (170, 170, 170))
    put_text(img, "MI 1.1  TIs 0.7", (round(0.78 * cols), y0 + sz - 4), fs * 0.9, (200, 200, 200))
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
            put_text(img, text, (x0, y), fs, colour)
        y += lh
    # colour bar legend with Nyquist labels
    bx0, by0, bx1, by1 = lay.colour_bar_xyxy
    draw_legend(img, lut, lay.colour_bar_xyxy)
    nyq = f"{p.nyquist_cm_s:.1f}"
    put_text(img, "+" + nyq, (bx0 - round(0.01 * cols), by0 - round(0.012 * rows)), fs * 0.95)
    put_text(img, "-" + nyq, (bx0 - round(0.01 * cols), by1 + round(0.035 * rows)), fs * 0.95)
    put_text(img, "cm/s", (bx0 - round(0.004 * cols), by1 + round(0.07 * rows)), fs * 0.85)
    # depth scale: dots along the right fan edge, every cm
    n_cm = int(p.depth_cm)
    for d in range(1, n_cm + 1):
        rpx = d / lay.spacing_cm
        ang = lay.half_angle_rad
        px = lay.apex_x + rpx * math.sin(ang) + max(4, 0.008 * cols)
        py = lay.apex_y + rpx * math.cos(ang)
        rad = 2 if d % 5 == 0 else 1
        cv2.circle(img, (int(round(px)), int(round(py))), rad, (200, 200, 200), -1)
    put_text(
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
    put_text(
        img, f"HR {p.heart_rate_bpm:.0f}", (ex[2] - round(0.05 * cols), ex[1] - 4), fs * 0.9, (40, 220, 70)
    )
    return img


def make_screen(p: SceneParams, lay: Layout, lut: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The static screen with its ECG trace, and the trace's start and span (ms)."""
    static = _static_screen(p, lay, lut)
    span = max(p.n_frames * p.frame_time_ms * 1.08, 1.2 * p.rr_ms)
    t0 = -0.04 * span
    pts = ecg_points(lay.ecg_xyxy, rr_ms=p.rr_ms, start_phase=p.start_phase, t0=t0, span=span)
    cv2.polylines(static, [pts], False, (40, 220, 70), 1, cv2.LINE_AA)
    return static, t0, span


def draw_frame_marks(
    p: SceneParams, lay: Layout, frame: np.ndarray, k: int, tm: FrameTiming, ecg: tuple[float, float]
) -> None:
    """Frame ``k``'s ECG cursor (the trace from ``ecg = (t0, span)``) and frame counter, in place."""
    ex = lay.ecg_xyxy
    ecg_t0, ecg_span = ecg
    x = ex[0] + (tm.t_ms - ecg_t0) / ecg_span * (ex[2] - ex[0])
    cur = int(round(min(max(x, ex[0]), ex[2])))
    cv2.line(frame, (cur, ex[1]), (cur, ex[3]), (235, 235, 235), 1)
    cv2.putText(
        frame,
        f"{k + 1}/{p.n_frames}",
        (round(0.78 * p.cols), round(0.1 * p.rows)),
        FONT,
        font_scale(p),
        (200, 200, 200),
        1,
        cv2.LINE_AA,
    )
