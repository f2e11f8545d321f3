"""Maximal jet area as numbers over the ASE bands: one pair, a cohort, the reductions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..results import ASE_MILD_BELOW_CM2, ASE_SEVERE_ABOVE_CM2
from ._style import OKABE_ITO, POST_COLOUR, PRE_COLOUR, axes_or_new

__all__ = ["ase_bands", "plot_area_change", "plot_cohort", "plot_reduction_distribution", "cohort_figure"]


#: ASE colour-jet area bands: (name, low, high, fill colour).
_BANDS = (
    ("mild", 0.0, ASE_MILD_BELOW_CM2, OKABE_ITO["bluish_green"]),
    ("moderate", ASE_MILD_BELOW_CM2, ASE_SEVERE_ABOVE_CM2, OKABE_ITO["yellow"]),
    ("severe", ASE_SEVERE_ABOVE_CM2, np.inf, OKABE_ITO["vermillion"]),
)


def ase_bands(ax: Axes, *, top: float, label: bool = True) -> dict[str, Any]:
    """Shade the ASE colour-jet area bands (< 4, 4-10, > 10 cm²) across ``ax``.

    Returns ``{"spans": [Polygon x3], "labels": [Text x3]}`` (mild, moderate, severe).
    """
    spans, labels = [], []
    for name, lo, hi, colour in _BANDS:
        hi_eff = min(hi, top)
        spans.append(ax.axhspan(lo, hi_eff, color=colour, alpha=0.16, lw=0, zorder=0))
        if label and lo < top:
            text = {"mild": "mild", "moderate": "moderate", "severe": "severe"}[name]
            labels.append(
                ax.text(
                    1.03,
                    (lo + hi_eff) / 2,
                    text,
                    transform=ax.get_yaxis_transform(),
                    ha="left",
                    va="center",
                    fontsize=8,
                    color="#333333",
                    rotation=90,
                    zorder=1,
                )
            )
    return {"spans": spans, "labels": labels}


def plot_area_change(
    pre_area: float | None,
    post_area: float | None,
    *,
    unit: str = "cm2",
    names: tuple[str, str] = ("pre-clip", "post-clip"),
    ax: Axes | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Maximal jet area before and after, as two bars over the ASE bands.

    Parameters
    ----------
    pre_area, post_area : float or None
        Maximal jet area of each clip, in ``unit`` (``None`` = not measurable).
    unit : {"cm2", "px"}
        With ``"px"`` no ASE bands are drawn (the cut-offs are in cm²).

    Returns
    -------
    dict
        ``"bars"``: BarContainer (heights = areas, 0 for None); ``"values"``:
        Text per bar; ``"bands"``: see :func:`ase_bands` (empty for px);
        ``"change"``: Text with the reduction, or None.
    """
    ax = axes_or_new(ax, (3.6, 3.6))
    heights = [0.0 if a is None else float(a) for a in (pre_area, post_area)]
    bars = ax.bar(
        [0, 1],
        heights,
        width=0.55,
        color=[PRE_COLOUR, POST_COLOUR],
        edgecolor="black",
        linewidth=0.8,
        zorder=2,
    )
    bars[1].set_hatch("//")
    unit_text = "cm²" if unit == "cm2" else unit
    top = max(max(heights) * 1.25, 12.0 if unit == "cm2" else 1.0)
    values = []
    for x, a in zip([0, 1], (pre_area, post_area)):
        txt = "n/a" if a is None else (f"{a:.1f} {unit_text}" if unit == "cm2" else f"{a:.0f} {unit_text}")
        values.append(
            ax.text(
                x,
                (a or 0.0) + top * 0.015,
                txt,
                ha="center",
                va="bottom",
                fontsize=10,
                fontweight="bold",
                zorder=3,
            )
        )
    bands = ase_bands(ax, top=top) if unit == "cm2" else {"spans": [], "labels": []}
    change = None
    if pre_area is not None and post_area is not None and pre_area > 0:
        pct = 100.0 * (pre_area - post_area) / pre_area
        word = "reduction" if pct >= 0 else "increase"
        change = ax.text(
            0.5,
            0.97,
            f"{abs(pct):.0f} % {word}",
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize=10,
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.6"},
            zorder=4,
        )
    ax.set_xticks([0, 1], list(names))
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(0, top)
    ax.set_ylabel(f"max jet area ({unit_text})")
    if title:
        ax.set_title(title, fontsize=10)
    return {"bars": bars, "values": values, "bands": bands, "change": change}


def _spread(values: np.ndarray, *, min_gap: float) -> np.ndarray:
    """Label positions near ``values`` but at least ``min_gap`` apart (same order)."""
    values = np.asarray(values, float)
    out = values.copy()
    order = np.argsort(np.where(np.isfinite(values), values, np.inf), kind="stable")
    placed = np.nan_to_num(values[order], nan=0.0)
    for i in range(1, len(placed)):  # push crowded labels upwards
        placed[i] = max(placed[i], placed[i - 1] + min_gap)
    out[order] = placed
    return out


