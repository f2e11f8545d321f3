"""Animated overlays: a whole clip with the segmented jet outlined on every frame.

Written with Pillow (animated GIF, or animated WebP which is smaller), drawing
directly on the pixels: no matplotlib, so a 60-frame clip takes well under a
second. Open the file in an image viewer that steps frame by frame to scrub
through the segmentation; the banner on each frame gives the frame number,
time, cardiac phase and measured jet area.

Examples
--------
>>> import numpy as np, tempfile, os
>>> frames = np.zeros((3, 40, 60, 3), np.uint8)
>>> masks = np.zeros((3, 40, 60), bool); masks[1, 10:20, 10:30] = True
>>> with tempfile.TemporaryDirectory() as d:
...     path = animate_overlay(frames, masks, os.path.join(d, "clip.gif"), frame_time_ms=40)
...     from PIL import Image
...     with Image.open(path) as im:
...         print(im.n_frames, im.info["duration"])
3 40
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidParameterError
from .results import FrameMeasurement

__all__ = ["animate_overlay", "overlay_frames", "save_animation", "animation_bytes"]

#: Outline colour (white, with a black ring outside) and banner colours.
_OUTLINE = (255, 255, 255)
_EDGE = (0, 0, 0)
_BANNER_BG = (0, 0, 0)
_BANNER_FG = (255, 255, 255)
_BANNER_MAX = (240, 228, 66)  # Okabe-Ito yellow: the maximal frame


def _boundaries(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inner outline (1 px inside each jet's edge) and a 1 px ring outside it."""
    from scipy import ndimage

    inner = mask & ~ndimage.binary_erosion(mask, structure=np.ones((3, 3), bool))
    outer = ndimage.binary_dilation(mask, structure=np.ones((3, 3), bool)) & ~mask
    return inner, outer


def _resize(frame: np.ndarray, mask: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    if scale == 1.0:
        return frame, mask
    from PIL import Image

    h, w = mask.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    img = np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))
    m = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.Resampling.NEAREST)) > 127
    return img, m


