"""Result types of a clip analysis, with their table exporters.

Pure Python + numpy; pandas is imported only inside :meth:`ClipResult.to_frame`.
Areas are in cm^2 when the clip is calibrated; otherwise the ``*_cm2`` fields
are ``None`` and the ``*_px`` fields carry the measurement (``area_unit`` says
which applies).

A :class:`ClipResult` carries what the machine was set to
(:class:`AcquisitionSettings`) apart from what the analysis found on the screen
(:class:`Diagnostics`); :meth:`ClipResult.to_dict` writes both as one
``"settings"`` object and :meth:`ClipResult.from_dict` reads it back. Closed
sets of values are string enums (:class:`Phase`, :class:`Status`,
:class:`CalibrationSource`, :class:`AreaUnit`): they compare equal to, and are
written to JSON as, their plain string values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

# one enum of calibration sources: the DICOM layer's, which chooses the calibration
from .dicom.calibration import CalibrationSource

if TYPE_CHECKING:
    import pandas as pd

    from .postteer import PostTeerMeasures

__all__ = [
    "ASE_MILD_BELOW_CM2",
    "ASE_SEVERE_ABOVE_CM2",
    "AcquisitionSettings",
    "AreaUnit",
    "CalibrationSource",
    "ClipResult",
    "Diagnostics",
    "FrameMeasurement",
    "JetMeasurement",
    "Phase",
    "Status",
    "jet_area_class",
    "round_or_none",
    "systolic_runs",
]

#: Identifiers a result may carry for checks (pre/post order) but never writes
#: out: acquisition dates and times identify a patient's visit.
PRIVATE_IDENTIFIERS = ("acquisition_datetime",)

#: ASE colour-jet area cut-offs (cm^2): < 4 mild, 4-10 moderate, > 10 severe.
ASE_MILD_BELOW_CM2 = 4.0
ASE_SEVERE_ABOVE_CM2 = 10.0


class Phase(StrEnum):
    """The cardiac phase of a frame.

    >>> Phase("systole") == "systole", str(Phase.DIASTOLE)
    (True, 'diastole')
    """

    SYSTOLE = "systole"
    DIASTOLE = "diastole"


class Status(StrEnum):
    """Whether a clip was measured.

    ``MEASURED``: jets found; ``NO_JET``: the valve and systole were found and
    no regurgitant flow crossed the valve; ``CANNOT_MEASURE``: the valve could
    not be located (``ClipResult.status_reason`` says why; give a hint).
    """

    MEASURED = "measured"
    NO_JET = "no_jet"
    CANNOT_MEASURE = "cannot_measure"


class AreaUnit(StrEnum):
    """The unit of a clip's areas: cm² when calibrated, else pixels."""

    CM2 = "cm2"
    PX = "px"


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


def systolic_runs(phases: Sequence[str | bool]) -> list[tuple[int, int]]:
    """Index ranges ``[start, stop)`` of consecutive systolic frames; a phase is
    ``"systole"`` (a :class:`Phase` or its string) or a bool.

    >>> systolic_runs(["diastole", "systole", "systole", "diastole", "systole"])
    [(1, 3), (4, 5)]
    >>> systolic_runs([True, False, True, True])
    [(0, 1), (2, 4)]
    """
    runs: list[tuple[int, int]] = []
    start = None
    for i, p in enumerate(phases):
        on = p == Phase.SYSTOLE if isinstance(p, str) else bool(p)
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(phases)))
    return runs


