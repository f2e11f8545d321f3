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
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .results import ASE_MILD_BELOW_CM2, ASE_SEVERE_ABOVE_CM2, ClipResult, JetMeasurement
from .results import systolic_runs as _systole_runs

if TYPE_CHECKING:  # pragma: no cover
    from .compare import Comparison

__all__ = [
    "OKABE_ITO",
    "PRE_COLOUR",
    "POST_COLOUR",
    "JET_COLOURS",
    "new_axes",
    "save_figure",
    "plot_overlay",
    "plot_max_frame",
    "plot_post_teer",
    "jet_zoom_box",
    "plot_jet_area_time",
    "plot_area_change",
    "plot_cohort",
    "plot_comparison",
    "plot_reduction_distribution",
    "cohort_figure",
    "ase_bands",
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


def _jet_regions(
    labels: np.ndarray, jets: Sequence[JetMeasurement] | None, is_label_image: bool
) -> list[tuple[int, JetMeasurement | None, np.ndarray]]:
    """Each jet's label, measurement (or None) and pixels.

    Without ``jets``, every labelled region is a jet. With them, the jets are
    authoritative: a label image is matched by label; the components of a
    bool mask are each given to the jet whose centroid is nearest (so a jet
    broken into pieces, or a speck beside it, is outlined in that jet's colour).
    """
    from scipy import ndimage

    present = [int(v) for v in np.unique(labels) if v > 0]
    if not jets:
        return [(lab, None, labels == lab) for lab in present]
    if is_label_image and all(j.label in present for j in jets):
        return [(j.label, j, labels == j.label) for j in jets]
    regions = [np.zeros(labels.shape, bool) for _ in jets]
    if present:
        centroids = ndimage.center_of_mass(np.ones(labels.shape), labels, present)
        for lab, (cy, cx) in zip(present, centroids):
            k = min(
                range(len(jets)),
                key=lambda i: (jets[i].centroid_xy[0] - cx) ** 2 + (jets[i].centroid_xy[1] - cy) ** 2,
            )
            regions[k] |= labels == lab
    return [(j.label, j, r) for j, r in zip(jets, regions)]


def plot_overlay(
    frame: np.ndarray,
    mask_or_labels: np.ndarray,
    *,
    jets: Sequence[JetMeasurement] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    spacing_cm: tuple[float, float] | None = None,
    show_total: bool = True,
    zoom_xyxy: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """Show a frame with each jet outlined and its area written on it.

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
        Pixel spacing: draws a scale bar, and gives areas in cm² when
        ``jets`` is not given.
    show_total : bool
        With two or more jets, write the summed area under the list of areas.
    zoom_xyxy : (x0, y0, x1, y1), optional
        Show only this box of the frame (pixels, inclusive).

    Returns
    -------
    dict
        ``"image"``: the AxesImage; ``"contours"``: list of Line2D, one per
        closed outline (``gid`` is ``"jet-<label>"``); ``"labels"``: list of
        Text, one per jet, in jet order, giving its area (listed in the
        top-left corner); ``"tags"``: with several jets, the Text number
        placed beside each jet; ``"total"``: Text or None;
        ``"scale_bar"``: (Line2D, Text) or None; ``"title"``: Text or None.

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
    pairs = _jet_regions(labels, jets, is_label_image)

    contours, texts, tags = [], [], []
    total_cm2: float | None = 0.0
    total_px = 0
    many = len(pairs) > 1
    for k, (lab, jet, region) in enumerate(pairs):
        colour = JET_COLOURS[k % len(JET_COLOURS)]
        gid = f"jet-{lab}"
        padded = np.pad(region, 1).astype(float)
        for c in find_contours(padded, 0.5):
            (line,) = ax.plot(
                c[:, 1] - 1, c[:, 0] - 1, color=colour, linewidth=1.6, path_effects=_OUTLINE_EDGE, gid=gid
            )
            contours.append(line)
        if jet is not None:
            area_cm2, area_px = jet.area_cm2, int(jet.area_px)
        else:
            area_px = int(region.sum())
            area_cm2 = area_px * spacing_cm[0] * spacing_cm[1] if spacing_cm else None
        total_px += area_px
        total_cm2 = None if (area_cm2 is None or total_cm2 is None) else total_cm2 + area_cm2
        # the areas are listed in the top-left corner (never over the jets or each
        # other); with several jets, a number beside each jet keys it to the list
        texts.append(
            ax.text(
                0.02,
                0.98 - 0.07 * k,
                (f"{k + 1}: " if many else "") + _area_text(area_cm2, area_px),
                transform=ax.transAxes,
                color=colour,
                fontsize=10,
                fontweight="bold",
                ha="left",
                va="top",
                path_effects=_TEXT_EDGE,
                gid=gid,
            )
        )
        if many and region.any():
            rows, cols = np.nonzero(region)
            top = rows.argmin()
            tags.append(
                ax.annotate(
                    str(k + 1),
                    (cols[top], rows[top]),
                    xytext=(0, 5),
                    textcoords="offset points",
                    color=colour,
                    fontsize=10,
                    fontweight="bold",
                    ha="center",
                    va="bottom",
                    path_effects=_TEXT_EDGE,
                    gid=gid,
                )
            )

    total = None
    if show_total and many:
        total = ax.text(
            0.02,
            0.98 - 0.07 * len(pairs),
            f"total {_area_text(total_cm2, total_px)} ({len(pairs)} jets)",
            transform=ax.transAxes,
            color="white",
            fontsize=10,
            fontweight="bold",
            ha="left",
            va="top",
            path_effects=_TEXT_EDGE,
        )
    elif show_total and not pairs:
        total = ax.text(
            0.02,
            0.98,
            "no jet detected",
            transform=ax.transAxes,
            color="white",
            fontsize=10,
            fontweight="bold",
            ha="left",
            va="top",
            path_effects=_TEXT_EDGE,
        )
    if zoom_xyxy is not None:
        x0, y0, x1, y1 = zoom_xyxy
        ax.set_xlim(max(-0.5, x0 - 0.5), min(w - 0.5, x1 + 0.5))
        ax.set_ylim(min(h - 0.5, y1 + 0.5), max(-0.5, y0 - 0.5))
    else:
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    scale_bar = None
    if spacing_cm is not None:
        scale_bar = _scale_bar(ax, spacing_cm[0])
    title_artist = ax.set_title(title, fontsize=10) if title else None
    return {
        "image": image,
        "contours": contours,
        "labels": texts,
        "tags": tags,
        "total": total,
        "scale_bar": scale_bar,
        "title": title_artist,
    }


def _scale_bar(ax: Axes, dx_cm: float) -> tuple[Any, Any]:
    """A 1 cm (or 0.5 / 2 cm) bar in the bottom-right corner of an image axes."""
    x_lo, x_hi = sorted(ax.get_xlim())
    y_top, y_bottom = sorted(ax.get_ylim())
    view_cm = (x_hi - x_lo) * dx_cm
    length_cm = 2.0 if view_cm > 16 else (1.0 if view_cm > 4 else 0.5)
    length_px = length_cm / dx_cm
    x1 = x_hi - 0.04 * (x_hi - x_lo)
    y = y_bottom - 0.05 * (y_bottom - y_top)
    (line,) = ax.plot(
        [x1 - length_px, x1],
        [y, y],
        color="white",
        linewidth=2.5,
        solid_capstyle="butt",
        path_effects=_OUTLINE_EDGE,
        gid="scale-bar",
    )
    text = ax.text(
        x1 - length_px / 2,
        y - 0.015 * (y_bottom - y_top),
        f"{length_cm:g} cm",
        color="white",
        fontsize=9,
        ha="center",
        va="bottom",
        path_effects=_TEXT_EDGE,
        gid="scale-bar",
    )
    return line, text


def plot_max_frame(
    frame: np.ndarray,
    result: ClipResult,
    *,
    mask: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    zoom: bool = True,
    bounds_xyxy: tuple[int, int, int, int] | None = None,
    colour_bar: np.ndarray | None = None,
) -> dict[str, Any]:
    """The clip's maximal-jet frame with its jets outlined (see :func:`plot_overlay`).

    Parameters
    ----------
    frame : (H, W, 3) uint8
        Frame ``result.max_frame`` of the clip.
    result : ClipResult
        Supplies the jets and, unless ``mask`` is given, their pixels:
        ``result.jet_labels_at_max`` when present, else
        ``result.masks[result.max_frame]``.
    mask : (H, W) bool or int, optional
        The jet mask of that frame when the result kept no masks.
    zoom : bool
        Show the region around the jets (with a wide margin, at the frame's
        aspect ratio) rather than the whole screen.
    bounds_xyxy : (x0, y0, x1, y1), optional
        Never show beyond this box (inclusive pixels), e.g. the imaging region
        of the file, so text burned in around the image stays out.
    colour_bar : (h, w, 3) uint8, optional
        The clip's colour bar (its pixels only; :class:`echoassess.anonymise.ImagingView`
        keeps it): drawn as the panel's colour scale, labelled with the Nyquist
        limit of ``result.settings`` (``artists["colour_bar"]``).

    Frame numbers count from 0 (the scanner's own frame counter shows frame + 1).

    Raises
    ------
    echoassess.InvalidParameterError
        When no mask is given and the result kept none.
    """
    from .errors import InvalidParameterError

    jets = result.jets_at_max or None
    if mask is None and result.jet_labels_at_max is not None and jets:
        # the analysis' own label image: value k is jets_at_max[k - 1]
        lab = np.asarray(result.jet_labels_at_max)
        mask = np.zeros(lab.shape, np.int32)
        for k, jet in enumerate(jets, start=1):
            mask[lab == k] = jet.label
    if mask is None:
        if result.max_frame is None:
            mask = np.zeros(np.asarray(frame).shape[:2], bool)
        elif result.masks is None:
            raise InvalidParameterError(
                result.source,
                "plot_max_frame: the result kept no masks and no mask was given",
                hint="analyse with masks kept, or pass mask=",
            )
        else:
            mask = result.masks[result.max_frame]
    if title is None:
        title = PurePath(str(result.source)).name
    import textwrap

    title = "\n".join(textwrap.fill(line, 52) for line in title.split("\n"))
    if result.max_frame is not None:
        t = result.per_frame[result.max_frame].time_ms if result.per_frame else None
        when = f"frame {result.max_frame} (from 0; screen {result.max_frame + 1}/{result.frames})" + (
            f", {t:.0f} ms" if t is not None else ""
        )
        title = f"{title}\n{when}"
    box = bounds_xyxy
    if zoom:
        shown = np.asarray(mask) > 0
        pt = result.post_teer
        if pt is not None and pt.la_outline_xy:  # keep the LA outline in view
            shown = shown.copy()
            xy = np.asarray(pt.la_outline_xy)
            x0, y0 = np.clip(np.floor(xy.min(axis=0)).astype(int), 0, None)
            x1, y1 = np.ceil(xy.max(axis=0)).astype(int)
            shown[y0 : y1 + 1, x0 : x1 + 1] = True
        box = jet_zoom_box(shown, margin=0.6 if pt is None else 0.15, bounds_xyxy=bounds_xyxy)
    artists = plot_overlay(
        frame, mask, jets=jets, ax=ax, title=title, spacing_cm=result.pixel_spacing_cm, zoom_xyxy=box
    )
    ann = result.diagnostics.annulus_xy
    if ann:
        # the mitral annulus the jets were measured against (dashed)
        (x1, y1), (x2, y2) = ann
        axes = artists["image"].axes
        (line,) = axes.plot(
            [x1, x2],
            [y1, y2],
            linestyle="--",
            linewidth=1.2,
            color=OKABE_ITO["sky_blue"],
            label="annulus",
            scalex=False,
            scaley=False,
        )
        artists["annulus"] = line
    if result.post_teer is not None:
        artists.update(plot_post_teer(artists["image"].axes, result))
    if colour_bar is not None and np.asarray(colour_bar).size:
        artists["colour_bar"] = _colour_scale(
            artists["image"].axes, np.asarray(colour_bar), result.acquisition.nyquist_cm_s
        )
    return artists


def plot_post_teer(ax: Axes, result: ClipResult) -> dict[str, Any]:
    """Draw the LA outline and each jet's vena contracta (axis and measured
    segment) of ``result.post_teer`` on an axes showing the max-jet frame.

    Returns the artists: ``"la_outline"`` and, per jet ``k``, ``"vc_axis_k"``
    and ``"vc_segment_k"``.
    """
    pt = result.post_teer
    artists: dict[str, Any] = {}
    if pt is None:
        return artists
    if pt.la_outline_xy:
        xy = np.asarray(pt.la_outline_xy + pt.la_outline_xy[:1], float)
        style = "-" if pt.la_status != "cannot_measure" else ":"
        (line,) = ax.plot(
            xy[:, 0],
            xy[:, 1],
            style,
            color=OKABE_ITO["bluish_green"],
            linewidth=1.4,
            label="LA" + (" (cut by the fan)" if style == ":" else ""),
            scalex=False,
            scaley=False,
            path_effects=_OUTLINE_EDGE,
        )
        artists["la_outline"] = line
    for k, jet in enumerate(pt.jets, start=1):
        if jet.vc_segment_xy is None or jet.origin_xy is None or jet.axis_end_xy is None:
            continue
        (o, e) = jet.origin_xy, jet.axis_end_xy
        (axis,) = ax.plot(
            [o[0], e[0]], [o[1], e[1]], ":", color="white", linewidth=1.0, scalex=False, scaley=False
        )
        (a, b) = jet.vc_segment_xy
        (seg,) = ax.plot(
            [a[0], b[0]],
            [a[1], b[1]],
            "-",
            color=OKABE_ITO["orange"],
            linewidth=2.2,
            solid_capstyle="butt",
            scalex=False,
            scaley=False,
            path_effects=_OUTLINE_EDGE,
            label="vena contracta" if k == 1 else None,
        )
        if jet.vc_at_max_cm is not None:
            ax.annotate(
                f"VC {jet.vc_at_max_cm:.2f} cm",
                (max(a[0], b[0]), 0.5 * (a[1] + b[1])),
                xytext=(6, 0),
                textcoords="offset points",
                color="white",
                fontsize=8,
                va="center",
                path_effects=_TEXT_EDGE,
                annotation_clip=True,
            )
        artists[f"vc_axis_{k}"] = axis
        artists[f"vc_segment_{k}"] = seg
    return artists


def _colour_scale(ax: Axes, bar: np.ndarray, nyquist_cm_s: float | None) -> Axes:
    """The clip's own colour bar as a small scale in the panel's right edge, with
    +/- Nyquist written by echoassess (never the screen's printed text)."""
    if bar.shape[1] > bar.shape[0]:  # a horizontal bar: flow toward the probe on the right
        bar = np.rot90(bar)
    inset = ax.inset_axes([0.93, 0.32, 0.035, 0.4])
    inset.imshow(bar, aspect="auto", interpolation="nearest")
    inset.set_xticks([])
    top = f"+{nyquist_cm_s:.3g}" if nyquist_cm_s else "+Nyq"
    bottom = f"\u2212{nyquist_cm_s:.3g}" if nyquist_cm_s else "\u2212Nyq"
    inset.set_yticks([0, bar.shape[0] - 1], [top, bottom], fontsize=7, color="white")
    inset.tick_params(axis="y", length=2, pad=1, colors="white")
    inset.set_title("cm/s" if nyquist_cm_s else "", fontsize=7, color="white", pad=2)
    for spine in inset.spines.values():
        spine.set_edgecolor("0.7")
    inset.set_gid("colour-scale")
    return inset


def jet_zoom_box(
    mask: np.ndarray,
    *,
    margin: float = 1.0,
    min_fraction: float = 0.4,
    bounds_xyxy: tuple[int, int, int, int] | None = None,
) -> tuple[int, int, int, int] | None:
    """A box around the jets, with the frame's aspect ratio, for zooming in.

    The jets' bounding box grown by ``margin`` times its size on each side,
    at least ``min_fraction`` of the frame, shifted to stay inside it (inside
    ``bounds_xyxy``, inclusive, when given: e.g. the imaging region, which
    leaves out text burned in around the image). ``None`` when the mask is
    empty and no bounds are given; the bounds when no jet lies inside them.

    >>> m = np.zeros((100, 200), bool); m[40:50, 90:110] = True
    >>> jet_zoom_box(m)
    (60, 24, 139, 63)
    """
    mask = np.asarray(mask)
    ox = oy = 0
    if bounds_xyxy is not None:
        bx0, by0, bx1, by1 = (int(v) for v in bounds_xyxy)
        bx0, by0 = max(bx0, 0), max(by0, 0)
        bx1, by1 = min(bx1, mask.shape[1] - 1), min(by1, mask.shape[0] - 1)
        mask = mask[by0 : by1 + 1, bx0 : bx1 + 1]
        ox, oy = bx0, by0
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        if bounds_xyxy is None:
            return None
        return (ox, oy, ox + mask.shape[1] - 1, oy + mask.shape[0] - 1)
    h, w = mask.shape
    bh = rows.max() - rows.min() + 1
    bw = cols.max() - cols.min() + 1
    cy = (rows.max() + rows.min()) / 2
    cx = (cols.max() + cols.min()) / 2
    zh = max(bh * (1 + 2 * margin), min_fraction * h)
    zw = max(bw * (1 + 2 * margin), min_fraction * w)
    # keep the frame's aspect ratio
    if zw / zh > w / h:
        zh = zw * h / w
    else:
        zw = zh * w / h
    zh, zw = min(zh, h), min(zw, w)
    y0 = int(round(min(max(cy - zh / 2, 0), h - zh)))
    x0 = int(round(min(max(cx - zw / 2, 0), w - zw)))
    return (ox + x0, oy + y0, ox + int(x0 + round(zw)) - 1, oy + int(y0 + round(zh)) - 1)


def _series(result: ClipResult) -> tuple[np.ndarray, np.ndarray, str, str, bool]:
    """x (ms or frames from systole onset), area, x label, y unit, and whether timed."""
    pf = result.per_frame
    timed = bool(pf) and all(f.time_ms is not None for f in pf)
    cal = result.calibrated
    y = np.array([(f.jet_area_cm2 if cal else f.jet_area_px) or 0.0 for f in pf], float)
    x = np.array([f.time_ms for f in pf], float) if timed else np.array([f.index for f in pf], float)
    runs = _systole_runs([f.phase for f in pf])
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
    if names is None:
        names = (
            ["pre-clip", "post-clip"]
            if len(results) == 2
            else [PurePath(str(r.source)).name for r in results]
        )
    if colours is None:
        colours = [
            PRE_COLOUR,
            POST_COLOUR,
            OKABE_ITO["bluish_green"],
            OKABE_ITO["reddish_purple"],
            OKABE_ITO["orange"],
            OKABE_ITO["sky_blue"],
        ]
    markers = ["o", "s", "^", "D", "v", "P"]
    styles = ["-", "--", "-.", ":"]
    ax = _axes(ax, (7.0, 3.6))
    lines, maxima, max_labels, spans = [], [], [], []
    units, xlabels = set(), set()
    for k, res in enumerate(results):
        colour = colours[k % len(colours)]
        x, y, xlabel, unit, timed = _series(res)
        units.add(unit)
        xlabels.add(xlabel)
        step = float(np.median(np.diff(x))) if len(x) > 1 else 1.0
        clip_spans = []
        # systolic frames: a light grey band across the plot, plus a strip in
        # the clip's colour along the top (one strip per clip, stacked)
        strip = (1.0 - 0.035 * (k + 1), 1.0 - 0.035 * k)
        for a, b in _systole_runs([f.phase for f in res.per_frame]):
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
                    label=f"{names[k]} systole" if not clip_spans else None,
                )
            )
        spans.append(clip_spans)
        (line,) = ax.plot(
            x,
            y,
            color=colour,
            marker=markers[k % len(markers)],
            markersize=3.5,
            linestyle=styles[k % len(styles)],
            linewidth=1.8,
            label=names[k],
            zorder=3,
        )
        lines.append(line)
        if res.max_frame is not None and res.per_frame:
            i = [f.index for f in res.per_frame].index(res.max_frame)
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
            maxima.append(mk)
            max_labels.append(
                ax.annotate(
                    f"max {y[i]:.1f} {unit}" if unit == "cm²" else f"max {y[i]:.0f} {unit}",
                    (x[i], y[i]),
                    xytext=(8, 6),
                    textcoords="offset points",
                    color=colour,
                    fontsize=9,
                    fontweight="bold",
                    zorder=5,
                )
            )
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
    ax = _axes(ax, (3.6, 3.6))
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
    from .errors import InvalidParameterError

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
    ax = _axes(ax, (4.2, 4.2))
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
    if fig is None:
        fig = Figure(figsize=(12, 8.6), layout="constrained")
        FigureCanvasAgg(fig)
    else:
        fig.clear()
    grid = fig.add_gridspec(2, 3, height_ratios=[1.1, 1], width_ratios=[1, 1, 0.75])
    ax_pre = fig.add_subplot(grid[0, 0:1])
    ax_post = fig.add_subplot(grid[0, 1:2])
    ax_time = fig.add_subplot(grid[1, 0:2])
    ax_bar = fig.add_subplot(grid[1, 2])
    ax_info = fig.add_subplot(grid[0, 2])
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
    info = _summary_text(c)
    ax_info.axis("off")
    ax_info.text(
        0.0,
        1.0,
        info,
        transform=ax_info.transAxes,
        ha="left",
        va="top",
        fontsize=9.5,
        family="monospace",
        wrap=True,
    )
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


# -- cohort summary (batch) -----------------------------------------------------------
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
    ax = _axes(ax, (4.2, 4.2))
    lo = min(0.0, np.floor(finite.min() / 10.0) * 10.0) if finite.size else 0.0
    edges = np.arange(lo, 100.0 + 10.0, 10.0)
    _, _, bars = ax.hist(finite, bins=edges, color=POST_COLOUR, edgecolor="white", alpha=0.85)
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
    ax.yaxis.get_major_locator().set_params(integer=True)
    if title:
        ax.set_title(title, fontsize=10)
    return {"bars": list(bars), "median": median, "n": int(finite.size)}


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
