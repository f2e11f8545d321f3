"""The screen around a world clip's fan: text, legend, ECG and static overlays.

Everything here is drawn in screen coordinates (never mirrored): the logo,
the settings text, the colour-bar legend with its Nyquist labels, depth dots,
the orientation marker, the ECG strip (a sweeping cursor, a frozen trace or
none), the frame counter and, for the ``"overlays"`` artefact sets, coloured
marks inside the colour box that are identical on every frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .render_common import FONT, draw_legend, ecg_points, put_text
from .world_layout import BoxCm, WorldLayout
from .world_params import WorldParams
from .world_timing import Timing

__all__ = ["Screen", "make_screen", "draw_frame_marks", "font_scale"]

_VIEW_LABEL = {
    "a4c": "A4C",
    "a2c": "A2C",
    "a3c": "APLAX",
    "plax": "PLAX",
    "tee_me4c": "ME 4C 0",
    "tee_comm": "ME MC 60",
    "tee_lvot": "ME LAX 120",
}


def font_scale(p: WorldParams) -> float:
    return max(0.3, 0.42 * p.rows / 600)


def _static_screen(p: WorldParams, lay: WorldLayout, lut: np.ndarray) -> np.ndarray:
    """What every frame shows outside the fan: logo, text, legend, depth dots, marker."""
    rows, cols = p.rows, p.cols
    img = np.zeros((rows, cols, 3), np.uint8)
    fs = font_scale(p)
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
    put_text(img, "SynthEcho", (x0 + sz + 6, y0 + sz - 2), fs * 1.1, (255, 170, 0))
    hx0 = round(0.6 * cols)
    put_text(img, "ECHOASSESS SYNTHETIC", (hx0, y0 + sz - 4), fs, (200, 200, 200))
    probe = "X7-2t TEE" if p.is_tee else "S5-1"
    put_text(img, f"{probe}  MI 1.0 TIs 0.6", (hx0, y0 + sz - 4 + lh), fs * 0.85, (170, 170, 170))
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
            put_text(img, text, (x0, y), fs, (220, 220, 220))
        y += lh
    bx0, by0, bx1, by1 = lay.bar_xyxy
    draw_legend(img, lut, lay.bar_xyxy)
    decimals = 1 if p.colour_map in ("vendor_a", "ge_like") else 0
    nyq = f"{p.nyquist_cm_s:.{decimals}f}"
    put_text(img, nyq, (bx0 - round(0.006 * cols), by0 - round(0.012 * rows)), fs * 0.9)
    put_text(img, "-" + nyq, (bx0 - round(0.01 * cols), by1 + round(0.035 * rows)), fs * 0.9)
    put_text(img, "cm/s", (bx0 - round(0.004 * cols), by1 + round(0.07 * rows)), fs * 0.8)
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
        put_text(
            img, f"HR {p.heart_rate_bpm:.0f}", (ex[2] - round(0.06 * cols), ex[1] - 4), fs * 0.85, p.ecg_rgb
        )
    return img


def _overlays(
    p: WorldParams,
    lay: WorldLayout,
    lut: np.ndarray,
    box_in: np.ndarray,
    outline: np.ndarray,
    box_cm: BoxCm,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
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


@dataclass(frozen=True)
class Screen:
    """The static screen and what is drawn over each frame.

    ``ecg_cursor`` is the ``(t0, span)`` (ms) the cursor sweeps (``None``: no
    cursor); ``overlay`` the overlay marks' mask and ``overlay_rgb`` their colours.
    """

    static: np.ndarray
    ecg_xyxy: tuple[int, int, int, int] | None
    ecg_cursor: tuple[float, float] | None
    overlay: np.ndarray | None
    overlay_rgb: np.ndarray | None


def make_screen(
    p: WorldParams,
    lay: WorldLayout,
    lut: np.ndarray,
    timings: list[Timing],
    box: tuple[np.ndarray, np.ndarray, BoxCm],
    rng: np.random.Generator,
) -> Screen:
    """The static screen with its ECG trace, and the overlay marks (drawn from ``rng``).

    ``box`` is the colour box's inside, outline (both ``(H, W) bool``) and sector.
    """
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
        pts = ecg_points(lay.ecg_xyxy, rr_ms=p.rr_ms, start_phase=p.start_phase, t0=t0, span=span)
        cv2.polylines(static, [pts], False, p.ecg_rgb, 1, cv2.LINE_AA)
    overlay = None
    overlay_rgb = None
    if p.has_overlays:
        box_in, outline, box_cm = box
        overlay, overlay_rgb = _overlays(p, lay, lut, box_in, outline, box_cm, rng)
    return Screen(static, ecg_xyxy, ecg_cursor, overlay, overlay_rgb)


def draw_frame_marks(
    screen: Screen, p: WorldParams, lay: WorldLayout, frame: np.ndarray, fi: int, tm: Timing
) -> None:
    """Frame ``fi``'s ECG cursor and frame counter (in place)."""
    rows, cols = p.rows, p.cols
    if screen.ecg_cursor is not None:
        ex = lay.ecg_xyxy
        c0, span = screen.ecg_cursor
        cur = ex[0] + (tm.t_ms - c0) / span * (ex[2] - ex[0])
        cur = int(round(min(max(cur, ex[0]), ex[2])))
        cv2.line(frame, (cur, ex[1]), (cur, ex[3]), p.cursor_rgb, 1 if rows < 600 else 2)
    if p.frame_counter:
        cv2.putText(
            frame,
            f"{fi + 1}/{p.n_frames}",
            (round(0.88 * cols), round(0.13 * rows)),
            FONT,
            font_scale(p),
            (200, 200, 200),
            1,
            cv2.LINE_AA,
        )
