"""Pre/post-clip comparison of two clip results.

Pure Python (pandas only inside :meth:`Comparison.to_frame`): takes two
:class:`~echoassess.results.ClipResult` and answers "how much did the clip
reduce the regurgitant jet?", with the context the number needs: both clips'
machine settings, and warnings when the settings differ enough to make the
comparison unreliable (colour-jet area depends on the Nyquist limit, frame
rate and depth as much as on the valve).

Examples
--------
>>> from echoassess.results import AcquisitionSettings, ClipResult
>>> def result(name, area):
...     return ClipResult(source=name, frames=1, frame_time_ms=None,
...                       pixel_spacing_cm=(0.05, 0.05), calibration_source="regions",
...                       per_frame=(), max_frame=0, max_jet_area_px=int(area / 0.0025),
...                       max_jet_area_cm2=area, jets_at_max=(), mean_systolic_jet_area_cm2=None,
...                       acquisition=AcquisitionSettings(nyquist_cm_s=60.0))
>>> c = compare(result("pre.dcm", 12.0), result("post.dcm", 3.0))
>>> c.area_reduction_cm2, c.area_reduction_pct, c.class_change
(9.0, 75.0, 'severe -> mild')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from . import postteer
from .errors import InvalidParameterError
from .provenance import differs
from .results import ClipResult, jet_area_class
from .results import round_or_none as _round

__all__ = [
    "SETTING_TOLERANCES",
    "NYQUIST_RANGE_CM_S",
    "COMPARISON_COLUMNS",
    "comparison_table",
    "Comparison",
    "compare",
    "clip_label",
    "order_warnings",
]

#: The settings whose difference between pre and post makes jet areas hard to
#: compare, with the tolerance below which they count as equal:
#: ``key: (label, unit, absolute tolerance, relative tolerance)``.
SETTING_TOLERANCES: dict[str, tuple[str, str, float, float]] = {
    "nyquist_cm_s": ("Nyquist limit", "cm/s", 2.0, 0.05),
    "frame_rate_hz": ("frame rate", "Hz", 1.0, 0.10),
    "depth_cm": ("imaging depth", "cm", 0.5, 0.05),
}
#: The columns of every comparison table, in order: ``comparison.csv``
#: (``echoassess compare``) and ``comparisons.csv`` (``echoassess batch``).
#: ``patient`` is the label a pairs manifest gives (kept unless it is the
#: PatientID itself), ``basis`` how the pair was made (``compare``,
#: ``manifest``, ``study-time``).
COMPARISON_COLUMNS = (
    "patient",
    "patient_hash",
    "basis",
    "status",
    "reason",
    "pre_file",
    "post_file",
    "pre_sop_instance_uid",
    "post_sop_instance_uid",
    "area_unit",
    "pre_max_jet_area",
    "post_max_jet_area",
    "area_reduction",
    "area_reduction_pct",
    "pre_n_jets",
    "post_n_jets",
    "pre_class",
    "post_class",
    "class_change",
    "pre_max_frame",
    "post_max_frame",
    *(f"{role}_{key}" for key in SETTING_TOLERANCES for role in ("pre", "post")),
    "pre_user_inputs",
    "post_user_inputs",
    "settings_match",
    "warnings",
    *postteer.CHANGE_COLUMNS,
)
#: The Nyquist range at which colour-jet area cut-offs were defined (cm/s).
NYQUIST_RANGE_CM_S = (50.0, 70.0)
#: Decimals of the Nyquist limit in every table and warning (cm/s).
NYQUIST_DECIMALS = 1


def clip_label(result: ClipResult) -> str:
    """A short identity for a clip that never holds patient identity.

    File name, then the series description and the last digits of the SOP
    instance UID when the result carries them.

    >>> from echoassess.results import ClipResult
    >>> r = ClipResult("/data/p1/pre.dcm", 1, None, None, None, (), None, 0, None, (), None,
    ...                identifiers={"series_description": "TEE 4C colour",
    ...                             "sop_instance_uid": "1.2.826.0.1.3680043.2.1125.123456789"})
    >>> clip_label(r)
    'pre.dcm · TEE 4C colour · UID …456789'
    """
    parts = [_file_name(result.source)]
    ids = result.identifiers or {}
    description = ids.get("series_description") or ids.get("study_description")
    if description:
        parts.append(str(description).strip())
    uid = ids.get("sop_instance_uid")
    if uid:
        parts.append(f"UID …{str(uid)[-6:]}")
    return " · ".join(parts)


_PRE_WORDS = re.compile(r"\b(pre|before|baseline)\b", re.I)
_POST_WORDS = re.compile(r"\b(post|after|result|final)\b", re.I)


def _role_words(text: str | None) -> set[str]:
    """``{"pre"}``, ``{"post"}``, both or neither: what a description says a clip is.

    >>> sorted(_role_words("A4C colour Doppler post-clip")), sorted(_role_words("4C colour"))
    (['post'], [])
    """
    if not text:
        return set()
    return ({"pre"} if _PRE_WORDS.search(text) else set()) | ({"post"} if _POST_WORDS.search(text) else set())


def _when(result: ClipResult) -> datetime | None:
    value = (result.identifiers or {}).get("acquisition_datetime")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def order_warnings(pre: ClipResult, post: ClipResult) -> list[str]:
    """Warnings when the two clips may not be a pre and a post: the same image
    given twice, a post clip acquired before the pre clip, or series
    descriptions that name the other role. Dates themselves are never quoted.
    """
    out: list[str] = []
    ids_pre, ids_post = pre.identifiers or {}, post.identifiers or {}
    uid_pre, uid_post = ids_pre.get("sop_instance_uid"), ids_post.get("sop_instance_uid")
    if uid_pre and uid_pre == uid_post:
        out.append(
            "Pre and post are the same image (same SOP Instance UID): the same file was "
            "given twice, so the comparison means nothing."
        )
    elif (
        not uid_pre
        and not uid_post
        and _file_name(pre.source) == _file_name(post.source)
        and _public_dict(pre) == _public_dict(post)
    ):
        out.append(
            "Pre and post give identical results from files of the same name: the same "
            "file was probably given twice."
        )
    t_pre, t_post = _when(pre), _when(post)
    if t_pre is not None and t_post is not None and t_post < t_pre:
        out.append(
            f"The post-clip acquisition was made {_duration((t_pre - t_post).total_seconds())} "
            "before the pre-clip one (acquisition times in the files): are the clips swapped?"
        )
    for role, other, ids in (("pre", "post", ids_pre), ("post", "pre", ids_post)):
        text = ids.get("series_description") or ids.get("study_description")
        words = _role_words(text)
        if other in words and role not in words:
            out.append(
                f"The {role}-clip acquisition's series description ({str(text).strip()!r}) "
                f"calls it a {other}-clip acquisition: are the clips swapped?"
            )
    return out


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


@dataclass(frozen=True)
class Comparison:
    """The change in colour-jet area from a pre-clip to a post-clip acquisition.

    Areas are the maximal systolic jet area of each clip, summed over jets, in
    ``area_unit`` (``"cm2"``; ``"px"`` only when neither clip is calibrated).
    ``area_reduction_*`` are positive when the jet got smaller; they are
    ``None`` when the two areas cannot be compared (one clip calibrated and the
    other not) or, for the percentage, when there was no pre-clip jet.

    ``warnings`` says why the numbers may mislead (different settings, Nyquist
    outside 50-70 cm/s, uncalibrated clips); ``setting_differences`` lists the
    settings that differ as ``(key, pre, post)``.
    """

    pre: ClipResult
    post: ClipResult
    pre_label: str
    post_label: str
    area_unit: str
    pre_max_jet_area: float | None
    post_max_jet_area: float | None
    area_reduction: float | None
    area_reduction_pct: float | None
    pre_n_jets: int
    post_n_jets: int
    pre_class: str | None
    post_class: str | None
    setting_differences: tuple[tuple[str, Any, Any], ...] = ()
    warnings: tuple[str, ...] = ()

    # cm^2 accessors: the headline numbers, None when uncalibrated
    @property
    def pre_max_jet_area_cm2(self) -> float | None:
        return self.pre_max_jet_area if self.area_unit == "cm2" else None

    @property
    def post_max_jet_area_cm2(self) -> float | None:
        return self.post_max_jet_area if self.area_unit == "cm2" else None

    @property
    def area_reduction_cm2(self) -> float | None:
        return self.area_reduction if self.area_unit == "cm2" else None

    @property
    def class_change(self) -> str | None:
        """``"severe -> mild"``-style text, or ``None`` when either class is unknown."""
        if self.pre_class is None or self.post_class is None:
            return None
        return f"{self.pre_class} -> {self.post_class}"

    @property
    def settings_match(self) -> bool:
        return not self.setting_differences

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the summary numbers plus both clips' full results.

        ``pre`` and ``post`` are :meth:`ClipResult.to_dict` with ``source``
        cut to the file name (folder names often carry a patient's name).
        """
        return {
            "pre_label": self.pre_label,
            "post_label": self.post_label,
            "area_unit": self.area_unit,
            "pre_max_jet_area": _round(self.pre_max_jet_area),
            "post_max_jet_area": _round(self.post_max_jet_area),
            "pre_max_jet_area_cm2": _round(self.pre_max_jet_area_cm2),
            "post_max_jet_area_cm2": _round(self.post_max_jet_area_cm2),
            "area_reduction_cm2": _round(self.area_reduction_cm2),
            "area_reduction": _round(self.area_reduction),
            "area_reduction_pct": _round(self.area_reduction_pct, 2),
            "pre_n_jets": self.pre_n_jets,
            "post_n_jets": self.post_n_jets,
            "pre_class": self.pre_class,
            "post_class": self.post_class,
            "class_change": self.class_change,
            "settings": {
                "pre": dict(self.pre.settings),
                "post": dict(self.post.settings),
                "differences": [{"setting": k, "pre": a, "post": b} for k, a, b in self.setting_differences],
            },
            "warnings": list(self.warnings),
            "pre": _public_dict(self.pre),
            "post": _public_dict(self.post),
            "post_teer_change": postteer.change(self.pre.post_teer, self.post.post_teer),
        }

    def to_row(self, **fields: Any) -> dict[str, Any]:
        """One comparison row in :data:`COMPARISON_COLUMNS` (the schema of
        ``comparison.csv`` and the batch's ``comparisons.csv``).

        ``fields`` fill the columns a single comparison does not know
        (``patient``, ``patient_hash``, ``basis``, ``pre_file``, ...).
        """
        from .provenance import input_lines

        ids_pre, ids_post = self.pre.identifiers or {}, self.post.identifiers or {}
        row: dict[str, Any] = {
            "patient": None,
            "patient_hash": None,
            "basis": "compare",
            "status": "ok",
            "reason": None,
            "pre_file": _file_name(self.pre.source),
            "post_file": _file_name(self.post.source),
            "pre_sop_instance_uid": ids_pre.get("sop_instance_uid"),
            "post_sop_instance_uid": ids_post.get("sop_instance_uid"),
            "area_unit": self.area_unit,
            "pre_max_jet_area": self.pre_max_jet_area,
            "post_max_jet_area": self.post_max_jet_area,
            "area_reduction": self.area_reduction,
            "area_reduction_pct": self.area_reduction_pct,
            "pre_n_jets": self.pre_n_jets,
            "post_n_jets": self.post_n_jets,
            "pre_class": self.pre_class,
            "post_class": self.post_class,
            "class_change": self.class_change,
            "pre_max_frame": self.pre.max_frame,
            "post_max_frame": self.post.max_frame,
        }
        for key in SETTING_TOLERANCES:
            row[f"pre_{key}"] = _setting(self.pre, key)
            row[f"post_{key}"] = _setting(self.post, key)
        row["pre_user_inputs"] = " | ".join(input_lines(self.pre.user_inputs)) or None
        row["post_user_inputs"] = " | ".join(input_lines(self.post.user_inputs)) or None
        row["settings_match"] = self.settings_match
        row["warnings"] = " | ".join(self.warnings) or None
        row.update(postteer.change(self.pre.post_teer, self.post.post_teer))
        row.update(fields)
        return {k: row.get(k) for k in COMPARISON_COLUMNS}

    def to_frame(self, **fields: Any):
        """A one-row ``pandas.DataFrame`` in :data:`COMPARISON_COLUMNS`
        (concatenate rows across patients for a cohort; see :meth:`to_row`)."""
        return comparison_table([self.to_row(**fields)])


