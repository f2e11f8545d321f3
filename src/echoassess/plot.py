"""Figures of jet measurements. The only echoassess module that imports matplotlib.

Every plotting function draws on the ``ax=`` it is given (or on a fresh
:class:`matplotlib.figure.Figure` when ``ax`` is ``None``), returns the artists
it made in a dict, and never calls ``show()`` or touches pyplot's global
state or ``rcParams``. Save with :func:`save_figure`.

Colours are the Okabe-Ito palette, which stays distinguishable under the
common colour-vision deficiencies.

Examples
--------
>>> import numpy as np
>>> frame = np.zeros((40, 60, 3), np.uint8)
>>> mask = np.zeros((40, 60), bool); mask[10:20, 10:30] = True
>>> artists = plot_overlay(frame, mask, spacing_cm=(0.05, 0.05), title="demo.dcm")
>>> len(artists["contours"]), artists["labels"][0].get_text()
(1, '0.50 cm²')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .results import JetMeasurement

__all__ = [
    "OKABE_ITO",
    "PRE_COLOUR",
    "POST_COLOUR",
    "JET_COLOURS",
    "new_axes",
    "save_figure",
    "plot_overlay",
]

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

_OUTLINE_EDGE = [patheffects.Stroke(linewidth=3.2, foreground="black"), patheffects.Normal()]
_TEXT_EDGE = [patheffects.withStroke(linewidth=2.5, foreground="black")]


# -- figure helpers --------------------------------------------------------------
def new_axes(figsize: tuple[float, float] = (6.4, 4.8), **subplot_kw: Any) -> Axes:
    """One axes on a new :class:`~matplotlib.figure.Figure` with an Agg canvas.

    No pyplot: the figure is garbage-collected like any object.
    """
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot(**subplot_kw)


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 120) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .svg, .pdf) and return the path.

    Uses an Agg canvas attached to the figure, never pyplot, so it works in
    any thread and leaves no global state behind.
    """
    path = Path(path)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")
    return path


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return new_axes(figsize) if ax is None else ax


def _area_text(area_cm2: float | None, area_px: int) -> str:
    return f"{area_cm2:.2f} cm²" if area_cm2 is not None else f"{area_px} px"


# -- overlay -------------------------------------------------------------------------
def _label_mask(mask: np.ndarray) -> np.ndarray:
    """Integer labels from a bool mask (8-connected) or pass integer labels through."""
    from scipy import ndimage

    if mask.dtype == bool:
        labels, _ = ndimage.label(mask, structure=np.ones((3, 3), bool))
        return labels
    return np.asarray(mask).astype(np.int64, copy=False)


def _match_jets(
    labels: np.ndarray, jets: Sequence[JetMeasurement] | None, is_label_image: bool
) -> list[tuple[int, JetMeasurement | None]]:
    """Pair each region label of ``labels`` with its JetMeasurement (or None)."""
    present = [int(v) for v in np.unique(labels) if v > 0]
    if not jets:
        return [(lab, None) for lab in present]
    pairs: list[tuple[int, JetMeasurement | None]] = []
    if is_label_image and all(j.label in present for j in jets):
        return [(j.label, j) for j in jets]
    # bool mask: components were numbered by us; match each jet to the component
    # whose centroid is nearest to the jet's centroid.
    from scipy import ndimage

    centroids = ndimage.center_of_mass(np.ones_like(labels), labels, present)
    free = dict(zip(present, centroids))
    for jet in jets:
        if not free:
            break
        cx, cy = jet.centroid_xy
        lab = min(free, key=lambda k: (free[k][1] - cx) ** 2 + (free[k][0] - cy) ** 2)
        pairs.append((lab, jet))
        del free[lab]
    pairs.extend((lab, None) for lab in free)
    return pairs


