"""Jet area over the clip, one line per clip aligned at systole onset."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from ..results import ClipResult, systolic_runs
from ._style import OKABE_ITO, POST_COLOUR, PRE_COLOUR, axes_or_new

__all__ = ["plot_jet_area_time"]

_COLOURS = [
    PRE_COLOUR,
    POST_COLOUR,
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
]
_MARKERS = ["o", "s", "^", "D", "v", "P"]
_STYLES = ["-", "--", "-.", ":"]


def _series(result: ClipResult) -> tuple[np.ndarray, np.ndarray, str, str, bool]:
    """x (ms or frames from systole onset), area, x label, y unit, and whether timed."""
    pf = result.per_frame
    timed = bool(pf) and all(f.time_ms is not None for f in pf)
    cal = result.calibrated
    y = np.array([(f.jet_area_cm2 if cal else f.jet_area_px) or 0.0 for f in pf], float)
    x = np.array([f.time_ms for f in pf], float) if timed else np.array([f.index for f in pf], float)
    runs = systolic_runs([f.phase for f in pf])
    # align at the onset of the systole that holds the maximal frame (the clip
    # may start mid-systole or span several beats); else the first onset
    idx = [f.index for f in pf]
    i_max = idx.index(result.max_frame) if result.max_frame in idx else None
    run = next((r for r in runs if i_max is not None and r[0] <= i_max < r[1]), runs[0] if runs else None)
    x0 = x[run[0]] if run else (x[0] if len(x) else 0.0)
    if timed:
        xlabel = "time from systole onset (ms)" if runs else "time from clip start (ms)"
    else:
        xlabel = "frames from systole onset" if runs else "frame"
    return x - x0, y, xlabel, "cm²" if cal else "px", timed


def plot_jet_area_time(
    results: ClipResult | Sequence[ClipResult],
    *,
    names: Sequence[str] | None = None,
    colours: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Jet area against time, one line per clip, aligned at systole onset.

    Time zero is the first frame of the systole that holds each clip's
    maximal frame, so the beats being compared line up.

    Systolic frames are shaded in each clip's colour, and each clip's maximal
    systolic frame is marked and labelled.

    Parameters
    ----------
    results : ClipResult or sequence of ClipResult
        Typically ``(pre, post)``.
    names : sequence of str, optional
        Legend names; default ``"pre-clip"``/``"post-clip"`` for two results,
        else the file names.
    colours : sequence of str, optional
        Default: pre blue, post vermillion, then the rest of Okabe-Ito.

    Returns
    -------
    dict
        ``"lines"``: Line2D per clip (x = ms from systole onset, y = area);
        ``"maxima"``: Line2D marker per clip; ``"max_labels"``: Text per clip;
        ``"systole"``: list of lists of the shaded spans per clip;
        ``"legend"``: the Legend.
    """
    if isinstance(results, ClipResult):
        results = [results]
    results = list(results)
    names = _default_names(results) if names is None else names
    colours = _COLOURS if colours is None else colours
    ax = axes_or_new(ax, (7.0, 3.6))
    lines, maxima, max_labels, spans = [], [], [], []
    units, xlabels = set(), set()
    for k, res in enumerate(results):
        colour = colours[k % len(colours)]
        x, y, xlabel, unit, _ = _series(res)
        units.add(unit)
        xlabels.add(xlabel)
        spans.append(_shade_systole(ax, k, res, x, colour, names[k]))
        (line,) = ax.plot(
            x,
            y,
            color=colour,
            marker=_MARKERS[k % len(_MARKERS)],
            markersize=3.5,
            linestyle=_STYLES[k % len(_STYLES)],
            linewidth=1.8,
            label=names[k],
            zorder=3,
        )
        lines.append(line)
        if res.max_frame is not None and res.per_frame:
            mk, label = _mark_maximum(ax, res, res.max_frame, x, y, unit, colour)
            maxima.append(mk)
            max_labels.append(label)
    ax.set_xlabel(" / ".join(sorted(xlabels)))
    ax.set_ylabel(f"jet area ({' / '.join(sorted(units))})")
    ax.set_ylim(bottom=0)
    top = ax.get_ylim()[1]
    ax.set_ylim(0, top * (1.15 + 0.04 * len(results)))
    ax.grid(True, alpha=0.3)
    legend = ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, frameon=False, ncols=2 * len(results)
    )
    if title:
        ax.set_title(title, fontsize=10)
    return {"lines": lines, "maxima": maxima, "max_labels": max_labels, "systole": spans, "legend": legend}


def _default_names(results: Sequence[ClipResult]) -> list[str]:
    if len(results) == 2:
        return ["pre-clip", "post-clip"]
    return [PurePath(str(r.source)).name for r in results]


def _shade_systole(ax: Axes, k: int, res: ClipResult, x: np.ndarray, colour: str, name: str) -> list[Any]:
    """Systolic frames of clip ``k``: a light grey band across the plot, plus a
    strip in the clip's colour along the top (one strip per clip, stacked).
    Returns the strips."""
    step = float(np.median(np.diff(x))) if len(x) > 1 else 1.0
    clip_spans: list[Any] = []
    strip = (1.0 - 0.035 * (k + 1), 1.0 - 0.035 * k)
    for a, b in systolic_runs([f.phase for f in res.per_frame]):
        x_lo, x_hi = x[a] - step / 2, x[b - 1] + step / 2
        ax.axvspan(x_lo, x_hi, color="0.5", alpha=0.10, lw=0, zorder=0)
        clip_spans.append(
            ax.axvspan(
                x_lo,
                x_hi,
                ymin=strip[0],
                ymax=strip[1],
                color=colour,
                alpha=0.55,
                lw=0,
                zorder=1,
                label=f"{name} systole" if not clip_spans else None,
            )
        )
    return clip_spans


def _mark_maximum(
    ax: Axes, res: ClipResult, max_frame: int, x: np.ndarray, y: np.ndarray, unit: str, colour: str
) -> tuple[Any, Any]:
    """A star on the clip's maximal frame and its labelled area."""
    i = [f.index for f in res.per_frame].index(max_frame)
    (mk,) = ax.plot(
        [x[i]],
        [y[i]],
        marker="*",
        markersize=14,
        color=colour,
        markeredgecolor="black",
        linestyle="none",
        zorder=4,
    )
    label = ax.annotate(
        f"max {y[i]:.1f} {unit}" if unit == "cm²" else f"max {y[i]:.0f} {unit}",
        (x[i], y[i]),
        xytext=(8, 6),
        textcoords="offset points",
        color=colour,
        fontsize=9,
        fontweight="bold",
        zorder=5,
    )
    return mk, label
