"""The batch's tables, built from its file records: clips, errors, skipped, SRs.

Every file found is accounted for: an ultrasound clip (or a file that claims
to be one) has a row in ``clips.csv``; a failure has one in ``errors.csv``; a
file that is no colour-Doppler clip, or a second copy of an instance
(:func:`duplicates`), one in ``skipped.csv``. The tables are pandas
DataFrames with fixed columns, written atomically (:mod:`echoassess.store`).

Examples
--------
>>> from pathlib import Path
>>> from echoassess.batch.records import FileRecord
>>> bad = FileRecord(Path("/d/x.dcm"), "k", "d/x.dcm", data={
...     "status": "failed", "kind": "clip", "stage": "read", "error_type": "TruncatedFileError",
...     "reason": "ends early"})
>>> clips, errors, skipped = tables([bad])
>>> list(clips["status"]), list(errors["stage"]), len(skipped)
(['failed'], ['read'], 0)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..postteer import TABLE_COLUMNS, table_row
from ..provenance import input_lines
from ..store import atomic_path, atomic_write
from ..tables import ERROR_COLUMNS
from .records import FileRecord

__all__ = [
    "CLIP_COLUMNS",
    "TIMING_COLUMNS",
    "ERROR_COLUMNS",
    "SKIPPED_COLUMNS",
    "SR_COLUMNS",
    "clip_row",
    "duplicates",
    "tables",
    "sr_table",
    "write_csv",
    "write_parquet",
]

#: Columns that measure the run rather than the clip (differ between runs).
TIMING_COLUMNS = ("seconds", "peak_rss_mb")

#: The columns of clips.csv, in order.
CLIP_COLUMNS = (
    "file",
    "status",
    "reason",
    "error_type",
    "patient_hash",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
    "series_number",
    "instance_number",
    "manufacturer",
    "model",
    "frames",
    "frame_rate_hz",
    "frame_time_ms",
    "heart_rate_bpm",
    "pixel_spacing_x_cm",
    "pixel_spacing_y_cm",
    "calibration_source",
    "nyquist_cm_s",
    "colour_box_source",
    "colour_bar_source",
    "colour_map_variance",
    "measurement",
    "measurement_reason",
    "view",
    "annulus_source",
    "user_inputs",
    "area_unit",
    "max_jet_area_cm2",
    "max_jet_area_px",
    "max_frame",
    "n_jets",
    "jet_areas_cm2",
    "jet_area_class",
    "mean_systolic_jet_area_cm2",
    "warnings",
    "algorithm_version",
    "params_hash",
    *TIMING_COLUMNS,
    *TABLE_COLUMNS,
)
#: The columns of skipped.csv.
SKIPPED_COLUMNS = ("file", "reason", "modality", "sop_class")
#: The columns of srs.csv.
SR_COLUMNS = (
    "file",
    "measurement",
    "study_instance_uid",
    "sop_instance_uid",
    "sr_file",
    "sr_sop_instance_uid",
)
#: What a duplicate's row keeps: the keys that say which instance it is.
_DUPLICATE_KEPT = (
    "file",
    "patient_hash",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
    "series_number",
    "instance_number",
    "manufacturer",
    "model",
)


def clip_row(f: FileRecord) -> dict[str, Any]:
    """The file's row of clips.csv (before :func:`echoassess.tables.tidy` rounds it)."""
    rec = f.data or {}
    ids = f.identifiers
    res = f.result
    settings = res.get("settings") or {}
    spacing = res.get("pixel_spacing_cm") or [None, None]
    areas = [j.get("area_cm2") for j in res.get("jets_at_max") or []]
    return {
        "file": f.display,
        "status": f.status,
        "reason": f.reason,
        "error_type": rec.get("error_type"),
        "patient_hash": ids.get("patient_hash"),
        "study_instance_uid": ids.get("study_instance_uid"),
        "series_instance_uid": ids.get("series_instance_uid"),
        "sop_instance_uid": ids.get("sop_instance_uid"),
        "series_number": ids.get("series_number"),
        "instance_number": ids.get("instance_number"),
        "manufacturer": ids.get("manufacturer"),
        "model": ids.get("model"),
        "frames": res.get("frames"),
        "frame_rate_hz": settings.get("frame_rate_hz"),
        "frame_time_ms": res.get("frame_time_ms"),
        "heart_rate_bpm": ids.get("heart_rate_bpm"),
        "pixel_spacing_x_cm": spacing[0],
        "pixel_spacing_y_cm": spacing[1],
        "calibration_source": res.get("calibration_source"),
        "nyquist_cm_s": settings.get("nyquist_cm_s"),
        "colour_box_source": settings.get("colour_box_source"),
        "colour_bar_source": settings.get("colour_bar_source"),
        "colour_map_variance": settings.get("colour_map_variance"),
        "measurement": res.get("status") if res else None,
        "measurement_reason": (res.get("status_reason") or None) if res else None,
        "view": settings.get("view"),
        "annulus_source": settings.get("annulus_source"),
        "user_inputs": " | ".join(input_lines(res.get("user_inputs"))) or None,
        "area_unit": res.get("area_unit"),
        "max_jet_area_cm2": res.get("max_jet_area_cm2"),
        "max_jet_area_px": res.get("max_jet_area_px"),
        "max_frame": res.get("max_frame"),
        "n_jets": res.get("n_jets_at_max"),
        "jet_areas_cm2": ";".join(f"{a:.3f}" for a in areas if a is not None) or None,
        "jet_area_class": res.get("jet_area_class"),
        "mean_systolic_jet_area_cm2": res.get("mean_systolic_jet_area_cm2"),
        "warnings": " | ".join(res.get("warnings") or []) or None,
        "algorithm_version": rec.get("algorithm_version"),
        "params_hash": rec.get("params_hash"),
        "seconds": rec.get("seconds"),
        "peak_rss_mb": rec.get("peak_rss_mb"),
        **table_row(res),  # vena contracta, LA area, jet/LA ratio
    }


