"""The ECG trace burned into an echo screen: R waves and the cardiac phase.

Pure array code. Echo machines draw the ECG as a thin green trace under the
image with a cursor (a vertical line of any colour) that marks the current
frame; a stored loop may instead show the whole loop's trace frozen, with no
cursor, its left end at the first frame and its right end at the last.
When both are found, each frame's time since the last R wave follows from the
cursor positions and the frame times, and with it the electrical systole
(R wave to the end of the T wave, Bazett's QT). The trace is never relied on:
:func:`read_ecg` returns ``None`` when it is not there or not readable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["EcgPhase", "find_trace", "find_cursor", "cursor_columns", "read_ecg", "read_frozen_ecg"]

#: Delay from the R wave to the start of mechanical systole (mitral closure), ms.
ELECTROMECHANICAL_DELAY_MS = 50.0


@dataclass(frozen=True)
class EcgPhase:
    """What the ECG says about the clip.

    Attributes
    ----------
    r_times_ms : (k,) float ndarray
        Times of the visible R waves, in the clip's frame-time axis.
    rr_ms : float
        R-R interval used (from two visible R waves, else from the heart rate).
    systolic : (T,) bool ndarray
        Frames in mechanical systole: from the electromechanical delay after
        an R wave to the end of its T wave (Bazett's QT), shifted by that delay.
    time_since_r_ms : (T,) float ndarray
    """

    r_times_ms: np.ndarray
    rr_ms: float
    systolic: np.ndarray
    time_since_r_ms: np.ndarray


def _trace_pixels(frame: np.ndarray, min_level: int = 70, min_chroma: int = 35) -> np.ndarray:
    """Bright saturated pixels: the ECG trace is drawn in a colour (green on most
    machines, yellow or cyan on others): the brightest channel above ``min_level``
    and ``min_chroma`` above the darkest."""
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    hi = np.maximum(np.maximum(r, g), b).astype(np.int16)
    lo = np.minimum(np.minimum(r, g), b)
    # thin anti-aliased traces fade to half their brightness and chroma
    return (hi > min_level) & (hi - lo > min_chroma)


def find_trace(
    frame: np.ndarray,
    *,
    exclude: np.ndarray | None = None,
    min_width_px: int = 80,
    min_level: int = 70,
    min_chroma: int = 35,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ECG trace as ``(xs, ys)``: for each column, the mean row of its trace pixels.

    Looks for the widest horizontal run of columns holding coloured (green,
    yellow, ...) pixels in the image's lower half, outside ``exclude`` (e.g.
    the imaging sector).
    """
    rows = frame.shape[0]
    green = np.zeros(frame.shape[:2], bool)
    green[rows // 2 :] = _trace_pixels(frame[rows // 2 :], min_level, min_chroma)
    if exclude is not None:
        green &= ~exclude
    # the trace is one long connected line (the cursor may cut it: bridge
    # short horizontal gaps); labels such as "HR 70" are separate, short pieces
    bridged = cv2.dilate(green.astype(np.uint8), np.ones((3, 15), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    if n < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_WIDTH]))
    if stats[k, cv2.CC_STAT_WIDTH] < min_width_px:
        return None
    green &= labels == k
    cols_with = green.any(axis=0)
    xs = np.flatnonzero(cols_with)
    x0, x1 = int(xs[0]), int(xs[-1])
    band = green[:, x0 : x1 + 1]
    ys_all = np.arange(rows)[:, None]
    count = band.sum(axis=0)
    keep = count > 0
    mean_y = (band * ys_all).sum(axis=0)[keep] / count[keep]
    top_y = np.argmax(band, axis=0)[keep]
    # the R wave is the trace's highest excursion: use the top of each column
    return np.arange(x0, x1 + 1)[keep].astype(float), np.minimum(mean_y, top_y + 1.0)


def find_cursor(frame: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> float | None:
    """Column of the bright vertical cursor crossing the trace, or ``None``."""
    y0 = int(max(0, ys.min() - 6))
    y1 = int(min(frame.shape[0], ys.max() + 6))
    x0, x1 = int(xs.min()), int(xs.max()) + 1
    strip = frame[y0:y1, x0:x1].astype(np.int16)
    bright = (strip.min(axis=-1) > 170) & (strip.max(axis=-1) - strip.min(axis=-1) < 40)
    frac = bright.mean(axis=0)
    if frac.size == 0 or frac.max() < 0.6:
        return None
    return float(x0 + int(np.argmax(frac)))


def _r_waves(
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    with_edges: bool = False,
    fraction: float = 0.6,
    min_spike_px: float = 8,
):
    """Columns of the R waves: sharp upward spikes above ``fraction`` of the tallest
    one (from the baseline); none when the tallest is under ``min_spike_px``.

    With ``with_edges``, also whether each spike touches an end of the trace
    (a spike cut off there may be a T wave or the sweep's edge, not an R wave).
    """
    baseline = float(np.median(ys))
    height = baseline - ys  # up is positive
    top = float(height.max()) if height.size else 0.0
    peaks: list[float] = []
    edges: list[bool] = []
    above = height > fraction * top
    idx = np.flatnonzero(above)
    if top >= min_spike_px and idx.size:  # no spike taller than a few pixels: not an ECG we can read
        groups = np.split(idx, np.flatnonzero(np.diff(idx) > 3) + 1)
        for g in groups:
            peaks.append(float(xs[g[np.argmax(height[g])]]))
            edges.append(bool(g[0] == 0 or g[-1] == len(ys) - 1))
    if with_edges:
        return np.asarray(peaks), np.asarray(edges, bool)
    return np.asarray(peaks)


def _rr_and_r(
    r_t: np.ndarray, at_edge: np.ndarray, heart_rate_bpm: float | None, agreement: float = 0.25
) -> tuple[np.ndarray, float | None]:
    """The R waves to keep and the R-R interval (ms).

    The R waves' own spacing, unless the file's heart rate says otherwise
    (more than ``agreement`` apart, 25 % by default): then a spike at an end of the trace is dropped,
    and if the spacing still disagrees the file's R-R interval is used with
    the inner R waves."""
    order = np.argsort(r_t)
    r_t, at_edge = r_t[order], at_edge[order]
    rr_file = 60000.0 / float(heart_rate_bpm) if heart_rate_bpm else None

    def spacing(r: np.ndarray) -> float | None:
        return float(np.median(np.diff(r))) if r.size >= 2 else None

    rr = spacing(r_t)
    if rr_file is None:
        return r_t, rr
    if rr is not None and abs(rr - rr_file) <= agreement * rr_file:
        return r_t, rr
    inner = r_t[~at_edge] if (~at_edge).any() else r_t
    rr = spacing(inner)
    if rr is not None and abs(rr - rr_file) <= agreement * rr_file:
        return inner, rr
    return inner, rr_file


def mask_columns(
    trace: tuple[np.ndarray, np.ndarray], x: float, *, half_width: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """The trace with the columns within ``half_width`` of ``x`` (the cursor on
    the frame it was read from, whose vertical line reads as a spike) bridged
    by a straight line between their neighbours.

    >>> xs = np.arange(10.0); ys = np.full(10, 50.0); ys[5] = 10
    >>> mask_columns((xs, ys), 5, half_width=1)[1].tolist()
    [50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0]
    """
    xs, ys = trace
    cut = np.abs(xs - x) <= half_width
    if not cut.any() or cut.all():
        return xs, ys
    ys = ys.astype(float).copy()
    ys[cut] = np.interp(xs[cut], xs[~cut], ys[~cut])
    return xs, ys


def read_ecg(
    frames_cursor_x: np.ndarray,
    frame_times_ms: np.ndarray,
    trace: tuple[np.ndarray, np.ndarray],
    *,
    heart_rate_bpm: float | None = None,
    r_wave_fraction: float = 0.6,
    min_rr_ms: float = 250.0,
    max_rr_ms: float = 2500.0,
    min_r_spike_px: float = 8,
    file_rr_agreement: float = 0.25,
) -> EcgPhase | None:
    """The ECG's cardiac phase for every frame.

    Parameters
    ----------
    frames_cursor_x : (T,) float
        Cursor column on each frame (NaN where none was found).
    frame_times_ms : (T,) float
    trace : (xs, ys)
        From :func:`find_trace`.
    heart_rate_bpm : float, optional
        Used for the R-R interval when fewer than two R waves are visible.
    r_wave_fraction, min_rr_ms, max_rr_ms, min_r_spike_px, file_rr_agreement : float
        See :class:`echoassess.analysis.params.PhaseParams`.

    Returns
    -------
    EcgPhase or None
        ``None`` when the cursor does not sweep with time, no R wave is
        visible, or the R-R interval is unknown.

    Examples
    --------
    >>> xs = np.arange(0, 400.0); ys = np.full(400, 50.0); ys[[100, 300]] = 20
    >>> cursor = np.linspace(50, 350, 11); times = np.arange(11) * 100.0
    >>> ph = read_ecg(cursor, times, (xs, ys))
    >>> ph.rr_ms, ph.systolic.astype(int).tolist()
    (666.6..., [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1])
    """
    cx = np.asarray(frames_cursor_x, float)
    t = np.asarray(frame_times_ms, float)
    ok = np.isfinite(cx)
    if ok.sum() < 3 or np.ptp(cx[ok]) < 10:
        return None
    a, b = np.polyfit(cx[ok], t[ok], 1)  # ms per px, ms at x = 0
    resid = np.abs(t[ok] - (a * cx[ok] + b))
    if a <= 0 or resid.max() > max(2.0 * abs(a), 0.1 * np.ptp(t)):
        return None  # the cursor does not move with time
    xs, ys = trace
    r_x, at_edge = _r_waves(xs, ys, with_edges=True, fraction=r_wave_fraction, min_spike_px=min_r_spike_px)
    if r_x.size == 0:
        return None
    r_t, rr = _rr_and_r(a * r_x + b, at_edge, heart_rate_bpm, file_rr_agreement)
    if rr is None or not min_rr_ms <= rr <= max_rr_ms:
        return None
    # time since the most recent R wave, extending the visible ones by whole RRs
    return _phase_from_r(t, r_t, rr)


def cursor_columns(strips: np.ndarray, *, min_change: int = 40, min_fraction: float = 0.5) -> np.ndarray:
    """The cursor's column on every frame, whatever its colour.

    The cursor is the one thing in the ECG strip that moves: a vertical line
    whose pixels differ from the strip's median over the clip along most of
    the strip's height.

    Parameters
    ----------
    strips : (T, h, w, 3) uint8
        The rows around the trace, from every frame.

    Returns
    -------
    (T,) float
        Column within the strip, NaN where no cursor is found (a frozen trace
        gives NaN on every frame).

    Examples
    --------
    >>> s = np.zeros((5, 20, 50, 3), np.uint8); s[:, 10, :, 1] = 200   # the trace
    >>> for i in range(5): s[i, :, 5 + 8 * i] = (255, 230, 0)          # a yellow cursor
    >>> cursor_columns(s).tolist()
    [5.0, 13.0, 21.0, 29.0, 37.0]
    """
    arr = np.asarray(strips)
    T = arr.shape[0]
    out = np.full(T, np.nan)
    if T < 3:
        return out
    # the static strip: the median of up to 15 frames spread over the clip
    pick = np.unique(np.linspace(0, T - 1, min(T, 15)).round().astype(int))
    med = np.median(arr[pick], axis=0).astype(np.int16)
    for i in range(T):
        d = np.abs(arr[i].astype(np.int16) - med)
        diff = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2]) > min_change
        frac = diff.mean(axis=0)
        j = int(np.argmax(frac))
        if frac[j] >= min_fraction:
            out[i] = float(j)
    return out


def read_frozen_ecg(
    frame_times_ms: np.ndarray,
    frame_time_ms: float | None,
    trace: tuple[np.ndarray, np.ndarray],
    *,
    heart_rate_bpm: float | None = None,
    r_wave_fraction: float = 0.6,
    min_rr_ms: float = 250.0,
    max_rr_ms: float = 2500.0,
    min_r_spike_px: float = 8,
    frozen_rr_agreement: float = 0.2,
) -> EcgPhase | None:
    """The cardiac phase from a frozen trace (no cursor) spanning the clip.

    The trace's left end is taken as the first frame and its right end as the
    end of the last frame. With two or more R waves the mapping is accepted
    only when the R-R interval it implies is plausible and, when the file gives
    a heart rate, agrees with it within ``frozen_rr_agreement`` (20 %); with one R wave the file's heart
    rate gives the R-R interval.

    Examples
    --------
    >>> xs = np.arange(0, 400.0); ys = np.full(400, 50.0); ys[[50, 250]] = 20
    >>> ph = read_frozen_ecg(np.arange(12) * 100.0, 100.0, (xs, ys), heart_rate_bpm=90)
    >>> round(ph.rr_ms), ph.systolic.astype(int).tolist()
    (600, [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1])
    """
    t = np.asarray(frame_times_ms, float)
    if t.size < 3:
        return None
    dt = float(frame_time_ms) if frame_time_ms else float(np.median(np.diff(t)))
    span = float(t[-1] - t[0]) + dt
    xs, ys = trace
    x0, x1 = float(xs.min()), float(xs.max()) + 1.0
    if x1 - x0 < 20 or span <= 0:
        return None
    a = span / (x1 - x0)  # ms per pixel
    b = float(t[0]) - a * x0
    r_x = _r_waves(xs, ys, fraction=r_wave_fraction, min_spike_px=min_r_spike_px)
    r_t = a * r_x + b
    if r_x.size >= 2:
        rr = float(np.median(np.diff(np.sort(r_t))))
        if heart_rate_bpm and abs(rr - 60000.0 / float(heart_rate_bpm)) > frozen_rr_agreement * rr:
            return None  # the trace does not span the loop as assumed
    elif r_x.size == 1 and heart_rate_bpm:
        rr = 60000.0 / float(heart_rate_bpm)  # one beat on screen: the file's heart rate
    else:
        return None
    if not min_rr_ms <= rr <= max_rr_ms:
        return None
    return _phase_from_r(t, np.sort(r_t), rr)


def _phase_from_r(t: np.ndarray, r_t: np.ndarray, rr: float) -> EcgPhase:
    since = ((t - r_t[0]) % rr + rr) % rr
    qt = 400.0 * math.sqrt(rr / 1000.0)  # Bazett: QT = 0.4 s * sqrt(RR in s)
    # mechanical systole lags the R wave by the electromechanical delay
    systolic = (since >= ELECTROMECHANICAL_DELAY_MS) & (since <= qt + ELECTROMECHANICAL_DELAY_MS)
    return EcgPhase(r_t, rr, systolic, since)
