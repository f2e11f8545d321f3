"""Frames with the jets outlined: any frame (:func:`plot_overlay`), the maximal
one with the annulus, vena contracta, LA outline and colour scale
(:func:`plot_max_frame`), and the zoom box around the jets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from ..results import ClipResult, JetMeasurement
from ._style import JET_COLOURS, OKABE_ITO, OUTLINE_EDGE, TEXT_EDGE, area_text, axes_or_new

__all__ = ["plot_overlay", "plot_max_frame", "plot_post_teer", "jet_zoom_box"]


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
    frame, mask = _check_shapes(frame, mask_or_labels)
    ax = axes_or_new(ax, (6.0, 5.0))
    h, w = mask.shape
    image = ax.imshow(frame, cmap="gray" if frame.ndim == 2 else None, interpolation="nearest")
    pairs = _jet_regions(_label_mask(mask), jets, mask.dtype != bool)
    contours, texts, tags = [], [], []
    total_cm2: float | None = 0.0
    total_px = 0
    for k, (lab, jet, region) in enumerate(pairs):
        drawn = _outline_jet(ax, k, lab, jet, region, spacing_cm=spacing_cm, many=len(pairs) > 1)
        contours += drawn.contours
        texts.append(drawn.text)
        tags += drawn.tags
        total_px += drawn.area_px
        total_cm2 = None if (drawn.area_cm2 is None or total_cm2 is None) else total_cm2 + drawn.area_cm2
    total = _total_text(ax, len(pairs), total_cm2, total_px) if show_total else None
    _set_view(ax, (h, w), zoom_xyxy)
    scale_bar = None if spacing_cm is None else _scale_bar(ax, spacing_cm[0])
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


def _check_shapes(frame: np.ndarray, mask_or_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from ..errors import InvalidParameterError

    frame = np.asarray(frame)
    mask = np.asarray(mask_or_labels)
    if frame.ndim not in (2, 3) or frame.shape[:2] != mask.shape:
        raise InvalidParameterError(
            None,
            f"plot_overlay: frame shape {frame.shape} does not match mask shape {mask.shape}",
            hint="pass one (H, W, 3) frame and its (H, W) mask",
        )
    return frame, mask


@dataclass
class _DrawnJet:
    contours: list[Any]
    text: Any
    tags: list[Any]
    area_cm2: float | None
    area_px: int


def _corner_text(ax: Axes, row: int, text: str, colour: str, gid: str | None = None) -> Any:
    """A bold line of the list in the top-left corner (never over the jets or each other)."""
    return ax.text(
        0.02,
        0.98 - 0.07 * row,
        text,
        transform=ax.transAxes,
        color=colour,
        fontsize=10,
        fontweight="bold",
        ha="left",
        va="top",
        path_effects=TEXT_EDGE,
        gid=gid,
    )


def _outline_jet(
    ax: Axes,
    k: int,
    lab: int,
    jet: JetMeasurement | None,
    region: np.ndarray,
    *,
    spacing_cm: tuple[float, float] | None,
    many: bool,
) -> _DrawnJet:
    """Jet ``k``'s outline and its area in the corner list; with several jets, a
    number beside the jet keys it to the list."""
    from skimage.measure import find_contours

    colour = JET_COLOURS[k % len(JET_COLOURS)]
    gid = f"jet-{lab}"
    contours = []
    for c in find_contours(np.pad(region, 1).astype(float), 0.5):
        (line,) = ax.plot(
            c[:, 1] - 1, c[:, 0] - 1, color=colour, linewidth=1.6, path_effects=OUTLINE_EDGE, gid=gid
        )
        contours.append(line)
    if jet is not None:
        area_cm2, area_px = jet.area_cm2, int(jet.area_px)
    else:
        area_px = int(region.sum())
        area_cm2 = area_px * spacing_cm[0] * spacing_cm[1] if spacing_cm else None
    text = _corner_text(ax, k, (f"{k + 1}: " if many else "") + area_text(area_cm2, area_px), colour, gid)
    tags = []
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
                path_effects=TEXT_EDGE,
                gid=gid,
            )
        )
    return _DrawnJet(contours, text, tags, area_cm2, area_px)


def _total_text(ax: Axes, n_jets: int, total_cm2: float | None, total_px: int) -> Any:
    """The summed area under the list (several jets), or "no jet detected"."""
    if n_jets > 1:
        return _corner_text(ax, n_jets, f"total {area_text(total_cm2, total_px)} ({n_jets} jets)", "white")
    if n_jets == 0:
        return _corner_text(ax, 0, "no jet detected", "white")
    return None


def _set_view(ax: Axes, shape: tuple[int, int], zoom_xyxy: tuple[float, float, float, float] | None) -> None:
    """Show the whole frame, or only ``zoom_xyxy`` (inclusive pixels), without ticks."""
    h, w = shape
    if zoom_xyxy is not None:
        x0, y0, x1, y1 = zoom_xyxy
        ax.set_xlim(max(-0.5, x0 - 0.5), min(w - 0.5, x1 + 0.5))
        ax.set_ylim(min(h - 0.5, y1 + 0.5), max(-0.5, y0 - 0.5))
    else:
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])


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
        path_effects=OUTLINE_EDGE,
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
        path_effects=TEXT_EDGE,
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
    jets = result.jets_at_max or None
    mask = _max_frame_mask(frame, result, jets, mask)
    box = _max_frame_box(result, mask, bounds_xyxy) if zoom else bounds_xyxy
    artists = plot_overlay(
        frame,
        mask,
        jets=jets,
        ax=ax,
        title=_max_frame_title(result, title),
        spacing_cm=result.pixel_spacing_cm,
        zoom_xyxy=box,
    )
    axes = artists["image"].axes
    ann = result.diagnostics.annulus_xy
    if ann:
        # the mitral annulus the jets were measured against (dashed)
        (x1, y1), (x2, y2) = ann
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
        artists.update(plot_post_teer(axes, result))
    if colour_bar is not None and np.asarray(colour_bar).size:
        artists["colour_bar"] = _colour_scale(axes, np.asarray(colour_bar), result.acquisition.nyquist_cm_s)
    return artists


def _max_frame_mask(
    frame: np.ndarray, result: ClipResult, jets: Sequence[JetMeasurement] | None, mask: np.ndarray | None
) -> np.ndarray:
    """The jet pixels of the maximal frame: ``mask``, else the analysis' own label
    image (value k is ``jets_at_max[k - 1]``), else the kept masks."""
    from ..errors import InvalidParameterError

    if mask is None and result.jet_labels_at_max is not None and jets:
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
    return mask


def _max_frame_title(result: ClipResult, title: str | None) -> str:
    """The title (default the file name) wrapped, then which frame this is."""
    import textwrap

    if title is None:
        title = PurePath(str(result.source)).name
    title = "\n".join(textwrap.fill(line, 52) for line in title.split("\n"))
    if result.max_frame is not None:
        t = result.per_frame[result.max_frame].time_ms if result.per_frame else None
        when = f"frame {result.max_frame} (from 0; screen {result.max_frame + 1}/{result.frames})" + (
            f", {t:.0f} ms" if t is not None else ""
        )
        title = f"{title}\n{when}"
    return title


def _max_frame_box(
    result: ClipResult, mask: np.ndarray, bounds_xyxy: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """The region around the jets (and the LA outline, when measured) to zoom to."""
    shown = np.asarray(mask) > 0
    pt = result.post_teer
    if pt is not None and pt.la_outline_xy:  # keep the LA outline in view
        shown = shown.copy()
        xy = np.asarray(pt.la_outline_xy)
        x0, y0 = np.clip(np.floor(xy.min(axis=0)).astype(int), 0, None)
        x1, y1 = np.ceil(xy.max(axis=0)).astype(int)
        shown[y0 : y1 + 1, x0 : x1 + 1] = True
    return jet_zoom_box(shown, margin=0.6 if pt is None else 0.15, bounds_xyxy=bounds_xyxy)


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
            path_effects=OUTLINE_EDGE,
        )
        artists["la_outline"] = line
    seg_x = [
        0.5 * (j.vc_segment_xy[0][0] + j.vc_segment_xy[1][0]) if j.vc_segment_xy else 0.0 for j in pt.jets
    ]
    mid_x = float(np.mean([x for x, j in zip(seg_x, pt.jets, strict=True) if j.vc_segment_xy] or [0.0]))
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
            path_effects=OUTLINE_EDGE,
            label="vena contracta" if k == 1 else None,
        )
        if jet.vc_at_max_cm is not None:
            # several jets: numbered as in the panel, each label on its segment's
            # outer side (left of the necks' middle: to the left), stepped down from
            # the next one on the same side, so that neighbours' labels never overlap
            right = 0.5 * (a[0] + b[0]) >= mid_x
            step = sum(1 for x in seg_x[: k - 1] if (x >= mid_x) == right)
            ax.annotate(
                f"VC{k if len(pt.jets) > 1 else ''} {jet.vc_at_max_cm:.2f} cm",
                (max(a[0], b[0]) if right else min(a[0], b[0]), 0.5 * (a[1] + b[1])),
                xytext=(6 if right else -6, -10 * step),
                textcoords="offset points",
                color="white",
                fontsize=8,
                va="center",
                ha="left" if right else "right",
                path_effects=TEXT_EDGE,
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
    inset = ax.inset_axes((0.93, 0.32, 0.035, 0.4))
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
