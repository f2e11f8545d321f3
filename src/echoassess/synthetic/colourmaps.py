"""Vendor-like colour-Doppler maps and their on-screen legend.

A map is a lookup table ``lut[row, var]`` of RGB colours. Rows run from the
top of the colour bar (+Nyquist, flow toward the probe) to its bottom
(-Nyquist, away from the probe); columns are turbulence (variance) levels, one
column for maps without variance. The colour bar drawn on the screen is this
table itself (one pixel row per table row), so the colours inside the colour
box are exactly colours of the legend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COLOUR_MAPS", "WORLD_STOPS", "colour_lut", "world_lut", "velocity_rows", "black_rows"]

#: One colour map's control points: (fraction of Nyquist, RGB) toward the probe,
#: then away from it.
Stops = tuple[tuple[tuple[float, tuple[int, int, int]], ...], tuple[tuple[float, tuple[int, int, int]], ...]]

#: Names of the colour maps and whether they carry variance (turbulence) green.
COLOUR_MAPS: dict[str, bool] = {"vendor_a": False, "vendor_b": True}

#: Fraction of Nyquist below which the machine shows no colour (the black
#: baseline band of the legend).
BASELINE_FRACTION = 0.08

# (fraction of Nyquist, RGB) control points, positive (toward) then negative (away).
_STOPS: dict[str, Stops] = {
    "vendor_a": (
        ((0.0, (70, 0, 0)), (0.35, (190, 20, 10)), (0.7, (255, 120, 20)), (1.0, (255, 245, 140))),
        ((0.0, (0, 10, 80)), (0.4, (10, 60, 230)), (0.75, (40, 170, 255)), (1.0, (170, 245, 255))),
    ),
    "vendor_b": (
        ((0.0, (90, 10, 0)), (0.4, (215, 40, 0)), (0.8, (255, 160, 0)), (1.0, (255, 225, 60))),
        ((0.0, (10, 0, 100)), (0.45, (30, 40, 255)), (0.8, (0, 140, 255)), (1.0, (60, 230, 235))),
    ),
}


#: The world renderer's maps: the two above and three more vendors' looks.
WORLD_STOPS: dict[str, Stops] = {
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


def velocity_rows(n_rows: int) -> np.ndarray:
    """Velocity (fraction of Nyquist) at the centre of each legend row.

    ``(n_rows,) float64``, from just under +1 (top) to just above -1 (bottom).
    """
    i = np.arange(n_rows, dtype=np.float64)
    return 1.0 - (2.0 * i + 1.0) / n_rows


def black_rows(n_rows: int) -> tuple[int, int]:
    """First and last row (inclusive) of the legend's black baseline band."""
    u = velocity_rows(n_rows)
    idx = np.flatnonzero(np.abs(u) < BASELINE_FRACTION)
    if idx.size == 0:  # tiny bars: make the two central rows the baseline
        mid = n_rows // 2
        return mid - 1, mid
    return int(idx[0]), int(idx[-1])


def _ramp(stops: tuple[tuple[float, tuple[int, int, int]], ...], t: np.ndarray) -> np.ndarray:
    xs = np.array([s[0] for s in stops])
    cols = np.array([s[1] for s in stops], dtype=np.float64)
    return np.stack([np.interp(t, xs, cols[:, c]) for c in range(3)], axis=-1)


def _table(stops: Stops, n_rows: int, n_var: int, *, dim: float) -> np.ndarray:
    """The ``(n_rows, n_var, 3) uint8`` table of ``stops``; ``n_var > 1`` adds
    variance green and dims red and blue by up to ``dim``."""
    pos_stops, neg_stops = stops
    u = velocity_rows(n_rows)
    mag = np.clip((np.abs(u) - BASELINE_FRACTION) / (1.0 - BASELINE_FRACTION), 0.0, 1.0)
    rgb = np.where((u >= 0)[:, None], _ramp(pos_stops, mag), _ramp(neg_stops, mag))
    lo, hi = black_rows(n_rows)
    rgb[lo : hi + 1] = 0.0
    out = np.repeat(rgb[:, None, :], n_var, axis=1)
    if n_var > 1:
        v = np.linspace(0.0, 1.0, n_var)
        # variance adds green and slightly dims red and blue
        out[..., 1] = out[..., 1] + (255.0 - out[..., 1]) * 0.85 * v[None, :]
        out[..., 0] *= 1.0 - dim * v[None, :]
        out[..., 2] *= 1.0 - dim * v[None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def colour_lut(name: str, n_rows: int, n_var: int = 1) -> np.ndarray:
    """The colour table of a map of the apical generator.

    Parameters
    ----------
    name : {"vendor_a", "vendor_b"}
    n_rows : int
        Velocity levels (legend rows), top = +Nyquist.
    n_var : int
        Variance levels; forced to 1 for maps without variance.

    Returns
    -------
    (n_rows, n_var, 3) uint8 ndarray
        Baseline rows are black (plus variance green for variance maps).

    Examples
    --------
    >>> lut = colour_lut("vendor_a", 64)
    >>> lut.shape, lut[32, 0].tolist()
    ((64, 1, 3), [0, 0, 0])
    """
    return _table(_STOPS[name], n_rows, n_var if COLOUR_MAPS[name] else 1, dim=0.25)


def world_lut(name: str, n_rows: int, n_var: int = 1) -> np.ndarray:
    """The colour table of a world map (:data:`WORLD_STOPS`).

    Like :func:`colour_lut`, but any map takes variance: ``n_var > 1`` gives
    its variance version (green for turbulence).

    Examples
    --------
    >>> world_lut("ge_like", 64, 8).shape
    (64, 8, 3)
    """
    return _table(WORLD_STOPS[name], n_rows, n_var, dim=0.3)
