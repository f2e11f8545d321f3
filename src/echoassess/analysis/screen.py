"""Stage 2, the screen: where the colour box, the colour bar (and its lookup
table), the imaging fan and the ECG trace are, and the clip's scale.

All are read from the first frame of the stream (so that no frame is decoded
twice), or from a few sampled frames when the file does not give the colour box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import colourflow, ecg
from ..dicom import EchoClip
from ..errors import InvalidParameterError, NoColourFlowError
from .params import AnalysisParams, PhaseParams

__all__ = ["Scale", "Screen", "read_screen", "clip_scale", "roi_mask"]


@dataclass(frozen=True)
class Screen:
    """What the analysis found on the screen (full-frame pixels)."""

    box: tuple[int, int, int, int]  # the colour box, inclusive (x0, y0, x1, y1)
    box_source: str  # "regions" (the file) or "pixels" (changing colour)
    bar: colourflow.ColourBar
    lut: colourflow.ColourLUT
    sector: dict[str, float] | None  # the imaging fan (Sector's fields), rounded
    trace: tuple[np.ndarray, np.ndarray] | None  # the ECG trace (xs, ys)

    @property
    def offset(self) -> tuple[int, int]:
        """The colour box's top-left corner: where crop pixel (0, 0) lies."""
        return self.box[0], self.box[1]

    @property
    def crop_shape(self) -> tuple[int, int]:
        """``(h, w)`` of the colour box."""
        x0, y0, x1, y1 = self.box
        return y1 - y0 + 1, x1 - x0 + 1


@dataclass(frozen=True)
class Scale:
    """The clip's pixel size (cm), to turn physical thresholds into pixels."""

    cm_per_px: float
    #: the size is assumed (an uncalibrated clip), not the file's or the user's
    assumed: bool = False

    def px(self, area_cm2: float) -> int:
        """An area in pixels (at least one)."""
        return max(1, int(round(area_cm2 / self.cm_per_px**2)))

    def ln(self, length_cm: float) -> float:
        """A length in pixels."""
        return length_cm / self.cm_per_px


def read_screen(clip: EchoClip, first: np.ndarray, p: AnalysisParams, warnings: list[str]) -> Screen:
    """The colour box, bar and lookup table, fan and ECG trace of a clip whose first
    frame is ``first``; a missing colour bar adds a warning."""
    rows, cols, _ = clip.shape
    if clip.colour_flow_region is not None:
        r = clip.colour_flow_region
        box = (max(0, r.x0), max(0, r.y0), min(cols - 1, r.x1), min(rows - 1, r.y1))
        box_source = "regions"
    else:
        n_probe = min(clip.n_frames, p.colour.box_probe_frames)
        idx = sorted(set(np.linspace(0, clip.n_frames - 1, n_probe).round().astype(int).tolist()))
        sample = clip.read_frames(idx)
        found = colourflow.find_colour_box(sample, min_saturation=p.colour.bar_min_saturation)
        box_source = "pixels"
        if found is None:
            raise NoColourFlowError(
                clip.path,
                "no colour-Doppler flow found (no colour-flow region and no changing colour pixels)",
                hint="is this a colour-Doppler clip?",
            )
        box = found
    c = p.colour
    bar = colourflow.find_colour_bar(
        first,
        exclude_xyxy=box,
        min_saturation=c.bar_min_saturation,
        min_aspect=c.bar_min_aspect,
        min_fill=c.bar_min_fill,
        min_height_to_width=c.bar_min_height_to_width,
        min_lab_change=c.bar_min_lab_change,
    )
    if bar is None:
        bar = colourflow.default_colour_bar()
        warnings.append("no colour bar found: a generic red/blue velocity map was assumed")
    lut = colourflow.build_colour_lut(
        bar,
        bits=c.lut_bits,
        min_chroma=c.min_chroma,
        max_distance=c.max_colour_distance,
        dark_lightness=c.dark_lightness,
        min_chroma_dark=c.min_chroma_dark,
    )
    sector = find_sector(first, p)
    trace = ecg_trace(first, sector, box, p.phase)
    return Screen(box, box_source, bar, lut, sector, trace)


def clip_scale(clip: EchoClip, p: AnalysisParams, warnings: list[str]) -> Scale:
    """The clip's scale; an uncalibrated clip assumes a nominal depth (and says so)."""
    if clip.spacing_cm is not None:
        return Scale(float(np.sqrt(clip.spacing_cm[0] * clip.spacing_cm[1])))
    g = p.geometry
    warnings.append(
        f"uncalibrated clip: areas in pixels; size thresholds assume a {g.nominal_depth_cm:g} cm deep image"
    )
    return Scale(g.nominal_depth_cm / (g.nominal_depth_fraction * clip.shape[0]), assumed=True)