def comparison_table(rows: Any):
    """Comparison rows as a ``pandas.DataFrame`` in :data:`COMPARISON_COLUMNS`, counts as
    integers and values rounded (:func:`echoassess.tables.tidy`)."""
    import pandas as pd

    from .tables import tidy

    return tidy(pd.DataFrame(list(rows), columns=list(COMPARISON_COLUMNS)))


def _file_name(source: Any) -> str:
    return PurePath(str(source)).name or str(source)


def _public_dict(result: ClipResult) -> dict[str, Any]:
    d = result.to_dict()
    d["source"] = _file_name(result.source)
    return d


def _setting(res: ClipResult, key: str) -> float | None:
    """One numeric acquisition setting of a result (the module's only read of them)."""
    return _num(getattr(res.acquisition, key))


def _areas(pre: ClipResult, post: ClipResult) -> tuple[str, float | None, float | None, list[str]]:
    """The unit the two maximal areas compare in (cm² when both are calibrated),
    the areas, and the warnings when they cannot be compared."""
    if pre.calibrated and post.calibrated:
        return "cm2", pre.max_jet_area_cm2, post.max_jet_area_cm2, []
    if not pre.calibrated and not post.calibrated:
        return (
            "px",
            float(pre.max_jet_area_px),
            float(post.max_jet_area_px),
            [
                "Neither clip is calibrated: areas are in pixels and the reduction assumes both "
                "clips have the same pixel size. No ASE class can be given."
            ],
        )
    which = "pre" if not pre.calibrated else "post"
    return (
        "cm2",
        pre.max_jet_area_cm2,
        post.max_jet_area_cm2,
        [
            f"The {which}-clip acquisition is not calibrated, so its area is in pixels only: the "
            "reduction cannot be computed. Give its pixel spacing or depth (--spacing-cm / "
            "--depth-cm)."
        ],
    )


