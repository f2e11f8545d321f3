"""What both renderers share: noise fields, B-mode speckle, aliasing and the
legend colours, the jets' one-region rule, the ECG waveform and screen text.

Pure numpy / OpenCV; each function draws from the generator it is given in a
fixed order, so a seed gives the same clip bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from scipy import ndimage as ndi

from .colourmaps import black_rows

__all__ = [
    "FONT",
    "f32",
    "smooth_noise",
    "wrap",
    "speckle_fields",
    "flow_colours",
    "separate_jets",
    "ecg_points",
    "put_text",
    "draw_legend",
]

FONT = cv2.FONT_HERSHEY_SIMPLEX
Float32Array = np.ndarray[Any, np.dtype[np.float32]]
_EIGHT = np.ones((3, 3), np.uint8)


def f32(a: Any) -> Float32Array:
    """``a`` as a float32 array (no copy when it is one: OpenCV's results are typed loosely)."""
    return np.asarray(a, dtype=np.float32)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian-blurred white noise of unit standard deviation, ``shape`` float32."""
    n = rng.standard_normal(shape).astype(np.float32)
    n = f32(cv2.GaussianBlur(n, (0, 0), sigma))
    sd = float(n.std()) or 1.0
    return n / sd


def wrap(u: np.ndarray) -> np.ndarray:
    """Alias a velocity in Nyquist units into [-1, 1).

    >>> wrap(np.array([0.5, 1.2, -1.5])).round(2).tolist()
    [0.5, -0.8, 0.5]
    """
    return np.mod(u + 1.0, 2.0) - 1.0


def speckle_fields(
    rng: np.random.Generator,
    *,
    radius_px: float,
    half_angle_rad: float,
    r_px: np.ndarray,
    theta: np.ndarray,
    in_fan: np.ndarray,
    sigma_y: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three complex Gaussian speckle fields on the beam grid, sampled at the fan's pixels.

    Parameters
    ----------
    r_px, theta : (H, W) float32
        Each pixel's distance from the apex and beam angle (screen, radians).
    in_fan : (H, W) bool
    sigma_y : float
        Blur along the beam (the speckle's radial length, grid rows).

    Returns
    -------
    three (N,) complex64
        One value per fan pixel (``in_fan`` order).
    """
    n_beams = max(48, int(0.22 * radius_px * 2 * half_angle_rad))
    n_r = int(radius_px) + 2
    fields = []
    for _ in range(3):
        z = rng.standard_normal((n_r, n_beams, 2)).astype(np.float32)
        z = f32(cv2.GaussianBlur(z, (0, 0), sigmaX=0.8, sigmaY=sigma_y))
        z /= float(np.sqrt((z**2).sum(axis=-1).mean()))
        fields.append(z)
    map_r = r_px.astype(np.float32)
    map_b = ((theta + half_angle_rad) / (2 * half_angle_rad) * (n_beams - 1)).astype(np.float32)
    out = []
    for z in fields:
        m = cv2.remap(z, map_b, map_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out.append((m[..., 0] + 1j * m[..., 1])[in_fan].astype(np.complex64))
    return out[0], out[1], out[2]


def flow_colours(lut: np.ndarray, vel: np.ndarray, var: np.ndarray, nyquist_cm_s: float) -> np.ndarray:
    """The legend colour of each shown flow pixel.

    Parameters
    ----------
    lut : (N, V, 3) uint8
        The colour table drawn as the legend (top row = +Nyquist).
    vel, var : (K,) float
        Velocity (cm/s, aliased here at the Nyquist limit) and variance (0..1).

    Returns
    -------
    (K, 3) uint8
        Never a colour of the black baseline band: a shown pixel keeps its sign.
    """
    n_rows, n_var = lut.shape[0], lut.shape[1]
    lo_row, hi_row = black_rows(n_rows)
    u = wrap(vel / nyquist_cm_s)
    row = np.clip(np.floor((1.0 - u) / 2.0 * n_rows), 0, n_rows - 1).astype(int)
    in_black = (row >= lo_row) & (row <= hi_row)
    row = np.where(in_black & (u >= 0), lo_row - 1, row)
    row = np.where(in_black & (u < 0), hi_row + 1, row)
    if n_var > 1:
        vi = np.clip((var * n_var).astype(int), 0, n_var - 1)
    else:
        vi = np.zeros_like(row)
    return lut[row, vi]


def separate_jets(
    src: np.ndarray,
    shown: np.ndarray,
    n_jets: int,
    *,
    touching: bool = False,
    origins: list[tuple[int, int]] | None = None,
) -> None:
    """Make each jet one 8-connected region, not touching another jet (in place).

    Un-colours the pixels of a jet that touch a later jet (unless ``touching``:
    jets that merge downstream), then keeps one piece of each jet (a fragment
    cut off by the clip's shadow or by a ragged edge is not shown), so that
    counting regions counts jets.

    Parameters
    ----------
    src : (h, w) uint8
        Source of each pixel: ``1..n_jets`` for the jets.
    shown : (h, w) bool
        Coloured pixels.
    touching : bool
        The jets may touch (they converge and merge downstream).
    origins : list of (row, col), optional
        Each jet's orifice. The piece kept is then the one nearest it (of the
        pieces at least a quarter the size of the largest): a jet crossed by
        another is cut in two, and the piece past the crossing is not where the
        jet starts. With ``touching``, such a piece goes to the jet it lies
        against (it is part of the merged plume, and shown). Without
        ``origins`` the largest piece is kept. (A jet whose first millimetres
        hide in the clip's shadow keeps its one piece: it starts late.)
    """
    for j in range(1, n_jets) if not touching else ():
        later = shown & (src > j) & (src <= n_jets)
        if later.any():
            touch = shown & (src == j) & cv2.dilate(later.astype(np.uint8), _EIGHT).astype(bool)
            shown &= ~touch
            src[touch] = 0
    for j in range(1, n_jets + 1):
        m = shown & (src == j)
        if not m.any():
            continue
        lab, n = ndi.label(m, structure=_EIGHT)
        if n <= 1:
            continue
        sizes = np.bincount(lab.ravel())
        sizes[0] = 0
        keep = int(np.argmax(sizes))
        if origins is not None and j <= len(origins):
            r0, c0 = origins[j - 1]
            big = np.flatnonzero(sizes >= 0.25 * sizes.max())
            ys, xs = np.nonzero(lab)
            near = np.full(n + 1, np.inf)
            np.minimum.at(near, lab[ys, xs], np.hypot(ys - r0, xs - c0))
            keep = int(big[np.argmin(near[big])])
        for k in range(1, n + 1):
            if k == keep:
                continue
            piece = lab == k
            if touching:
                ring = cv2.dilate(piece.astype(np.uint8), _EIGHT).astype(bool) & ~piece & shown
                other = src[ring]
                other = other[(other > 0) & (other <= n_jets) & (other != j)]
                if other.size:
                    src[piece] = int(np.bincount(other).argmax())  # part of the merged plume
                    continue
            shown &= ~piece
            src[piece] = 0


def ecg_points(
    ecg_xyxy: tuple[int, int, int, int], *, rr_ms: float, start_phase: float, t0: float, span: float
) -> np.ndarray:
    """The ECG trace's polyline across the strip ``ecg_xyxy``, from time ``t0`` (ms) over ``span``.

    P, Q, R, S and T waves at the cycle's times (the T wave at a Bazett-like
    QT); ``start_phase`` is the cycle fraction at time 0.

    Returns
    -------
    (W, 1, 2) int32
        For ``cv2.polylines``.
    """
    ex0, ey0, ex1, ey1 = ecg_xyxy
    xs = np.arange(ex0, ex1 + 1)
    t = t0 + (xs - ex0) / max(ex1 - ex0, 1) * span
    rr = rr_ms
    tc = (t + start_phase * rr) % rr
    tc = np.where(tc > rr - 220.0, tc - rr, tc)  # P wave before the R

    def g(mu: float, sd: float, a: float) -> np.ndarray:
        return a * np.exp(-(((tc - mu) / sd) ** 2))

    t_peak = 400.0 * math.sqrt(rr / 1000.0) - 80.0  # T wave peak (Bazett-like QT)
    v = g(-160, 25, 0.12) + g(-28, 9, -0.12) + g(0, 10, 1.0) + g(28, 10, -0.25)
    v = v + g(t_peak, 45, 0.28)
    mid = (ey0 + ey1) / 2
    amp = (ey1 - ey0) * 0.45
    ys = mid + amp * 0.3 - v * amp * 1.1
    return np.stack([xs, np.round(ys)], axis=1).astype(np.int32).reshape(-1, 1, 2)


def put_text(
    img: np.ndarray,
    text: str,
    org: tuple[float, float],
    scale: float,
    colour: tuple[int, int, int] = (210, 210, 210),
) -> None:
    """Anti-aliased screen text (in place)."""
    cv2.putText(img, text, (int(org[0]), int(org[1])), FONT, scale, colour, 1, cv2.LINE_AA)


def draw_legend(img: np.ndarray, lut: np.ndarray, bar_xyxy: tuple[int, int, int, int]) -> None:
    """The colour table itself as the colour-bar legend (one pixel row per table row)."""
    bx0, by0, bx1, by1 = bar_xyxy
    img[by0 : by1 + 1, bx0 : bx1 + 1] = np.repeat(lut, (bx1 - bx0 + 1) // lut.shape[1], axis=1)