def plot_overlay(
    frame: np.ndarray,
    mask_or_labels: np.ndarray,
    *,
    jets: Sequence[JetMeasurement] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    spacing_cm: tuple[float, float] | None = None,
    show_total: bool = True,
) -> dict[str, Any]:
    """Show a frame with each jet outlined and its area written beside it.

    Parameters
    ----------
    frame : (H, W, 3) uint8 or (H, W) uint8
        The image, as decoded by :meth:`echoassess.EchoClip.frame`.
    mask_or_labels : (H, W) bool or int
        The jet mask (components are found 8-connected) or a label image
        (0 = background, 1.. = jets).
    jets : sequence of JetMeasurement, optional
        The measured jets on this frame; their ``area_cm2`` (or ``area_px``)
        is written on the image. Without them, areas are counted from the mask
        (in cm² when ``spacing_cm`` is given, else in px).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    title : str, optional
        Axes title: the clip's identity (file name, series), never the patient's name.
    spacing_cm : (dx, dy) float, optional
        Pixel spacing, used only when ``jets`` is not given.
    show_total : bool
        With two or more jets, write the summed area in the top-left corner.

    Returns
    -------
    dict
        ``"image"``: the AxesImage; ``"contours"``: list of Line2D, one per
        closed outline (``gid`` is ``"jet-<label>"``); ``"labels"``: list of
        Text, one per jet, in jet order; ``"total"``: Text or None;
        ``"title"``: Text or None.

    Raises
    ------
    echoassess.InvalidParameterError
        When the frame and mask shapes disagree.
    """
    from skimage.measure import find_contours

    from .errors import InvalidParameterError

    frame = np.asarray(frame)
    mask = np.asarray(mask_or_labels)
    if frame.ndim not in (2, 3) or frame.shape[:2] != mask.shape:
        raise InvalidParameterError(
            None,
            f"plot_overlay: frame shape {frame.shape} does not match mask shape {mask.shape}",
            hint="pass one (H, W, 3) frame and its (H, W) mask",
        )
    ax = _axes(ax, (6.0, 5.0))
    h, w = mask.shape
    image = ax.imshow(frame, cmap="gray" if frame.ndim == 2 else None, interpolation="nearest")
    is_label_image = mask.dtype != bool
    labels = _label_mask(mask)
    pairs = _match_jets(labels, jets, is_label_image)

    contours = []
    texts = []
    total_cm2: float | None = 0.0
    total_px = 0
    for k, (lab, jet) in enumerate(pairs):
        colour = JET_COLOURS[k % len(JET_COLOURS)]
        region = labels == lab
        padded = np.pad(region, 1).astype(float)
        for c in find_contours(padded, 0.5):
            (line,) = ax.plot(c[:, 1] - 1, c[:, 0] - 1, color=colour, linewidth=1.6,
                              path_effects=_OUTLINE_EDGE, gid=f"jet-{lab}")
            contours.append(line)
        if jet is not None:
            area_cm2, area_px = jet.area_cm2, int(jet.area_px)
        else:
            area_px = int(region.sum())
            area_cm2 = area_px * spacing_cm[0] * spacing_cm[1] if spacing_cm else None
        total_px += area_px
        total_cm2 = None if (area_cm2 is None or total_cm2 is None) else total_cm2 + area_cm2
        rows, cols = np.nonzero(region)
        # label just right of the jet, at its vertical centre; left when near the edge
        x_right = cols.max() + 4
        ha = "left"
        if x_right > w * 0.8:
            x_right, ha = cols.min() - 4, "right"
        prefix = f"{k + 1}: " if len(pairs) > 1 else ""
        text = ax.text(x_right, rows.mean(), prefix + _area_text(area_cm2, area_px),
                       color=colour, fontsize=9, fontweight="bold", ha=ha, va="center",
                       path_effects=_TEXT_EDGE, gid=f"jet-{lab}")
        texts.append(text)

    total = None
    if show_total and len(pairs) > 1:
        total = ax.text(0.02, 0.98, f"{len(pairs)} jets, total {_area_text(total_cm2, total_px)}",
                        transform=ax.transAxes, color="white", fontsize=9, fontweight="bold",
                        ha="left", va="top", path_effects=_TEXT_EDGE)
    elif show_total and not pairs:
        total = ax.text(0.02, 0.98, "no jet detected", transform=ax.transAxes, color="white",
                        fontsize=9, fontweight="bold", ha="left", va="top",
                        path_effects=_TEXT_EDGE)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    title_artist = ax.set_title(title, fontsize=10) if title else None
    return {"image": image, "contours": contours, "labels": texts, "total": total,
            "title": title_artist}