def _reduction(
    pre: ClipResult, post: ClipResult, a_pre: float | None, a_post: float | None
) -> tuple[float | None, float | None, list[str]]:
    """The reduction (area and %) and the warnings when a clip has no maximum or no pre jet."""
    warnings = [
        f"No systolic frame was found in the {name}-clip acquisition, so it "
        "has no maximal jet area: check the clip covers systole."
        for name, res in (("pre", pre), ("post", post))
        if res.max_frame is None
    ]
    reduction = pct = None
    if a_pre is not None and a_post is not None:
        reduction = a_pre - a_post
        pct = 100.0 * reduction / a_pre if a_pre > 0 else None
        if a_pre <= 0:
            warnings.append(
                "No jet was found on the pre-clip acquisition: a percentage reduction is undefined."
            )
    return reduction, pct, warnings


def _setting_differences(pre: ClipResult, post: ClipResult) -> tuple[list[tuple[str, Any, Any]], list[str]]:
    """The :data:`SETTING_TOLERANCES` settings that differ, and a warning per
    difference or missing value."""
    differences: list[tuple[str, Any, Any]] = []
    warnings: list[str] = []
    for key, (label, unit_s, abs_tol, rel_tol) in SETTING_TOLERANCES.items():
        v_pre, v_post = _setting(pre, key), _setting(post, key)
        if v_pre is None or v_post is None:
            missing = [n for n, v in (("pre", v_pre), ("post", v_post)) if v is None]
            warnings.append(
                f"The {label} is not recorded for the {' and '.join(missing)}-clip "
                f"acquisition{'s' if len(missing) > 1 else ''}: the settings cannot be checked "
                "to match."
            )
            continue
        if differs(v_pre, v_post, abs_tol=abs_tol, rel_tol=rel_tol):
            differences.append((key, v_pre, v_post))
            warnings.append(
                f"The {label} differs (pre {_fmt(v_pre)} {unit_s}, post {_fmt(v_post)} {unit_s}): "
                "jet area depends on it, so part of the change may come from the settings."
            )
    return differences, warnings


