"""What every figure shares: the palette, line and text styles, new axes and saving.

No pyplot anywhere: figures get an Agg canvas and are garbage-collected like
any object, with no global state or ``rcParams`` touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

if TYPE_CHECKING:
    pass

__all__ = ["OKABE_ITO", "PRE_COLOUR", "POST_COLOUR", "JET_COLOURS", "new_axes", "save_figure"]

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Pre-clip series colour (blue) and post-clip series colour (orange/vermillion).
PRE_COLOUR = OKABE_ITO["blue"]
POST_COLOUR = OKABE_ITO["vermillion"]
#: Jet outline colours, in jet order. Bright so they stand out on B-mode grey
#: and on the colour mosaic; each line also gets a thin black edge.
JET_COLOURS = (
    "#FFFFFF",
    OKABE_ITO["yellow"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
)

OUTLINE_EDGE = [patheffects.Stroke(linewidth=3.2, foreground="black"), patheffects.Normal()]
TEXT_EDGE = [patheffects.withStroke(linewidth=2.5, foreground="black")]


def new_axes(figsize: tuple[float, float] = (6.4, 4.8), **subplot_kw: Any) -> Axes:
    """One axes on a new :class:`~matplotlib.figure.Figure` with an Agg canvas.

    No pyplot: the figure is garbage-collected like any object.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot(**subplot_kw)


def save_figure(fig: Figure | SubFigure, path: str | os.PathLike[str], *, dpi: float = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .svg, .pdf) and return the path.

    Uses an Agg canvas attached to the figure, never pyplot, so it works in
    any thread and leaves no global state behind. A subfigure (e.g. ``ax.figure``)
    saves the figure it belongs to.
    """
    if isinstance(fig, SubFigure):
        fig = fig.figure
    path = Path(path)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")
    return path


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return new_axes(figsize) if ax is None else ax


def area_text(area_cm2: float | None, area_px: int) -> str:
    return f"{area_cm2:.2f} cm²" if area_cm2 is not None else f"{area_px} px"