def round_or_none(value: float | None, digits: int = 4) -> float | None:
    """Rounded, or ``None`` for a missing or non-finite value (JSON has no NaN/Infinity).

    >>> round_or_none(1.23456), round_or_none(float("inf")), round_or_none(float("nan")), round_or_none(None)
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


def _plain(value: Any) -> Any:
    """An enum member as its string value (JSON, CSV and YAML see plain strings)."""
    return value.value if isinstance(value, StrEnum) else value


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
            "area_cm2": round_or_none(self.area_cm2),
            "centroid_xy": [round_or_none(v, 2) for v in self.centroid_xy],
            "bbox_xyxy": [int(v) for v in self.bbox_xyxy],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JetMeasurement:
        """Rebuild from :meth:`to_dict` (rounded values)."""
        cx, cy = d["centroid_xy"]
        x0, y0, x1, y1 = d["bbox_xyxy"]
        return cls(
            label=int(d["label"]),
            area_px=int(d["area_px"]),
            area_cm2=d.get("area_cm2"),
            centroid_xy=(cx, cy),
            bbox_xyxy=(int(x0), int(y0), int(x1), int(y1)),
        )


@dataclass(frozen=True)
class FrameMeasurement:
    """Jet area and count on one frame (``phase`` is a :class:`Phase`; a string is converted)."""

    index: int
    time_ms: float | None
    phase: Phase
    jet_area_px: int
    jet_area_cm2: float | None
    n_jets: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", Phase(self.phase))

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "time_ms": round_or_none(self.time_ms),
            "phase": self.phase.value,
            "jet_area_cm2": round_or_none(self.jet_area_cm2),
            "jet_area_px": int(self.jet_area_px),
            "n_jets": self.n_jets,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FrameMeasurement:
        """Rebuild from :meth:`to_dict` (rounded values)."""
        return cls(
            index=int(d["index"]),
            time_ms=d.get("time_ms"),
            phase=Phase(d["phase"]),
            jet_area_px=int(d["jet_area_px"]),
            jet_area_cm2=d.get("jet_area_cm2"),
            n_jets=int(d["n_jets"]),
        )


def _listed(value: Any) -> Any:
    """Tuples (at any depth) as lists, the way JSON writes them."""
    if isinstance(value, (tuple, list)):
        return [_listed(v) for v in value]
    return value


def _box(value: Any) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    x0, y0, x1, y1 = (int(v) for v in value)
    return x0, y0, x1, y1


def _known(cls: type, d: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``d`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


@dataclass(frozen=True)
class AcquisitionSettings:
    """What the machine was set to (read from the file, or given by the user).

    Jet area depends on these: a pre/post comparison checks they match.

    >>> s = AcquisitionSettings(nyquist_cm_s=62.0, nyquist_source="user")
    >>> s.velocity_unit, AcquisitionSettings().velocity_unit
    ('cm/s', 'fraction of Nyquist')
    """

    #: the Nyquist (aliasing) velocity, and where it came from
    nyquist_cm_s: float | None = None
    nyquist_source: str | None = None
    frame_rate_hz: float | None = None
    #: the imaging depth, and where it came from ("file (ultrasound region)", "user")
    depth_cm: float | None = None
    depth_source: str | None = None
    heart_rate_bpm: float | None = None
    manufacturer: str | None = None
    model: str | None = None

    @property
    def velocity_unit(self) -> str:
        """``"cm/s"`` with a Nyquist limit, else ``"fraction of Nyquist"``."""
        return "cm/s" if self.nyquist_cm_s is not None else "fraction of Nyquist"

    def to_dict(self) -> dict[str, Any]:
        """The settings' entries of :meth:`ClipResult.to_dict` (``velocity_unit`` included)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["velocity_unit"] = self.velocity_unit
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AcquisitionSettings:
        """From a ``"settings"`` object (other keys are ignored)."""
        return cls(**_known(cls, d))


