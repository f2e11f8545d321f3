"""Pre/post pairing of a batch's clips, the cohort comparison table and figure.

Two ways to say which clip is "before" and which "after" the MitraClip:

* a manifest CSV with the columns ``patient,pre,post``, where ``pre`` and
  ``post`` are file paths (relative to the manifest's folder, or absolute) or
  SOP instance UIDs (:func:`read_manifest`, :func:`pairs_from_manifest`);
* acquisition time (:func:`pairs_by_study_time`): per patient, the earliest
  colour-flow series is "pre" and the latest "post"; within a series, the clip
  with the largest maximal jet area stands for it (the view that shows the
  worst jet, as readers report it).

Patients are named only by :func:`patient_hash`, a salted HMAC of the
identifier; the manifest's ``patient`` column is hashed the same way, so it
matches the batch's ``patient_hash`` when it holds the PatientID.

Examples
--------
>>> patient_hash("SYN001", b"salt") == patient_hash(" SYN001 ", b"salt")
True
>>> patient_hash("", b"salt") is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .compare import COMPARISON_COLUMNS, Comparison, compare, comparison_table
from .errors import InvalidParameterError
from .results import ClipResult
from .store import atomic_path
from .tables import ERROR_COLUMNS

__all__ = [
    "PAIR_BY",
    "COMPARISON_COLUMNS",  # re-exported from echoassess.compare
    "Entry",
    "PairRequest",
    "PairSpec",
    "patient_hash",
    "read_manifest",
    "manifest_files",
    "pairs_from_manifest",
    "pairs_by_study_time",
    "compare_pairs",
    "result_from_dict",
    "write_cohort_figure",
]

#: Accepted values of ``pair_by``.
PAIR_BY = ("study-time",)

_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def patient_hash(patient_id: str | None, salt: bytes) -> str | None:
    """A salted, one-way key for a patient identifier (HMAC-SHA256, 16 hex digits).

    ``None`` for an empty identifier. Without the salt the identifier cannot be
    recovered or tested.
    """
    value = (patient_id or "").strip()
    if not value:
        return None
    return hmac.new(bytes(salt), value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


# -- inputs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairRequest:
    """One manifest row (``row`` is 1-based, after the header)."""

    row: int
    patient: str
    pre: str
    post: str


@dataclass(frozen=True)
class Entry:
    """One file of the batch with its record (see :func:`echoassess.batch.process_file`)."""

    path: Path
    display: str
    record: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.record.get("status") == "ok" and bool(self.record.get("result"))

    @property
    def ids(self) -> dict[str, Any]:
        return self.record.get("identifiers") or {}


@dataclass(frozen=True)
class PairSpec:
    """A patient's pre and post entries, or why one is missing."""

    patient_hash: str | None
    basis: str
    pre: Entry | None
    post: Entry | None
    pre_ref: str = ""
    post_ref: str = ""
    unpaired: str | None = None  # study-time: why the patient has no pair (not an error)
    #: the manifest's own patient label, kept in the table unless it is the PatientID
    label: str | None = None


def read_manifest(path: str | os.PathLike[str]) -> list[PairRequest]:
    """Read a ``patient,pre,post`` manifest (extra columns are ignored).

    Raises
    ------
    InvalidParameterError
        The file is missing, unreadable, empty or lacks a column.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InvalidParameterError(p, "pairs manifest does not exist")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:
        raise InvalidParameterError(p, f"unreadable pairs manifest: {exc}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("patient", "pre", "post") if c not in df.columns]
    if missing:
        raise InvalidParameterError(
            p,
            f"pairs manifest lacks the column(s) {', '.join(missing)} "
            f"(found: {', '.join(df.columns) or 'none'})",
            hint="the header must be patient,pre,post",
        )
    if df.empty:
        raise InvalidParameterError(p, "pairs manifest has no rows")
    return [
        PairRequest(k + 1, r.patient.strip(), r.pre.strip(), r.post.strip())
        for k, r in enumerate(df.itertuples(index=False))
    ]


def _ref_path(value: str, base: Path) -> Path | None:
    if not value:
        return None
    p = Path(value)
    p = p if p.is_absolute() else base / p
    return p.resolve() if p.is_file() else None


def manifest_files(requests: Sequence[PairRequest], base: Path) -> list[Path]:
    """The manifest's references that are existing files (to add to the batch)."""
    out = []
    for r in requests:
        for value in (r.pre, r.post):
            p = _ref_path(value, base)
            if p is not None:
                out.append(p)
    return out