def roi_mask(
    clip: EchoClip, screen: Screen, roi: tuple[int, int, int, int] | None, given: object
) -> np.ndarray | None:
    """The region of interest as an ``(h, w)`` bool mask of the colour box, or ``None``."""
    if roi is None:
        return None
    h, w = screen.crop_shape
    bx0, by0 = screen.offset
    roi_crop = np.zeros((h, w), bool)
    rx0, ry0, rx1, ry1 = roi
    roi_crop[max(0, ry0 - by0) : max(0, ry1 - by0 + 1), max(0, rx0 - bx0) : max(0, rx1 - bx0 + 1)] = True
    if not roi_crop.any():
        raise InvalidParameterError(
            clip.path, f"roi={given!r} does not overlap the colour box {list(screen.box)}"
        )
    return roi_crop


def ecg_trace(
    frame: np.ndarray,
    sector: dict[str, float] | None,
    box: tuple[int, int, int, int],
    ph: PhaseParams,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ECG trace under the image (outside the fan and the colour box), or ``None``."""
    from ..fan import Sector

    exclude = np.zeros(frame.shape[:2], bool)
    x0, y0, x1, y1 = box
    exclude[y0 : y1 + 1, x0 : x1 + 1] = True
    if sector is not None:
        fan = Sector(**sector).mask(frame.shape[:2])  # the dict holds Sector's fields
        end = _image_end_row(frame, fan, ph.fan_dark_level, ph.fan_shown_fraction, ph.fan_gap_rows)
        exclude[: end + 1] |= fan[: end + 1]
    return ecg.find_trace(
        frame,
        exclude=exclude,
        min_width_px=ph.trace_min_width_px,
        min_level=ph.trace_min_level,
        min_chroma=ph.trace_min_chroma,
    )


def _image_end_row(frame: np.ndarray, fan: np.ndarray, dark: int, shown: float, gap: int) -> int:
    """The last row of the image shown in the fan: the end of the last run of at
    least 30 rows (gaps of up to ``gap`` rows bridged) with at least ``shown`` of
    their fan pixels brighter than ``dark``; the fan's last row when there is none.
    A zoomed display cuts the fan off above its arc, and the ECG drawn below the
    image lies inside the fan's extension (its flat baseline a few rows, bridged).

    >>> frame = np.zeros((100, 60, 3), np.uint8); frame[:70] = 80   # image rows 0-69
    >>> frame[90, :] = (0, 200, 0)                                   # an ECG's flat baseline
    >>> _image_end_row(frame, np.ones((100, 60), bool), 12, 0.2, 8)
    69
    """
    rows = np.flatnonzero(fan.any(axis=1))
    if rows.size == 0:
        return -1
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    f = frame[r0:r1]
    top = np.maximum(np.maximum(f[..., 0], f[..., 1]), f[..., 2])  # channel by channel: fast
    fan_rows = fan[r0:r1]
    shown_px = np.count_nonzero((top > dark) & fan_rows, axis=1)[rows - r0]
    frac = shown_px / np.count_nonzero(fan_rows, axis=1)[rows - r0]  # rows with fan pixels only
    on = rows[frac >= shown]
    runs = np.split(on, np.flatnonzero(np.diff(on) > gap + 1) + 1) if on.size else []
    ends = [int(r[-1]) for r in runs if r[-1] - r[0] + 1 >= 30]
    return ends[-1] if ends else int(rows[-1])


def find_sector(frame: np.ndarray, p: AnalysisParams) -> dict[str, float] | None:
    """The imaging fan (apex, edge angles, far arc), found on a half-size copy."""
    from ..fan import detect_sector

    g = p.geometry
    found = detect_sector(
        frame[::2, ::2],
        threshold=g.sector_threshold,
        min_fraction=g.sector_min_fraction,
        close_px=g.sector_close_px,
        open_px=g.sector_open_px,
        edge_rows=(g.sector_edge_top, g.sector_edge_bottom),
    )
    if found is None:
        return None
    return {
        "apex_x": round(2 * found.apex_x, 1),
        "apex_y": round(2 * found.apex_y, 1),
        "radius_px": round(2 * found.radius_px, 1),
        "angle_left_deg": round(found.angle_left_deg, 1),
        "angle_right_deg": round(found.angle_right_deg, 1),
    }