def _nyquist_warnings(pre: ClipResult, post: ClipResult) -> list[str]:
    """A warning per clip whose Nyquist limit lies outside the ASE cut-offs' range."""
    lo, hi = NYQUIST_RANGE_CM_S
    warnings = []
    for name, res in (("pre", pre), ("post", post)):
        nyq = _setting(res, "nyquist_cm_s")
        # judged at the precision every table prints it (0.1 cm/s)
        nyq = None if nyq is None else round(nyq, NYQUIST_DECIMALS)
        if nyq is not None and not lo <= nyq <= hi:
            effect = "over" if nyq < lo else "under"
            warnings.append(
                f"The {name}-clip Nyquist limit ({nyq:.{NYQUIST_DECIMALS}f} cm/s) is outside the usual "
                f"{lo:.0f}-{hi:.0f} cm/s: its jet area is likely {effect}estimated relative to the "
                "ASE cut-offs."
            )
    return warnings


def compare(pre: ClipResult, post: ClipResult) -> Comparison:
    """Compare the maximal colour-jet area before and after the clip.

    Parameters
    ----------
    pre, post : ClipResult
        The analyses of the pre-clip and post-clip acquisitions (ideally the
        same view and the same machine settings).

    Returns
    -------
    Comparison

    Raises
    ------
    echoassess.InvalidParameterError
        When ``pre`` or ``post`` is not a ClipResult.
    """
    for name, value in (("pre", pre), ("post", post)):
        if not isinstance(value, ClipResult):
            raise InvalidParameterError(
                None,
                f"compare: {name} must be a ClipResult, got {type(value).__name__}",
                hint="analyse each clip first with echoassess.analyze_clip(path)",
            )
    unit, a_pre, a_post, warnings = _areas(pre, post)
    reduction, pct, more = _reduction(pre, post, a_pre, a_post)
    differences, setting_warnings = _setting_differences(pre, post)
    warnings += more + setting_warnings + _nyquist_warnings(pre, post) + order_warnings(pre, post)

    return Comparison(
        pre=pre,
        post=post,
        pre_label=clip_label(pre),
        post_label=clip_label(post),
        area_unit=unit,
        pre_max_jet_area=a_pre,
        post_max_jet_area=a_post,
        area_reduction=reduction,
        area_reduction_pct=pct,
        pre_n_jets=pre.n_jets_at_max,
        post_n_jets=post.n_jets_at_max,
        pre_class=jet_area_class(pre.max_jet_area_cm2),
        post_class=jet_area_class(post.max_jet_area_cm2),
        setting_differences=tuple(differences),
        warnings=tuple(warnings),
    )