def plot_cohort(
    pre_areas_cm2: Sequence[float],
    post_areas_cm2: Sequence[float],
    *,
    ids: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Paired pre -> post maximal jet area, one line per patient, over the ASE bands.

    ``ids`` label the lines at their post end (study codes, never names).
    From a list of :class:`~echoassess.compare.Comparison`::

        plot_cohort([c.pre_max_jet_area_cm2 for c in comps],
                    [c.post_max_jet_area_cm2 for c in comps], ids=[...])

    Returns
    -------
    dict
        ``"lines"``: Line2D per patient (x = [0, 1], y = [pre, post]);
        ``"median"``: the median Line2D; ``"labels"``: Text per id; ``"bands"``.
    """
    from ..errors import InvalidParameterError

    pre = np.asarray(pre_areas_cm2, float)
    post = np.asarray(post_areas_cm2, float)
    if pre.shape != post.shape or pre.ndim != 1:
        raise InvalidParameterError(
            None,
            f"plot_cohort: pre has shape {pre.shape} but post has {post.shape}",
            hint="give one pre and one post area per patient",
        )
    if ids is not None and len(ids) != len(pre):
        raise InvalidParameterError(None, f"plot_cohort: {len(ids)} ids for {len(pre)} patients")
    ax = axes_or_new(ax, (4.2, 4.2))
    finite = np.concatenate([pre, post])
    finite = finite[np.isfinite(finite)]
    top = max(float(finite.max()) * 1.15 if finite.size else 0.0, 12.0)
    label_y = _spread(post, min_gap=0.035 * top) if ids is not None else post
    lines, labels = [], []
    for k in range(len(pre)):
        (line,) = ax.plot(
            [0, 1],
            [pre[k], post[k]],
            color="0.35",
            linewidth=1.0,
            alpha=0.8,
            marker="o",
            markersize=4,
            markerfacecolor="0.35",
            zorder=2,
        )
        lines.append(line)
        if ids is not None:
            labels.append(ax.text(1.04, label_y[k], str(ids[k]), fontsize=7, va="center", color="0.25"))
    ax.plot(np.zeros(len(pre)), pre, "o", color=PRE_COLOUR, markersize=5, zorder=3)
    ax.plot(np.ones(len(post)), post, "s", color=POST_COLOUR, markersize=5, zorder=3)
    median = None
    if len(pre):
        (median,) = ax.plot(
            [0, 1],
            [np.nanmedian(pre), np.nanmedian(post)],
            color="black",
            linewidth=3,
            zorder=4,
            label=f"median (n = {len(pre)})",
        )
        ax.legend(loc="upper right", fontsize=8)
    bands = ase_bands(ax, top=top)
    ax.set_xticks([0, 1], ["pre-clip", "post-clip"])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(0, top)
    ax.set_ylabel("max jet area (cm²)")
    if title:
        ax.set_title(title, fontsize=10)
    return {"lines": lines, "median": median, "labels": labels, "bands": bands}


def plot_reduction_distribution(
    reduction_pct: Sequence[float | None],
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Histogram of the per-patient % reduction of the maximal jet area, median marked.

    ``None`` / NaN values (no pre-clip jet) are left out and counted in the
    x-axis label. Bins are 10 % wide; a jet that grew gives a negative value.

    Returns
    -------
    dict
        ``"bars"``: the histogram's Rectangle patches; ``"median"``: the
        median Line2D (``None`` without values); ``"n"``: values drawn.
    """
    values = np.asarray([np.nan if v is None else float(v) for v in reduction_pct], float)
    finite = values[np.isfinite(values)]
    ax = axes_or_new(ax, (4.2, 4.2))
    lo = min(0.0, np.floor(finite.min() / 10.0) * 10.0) if finite.size else 0.0
    edges = np.arange(lo, 100.0 + 10.0, 10.0)
    # one data set: the patches are one BarContainer
    _, _, bars = ax.hist(finite, bins=edges.tolist(), color=POST_COLOUR, edgecolor="white", alpha=0.85)
    median = None
    if finite.size:
        m = float(np.median(finite))
        median = ax.axvline(m, color="black", linewidth=2, label=f"median {m:.0f} %")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xlim(edges[0], 100)
    left_out = len(values) - finite.size
    ax.set_xlabel(
        "reduction of max jet area (%)" + (f"  ({left_out} without a pre-clip jet)" if left_out else "")
    )
    ax.set_ylabel("patients")
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)
    if title:
        ax.set_title(title, fontsize=10)
    return {"bars": list(cast(BarContainer, bars)), "median": median, "n": int(finite.size)}


def cohort_figure(
    pre_areas_cm2: Sequence[float],
    post_areas_cm2: Sequence[float],
    reduction_pct: Sequence[float | None],
    *,
    ids: Sequence[str] | None = None,
) -> Figure:
    """A two-panel cohort figure: paired pre -> post areas (:func:`plot_cohort`) and the
    distribution of % reduction (:func:`plot_reduction_distribution`)."""
    fig = Figure(figsize=(9.0, 4.4), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    n = len(pre_areas_cm2)
    plot_cohort(
        pre_areas_cm2, post_areas_cm2, ids=ids, ax=left, title=f"Max colour-jet area, pre -> post (n = {n})"
    )
    plot_reduction_distribution(reduction_pct, ax=right, title="Reduction per patient")
    return fig
