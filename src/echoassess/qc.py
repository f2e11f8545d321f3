"""Quality-control pictures for a batch (``echoassess batch --qc``).

A batch user cannot open every clip; with ``--qc`` the batch writes what a
reader needs to check the numbers at a glance:

``qc/clips/<key>.png``
    per analysed clip, the maximal frame cut to the imaging fan with the jets
    outlined (:func:`echoassess.report.write_overlay_png`, written by the
    worker that analysed the clip);
``qc/pairs/<nnn>/report.html``
    per compared pair, the report ``echoassess compare`` writes (without the
    animations);
``index.html``
    the cohort index: every pair with its numbers and a link to its report,
    every clip with its QC picture. Self-contained apart from those relative
    links; no patient identity (files by path below the input, patients by
    the manifest's label or the salted hash).
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import EchoAssessError, printable
from .store import atomic_write

__all__ = ["QC_DIR", "clip_png", "write_pair_reports", "write_index"]

logger = logging.getLogger("echoassess")

QC_DIR = "qc"


def clip_png(out: Path, key: str) -> Path:
    """Where the QC picture of the clip with result key ``key`` goes."""
    return Path(out) / QC_DIR / "clips" / f"{key}.png"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _inputs_for(table: Any, entry: Any) -> Any:
    """The clip's inputs for :mod:`echoassess.workflows`, with its hints from the table."""
    from .workflows import inputs_from_hints

    hint = None
    if table is not None:
        hint = table.for_path(entry.path) or table.for_uid(entry.ids.get("sop_instance_uid"))
    return inputs_from_hints(entry.path, hint)


