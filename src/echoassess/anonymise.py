"""One helper for every image echoassess writes: only the imaging fan, nothing burned in.

Echo screens carry text around the image: the patient's name and ID, the
hospital, dates, the machine's settings. Every image output (``check
--overlay``, the report's figures and frame stepper, the GIF/WebP animations,
the batch QC overlays) goes through :func:`imaging_view`, which finds what of
the screen is image and :meth:`ImagingView.apply`, which blacks out the rest
and cuts the frames to it:

* the imaging fan (detected in the frames): everything outside it is black,
  and the view is cut to the fan's bounding box;
* without a fan (a linear probe), the 2D imaging region the file declares;
* without either, the colour-flow box the analysis used.

Jet pixels are never blacked out. The colour bar (the velocity legend, pure
colour without its printed numbers) is kept apart in ``colour_bar`` so that
figures can show a colour scale labelled by echoassess itself.

Examples
--------
>>> import numpy as np
>>> from echoassess.fan import Sector, sector_mask
>>> frame = np.zeros((120, 160, 3), np.uint8)
>>> frame[sector_mask((120, 160), Sector(80.0, 5.0, 100.0, -35.0, 35.0))] = 90
>>> frame[2:8, 2:40] = 255            # "burned-in text" beside the fan
>>> view = imaging_view(frame[None])
>>> view.source
'imaging fan'
>>> out, _ = view.apply(frame[None])
>>> int(out[0].max()), out.shape[1:3] == view.shape
(90, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ImagingView", "imaging_view", "imaging_region_box"]


@dataclass(frozen=True)
class ImagingView:
    """What of a screen is image: a box to cut to and the pixels to keep inside it.

    Attributes
    ----------
    box : (x0, y0, x1, y1)
        Inclusive pixel bounds of the view in the full frame.
    keep : (H, W) bool or None
        Full-frame pixels kept (the fan, a few pixels wider, and every jet
        pixel); ``None``: the whole box is kept.
    source : str
        ``"imaging fan"``, ``"imaging region"``, ``"colour-flow box"`` or
        ``"whole screen"`` (nothing better was known; a note says so).
    colour_bar : (h, w, 3) uint8 or None
        The colour bar's pixels (no printed numbers), for a colour scale.
    """

    box: tuple[int, int, int, int]
    keep: np.ndarray | None
    source: str
    colour_bar: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        x0, y0, x1, y1 = self.box
        return (y1 - y0 + 1, x1 - x0 + 1)

    @property
    def offset_xy(self) -> tuple[int, int]:
        return (self.box[0], self.box[1])

    def blank(self, frames: np.ndarray) -> np.ndarray:
        """A copy of full-size ``(T, H, W, 3)`` (or one ``(H, W, 3)``) frames with
        everything outside the view black; the size is unchanged."""
        out = np.array(frames, copy=True)
        x0, y0, x1, y1 = self.box
        outside = np.ones(out.shape[-3:-1], bool)
        outside[y0 : y1 + 1, x0 : x1 + 1] = False
        if self.keep is not None:
            outside |= ~self.keep
        out[..., outside, :] = 0
        return out

    def apply(
        self, frames: np.ndarray, masks: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``(frames, masks)`` blacked out outside the view and cut to ``box``.

        ``frames`` is ``(T, H, W, 3)`` (or ``(H, W, 3)``); ``masks`` ``(T, H, W)``
        (or ``(H, W)``), cut the same way.
        """
        x0, y0, x1, y1 = self.box
        shown = self.blank(frames)[..., y0 : y1 + 1, x0 : x1 + 1, :]
        cut = None if masks is None else np.asarray(masks)[..., y0 : y1 + 1, x0 : x1 + 1]
        return shown, cut


def imaging_region_box(clip: Any) -> tuple[int, int, int, int] | None:
    """The bounding box of the clip's 2D imaging region (inclusive pixels), or None.

    The largest 2D region of the file's Sequence of Ultrasound Regions that
    contains the colour-flow region (when there is one).
    """
    regions = [r for r in getattr(clip, "regions", ()) if r.spatial_format == 1]
    cf = getattr(clip, "colour_flow_region", None)
    if cf is not None:
        inside = [r for r in regions if r.x0 <= cf.x0 and r.y0 <= cf.y0 and r.x1 >= cf.x1 and r.y1 >= cf.y1]
        regions = inside or [cf]
    if not regions:
        return None
    r = max(regions, key=lambda r: (r.x1 - r.x0) * (r.y1 - r.y0))
    return (int(r.x0), int(r.y0), int(r.x1), int(r.y1))


def _clamp(box: Any, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    if box is None:
        return None
    h, w = shape
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w - 1, x1), min(h - 1, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def imaging_view(
    frames: np.ndarray,
    *,
    clip: Any = None,
    result: Any = None,
    masks: np.ndarray | None = None,
) -> ImagingView:
    """Find the part of the screen that is image.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8
        Some or all frames of the clip (the fan is found on their maximum
        projection, so a few spread over the clip suffice).
    clip : EchoClip, optional
        Supplies the file's imaging region when no fan is found.
    result : ClipResult, optional
        Supplies the colour-flow box (last resort) and the colour bar's place.
    masks : (T, H, W) or (H, W) bool, optional
        Jet pixels, always kept visible.

    Returns
    -------
    ImagingView
    """
    from scipy import ndimage

    from .fan import detect_sector, sector_mask

    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    shape = frames.shape[1:3]
    settings = getattr(result, "settings", None) or {}
    bar = None
    bar_box = _clamp(settings.get("colour_bar_xyxy"), shape)
    if bar_box is not None:
        bx0, by0, bx1, by1 = bar_box
        bar = np.array(frames[0, by0 : by1 + 1, bx0 : bx1 + 1])
    jets = None
    if masks is not None:
        m = np.asarray(masks, bool)
        jets = m.any(axis=0) if m.ndim == 3 else m
    sector = detect_sector(frames)
    if sector is not None:
        keep = ndimage.binary_dilation(sector_mask(shape, sector), iterations=3)
        if jets is not None:
            keep |= jets
        rows, cols = np.nonzero(keep)
        if rows.size:
            box = (int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max()))
            return ImagingView(box, keep, "imaging fan", bar)
    region = _clamp(imaging_region_box(clip), shape) if clip is not None else None
    if region is not None:
        return ImagingView(region, None, "imaging region", bar)
    colour_box = _clamp(settings.get("colour_box_xyxy"), shape)
    if colour_box is not None:
        return ImagingView(colour_box, None, "colour-flow box", bar)
    return ImagingView((0, 0, shape[1] - 1, shape[0] - 1), None, "whole screen", bar)


def sample_frames(clip: Any, n: int = 8) -> np.ndarray:
    """Up to ``n`` frames spread over the clip, for :func:`imaging_view`."""
    idx = sorted(set(np.linspace(0, clip.n_frames - 1, min(n, clip.n_frames)).round().astype(int).tolist()))
    return clip.read_frames(idx)


def describe(view: ImagingView) -> str:
    """One line for a report's notes: what the images show."""
    return {
        "imaging fan": "Images show only the imaging fan: everything outside it (text burned "
        "into the screen, ECG, colour bar) is blacked out.",
        "imaging region": "Images are cut to the imaging region the file declares (no fan was "
        "found); text inside that region, if any, stays.",
        "colour-flow box": "Images are cut to the colour-flow box (neither a fan nor an imaging "
        "region was found).",
    }.get(
        view.source,
        "Images show the whole screen (nothing tells the image from its "
        "surroundings): check them for burned-in text before sharing.",
    )
