"""A pair shares its view, in a batch as in ``echoassess compare``.

The pre- and post-clip acquisitions of one procedure come from one probe. A clip
that alone cannot tell a transthoracic from a transoesophageal view (and was
given none) is analysed again with the view its pair's other clip read
(:func:`echoassess.workflows.analyse_pair` does the same for two files); its
record says so (``shared_view``, a warning, the view's source). Nothing changes
when the clip still cannot be measured.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import cohort
from ..hints import ClipHints, HintsTable
from ..workflows import needs_shared_view, shared_view_note
from .records import FileRecord
from .worker import WorkerOptions, process_file

__all__ = ["share_views"]

#: the record's fields that say which file and run it belongs to (kept as they were)
_KEEP = (
    "schema",
    "fingerprint",
    "algorithm_version",
    "params_hash",
    "key",
    "file",
    "size",
    "mtime_ns",
    "hints",
)


def share_views(
    specs: list[cohort.PairSpec],
    files: dict[str, FileRecord],
    options: WorkerOptions,
    results_dir: Path,
) -> list[str]:
    """Analyse again, with the other clip's view, each paired clip that needs it;
    ``files`` (by key) and the records in ``results_dir`` are updated. Returns the
    keys of the clips that changed."""
    changed = []
    for s in specs:
        if s.unpaired or s.pre is None or s.post is None:
            continue
        for mine, other, other_role in ((s.pre, s.post, "post"), (s.post, s.pre, "pre")):
            view = _view_to_share(mine.record, other.record)
            if view is None:
                continue
            key = mine.record.get("key")
            if key not in files:
                continue
            rec = _again(files[key], view, other_role, other.record, options)
            if rec is not None:
                files[key] = files[key].with_data(rec)
                files[key].write(results_dir)
                changed.append(key)
    return changed


def _view_to_share(mine: dict[str, Any], other: dict[str, Any]) -> str | None:
    """The other clip's view when ``mine`` needs it, else ``None``."""
    res, oth = mine.get("result") or {}, other.get("result") or {}
    if mine.get("status") != "ok" or other.get("status") != "ok":
        return None
    given = (mine.get("hints") or {}).get("view")
    view = (oth.get("settings") or {}).get("view")
    own = (res.get("settings") or {}).get("view")
    if not needs_shared_view(str(res.get("status")), own, given, view):
        return None
    return str(view)


def _again(
    file: FileRecord, view: str, other_role: str, other: dict[str, Any], options: WorkerOptions
) -> dict[str, Any] | None:
    """The clip's record analysed with ``view``; ``None`` when it still cannot be measured."""
    old = file.data or {}
    hint = _hint_for(file, old, options.hints)
    table = HintsTable(by_path={str(Path(file.path).resolve()): replace(hint, view=view)})
    rec = process_file(str(file.path), replace(options, hints=table))
    res = rec.get("result") or {}
    if rec.get("status") != "ok" or res.get("status") == "cannot_measure":
        return None
    read = (other["result"].get("settings") or {}).get("view_source") or ""
    source, note = shared_view_note(view, other_role, read)
    res["settings"] = {**(res.get("settings") or {}), "view_source": source}
    res["warnings"] = [*(res.get("warnings") or []), note]
    rec["result"] = res
    rec["shared_view"] = {"view": view, "from": other.get("file")}
    for k in _KEEP:
        if k in old:
            rec[k] = old[k]
        else:
            rec.pop(k, None)
    return rec


def _hint_for(file: FileRecord, old: dict[str, Any], table: HintsTable | None) -> ClipHints:
    """The user's own hints for the clip (calibration and all), or none."""
    if table is not None:
        found = table.for_path(file.path) or table.for_uid(
            (old.get("identifiers") or {}).get("sop_instance_uid")
        )
        if found is not None:
            return found
    return ClipHints()