def pairs_from_manifest(
    requests: Sequence[PairRequest], base: Path, entries: Sequence[Entry], salt: bytes
) -> list[PairSpec]:
    """Match each manifest row's pre and post (paths or SOP instance UIDs) to entries."""
    by_path = {e.path: e for e in entries}
    by_uid: dict[str, Entry] = {}
    for e in sorted(entries, key=lambda e: (bool(e.record.get("duplicate_of")), e.display)):
        uid = e.ids.get("sop_instance_uid")
        if uid:
            by_uid.setdefault(str(uid), e)

    def find(value: str) -> Entry | None:
        p = _ref_path(value, base)
        if p is not None:
            return by_path.get(p)
        if _UID.match(value):
            return by_uid.get(value)
        return None

    specs = []
    for r in requests:
        pre, post = find(r.pre), find(r.post)
        key = patient_hash(r.patient, salt)
        # the label stays as the user wrote it, unless it is the clips' PatientID
        # (then only its hash appears: identity never leaves the header)
        is_id = key is not None and any(
            e is not None and e.ids.get("patient_hash") == key for e in (pre, post)
        )
        checked = pre is not None or post is not None
        specs.append(
            PairSpec(
                key,
                "manifest",
                pre,
                post,
                r.pre,
                r.post,
                label=r.patient if r.patient and checked and not is_id else None,
            )
        )
    return specs


def _when(e: Entry) -> datetime | None:
    value = e.record.get("acquisition_datetime")
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _area(e: Entry) -> float:
    res = e.record.get("result") or {}
    value = res.get("max_jet_area_cm2")
    return float(value) if value is not None else float(res.get("max_jet_area_px") or 0)


def pairs_by_study_time(entries: Sequence[Entry]) -> list[PairSpec]:
    """Per patient, the earliest colour-flow series is pre and the latest post.

    Only analysed clips count. Patients are grouped by ``patient_hash`` (by
    study when the files carry no PatientID). Series are ordered by their
    first acquisition time, then series number.
    """
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        if not e.ok or e.record.get("duplicate_of"):
            continue
        pid = e.ids.get("patient_hash")
        key = pid if pid else f"study:{e.ids.get('study_instance_uid') or e.display}"
        groups.setdefault(key, []).append(e)
    specs = []
    for key in sorted(groups):
        series: dict[str, list[Entry]] = {}
        for e in groups[key]:
            series.setdefault(str(e.ids.get("series_instance_uid") or e.display), []).append(e)

        def order(item: tuple[str, list[Entry]]) -> tuple:
            uid, members = item
            times = [t for t in map(_when, members) if t is not None]
            numbers = [n for n in (m.ids.get("series_number") for m in members) if n is not None]
            return (not times, min(times) if times else datetime.min, min(numbers) if numbers else 0, uid)

        ordered = sorted(series.items(), key=order)
        pid = groups[key][0].ids.get("patient_hash")

        def best(members: list[Entry]) -> Entry:
            return sorted(members, key=lambda m: (-_area(m), m.display))[0]

        if len(ordered) < 2:
            only = best(ordered[0][1])
            specs.append(
                PairSpec(
                    pid,
                    "study-time",
                    only,
                    None,
                    only.display,
                    "",
                    unpaired="only one colour-flow series for this patient",
                )
            )
            continue
        pre, post = best(ordered[0][1]), best(ordered[-1][1])
        specs.append(PairSpec(pid, "study-time", pre, post, pre.display, post.display))
    return specs


# -- comparison ---------------------------------------------------------------------------
def result_from_dict(d: dict[str, Any], *, source: str) -> ClipResult:
    """Rebuild a :class:`ClipResult` from :meth:`ClipResult.to_dict` (no masks)."""
    return ClipResult.from_dict(d, source=source)