def write_pair_reports(
    out: Path,
    specs: Sequence[Any],
    comparisons: Any,
    *,
    params: Any = None,
    hints: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[int, Path | str]:
    """Per complete pair, the compare report under ``qc/pairs/<nnn>/``.

    Returns ``{row: report path}`` for the rows of ``comparisons`` whose
    status is ``ok``, or the reason a report could not be written.
    """
    from .workflows import compare_files

    done: dict[int, Path | str] = {}
    for row, spec in enumerate(specs):
        if comparisons.iloc[row]["status"] != "ok":
            continue
        folder = Path(out) / QC_DIR / "pairs" / f"{row + 1:03d}"
        if progress is not None:
            progress(f"QC report {row + 1} of {len(specs)}")
        try:
            outputs = compare_files(
                _inputs_for(hints, spec.pre), _inputs_for(hints, spec.post), folder, params, animate=False
            )
        except EchoAssessError as err:
            done[row] = f"no report: {err.reason}"
            continue
        for p in folder.iterdir():
            os.chmod(p, 0o644)
        done[row] = outputs.report
    return done


_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; background: #f4f4f2; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: white; }
h1 { font-size: 1.5em; margin: 0 0 6px; } h2 { font-size: 1.2em; margin-top: 28px; }
table { border-collapse: collapse; font-size: 0.92em; }
th, td { border: 1px solid #d8d8d8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0ee; } td.num { text-align: right; }
.clips { display: flex; flex-wrap: wrap; gap: 12px; }
.clips figure { margin: 0; width: 270px; font-size: 0.82em; }
.clips img { width: 100%; border: 1px solid #d8d8d8; }
.failed { color: #a00; } .muted { color: #5a5a5a; }
"""


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    try:
        import math

        v = float(value)
        return "" if math.isnan(v) else fmt.format(v)
    except (TypeError, ValueError):
        return ""


def _pairs_html(
    comparisons: Any, pair_reports: dict[int, Path | str], rel: Callable[[Path], str]
) -> list[str]:
    """The table of pairs: numbers, warnings and a link to each pair's report."""
    parts = [
        "<h2>Pairs</h2><table><tr><th>#</th><th>patient</th><th>pre</th>"
        "<th>post</th><th>max jet area pre → post</th><th>reduction</th>"
        "<th>class</th><th>warnings</th><th>report</th></tr>"
    ]
    for row, r in enumerate(comparisons.to_dict("records")):
        who = r.get("patient") or r.get("patient_hash") or ""
        unit = "cm²" if r.get("area_unit") == "cm2" else "px"
        areas = (
            f"{_num(r.get('pre_max_jet_area'))} → {_num(r.get('post_max_jet_area'))} {unit}"
            if r.get("status") == "ok"
            else _e(r.get("reason"))
        )
        pct = _num(r.get("area_reduction_pct"), "{:.0f} %")
        warn = r.get("warnings") if isinstance(r.get("warnings"), str) else ""
        n_warn = len([w for w in warn.split(" | ") if w]) if warn else 0
        report = pair_reports.get(row)
        link = f'<a href="{rel(report)}">report</a>' if isinstance(report, Path) else _e(report or "")
        parts.append(
            f"<tr><td class='num'>{row + 1}</td><td>{_e(who)}</td>"
            f"<td>{_e(r.get('pre_file'))}</td><td>{_e(r.get('post_file'))}</td>"
            f"<td>{areas}</td><td class='num'>{pct}</td>"
            f"<td>{_e(r.get('class_change') or '')}</td>"
            f"<td title='{_e(warn)}'>{n_warn or ''}</td><td>{link}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _clips_html(clips: Any, clip_pngs: dict[str, Path], rel: Callable[[Path], str]) -> list[str]:
    """One captioned QC picture per clip (or why it has none)."""
    parts = ["<h2>Clips</h2><div class='clips'>"]
    for r in clips.to_dict("records"):
        name = r.get("file")
        png = clip_pngs.get(name)
        if r.get("status") == "ok":
            area = (
                f"{_num(r.get('max_jet_area_cm2'))} cm²"
                if r.get("area_unit") == "cm2"
                else f"{_num(r.get('max_jet_area_px'), '{:.0f}')} px"
            )
            text = (
                f"{_e(r.get('measurement'))}: {area}, {_num(r.get('n_jets'), '{:.0f}')} jet(s)"
                if r.get("measurement") == "measured"
                else f"{_e(r.get('measurement'))}: {_e(r.get('measurement_reason'))}"
            )
            if isinstance(r.get("user_inputs"), str):
                text += f"<br>user input: {_e(r['user_inputs'])}"
        else:
            text = f"<span class='failed'>{_e(r.get('status'))}: {_e(r.get('reason'))}</span>"
        img = (
            f'<a href="{rel(png)}"><img src="{rel(png)}" alt="{_e(name)}, maximal frame '
            'with the jets outlined"></a>'
            if png is not None
            else ""
        )
        parts.append(f"<figure>{img}<figcaption><b>{_e(name)}</b><br>{text}</figcaption></figure>")
    return parts


def write_index(
    out: Path,
    clips: Any,
    comparisons: Any | None,
    *,
    clip_pngs: dict[str, Path],
    pair_reports: dict[int, Path | str] | None = None,
) -> Path:
    """Write ``out/index.html``: every pair and every clip, linked to their QC files.

    ``clip_pngs`` maps a clip's ``file`` (as in clips.csv) to its QC picture.
    """
    out = Path(out)

    def rel(p: Path) -> str:
        return _e(Path(os.path.relpath(p, out)).as_posix())

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src 'self' data:; style-src 'unsafe-inline'\">",
        "<title>echoassess batch: quality control</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Batch quality control</h1>",
        '<p class="muted">Check each outlined maximal frame before using its number: the '
        "outline should follow the regurgitant jet, not inflow, flow convergence or noise. "
        "Pictures show only the imaging fan. Frames are numbered from 0 (the scanner's counter "
        "shows the number + 1).</p>",
    ]
    if comparisons is not None and len(comparisons):
        parts += _pairs_html(comparisons, pair_reports or {}, rel)
    parts += _clips_html(clips, clip_pngs, rel)
    parts.append("</div></main></body></html>")
    path = out / "index.html"
    return atomic_write(path, printable("\n".join(parts)))