def _font(size: int = 13):
    """DejaVu Sans when the system has it (it has "²"), else Pillow's built-in font."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size), "cm²"
    except OSError:
        return ImageFont.load_default(size=size), "cm2"


def _banner_text(
    i: int,
    n: int,
    fm: FrameMeasurement | None,
    title: str | None,
    frame_time_ms: float | None,
    unit_cm2: bool,
    cm2: str = "cm²",
) -> str:
    parts = [f"frame {i} [0-{n - 1}]"]
    t = (
        fm.time_ms
        if fm is not None and fm.time_ms is not None
        else (i * frame_time_ms if frame_time_ms else None)
    )
    if t is not None:
        parts.append(f"{t:.0f} ms")
    if fm is not None:
        parts.append(fm.phase)
        if fm.n_jets:
            area = (
                f"{fm.jet_area_cm2:.2f} {cm2}"
                if unit_cm2 and fm.jet_area_cm2 is not None
                else f"{fm.jet_area_px} px"
            )
            parts.append(f"jet {area} ({fm.n_jets} jet{'s' if fm.n_jets > 1 else ''})")
        else:
            parts.append("no jet")
    return "  ·  ".join(parts)


def overlay_frames(
    frames: np.ndarray | Sequence[np.ndarray],
    masks: np.ndarray,
    *,
    per_frame: Sequence[FrameMeasurement] | None = None,
    frame_time_ms: float | None = None,
    max_frame: int | None = None,
    title: str | None = None,
    max_width: int = 560,
    max_upscale: float = 1.0,
) -> list[np.ndarray]:
    """Each frame with its jet outlined and a banner on top (title, then frame facts).

    Parameters
    ----------
    frames : (T, H, W, 3) uint8
    masks : (T, H, W) bool
        The jet mask of every frame (``ClipResult.masks``).
    per_frame : sequence of FrameMeasurement, optional
        Gives each banner its time, phase and measured area.
    frame_time_ms : float, optional
        Used for the banner time when ``per_frame`` is absent.
    max_frame : int, optional
        Highlighted in the banner (yellow text, "MAX").
    title : str, optional
        The clip's identity (file name), never the patient's name.
    max_width : int
        Frames wider than this are scaled down (outlines are drawn after scaling).
    max_upscale : float
        Narrower frames (e.g. a crop around the jet) are enlarged towards
        ``max_width``, by at most this factor.

    Returns
    -------
    list of (H', W', 3) uint8
    """
    masks = np.asarray(masks, bool)
    n = len(frames)
    if masks.ndim != 3 or len(masks) != n:
        raise InvalidParameterError(
            None,
            f"overlay_frames: {n} frames but masks of shape {masks.shape}",
            hint="pass the (T, H, W) masks kept by the analysis",
        )
    if per_frame is not None and len(per_frame) != n:
        raise InvalidParameterError(
            None, f"overlay_frames: {n} frames but {len(per_frame)} frame measurements"
        )
    unit_cm2 = per_frame is not None and any(f.jet_area_cm2 is not None for f in per_frame)
    font, cm2 = _font(12)
    out = []
    for i in range(n):
        img = _outlined(i, frames[i], masks, max_width=max_width, max_upscale=max_upscale)
        fm = per_frame[i] if per_frame is not None else None
        text = _banner_text(i, n, fm, title, frame_time_ms, unit_cm2, cm2)
        out.append(_with_banner(img, title, text, is_max=max_frame is not None and i == max_frame, font=font))
    return out


def _outlined(i: int, frame: Any, masks: np.ndarray, *, max_width: int, max_upscale: float) -> np.ndarray:
    """Frame ``i`` as RGB, scaled (see :func:`overlay_frames`), its jet outlined."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=2)
    if frame.shape[:2] != masks.shape[1:]:
        raise InvalidParameterError(
            None, f"overlay_frames: frame {i} has shape {frame.shape} but the masks {masks.shape[1:]}"
        )
    scale = min(max_upscale, max_width / frame.shape[1])
    img, m = _resize(frame.astype(np.uint8, copy=False), masks[i], scale)
    img = img.copy()
    inner, outer = _boundaries(m)
    img[outer] = _EDGE
    img[inner] = _OUTLINE
    return img


def _with_banner(img: np.ndarray, title: str | None, text: str, *, is_max: bool, font: Any) -> np.ndarray:
    """``img`` under a banner: the title (when given), then the frame's facts
    (in the highlight colour, marked MAX, on the maximal frame)."""
    from PIL import Image, ImageDraw

    banner_h = 38 if title else 20
    canvas = Image.new("RGB", (img.shape[1], img.shape[0] + banner_h), _BANNER_BG)
    canvas.paste(Image.fromarray(img), (0, banner_h))
    colour = _BANNER_FG
    if is_max:
        text += "  ·  MAX"
        colour = _BANNER_MAX
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((4, 2), title, fill=_BANNER_FG, font=font)
    draw.text((4, banner_h - 18), text, fill=colour, font=font)
    return np.asarray(canvas)


