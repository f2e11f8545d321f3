"""The report's pictures: PNG figures, animated overlays and the one-clip overlay.

Everything drawn here comes from frames already cut to the imaging view
(:func:`echoassess.anonymise.imaging_view`), so no picture shows text burned
in around the fan.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["imaging_box", "write_overlay_png", "write_figures", "write_animations"]

#: ``(x0, y0, x1, y1)`` inclusive pixels, or None
Box = tuple[int, int, int, int] | None


def _jpeg(image: np.ndarray, quality: int = 82) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _crop(frames: Any, masks: np.ndarray, box: Box) -> tuple[Any, np.ndarray]:
    if box is None:
        return frames, masks
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, y0 = max(x0, 0), max(y0, 0)
    return (
        [np.asarray(f)[y0 : y1 + 1, x0 : x1 + 1] for f in frames],
        np.asarray(masks)[:, y0 : y1 + 1, x0 : x1 + 1],
    )


def imaging_box(clip: Any) -> tuple[int, int, int, int] | None:
    """The bounding box of the clip's 2D imaging region (inclusive pixels), or None.

    Kept for notebooks; images should go through
    :func:`echoassess.anonymise.imaging_view`, which also blacks out what lies
    outside the imaging fan inside that box.
    """
    from ..anonymise import imaging_region_box

    return imaging_region_box(clip)


def write_overlay_png(
    clip: Any, result: ClipResult, path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """The clip's maximal frame (the first without a jet), cut to the imaging fan
    (:func:`echoassess.anonymise.imaging_view`), jets outlined, with a colour scale.

    What ``echoassess check --overlay`` and ``batch --qc`` write.
    """
    from .. import plot
    from ..anonymise import imaging_view, sample_frames

    labels = result.jet_labels_at_max
    index = result.max_frame if result.max_frame is not None else 0
    frame = clip.frame(index)
    if labels is None:
        labels = np.zeros(frame.shape[:2], np.int32)
    view = imaging_view(
        np.concatenate([sample_frames(clip), frame[None]]),
        clip=clip,
        result=result,
        masks=np.asarray(labels) > 0,
    )
    ax = plot.new_axes((7.0, 5.6))
    plot.plot_max_frame(
        view.blank(frame),
        result,
        mask=labels,
        ax=ax,
        zoom=False,
        bounds_xyxy=view.box,
        colour_bar=view.colour_bar,
        title=title,
    )
    if view.source != "imaging fan":
        ax.text(
            0.5,
            0.01,
            {
                "imaging region": "cut to the file's imaging region",
                "colour-flow box": "cut to the colour-flow box",
            }.get(view.source, "whole screen: check for burned-in text"),
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=7,
            color="0.8",
        )
    return plot.save_figure(ax.figure, Path(path))


def _label(c: Comparison, role: str) -> str:
    return c.pre_label if role == "pre" else c.post_label


def write_figures(
    c: Comparison,
    out: Path,
    images: Mapping[str, np.ndarray],
    *,
    bounds: Mapping[str, Box],
    bars: Mapping[str, np.ndarray | None],
) -> dict[str, Path]:
    """The PNG figures of a comparison: the overview, each clip's maximal frame,
    jet area over time and the change of maximal area.

    ``images``, ``bounds`` and ``bars`` are keyed ``"pre"`` / ``"post"``: each
    clip's maximal frame, imaging box and colour bar.
    """
    from .. import plot

    files: dict[str, Path] = {}
    art = plot.plot_comparison(
        c,
        images["pre"],
        images["post"],
        pre_bounds_xyxy=bounds["pre"],
        post_bounds_xyxy=bounds["post"],
        pre_colour_bar=bars["pre"],
        post_colour_bar=bars["post"],
    )
    files["comparison_png"] = plot.save_figure(art["figure"], out / "comparison.png", dpi=110)
    for role, res in (("pre", c.pre), ("post", c.post)):
        ax = plot.new_axes((6.4, 5.2))
        plot.plot_max_frame(
            images[role],
            res,
            ax=ax,
            title=f"{role.upper()}-CLIP · {_label(c, role)}",
            bounds_xyxy=bounds[role],
            colour_bar=bars[role],
        )
        files[f"{role}_max_frame_png"] = plot.save_figure(ax.figure, out / f"{role}_max_frame.png")
    ax = plot.new_axes((8.0, 4.0))
    plot.plot_jet_area_time([c.pre, c.post], ax=ax, title=f"Colour-jet area: {c.pre_label} vs {c.post_label}")
    files["jet_area_time_png"] = plot.save_figure(ax.figure, out / "jet_area_time.png")
    ax = plot.new_axes((4.2, 4.4))
    plot.plot_area_change(
        c.pre_max_jet_area, c.post_max_jet_area, unit=c.area_unit, ax=ax, title="Maximal jet area"
    )
    files["area_change_png"] = plot.save_figure(ax.figure, out / "area_change.png")
    return files


def _overlay_images(
    c: Comparison, role: str, res: ClipResult, frames: Any, masks: np.ndarray, bounds: Box
) -> list[np.ndarray]:
    """One clip's frames around its jets (wide enough to show the valve and the
    atrium, never beyond the imaging region), jets outlined, with a banner."""
    from .. import plot
    from ..animate import overlay_frames

    box = (
        plot.jet_zoom_box(np.asarray(np.asarray(masks).any(axis=0)), min_fraction=0.55, bounds_xyxy=bounds)
        or bounds
    )
    frames, masks = _crop(frames, masks, box)
    return overlay_frames(
        frames,
        masks,
        per_frame=res.per_frame,
        frame_time_ms=res.frame_time_ms,
        max_frame=res.max_frame,
        title=f"{role.upper()}-CLIP · {_label(c, role)}",
        max_width=520,
        max_upscale=3.0,
    )


def write_animations(
    c: Comparison,
    out: Path,
    frames: Mapping[str, Any],
    masks: Mapping[str, np.ndarray],
    *,
    bounds: Mapping[str, Box],
) -> tuple[dict[str, Path], dict[str, bytes], dict[str, list[bytes]]]:
    """Each clip's animated overlay: ``<role>_overlay.gif`` written, plus what the
    page embeds (a WebP, a tenth of the GIF's size, and one JPEG per frame).

    Returns ``(files, animations, frame_steps)``, each keyed by role.
    """
    from ..animate import animation_bytes, save_animation

    files: dict[str, Path] = {}
    animations: dict[str, bytes] = {}
    steps: dict[str, list[bytes]] = {}
    for role, res in (("pre", c.pre), ("post", c.post)):
        images = _overlay_images(c, role, res, frames[role], masks[role], bounds[role])
        files[f"{role}_overlay_gif"] = save_animation(
            images, out / f"{role}_overlay.gif", frame_time_ms=res.frame_time_ms, slowdown=2.0
        )
        animations[role] = animation_bytes(
            images, format="webp", frame_time_ms=res.frame_time_ms, slowdown=2.0
        )
        steps[role] = [_jpeg(im) for im in images]
    return files, animations, steps
