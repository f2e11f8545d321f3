"""Per-clip hints for batch runs: a CSV keyed by file name or SOP Instance UID.

A hints file lets an imaging tech tell the analysis, clip by clip, what the
image does not say: the view (``tte`` / ``tee``), the two mitral annulus hinge
points, and the Nyquist limit, pixel spacing or depth of uncalibrated files.

Columns (a header row is required; every column but the key is optional)::

    file,sop_instance_uid,view,annulus,nyquist_cm_s,spacing_cm,depth_cm
    study1/IM_0003.dcm,,tee,,,,
    ,1.2.840.1.2.3.4,tte,"312,298,380,305",62,,

``file`` is a path relative to the hints file's folder, an absolute path, or a
bare file name (matching any file of that name); ``sop_instance_uid`` matches
the clip's SOP Instance UID. ``annulus`` is ``x1,y1,x2,y2`` in pixels (or the
four columns ``annulus_x1 .. annulus_y2``).
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidParameterError

__all__ = ["ClipHints", "HintsTable", "read_hints"]

_NUMBERS = ("nyquist_cm_s", "spacing_cm", "depth_cm")
_VIEWS = ("auto", "tte", "tee")


@dataclass(frozen=True)
class ClipHints:
    """Hints for one clip; ``None`` fields are not given."""

    view: str | None = None
    annulus: tuple[tuple[float, float], tuple[float, float]] | None = None
    nyquist_cm_s: float | None = None
    spacing_cm: float | None = None
    depth_cm: float | None = None

    def load_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`echoassess.load_clip`."""
        return {
            k: v for k, v in (("spacing_cm", self.spacing_cm), ("depth_cm", self.depth_cm)) if v is not None
        }

    def analysis_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`echoassess.analyze_clip` (besides the load ones)."""
        out: dict[str, Any] = {}
        if self.view is not None:
            out["view"] = self.view
        if self.annulus is not None:
            out["annulus"] = self.annulus
        if self.nyquist_cm_s is not None:
            out["nyquist_cm_s"] = self.nyquist_cm_s
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("view", self.view),
                ("annulus", None if self.annulus is None else [list(self.annulus[0]), list(self.annulus[1])]),
                ("nyquist_cm_s", self.nyquist_cm_s),
                ("spacing_cm", self.spacing_cm),
                ("depth_cm", self.depth_cm),
            )
            if v is not None
        }


@dataclass(frozen=True)
class HintsTable:
    """The rows of a hints file, indexed for lookup (small and picklable)."""

    by_path: dict[str, ClipHints] = field(default_factory=dict)
    by_name: dict[str, ClipHints] = field(default_factory=dict)
    by_uid: dict[str, ClipHints] = field(default_factory=dict)
    #: SHA-256 of the file's text: results made with other hints are redone
    digest: str = ""

    def for_path(self, path: str | os.PathLike[str]) -> ClipHints | None:
        p = Path(path)
        return self.by_path.get(str(p.resolve())) or self.by_name.get(p.name)

    def for_uid(self, uid: str | None) -> ClipHints | None:
        return None if not uid else self.by_uid.get(str(uid))

    def __len__(self) -> int:
        return len(self.by_path) + len(self.by_name) + len(self.by_uid)


def read_hints(path: str | os.PathLike[str]) -> HintsTable:
    """Read a hints CSV (see the module docstring).

    Raises
    ------
    InvalidParameterError
        A missing or unreadable file, no key column, or a malformed value (the
        message names the file, the row and the column).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "hints.csv")
    >>> _ = open(f, "w").write('file,view,annulus\\nclip1.dcm,tee,"10,20,30,40"\\n')
    >>> h = read_hints(f).for_path(os.path.join(d, "clip1.dcm"))
    >>> h.view, h.annulus
    ('tee', ((10.0, 20.0), (30.0, 40.0)))
    """
    p = Path(path)
    if p.is_dir():
        raise InvalidParameterError(p, "is a folder, not a hints CSV file")
    try:
        text = p.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InvalidParameterError(p, "hints file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(p, f"cannot read the hints file ({type(exc).__name__})") from None
    reader = csv.DictReader(text.splitlines())
    cols = {c.strip().lower() for c in (reader.fieldnames or [])}
    if not cols & {"file", "sop_instance_uid"}:
        raise InvalidParameterError(
            p,
            "the hints file needs a header with a 'file' or 'sop_instance_uid' column",
            hint="e.g. file,view,annulus",
        )
    table = HintsTable(digest=hashlib.sha256(text.encode("utf-8")).hexdigest())
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        hints = _parse_row(p, n, row)
        key_file, key_uid = row.get("file", ""), row.get("sop_instance_uid", "")
        if not key_file and not key_uid:
            raise InvalidParameterError(p, f"row {n}: neither 'file' nor 'sop_instance_uid' is given")
        if key_uid:
            table.by_uid[key_uid] = hints
        if key_file:
            fp = Path(key_file)
            if fp.is_absolute() or len(fp.parts) > 1:
                table.by_path[str((p.parent / fp).resolve())] = hints
            else:
                table.by_name[fp.name] = hints
                table.by_path[str((p.parent / fp).resolve())] = hints
    return table


def _parse_row(p: Path, n: int, row: dict[str, str]) -> ClipHints:
    def number(col: str) -> float | None:
        text = row.get(col, "")
        if not text:
            return None
        try:
            v = float(text)
        except ValueError:
            v = float("nan")
        if not (v > 0 and v < 1e6):
            raise InvalidParameterError(p, f"row {n}, column {col}: {text!r} is not a positive number")
        return v

    view = row.get("view", "").lower() or None
    if view is not None and view not in _VIEWS:
        raise InvalidParameterError(p, f"row {n}, column view: {view!r} must be one of {', '.join(_VIEWS)}")
    ann_text = row.get("annulus", "")
    parts = (
        [s for s in ann_text.replace(";", ",").split(",") if s.strip()]
        if ann_text
        else [row.get(c, "") for c in ("annulus_x1", "annulus_y1", "annulus_x2", "annulus_y2")]
    )
    annulus = None
    if any(parts):
        try:
            x1, y1, x2, y2 = (float(v) for v in parts)
        except ValueError:
            raise InvalidParameterError(
                p, f"row {n}, column annulus: {ann_text or parts!r} must be four numbers x1,y1,x2,y2 (pixels)"
            ) from None
        annulus = ((x1, y1), (x2, y2))
    vals = {c: number(c) for c in _NUMBERS}
    if vals["spacing_cm"] is not None and vals["depth_cm"] is not None:
        raise InvalidParameterError(p, f"row {n}: give either spacing_cm or depth_cm, not both")
    return ClipHints(view=view, annulus=annulus, **vals)
