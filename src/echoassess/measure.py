"""Jet areas per frame and per clip.

Pure array code: jet label images (from :mod:`echoassess.segmentation`) ->
:class:`~echoassess.results.JetMeasurement` / ``FrameMeasurement`` and the
clip summary :class:`~echoassess.results.ClipResult`.

Areas are ``pixel count x dx x dy`` in cm^2 when the clip is calibrated;
otherwise the ``*_cm2`` fields are ``None`` and only pixel areas are given.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from .errors import printable
from .results import (
    AcquisitionSettings,
    CalibrationSource,
    ClipResult,
    Diagnostics,
    FrameMeasurement,
    JetMeasurement,
    Phase,
    Status,
)

__all__ = ["pixel_area_cm2", "measure_jets", "measure_frame", "summarize_clip", "jet_outline"]


def pixel_area_cm2(spacing_cm: tuple[float, float] | None) -> float | None:
    """Area of one pixel, ``dx * dy`` cm^2, or ``None`` when uncalibrated.

    >>> pixel_area_cm2((0.05, 0.04)), pixel_area_cm2(None)
    (0.002, None)
    """
    if spacing_cm is None:
        return None
    area = float(spacing_cm[0]) * float(spacing_cm[1])
    # a spacing whose product is not a positive finite area gives no cm^2 at all
    return area if math.isfinite(area) and area > 0 else None


def measure_jets(
    labels: np.ndarray,
    n_jets: int,
    *,
    spacing_cm: tuple[float, float] | None,
    offset_xy: tuple[int, int] = (0, 0),
) -> tuple[JetMeasurement, ...]:
    """Area, centroid and box of each labelled jet.

    Parameters
    ----------
    labels : (h, w) int
        0 = background, ``1..n_jets`` = jets.
    spacing_cm : (dx, dy) or None
    offset_xy : (int, int)
        Position of ``labels[0, 0]`` in the full frame (the colour box corner),
        added to centroids and boxes.

    Examples
    --------
    >>> lab = np.zeros((4, 6), int); lab[0:2, 0:2] = 1; lab[1:4, 3:6] = 2
    >>> jets = measure_jets(lab, 2, spacing_cm=(0.1, 0.1), offset_xy=(10, 20))
    >>> [(j.label, j.area_px, round(j.area_cm2, 3), j.bbox_xyxy) for j in jets]
    [(1, 4, 0.04, (10, 20, 11, 21)), (2, 9, 0.09, (13, 21, 15, 23))]
    """
    px_cm2 = pixel_area_cm2(spacing_cm)
    ox, oy = offset_xy
    out = []
    for k in range(1, n_jets + 1):
        ys, xs = np.nonzero(labels == k)
        if ys.size == 0:
            continue
        area = int(ys.size)
        out.append(
            JetMeasurement(
                label=k,
                area_px=area,
                area_cm2=None if px_cm2 is None else area * px_cm2,
                centroid_xy=(float(xs.mean()) + ox, float(ys.mean()) + oy),
                bbox_xyxy=(int(xs.min()) + ox, int(ys.min()) + oy, int(xs.max()) + ox, int(ys.max()) + oy),
            )
        )
    return tuple(out)


def measure_frame(
    index: int,
    labels: np.ndarray | None,
    n_jets: int,
    *,
    phase: Phase | str,
    time_ms: float | None,
    spacing_cm: tuple[float, float] | None,
) -> FrameMeasurement:
    """The summed jet area and jet count of one frame.

    >>> lab = np.zeros((5, 5), int); lab[:2, :2] = 1; lab[3:, 3:] = 2
    >>> m = measure_frame(3, lab, 2, phase="systole", time_ms=99.0, spacing_cm=(0.5, 0.5))
    >>> m.jet_area_px, m.jet_area_cm2, m.n_jets
    (8, 2.0, 2)
    """
    area = 0 if labels is None else int(np.count_nonzero(labels))
    px_cm2 = pixel_area_cm2(spacing_cm)
    return FrameMeasurement(
        index=int(index),
        time_ms=None if time_ms is None else float(time_ms),
        phase=Phase(phase),
        jet_area_px=area,
        jet_area_cm2=None if px_cm2 is None else area * px_cm2,
        n_jets=int(n_jets) if area else 0,
    )


def one_frame_spikes(per_frame: Sequence[FrameMeasurement], ratio: float) -> list[int]:
    """Systolic frames (not the clip's first or last) whose jet area is more than
    ``ratio`` times the larger of their neighbours' that are systolic with a jet
    (one of them, where the other is diastolic or has no jet yet or any more):
    one-frame artefacts (a jet grows from its first frame and shrinks to its last).

    >>> from dataclasses import replace
    >>> fm = [measure_frame(i, None, 0, phase="systole", time_ms=None, spacing_cm=None) for i in range(6)]
    >>> areas = [100, 110, 300, 120, 0, 0]
    >>> fm = [replace(f, jet_area_px=a) for f, a in zip(fm, areas)]
    >>> one_frame_spikes(fm, 1.6), one_frame_spikes(fm, 3.0)
    ([2], [])
    >>> onset = [replace(f, jet_area_px=a) for f, a in zip(fm, [0, 0, 300, 100, 120, 130])]
    >>> one_frame_spikes(onset, 1.6)
    [2]
    >>> one_frame_spikes([replace(onset[1], phase="diastole")] + onset[2:4], 1.6)
    [2]
    """
    out = []
    for k in range(1, len(per_frame) - 1):
        prev, f, nxt = per_frame[k - 1], per_frame[k], per_frame[k + 1]
        if f.phase != Phase.SYSTOLE or f.jet_area_px <= 0:
            continue
        around = [g.jet_area_px for g in (prev, nxt) if g.phase == Phase.SYSTOLE and g.jet_area_px > 0]
        if around and f.jet_area_px > ratio * max(around):
            out.append(f.index)
    return out


def max_frame_of(
    per_frame: Sequence[FrameMeasurement], excluded: Collection[int] = ()
) -> FrameMeasurement | None:
    """The systolic frame with the largest jet area (the first on ties), leaving
    out ``excluded`` frames unless nothing else is systolic."""
    systolic = [f for f in per_frame if f.phase == Phase.SYSTOLE]
    kept = [f for f in systolic if f.index not in excluded] or systolic
    if not kept:
        return None
    return max(kept, key=lambda f: (f.jet_area_px, -f.index))


def summarize_clip(
    per_frame: Sequence[FrameMeasurement],
    jets_by_frame: dict[int, tuple[JetMeasurement, ...]],
    *,
    source: str,
    frame_time_ms: float | None,
    spacing_cm: tuple[float, float] | None,
    calibration_source: CalibrationSource | str | None,
    acquisition: AcquisitionSettings | None = None,
    diagnostics: Diagnostics | None = None,
    algorithm_version: str = "",
    params: dict[str, Any] | None = None,
    warnings: Sequence[str] = (),
    masks: np.ndarray | None = None,
    labels_by_frame: dict[int, np.ndarray] | None = None,
    status: Status | str = Status.MEASURED,
    status_reason: str = "",
    user_inputs: Sequence[dict[str, Any]] = (),
    identifiers: dict[str, Any] | None = None,
    excluded: Collection[int] = (),
) -> ClipResult:
    """Fold per-frame measurements into a :class:`ClipResult`.

    The maximum is taken over systolic frames only (the first one on ties),
    leaving out ``excluded`` frames (one-frame artefacts); the mean systolic
    area averages every systolic frame (zeros included).

    Examples
    --------
    >>> fm = [measure_frame(i, None, 0, phase="diastole", time_ms=None, spacing_cm=(0.1, 0.1))
    ...       for i in range(3)]
    >>> r = summarize_clip(fm, {}, source="x", frame_time_ms=None, spacing_cm=(0.1, 0.1),
    ...                    calibration_source="regions")
    >>> r.max_frame, r.max_jet_area_cm2, r.jet_area_class
    (None, None, None)
    """
    px_cm2 = pixel_area_cm2(spacing_cm)
    systolic = [f for f in per_frame if f.phase == Phase.SYSTOLE]
    best = max_frame_of(per_frame, excluded)
    max_frame = None if best is None else best.index
    max_px = 0 if best is None else best.jet_area_px
    mean_sys = None
    if systolic and px_cm2 is not None:
        mean_sys = float(np.mean([f.jet_area_px for f in systolic])) * px_cm2
    max_cm2 = None
    if max_frame is not None and px_cm2 is not None:
        max_cm2 = max_px * px_cm2
    if status == Status.CANNOT_MEASURE:  # no number rather than a wrong one
        max_frame, max_px, max_cm2, mean_sys = None, 0, None, None
    return ClipResult(
        source=printable(source),  # a file name that is not UTF-8 stays writable
        frames=len(per_frame),
        frame_time_ms=frame_time_ms,
        pixel_spacing_cm=None if spacing_cm is None else (float(spacing_cm[0]), float(spacing_cm[1])),
        calibration_source=None if calibration_source is None else CalibrationSource(calibration_source),
        per_frame=tuple(per_frame),
        max_frame=max_frame,
        max_jet_area_px=int(max_px),
        max_jet_area_cm2=max_cm2,
        jets_at_max=jets_by_frame.get(max_frame, ()) if max_frame is not None and max_px else (),
        mean_systolic_jet_area_cm2=mean_sys,
        acquisition=acquisition or AcquisitionSettings(),
        diagnostics=diagnostics or Diagnostics(),
        algorithm_version=algorithm_version,
        params=dict(params or {}),
        warnings=tuple(warnings),
        masks=masks,
        jet_labels_at_max=(labels_by_frame or {}).get(max_frame)
        if max_px and max_frame is not None
        else None,
        status=Status(status),
        status_reason=status_reason,
        user_inputs=tuple(dict(e) for e in user_inputs),
        identifiers=dict(identifiers or {}),
    )


def jet_outline(mask: np.ndarray, *, tolerance_px: float = 0.5) -> np.ndarray:
    """The outer outline of one jet as a closed polyline in DICOM image coordinates.

    Parameters
    ----------
    mask : (H, W) bool
        The jet's pixels (one connected region; holes are ignored).
    tolerance_px : float
        Vertices closer than this to the straight line between their
        neighbours are dropped (:func:`skimage.measure.approximate_polygon`).

    Returns
    -------
    (N, 2) float64
        ``(x, y)`` = (column, row) vertices with DICOM's sub-pixel convention
        (0.0, 0.0 is the top-left corner of the top-left pixel, so a pixel's
        centre is at ``col + 0.5, row + 0.5``); the first vertex is repeated
        last (closed). The longest boundary when the mask has several pieces;
        an empty ``(0, 2)`` array for an empty mask.

    Examples
    --------
    >>> m = np.zeros((6, 8), bool); m[2:4, 3:6] = True  # columns 3-5, rows 2-3
    >>> xy = jet_outline(m)
    >>> bool((xy[0] == xy[-1]).all()), xy.min(axis=0).tolist(), xy.max(axis=0).tolist()
    (True, [3.0, 2.0], [6.0, 4.0])
    """
    from skimage.measure import approximate_polygon, find_contours

    mask = np.asarray(mask, bool)
    if mask.ndim != 2 or not mask.any():
        return np.zeros((0, 2))
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    r0, c0 = int(rows[0]), int(cols[0])
    crop = mask[r0 : int(rows[-1]) + 1, c0 : int(cols[-1]) + 1]
    # upsampled k times (nearest) with a one-sample border, the 0.5 iso-line runs
    # along the pixel edges and cuts each corner by only 1 / (2k) pixel
    k = 4
    up = np.pad(np.repeat(np.repeat(crop, k, 0), k, 1), 1).astype(np.float32)
    rc = max(find_contours(up, 0.5), key=len)
    rc = approximate_polygon(rc, tolerance=k * tolerance_px)
    # padded upsampled coordinate u -> pixel-edge coordinate (u - 0.5) / k; the
    # corner cuts are rounded back onto the edges
    xy = np.column_stack(((rc[:, 1] - 0.5) / k + c0, (rc[:, 0] - 0.5) / k + r0))
    xy = np.round(xy * 2 * k) / (2 * k)
    snapped = np.round(xy)
    xy = np.where(np.abs(xy - snapped) <= 1.0 / (2 * k), snapped, xy)
    xy = np.clip(xy, 0.0, [mask.shape[1], mask.shape[0]])
    if not np.array_equal(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    return xy