def animate_overlay(
    frames: np.ndarray | Sequence[np.ndarray],
    masks: np.ndarray,
    path: str | os.PathLike[str],
    *,
    per_frame: Sequence[FrameMeasurement] | None = None,
    frame_time_ms: float | None = None,
    max_frame: int | None = None,
    title: str | None = None,
    max_width: int = 560,
    max_upscale: float = 1.0,
    slowdown: float = 1.0,
) -> Path:
    """Write an animated GIF (``.gif``) or WebP (``.webp``) of the clip with jets outlined.

    Parameters are those of :func:`overlay_frames`, plus:

    path : str or PathLike
        Output file; the suffix picks the format.
    slowdown : float
        Play ``slowdown`` times slower than real time (frame time from
        ``per_frame`` or ``frame_time_ms``; 40 ms when the clip has no timing).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    echoassess.InvalidParameterError
        On an unsupported suffix or mismatched frames and masks.
    """
    path, suffix = _check_output(path, slowdown)
    if frame_time_ms is None and per_frame:
        times = [f.time_ms for f in per_frame]
        first, last = times[0], times[-1]
        if len(times) > 1 and all(t is not None for t in times) and first is not None and last is not None:
            frame_time_ms = float((last - first) / (len(times) - 1))
    images = overlay_frames(
        frames,
        masks,
        per_frame=per_frame,
        frame_time_ms=frame_time_ms,
        max_frame=max_frame,
        title=title,
        max_width=max_width,
        max_upscale=max_upscale,
    )
    return save_animation(images, path, frame_time_ms=frame_time_ms, slowdown=slowdown)


def _check_output(path: str | os.PathLike[str], slowdown: float) -> tuple[Path, str]:
    """Validate an animation's file name and slowdown before any work is done."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".webp"):
        raise InvalidParameterError(
            path,
            f"animate_overlay: cannot write {suffix or 'no suffix'!r}",
            hint="use a .gif or .webp file name",
        )
    if not slowdown > 0:
        raise InvalidParameterError(path, f"animate_overlay: slowdown must be > 0, got {slowdown}")
    return path, suffix


def save_animation(
    images: Sequence[np.ndarray],
    path: str | os.PathLike[str],
    *,
    frame_time_ms: float | None = None,
    slowdown: float = 1.0,
) -> Path:
    """Write RGB images (e.g. from :func:`overlay_frames`) as an animated GIF or WebP.

    Parameters
    ----------
    images : sequence of (H, W, 3) uint8
    path : str or PathLike
        ``.gif`` or ``.webp``.
    frame_time_ms : float, optional
        Real-time frame interval (40 ms when unknown).
    slowdown : float
        Play this many times slower than real time.

    Raises
    ------
    echoassess.InvalidParameterError
        On an unsupported suffix, a non-positive slowdown or no images.
    """
    path, suffix = _check_output(path, slowdown)
    if not len(images):
        raise InvalidParameterError(path, "animate_overlay: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        animation_bytes(images, format=suffix[1:], frame_time_ms=frame_time_ms, slowdown=slowdown)
    )
    return path


def animation_bytes(
    images: Sequence[np.ndarray],
    *,
    format: str = "webp",
    frame_time_ms: float | None = None,
    slowdown: float = 1.0,
    quality: int = 75,
) -> bytes:
    """Encode RGB images as an animated ``"gif"`` or ``"webp"`` in memory.

    WebP is about a tenth of the size of GIF for echo frames (speckle defeats
    GIF's compression); GIF opens everywhere, including slide software.
    """
    import io

    from PIL import Image

    if format not in ("gif", "webp"):
        raise InvalidParameterError(
            None, f"animation_bytes: unknown format {format!r}", hint="use 'gif' or 'webp'"
        )
    if not len(images):
        raise InvalidParameterError(None, "animation_bytes: no frames to encode")
    # GIF stores 10 ms units, and browsers play delays under 20 ms at 100 ms
    duration = max(20, 10 * int(round((frame_time_ms or 40.0) * slowdown / 10)))
    pil = [Image.fromarray(np.asarray(a)) for a in images]
    buf = io.BytesIO()
    if format == "gif":
        pil = [im.quantize(colors=256, method=Image.Quantize.MEDIANCUT) for im in pil]
        pil[0].save(
            buf,
            format="GIF",
            save_all=True,
            append_images=pil[1:],
            duration=duration,
            loop=0,
            disposal=1,
            optimize=False,
        )
    else:
        pil[0].save(
            buf,
            format="WEBP",
            save_all=True,
            append_images=pil[1:],
            duration=duration,
            loop=0,
            quality=quality,
            method=4,
        )
    return buf.getvalue()