def duplicates(files: Sequence[FileRecord]) -> dict[str, str]:
    """``{key: first file's display name}`` for every analysed file whose SOP
    Instance UID an earlier file (in walk order) already has: the same image
    twice (a copy, or a DICOMDIR listing a file also given directly)."""
    first: dict[str, str] = {}
    dup: dict[str, str] = {}
    for f in files:
        uid = f.sop_instance_uid
        if f.missing or not uid or f.status != "ok":
            continue
        if uid in first:
            dup[f.key] = first[uid]
        else:
            first[uid] = f.display
    return dup


def tables(files: Sequence[FileRecord], dup: dict[str, str] | None = None) -> tuple[Any, Any, Any]:
    """clips, errors and skipped as DataFrames, one row per file in walk order.

    ``dup`` (:func:`duplicates`): those files are ``skipped`` rows that keep
    only their keys, pointing at the first copy.
    """
    import pandas as pd

    from ..tables import tidy

    dup = dup or {}
    clips, errors, skipped = [], [], []
    for f in files:
        if f.key in dup:
            reason = f"duplicate of {dup[f.key]} (same SOP Instance UID; the first is kept)"
            row = clip_row(f)
            kept = {c: row[c] for c in _DUPLICATE_KEPT}
            clips.append({**dict.fromkeys(CLIP_COLUMNS), **kept, "status": "skipped", "reason": reason})
            skipped.append(f.skipped_row(reason))
            continue
        if f.is_clip:
            clips.append(clip_row(f))
        if f.status == "failed":
            errors.append(f.error_row())
        elif f.status == "skipped":
            skipped.append(f.skipped_row())
    return (
        tidy(pd.DataFrame(clips, columns=list(CLIP_COLUMNS))),
        pd.DataFrame(errors, columns=list(ERROR_COLUMNS)),
        pd.DataFrame(skipped, columns=list(SKIPPED_COLUMNS)),
    )


def sr_table(files: Sequence[FileRecord]) -> Any:
    """srs.csv: one row per analysed clip whose SR was written."""
    import pandas as pd

    rows = []
    for f in files:
        info = (f.data or {}).get("sr")
        if f.status != "ok" or not info:
            continue
        ids = f.identifiers
        rows.append(
            {
                "file": f.display,
                "measurement": f.result.get("status"),
                "study_instance_uid": ids.get("study_instance_uid"),
                "sop_instance_uid": ids.get("sop_instance_uid"),
                "sr_file": info.get("file"),
                "sr_sop_instance_uid": info.get("sop_instance_uid"),
            }
        )
    return pd.DataFrame(rows, columns=list(SR_COLUMNS))


def write_csv(df: Any, path: Path) -> Path:
    """Write a table as CSV (``\\n`` line ends, no index), atomically."""
    return atomic_write(path, df.to_csv(index=False, lineterminator="\n"))


def write_parquet(df: Any, path: Path) -> Path | None:
    """Write a table as Parquet, atomically; ``None`` (nothing written) without pyarrow."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    with atomic_path(path) as tmp:
        df.to_parquet(os.fspath(tmp), index=False)
    return path