@dataclass(frozen=True)
class Diagnostics:
    """What the analysis found on the screen, for whoever checks it.

    Coordinates are full-frame pixels (x = column, y = row); ``sector`` is the
    imaging fan (``apex_x``, ``apex_y``, ``radius_px``, ``angle_left_deg``,
    ``angle_right_deg``) or ``None`` when none was found.
    """

    #: depth of the fan from the calibration (cm), a check on ``depth_cm``
    depth_cm_from_sector: float | None = None
    #: "flow", "ECG", "frozen ECG" and how they agreed
    systole_source: str | None = None
    ecg_rr_ms: float | None = None
    colour_box_xyxy: tuple[int, int, int, int] | None = None
    colour_box_source: str | None = None
    colour_bar_xyxy: tuple[int, int, int, int] | None = None
    colour_bar_source: str | None = None
    colour_map_variance: bool | None = None
    colour_cell_px: int | None = None
    static_overlay_px: int | None = None
    sector: Mapping[str, float] | None = None
    view: str | None = None
    view_source: str | None = None
    annulus_xy: tuple[tuple[float, float], tuple[float, float]] | None = None
    annulus_tilt_deg: float | None = None
    annulus_source: str | None = None
    roi_xyxy: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The diagnostic entries of :meth:`ClipResult.to_dict`'s ``"settings"`` (lists for tuples)."""
        out = {f.name: _listed(getattr(self, f.name)) for f in fields(self)}
        out["sector"] = None if self.sector is None else dict(self.sector)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Diagnostics:
        """From a ``"settings"`` object (other keys are ignored).

        >>> Diagnostics.from_dict({"colour_box_xyxy": [1, 2, 30, 40], "gain": 3}).colour_box_xyxy
        (1, 2, 30, 40)
        """
        known = _known(cls, d)
        ann = known.get("annulus_xy")
        if ann is not None:
            (x1, y1), (x2, y2) = ann
            known["annulus_xy"] = ((x1, y1), (x2, y2))
        for key in ("colour_box_xyxy", "colour_bar_xyxy", "roi_xyxy"):
            known[key] = _box(known.get(key))
        if known.get("sector") is not None:
            known["sector"] = dict(known["sector"])
        return cls(**known)


#: The order of the ``"settings"`` object of :meth:`ClipResult.to_dict`.
SETTINGS_KEYS = (
    "nyquist_cm_s",
    "nyquist_source",
    "velocity_unit",
    "frame_rate_hz",
    "depth_cm",
    "depth_source",
    "depth_cm_from_sector",
    "heart_rate_bpm",
    "systole_source",
    "ecg_rr_ms",
    "colour_box_xyxy",
    "colour_box_source",
    "colour_bar_xyxy",
    "colour_bar_source",
    "colour_map_variance",
    "colour_cell_px",
    "static_overlay_px",
    "sector",
    "view",
    "view_source",
    "annulus_xy",
    "annulus_tilt_deg",
    "annulus_source",
    "roi_xyxy",
    "manufacturer",
    "model",
)


