"""The overview figure of a comparison (:func:`plot_comparison`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._style import POST_COLOUR, PRE_COLOUR
from .areas import plot_area_change
from .frames import plot_max_frame
from .timecourse import plot_jet_area_time

if TYPE_CHECKING:
    from ..compare import Comparison

__all__ = ["plot_comparison"]


def plot_comparison(
    comparison: Comparison,
    pre_frame: np.ndarray,
    post_frame: np.ndarray,
    *,
    pre_mask: np.ndarray | None = None,
    post_mask: np.ndarray | None = None,
    pre_bounds_xyxy: tuple[int, int, int, int] | None = None,
    post_bounds_xyxy: tuple[int, int, int, int] | None = None,
    fig: Figure | None = None,
    pre_colour_bar: np.ndarray | None = None,
    post_colour_bar: np.ndarray | None = None,
) -> dict[str, Any]:
    """The full comparison figure: both max frames, jet area over time, pre vs post.

    Layout: top row the pre and post maximal frames side by side with the
    jets outlined; bottom row jet area against time (wide) and the pre/post
    bars over the ASE bands.

    Parameters
    ----------
    comparison : Comparison
    pre_frame, post_frame : (H, W, 3) uint8
        The maximal-jet frame of each clip.
    pre_mask, post_mask : (H, W) bool, optional
        Their jet masks, when the results kept no masks.
    pre_bounds_xyxy, post_bounds_xyxy : (x0, y0, x1, y1), optional
        The imaging region of each frame: the overlays never show beyond it.
    fig : Figure, optional
        Drawn on (cleared first); a new 12 x 9.5 in figure otherwise.
    pre_colour_bar, post_colour_bar : (h, w, 3) uint8, optional
        Each clip's colour bar, drawn as its panel's colour scale.

    Returns
    -------
    dict
        ``"figure"`` and the artist dicts ``"pre_frame"``, ``"post_frame"``,
        ``"area_time"``, ``"area_change"``.
    """
    fig = _figure(fig)
    ax_pre, ax_post, ax_time, ax_bar, ax_info = _layout(fig)
    c = comparison
    pre_art = plot_max_frame(
        pre_frame,
        c.pre,
        mask=pre_mask,
        ax=ax_pre,
        title=f"PRE-CLIP · {c.pre_label}",
        bounds_xyxy=pre_bounds_xyxy,
        colour_bar=pre_colour_bar,
    )
    post_art = plot_max_frame(
        post_frame,
        c.post,
        mask=post_mask,
        ax=ax_post,
        title=f"POST-CLIP · {c.post_label}",
        bounds_xyxy=post_bounds_xyxy,
        colour_bar=post_colour_bar,
    )
    ax_pre.title.set_color(PRE_COLOUR)
    ax_post.title.set_color(POST_COLOUR)
    time_art = plot_jet_area_time([c.pre, c.post], ax=ax_time, title="Colour-jet area over the clip")
    bar_art = plot_area_change(
        c.pre_max_jet_area, c.post_max_jet_area, unit=c.area_unit, ax=ax_bar, title="Maximal jet area"
    )
    _info_panel(ax_info, c)
    fig.suptitle(
        "Mitral regurgitation colour-jet area, before and after the clip", fontsize=13, fontweight="bold"
    )
    return {
        "figure": fig,
        "pre_frame": pre_art,
        "post_frame": post_art,
        "area_time": time_art,
        "area_change": bar_art,
    }


def _figure(fig: Figure | None) -> Figure:
    """``fig`` cleared, or a new 12 x 8.6 in figure with an Agg canvas."""
    if fig is None:
        fig = Figure(figsize=(12, 8.6), layout="constrained")
        FigureCanvasAgg(fig)
    else:
        fig.clear()
    return fig


def _layout(fig: Figure) -> tuple[Axes, Axes, Axes, Axes, Axes]:
    """Top row: pre frame, post frame, summary text; bottom row: area over time (wide), bars."""
    grid = fig.add_gridspec(2, 3, height_ratios=[1.1, 1], width_ratios=[1, 1, 0.75])
    ax_pre = fig.add_subplot(grid[0, 0:1])
    ax_post = fig.add_subplot(grid[0, 1:2])
    ax_time = fig.add_subplot(grid[1, 0:2])
    ax_bar = fig.add_subplot(grid[1, 2])
    ax_info = fig.add_subplot(grid[0, 2])
    return ax_pre, ax_post, ax_time, ax_bar, ax_info


def _info_panel(ax: Axes, c: Comparison) -> None:
    """The summary numbers and settings as monospace text on a blank axes."""
    ax.axis("off")
    ax.text(
        0.0,
        1.0,
        _summary_text(c),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=9.5,
        family="monospace",
        wrap=True,
    )


def _summary_text(c: Comparison) -> str:
    unit = "cm²" if c.area_unit == "cm2" else "px"

    def area(a: float | None) -> str:
        return "n/a" if a is None else f"{a:.1f} {unit}"

    lines = [
        "Maximal colour-jet area",
        f"  pre-clip   {area(c.pre_max_jet_area):>10}  ({c.pre_n_jets} jet"
        f"{'s' if c.pre_n_jets != 1 else ''})",
        f"  post-clip  {area(c.post_max_jet_area):>10}  ({c.post_n_jets} jet"
        f"{'s' if c.post_n_jets != 1 else ''})",
    ]
    if c.area_reduction is not None:
        pct = "" if c.area_reduction_pct is None else f", {c.area_reduction_pct:.0f} %"
        lines.append(f"  reduction  {area(c.area_reduction):>10}{pct}")
    if c.class_change:
        lines.append(f"  ASE class  {c.class_change}")
    lines.append("")
    lines.append("Settings (pre / post)")
    for key, label, fmt in (
        ("nyquist_cm_s", "Nyquist", "{:.1f} cm/s"),
        ("frame_rate_hz", "frame rate", "{:.0f} Hz"),
        ("depth_cm", "depth", "{:.1f} cm"),
    ):
        vals = []
        for res in (c.pre, c.post):
            v = getattr(res.acquisition, key)
            vals.append("n/r" if v is None else fmt.format(float(v)))
        flag = "  ≠" if any(k == key for k, _, _ in c.setting_differences) else ""
        lines.append(f"  {label:<10} {vals[0]} / {vals[1]}{flag}")
    if any(
        getattr(res.acquisition, k) is None
        for res in (c.pre, c.post)
        for k in ("nyquist_cm_s", "frame_rate_hz", "depth_cm")
    ):
        lines.append("  (n/r: not recorded)")
    if c.warnings:
        lines.append("")
        lines.append(f"{len(c.warnings)} warning{'s' if len(c.warnings) > 1 else ''}: see the report")
    lines.append("")
    lines.append("Colour-jet area only: not a full")
    lines.append("MR grade; depends on settings.")
    return "\n".join(lines)