def _problem(role: str, entry: Entry | None, ref: str) -> str | None:
    if entry is None:
        return f"{role} clip {ref!r} not found among the batch's files" if ref else f"no {role} clip given"
    status = entry.record.get("status")
    if status == "ok":
        return None
    if status == "skipped":
        return f"{role} clip was skipped: {entry.record.get('reason')}"
    return f"{role} clip failed: {entry.record.get('error_type')}: {entry.record.get('reason')}"


def compare_pairs(specs: Sequence[PairSpec]) -> tuple[Any, Any, list[Comparison]]:
    """Compare every complete pair.

    Returns
    -------
    comparisons : pandas.DataFrame
        One row per spec, columns :data:`COMPARISON_COLUMNS`; ``status`` is
        ``"ok"``, ``"incomplete"`` (a clip missing, failed or skipped; see
        ``reason``) or ``"unpaired"`` (only one series).
    errors : pandas.DataFrame
        One row per incomplete pair, in the batch's errors.csv columns.
    compared : list of Comparison
        The complete pairs' comparisons, in row order.
    """
    import pandas as pd

    rows, errors, compared = [], [], []
    for s in specs:
        row: dict[str, Any] = {
            "patient": s.label,
            "patient_hash": s.patient_hash,
            "basis": s.basis,
            "pre_file": s.pre.display if s.pre else (s.pre_ref or None),
            "post_file": s.post.display if s.post else (s.post_ref or None),
            "pre_sop_instance_uid": s.pre.ids.get("sop_instance_uid") if s.pre else None,
            "post_sop_instance_uid": s.post.ids.get("sop_instance_uid") if s.post else None,
        }
        if s.unpaired:
            row.update(status="unpaired", reason=s.unpaired)
            rows.append(row)
            continue
        problems = [p for p in (_problem("pre", s.pre, s.pre_ref), _problem("post", s.post, s.post_ref)) if p]
        if problems:
            row.update(status="incomplete", reason="; ".join(problems))
            rows.append(row)
            errors.append(
                {
                    "file": row["pre_file"] if _problem("pre", s.pre, s.pre_ref) else row["post_file"],
                    "stage": "pair",
                    "error_type": "IncompletePair",
                    "reason": row["reason"],
                    "hint": "check the manifest row" if s.basis == "manifest" else None,
                    "sop_instance_uid": None,
                }
            )
            continue
        assert s.pre is not None and s.post is not None  # else _problem named them
        comp = compare(_result(s.pre), _result(s.post))
        compared.append(comp)
        rows.append(comp.to_row(**row))
    return (comparison_table(rows), pd.DataFrame(errors, columns=list(ERROR_COLUMNS)), compared)


def _result(entry: Entry) -> ClipResult:
    """The entry's result, with its acquisition time (for the pre/post order check)."""
    res = result_from_dict(entry.record["result"], source=entry.display)
    when = entry.record.get("acquisition_datetime")
    if when:
        from dataclasses import replace

        res = replace(res, identifiers={**res.identifiers, "acquisition_datetime": when})
    return res


def write_cohort_figure(comparisons: Sequence[Comparison], path: str | os.PathLike[str]) -> Path | None:
    """Paired pre -> post jet areas and the distribution of % reduction, as one PNG.

    Only pairs with both areas in cm^2 are drawn; returns ``None`` (and
    removes an older figure) when there is none.
    """
    from . import plot

    path = Path(path)
    pre: list[float] = []
    post: list[float] = []
    reduction: list[float | None] = []
    for c in comparisons:
        if c.area_unit == "cm2" and c.pre_max_jet_area is not None and c.post_max_jet_area is not None:
            pre.append(c.pre_max_jet_area)
            post.append(c.post_max_jet_area)
            reduction.append(c.area_reduction_pct)
    if not pre:
        path.unlink(missing_ok=True)
        return None
    fig = plot.cohort_figure(pre, post, reduction)
    with atomic_path(path, keep_suffix=True) as tmp:
        plot.save_figure(fig, tmp)
    return path
