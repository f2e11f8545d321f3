"""The annulus line from the tissue: the closed leaflets, the annulus and the clip
device are the brightest line near the jets' origins; where several lines stand
out, the valve is the one the flow crosses narrowest (the leaflet tips hold the
vena contracta).

Pure array code: grey levels and flow shares of the colour box, pixels.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["best_tissue_line", "flow_crossing", "tissue_line"]


# ((angle, offset, contrast), (start x, start y)) of a tissue line
_Line = tuple[tuple[float, float, float], tuple[float, float]]


def best_tissue_line(
    tissue: np.ndarray,
    starts: list[tuple[float, float]],
    *,
    apex_xy: tuple[float, float],
    side: int,
    px_per_cm: float,
    max_tilt_deg: float,
    downstream_cm: float,
    flow: np.ndarray | None = None,
    keep: float = 0.75,
    min_crossing: float = 1.0,
    narrower: float = 0.8,
) -> _Line | None:
    """``((angle, offset, contrast), start)``: of the tissue lines found through
    each start point (:func:`tissue_line`), the brightest; with ``flow`` (the
    share of the jet frames showing flow at each pixel), of those within
    ``keep`` of the brightest's contrast and crossed by at least
    ``min_crossing`` of flow (a line no jet crosses is not at the jets'
    valve), the one the flow crosses least (:func:`flow_crossing`) when that
    is at most ``narrower`` times the flow across the brightest of them.
    ``None`` when no line stands out.

    Two jets beside a clip device give two starts, each with a bright line
    through it; the line through one jet's orifice can run into the other's
    flow-convergence dome, which then counts as jet. The annulus crosses the
    jets at their narrowest, past the domes.

    Examples
    --------
    >>> tissue = np.full((60, 80), 20.0, np.float32)
    >>> tissue[30:32, :] = 200.0                       # the leaflets, rows 30-31
    >>> tissue[40:42, :] = 230.0                       # a brighter line, rows 40-41
    >>> flow = np.zeros((60, 80), np.float32)
    >>> flow[33:50, 30:50] = 1.0                       # a wide dome across row 40
    >>> flow[25:33, 38:42] = 1.0                       # a narrow neck across row 30
    >>> kw = dict(apex_xy=(40.0, -100.0), side=1, px_per_cm=10.0, max_tilt_deg=10.0, downstream_cm=0.6)
    >>> starts = [(40.0, 28.0), (40.0, 38.0)]          # one near each line
    >>> (_, off, _), (sx, sy) = best_tissue_line(tissue, starts, **kw)
    >>> round(sy + off)                                # by brightness alone: row 40
    40
    >>> (_, off, _), (sx, sy) = best_tissue_line(tissue, starts, flow=flow, **kw)
    >>> round(sy + off)                                # crossed narrowest: row 30
    30
    """
    found: list[tuple[tuple[float, float, float], tuple[float, float]]] = []
    for sx, sy in starts:
        rx, ry = sx - apex_xy[0], sy - apex_xy[1]
        r = math.hypot(rx, ry) or 1.0
        line = tissue_line(
            tissue,
            sx,
            sy,
            math.atan2(-rx / r, ry / r),
            px_per_cm,
            max_tilt_deg,
            side=side,
            apex_xy=apex_xy,
            downstream_cm=downstream_cm,
        )
        if line is not None:
            found.append((line, (sx, sy)))
    if not found:
        return None
    top = max(f[0][2] for f in found)
    if flow is None:
        return next(f for f in found if f[0][2] == top)
    close = [f for f in found if f[0][2] >= keep * top]
    return _narrowest(close, flow, apex_xy, side, px_per_cm, min_crossing, narrower)


def _narrowest(
    close: list[_Line],
    flow: np.ndarray,
    apex_xy: tuple[float, float],
    side: int,
    px_per_cm: float,
    min_crossing: float,
    narrower: float,
) -> _Line:
    """Of the bright lines ``close``, the one the flow crosses least when
    that is at most ``narrower`` times the flow across the brightest (a dome
    is wide); a line no jet crosses (``min_crossing``: a pixel's worth of
    flow over the jet frames) is past the jets or before them, not at their
    valve."""

    def crossing(f: _Line) -> float:
        (angle, offset, _), (sx, sy) = f
        return flow_crossing(flow, sx, sy, angle, offset, apex_xy=apex_xy, side=side, half_px=1.6 * px_per_cm)

    crossed = [(crossing(f), f) for f in close]
    valid = [(c, f) for c, f in crossed if c >= min_crossing] or crossed
    brightest = max(valid, key=lambda cf: cf[1][0][2])
    narrowest = min(valid, key=lambda cf: (cf[0], -cf[1][0][2]))
    return narrowest[1] if narrowest[0] <= narrower * brightest[0] else brightest[1]


def flow_crossing(
    flow: np.ndarray,
    sx: float,
    sy: float,
    angle: float,
    offset: float,
    *,
    apex_xy: tuple[float, float],
    side: int,
    half_px: float,
) -> float:
    """The flow along the line at ``angle`` through ``(sx, sy)`` moved ``offset``
    along its normal toward the atrium, over ``half_px`` either side: the sum of
    ``flow`` over the pixels it crosses.

    >>> flow = np.zeros((20, 20)); flow[5, 4:9] = 1.0
    >>> flow_crossing(flow, 10.0, 8.0, 0.0, -3.0, apex_xy=(10.0, -50.0), side=1, half_px=9.0)
    5.0
    """
    h, w = flow.shape
    ux, uy = math.cos(angle), math.sin(angle)
    nx, ny = -uy, ux
    if (nx * (sx - apex_xy[0]) + ny * (sy - apex_xy[1])) * side < 0:
        nx, ny = -nx, -ny
    cx, cy = sx + offset * nx, sy + offset * ny
    t = np.arange(-half_px, half_px + 0.25, 0.5)
    px = np.round(cx + t * ux).astype(int)
    py = np.round(cy + t * uy).astype(int)
    ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    pix = np.unique(py[ok] * w + px[ok])
    return float(flow.reshape(-1)[pix].sum())


def tissue_line(
    tissue: np.ndarray,
    cx: float,
    cy: float,
    base: float,
    px_per_cm: float,
    max_tilt_deg: float,
    *,
    side: int,
    apex_xy: tuple[float, float],
    downstream_cm: float = 1.6,
) -> tuple[float, float, float] | None:
    """The line near ``(cx, cy)`` along which the tissue is brightest: the closed
    leaflets and the annulus (the clip device too).

    Searches directions within ``max_tilt_deg`` of ``base`` and offsets along
    the normal from 0.5 cm into the ventricle to 1.6 cm into the atrium (the
    upstream end of the turbulence can be the far edge of a flow-convergence
    dome whose tight aliasing rings read as mosaic). The score is a low percentile of the grey level
    along the segment (+-1.6 cm, the orifice excluded), so a line must be
    bright along its length, not just cross one wall.

    Returns
    -------
    (angle, offset_px, contrast) or None
        ``None`` when no line stands out.
    """
    h, w = tissue.shape
    r = np.concatenate([np.linspace(-1.6, -0.3, 14), np.linspace(0.3, 1.6, 14)]) * px_per_cm
    offsets = np.arange(-0.5, downstream_cm + 0.41, 0.05) * px_per_cm
    angles = base + np.radians(np.arange(-max_tilt_deg, max_tilt_deg + 0.1, 3.0))
    # sample every line at once: (angles, offsets, points along the line)
    ux, uy = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    nx, ny = -uy, ux
    # the normal toward the atrium: its sign per angle, as _normal_toward_atrium
    rx, ry = cx - apex_xy[0], cy - apex_xy[1]
    flip = np.where((nx * rx + ny * ry) * side < 0, -1.0, 1.0)
    nx, ny = nx * flip, ny * flip
    off = offsets[None, :, None]
    px = np.round(cx + off * nx + r[None, None, :] * ux).astype(int)
    py = np.round(cy + off * ny + r[None, None, :] * uy).astype(int)
    inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    vals = np.full(px.shape, np.nan, np.float32)
    vals[inside] = tissue[py[inside], px[inside]]
    n_ok = np.isfinite(vals).sum(axis=-1)
    # the 30th percentile of each line's valid samples (NaN sorts last)
    srt = np.sort(vals, axis=-1)
    k = 0.3 * np.maximum(n_ok - 1, 0)
    k0 = np.floor(k).astype(int)
    k1 = np.minimum(k0 + 1, np.maximum(n_ok - 1, 0))
    v0 = np.take_along_axis(srt, k0[..., None], axis=-1)[..., 0]
    v1 = np.take_along_axis(srt, k1[..., None], axis=-1)[..., 0]
    grid = np.where(n_ok >= 10, v0 + (k - k0) * (v1 - v0), np.nan)
    if not np.isfinite(grid).any():
        return None
    # the leaflets lie at most 1.6 cm downstream of the turbulence's upstream
    # end (which can be the far edge of a flow-convergence dome)
    search = np.where(offsets[None, :] <= downstream_cm * px_per_cm, grid, np.nan)
    a_i, o_i = np.unravel_index(np.nanargmax(search), grid.shape)
    peak = grid[a_i, o_i]
    background = float(np.nanmedian(grid))
    # a real bright line stands out from the other lines
    if peak - background < 10.0:
        return None
    # the atrium starts at the leaflets' atrial edge
    prof = grid[a_i]
    edge = o_i
    while (
        edge + 1 < len(offsets) and np.isfinite(prof[edge + 1]) and prof[edge + 1] > 0.5 * (peak + background)
    ):
        edge += 1
    return float(angles[a_i]), float(offsets[edge]), float(peak - background)
