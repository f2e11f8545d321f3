"""Result types of a clip analysis, with their table exporters.

Pure Python + numpy; pandas is imported only inside :meth:`ClipResult.to_frame`.
Areas are in cm^2 when the clip is calibrated; otherwise the ``*_cm2`` fields
are ``None`` and the ``*_px`` fields carry the measurement (``area_unit`` says
which applies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .postteer import PostTeerMeasures

__all__ = [
    "ASE_MILD_BELOW_CM2",
    "ASE_SEVERE_ABOVE_CM2",
    "JetMeasurement",
    "FrameMeasurement",
    "ClipResult",
    "jet_area_class",
]

#: Identifiers a result may carry for checks (pre/post order) but never writes
#: out: acquisition dates and times identify a patient's visit.
PRIVATE_IDENTIFIERS = ("acquisition_datetime",)

#: ASE colour-jet area cut-offs (cm^2): < 4 mild, 4-10 moderate, > 10 severe.
ASE_MILD_BELOW_CM2 = 4.0
ASE_SEVERE_ABOVE_CM2 = 10.0


def jet_area_class(area_cm2: float | None) -> str | None:
    """The ASE colour-jet area class of a maximal jet area.

    >>> jet_area_class(3.2), jet_area_class(7.0), jet_area_class(12.5), jet_area_class(None)
    ('mild', 'moderate', 'severe', None)
    """
    if area_cm2 is None or not math.isfinite(area_cm2):
        return None
    if area_cm2 < ASE_MILD_BELOW_CM2:
        return "mild"
    if area_cm2 <= ASE_SEVERE_ABOVE_CM2:
        return "moderate"
    return "severe"


@dataclass(frozen=True)
class JetMeasurement:
    """One jet (connected regurgitant region) on one frame.

    ``centroid_xy`` and ``bbox_xyxy`` are in pixels (x = column, y = row).
    """

    label: int
    area_px: int
    area_cm2: float | None
    centroid_xy: tuple[float, float]
    bbox_xyxy: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "area_px": int(self.area_px),
            "area_cm2": _round(self.area_cm2),
            "centroid_xy": [_round(v, 2) for v in self.centroid_xy],
            "bbox_xyxy": [int(v) for v in self.bbox_xyxy],
        }


@dataclass(frozen=True)
class FrameMeasurement:
    """Jet area and count on one frame. ``phase`` is "systole" or "diastole"."""

    index: int
    time_ms: float | None
    phase: str
    jet_area_px: int
    jet_area_cm2: float | None
    n_jets: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "time_ms": _round(self.time_ms),
            "phase": self.phase,
            "jet_area_cm2": _round(self.jet_area_cm2),
            "jet_area_px": int(self.jet_area_px),
            "n_jets": self.n_jets,
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    """Rounded, or ``None`` for a missing or non-finite value (JSON has no NaN/Infinity).

    >>> _round(1.23456), _round(float("inf")), _round(float("nan")), _round(None)
    (1.2346, None, None, None)
    """
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _finite_only(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_only(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_only(v) for v in value]
    return value


@dataclass(frozen=True)
class ClipResult:
    """The colour-jet measurements of one clip.

    The headline number is ``max_jet_area_cm2``: the largest jet area over the
    systolic frames (summed over jets), on frame ``max_frame``. It is a
    colour-jet area, not a full MR grade: it depends on the machine settings
    recorded in ``settings``.

    ``masks`` (``(T, H, W)`` bool) is kept only when the analysis was asked to
    keep it; it never enters :meth:`to_dict`.
    """

    source: str
    frames: int
    frame_time_ms: float | None
    pixel_spacing_cm: tuple[float, float] | None
    calibration_source: str | None
    per_frame: tuple[FrameMeasurement, ...]
    max_frame: int | None
    max_jet_area_px: int
    max_jet_area_cm2: float | None
    jets_at_max: tuple[JetMeasurement, ...]
    mean_systolic_jet_area_cm2: float | None
    settings: dict[str, Any] = field(default_factory=dict)
    identifiers: dict[str, Any] = field(default_factory=dict)
    algorithm_version: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: ``"measured"`` (jets found), ``"no_jet"`` (the valve and systole were found
    #: and no regurgitant flow crossed the valve) or ``"cannot_measure"`` (the
    #: valve could not be located: ``status_reason`` says why; give a hint).
    status: str = "measured"
    status_reason: str = ""
    #: every user input that can change a measurement (spacing, depth, Nyquist,
    #: view, annulus, valve point, roi): ``input``, ``value``, ``file_value``,
    #: ``used`` and a one-line ``text`` (see :mod:`echoassess.provenance`)
    user_inputs: tuple[dict[str, Any], ...] = ()
    masks: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: ``(H, W)`` int32 jet labels of frame ``max_frame`` (0 = background,
    #: ``k`` = ``jets_at_max[k - 1]``), for overlays; never in :meth:`to_dict`.
    jet_labels_at_max: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: Vena contracta per jet, LA area and jet/LA ratio (``None`` when the clip
    #: was not measured); see :mod:`echoassess.postteer`.
    post_teer: PostTeerMeasures | None = None

    def __repr__(self) -> str:
        if self.status == "cannot_measure":
            return f"<ClipResult {self.source}: {self.frames} frames, cannot measure ({self.status_reason})>"
        if self.max_jet_area_cm2 is not None:
            area = f"max jet area {self.max_jet_area_cm2:.2f} cm²"
        else:
            area = f"max jet area {self.max_jet_area_px} px (uncalibrated)"
        return (
            f"<ClipResult {self.source}: {self.frames} frames, {area} on frame "
            f"{self.max_frame}, {self.n_jets_at_max} jet(s), class {self.jet_area_class}>"
        )

    @property
    def calibrated(self) -> bool:
        return self.pixel_spacing_cm is not None

    @property
    def area_unit(self) -> str:
        return "cm2" if self.calibrated else "px"

    @property
    def n_jets_at_max(self) -> int:
        return len(self.jets_at_max)

    @property
    def jet_area_class(self) -> str | None:
        return jet_area_class(self.max_jet_area_cm2)

    @property
    def systolic_frames(self) -> list[int]:
        return [f.index for f in self.per_frame if f.phase == "systole"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no masks, no patient identity)."""
        return {
            "source": self.source,
            "frames": self.frames,
            "frame_time_ms": _round(self.frame_time_ms),
            "pixel_spacing_cm": (
                _finite_only([float(v) for v in self.pixel_spacing_cm]) if self.pixel_spacing_cm else None
            ),
            "calibration_source": self.calibration_source,
            "area_unit": self.area_unit,
            "per_frame": [f.to_dict() for f in self.per_frame],
            "max_jet_area_cm2": _round(self.max_jet_area_cm2),
            "max_jet_area_px": int(self.max_jet_area_px),
            "max_frame": self.max_frame,
            "n_jets_at_max": self.n_jets_at_max,
            "jets_at_max": [j.to_dict() for j in self.jets_at_max],
            "mean_systolic_jet_area_cm2": _round(self.mean_systolic_jet_area_cm2),
            "jet_area_class": self.jet_area_class,
            "settings": _finite_only(dict(self.settings)),
            "identifiers": _finite_only(
                {k: v for k, v in self.identifiers.items() if k not in PRIVATE_IDENTIFIERS}
            ),
            "algorithm_version": self.algorithm_version,
            "params": _finite_only(dict(self.params)),
            "warnings": list(self.warnings),
            "status": self.status,
            "status_reason": self.status_reason,
            "user_inputs": _finite_only([dict(e) for e in self.user_inputs]),
            "post_teer": None if self.post_teer is None else self.post_teer.to_dict(),
        }

    def to_frame(self):
        """A tidy ``pandas.DataFrame``, one row per frame.

        Columns: ``source, index, time_ms, phase, jet_area_cm2, jet_area_px,
        n_jets, is_max``.
        """
        import pandas as pd

        rows = [
            {"source": self.source, **f.to_dict(), "is_max": f.index == self.max_frame}
            for f in self.per_frame
        ]
        columns = ["source", "index", "time_ms", "phase", "jet_area_cm2", "jet_area_px", "n_jets", "is_max"]
        return pd.DataFrame(rows, columns=columns)
