"""One place for how echoassess's tables (CSV, Parquet) type and round their columns.

Every table echoassess writes (``comparison.csv``, ``frames.csv``,
``clips.csv``, ``comparisons.csv``) goes through :func:`tidy`:

* count columns stay integers even when a row is empty (pandas' nullable
  ``Int64``: ``30``, never ``30.0``);
* measured values are rounded to the precision of the measurement (an area to
  0.001 cm², about one pixel; a Nyquist limit to 0.1 cm/s; a frame rate to
  0.01 Hz), so ``30.000030000029998`` never reaches a table.

``pre_`` / ``post_`` prefixed columns follow the rule of their base name.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"frames": [30, None], "frame_rate_hz": [30.000030000029998, None],
...                    "pre_nyquist_cm_s": [70.84, 61.0]})
>>> t = tidy(df)
>>> t["frames"].tolist(), t["frame_rate_hz"].tolist()[0], t["pre_nyquist_cm_s"].tolist()
([30, <NA>], 30.0, [70.8, 61.0])
>>> str(t["frames"].dtype)
'Int64'
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_COLUMNS", "INTEGER_COLUMNS", "DECIMALS", "tidy"]

#: The columns of errors.csv (also the pairing errors of :func:`echoassess.cohort.compare_pairs`).
ERROR_COLUMNS = ("file", "stage", "error_type", "reason", "hint", "sop_instance_uid")

#: Columns that count things (frames, pixels, jets, indices).
INTEGER_COLUMNS = frozenset(
    {
        "frames",
        "index",
        "max_frame",
        "n_jets",
        "jet_area_px",
        "max_jet_area_px",
        "series_number",
        "instance_number",
        "n_warnings",
    }
)

#: Decimals kept per column: the precision of the measurement.
DECIMALS = {
    "frame_rate_hz": 2,
    "frame_time_ms": 3,
    "time_ms": 1,
    "heart_rate_bpm": 1,
    "pixel_spacing_x_cm": 6,
    "pixel_spacing_y_cm": 6,
    "nyquist_cm_s": 1,
    "depth_cm": 1,
    "jet_area_cm2": 3,
    "max_jet_area_cm2": 3,
    "mean_systolic_jet_area_cm2": 3,
    "max_jet_area": 3,
    "area_reduction": 3,
    "area_reduction_cm2": 3,
    "area_reduction_pct": 1,
    "seconds": 3,
    "peak_rss_mb": 1,
}


def _base(column: str) -> str:
    for prefix in ("pre_", "post_"):
        if column.startswith(prefix):
            return column[len(prefix) :]
    return column


def tidy(df: Any) -> Any:
    """``df`` with integer columns as nullable ``Int64`` and measured values rounded."""
    import pandas as pd

    df = df.copy()
    for col in df.columns:
        base = _base(str(col))
        if base in INTEGER_COLUMNS:
            values = pd.to_numeric(df[col], errors="coerce")
            df[col] = values.round().astype("Int64")
        elif base in DECIMALS:
            df[col] = pd.to_numeric(df[col], errors="coerce").round(DECIMALS[base])
    return df