@dataclass(frozen=True)
class ClipResult:
    """The colour-jet measurements of one clip.

    The headline number is ``max_jet_area_cm2``: the largest jet area over the
    systolic frames (summed over jets), on frame ``max_frame``. It is a
    colour-jet area, not a full MR grade: it depends on the machine settings
    recorded in ``acquisition``.

    ``masks`` (``(T, H, W)`` bool) is kept only when the analysis was asked to
    keep it; it never enters :meth:`to_dict`.
    """

    source: str
    frames: int
    frame_time_ms: float | None
    pixel_spacing_cm: tuple[float, float] | None
    calibration_source: CalibrationSource | None
    per_frame: tuple[FrameMeasurement, ...]
    max_frame: int | None
    max_jet_area_px: int
    max_jet_area_cm2: float | None
    jets_at_max: tuple[JetMeasurement, ...]
    mean_systolic_jet_area_cm2: float | None
    #: the machine's settings (Nyquist limit, frame rate, depth, ...)
    acquisition: AcquisitionSettings = field(default_factory=AcquisitionSettings)
    #: what the analysis found on the screen (colour box and bar, valve, ...)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    identifiers: dict[str, Any] = field(default_factory=dict)
    algorithm_version: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: see :class:`Status`; ``status_reason`` says why a clip was not measured
    status: Status = Status.MEASURED
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        if self.calibration_source is not None:
            object.__setattr__(self, "calibration_source", CalibrationSource(self.calibration_source))

    def __repr__(self) -> str:
        if self.status == Status.CANNOT_MEASURE:
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
    def area_unit(self) -> AreaUnit:
        return AreaUnit.CM2 if self.calibrated else AreaUnit.PX

    @property
    def n_jets_at_max(self) -> int:
        return len(self.jets_at_max)

    @property
    def jet_area_class(self) -> str | None:
        return jet_area_class(self.max_jet_area_cm2)

    @property
    def systolic_frames(self) -> list[int]:
        return [f.index for f in self.per_frame if f.phase == Phase.SYSTOLE]

    @property
    def settings(self) -> dict[str, Any]:
        """:attr:`acquisition` and :attr:`diagnostics` as one dict, keyed as in
        :meth:`to_dict`'s ``"settings"`` (for displays that list them all)."""
        both = {**self.acquisition.to_dict(), **self.diagnostics.to_dict()}
        return {k: both[k] for k in SETTINGS_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no masks, no patient identity)."""
        return {
            "source": self.source,
            "frames": self.frames,
            "frame_time_ms": round_or_none(self.frame_time_ms),
            "pixel_spacing_cm": (
                _finite_only([float(v) for v in self.pixel_spacing_cm]) if self.pixel_spacing_cm else None
            ),
            "calibration_source": _plain(self.calibration_source),
            "area_unit": self.area_unit.value,
            "per_frame": [f.to_dict() for f in self.per_frame],
            "max_jet_area_cm2": round_or_none(self.max_jet_area_cm2),
            "max_jet_area_px": int(self.max_jet_area_px),
            "max_frame": self.max_frame,
            "n_jets_at_max": self.n_jets_at_max,
            "jets_at_max": [j.to_dict() for j in self.jets_at_max],
            "mean_systolic_jet_area_cm2": round_or_none(self.mean_systolic_jet_area_cm2),
            "jet_area_class": self.jet_area_class,
            "settings": _finite_only(self.settings),
            "identifiers": _finite_only(
                {k: v for k, v in self.identifiers.items() if k not in PRIVATE_IDENTIFIERS}
            ),
            "algorithm_version": self.algorithm_version,
            "params": _finite_only(dict(self.params)),
            "warnings": list(self.warnings),
            "status": self.status.value,
            "status_reason": self.status_reason,
            "user_inputs": _finite_only([dict(e) for e in self.user_inputs]),
            "post_teer": None if self.post_teer is None else self.post_teer.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str | None = None) -> ClipResult:
        """Rebuild a result from :meth:`to_dict` (rounded values, no masks).

        ``source`` replaces the file name the dict carries (e.g. the full path
        a batch knows). ``area_unit``, ``n_jets_at_max`` and ``jet_area_class``
        are derived, not read.

        Examples
        --------
        >>> r = ClipResult("a.dcm", 2, 40.0, (0.1, 0.1), "regions", (), None, 0, None, (), None)
        >>> ClipResult.from_dict(r.to_dict()).to_dict() == r.to_dict()
        True
        """
        from .postteer import PostTeerMeasures

        spacing = d.get("pixel_spacing_cm")
        settings = d.get("settings") or {}
        return cls(
            source=d.get("source", "") if source is None else source,
            frames=int(d["frames"]),
            frame_time_ms=d.get("frame_time_ms"),
            pixel_spacing_cm=None if not spacing else (float(spacing[0]), float(spacing[1])),
            calibration_source=d.get("calibration_source"),
            per_frame=tuple(FrameMeasurement.from_dict(f) for f in d.get("per_frame") or ()),
            max_frame=d.get("max_frame"),
            max_jet_area_px=int(d.get("max_jet_area_px") or 0),
            max_jet_area_cm2=d.get("max_jet_area_cm2"),
            jets_at_max=tuple(JetMeasurement.from_dict(j) for j in d.get("jets_at_max") or ()),
            mean_systolic_jet_area_cm2=d.get("mean_systolic_jet_area_cm2"),
            acquisition=AcquisitionSettings.from_dict(settings),
            diagnostics=Diagnostics.from_dict(settings),
            identifiers=dict(d.get("identifiers") or {}),
            algorithm_version=d.get("algorithm_version", ""),
            params=dict(d.get("params") or {}),
            warnings=tuple(d.get("warnings") or ()),
            status=Status(d.get("status", Status.MEASURED)),
            status_reason=d.get("status_reason", ""),
            user_inputs=tuple(dict(e) for e in d.get("user_inputs") or ()),
            post_teer=PostTeerMeasures.from_dict(d.get("post_teer")),
        )

    def to_frame(self) -> pd.DataFrame:
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
