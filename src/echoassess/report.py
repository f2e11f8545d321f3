"""The pre/post comparison report: JSON, CSV, PNG figures, animations and one HTML page.

Two layers, both usable from a notebook:

* :func:`render_html` turns a :class:`~echoassess.compare.Comparison` and its
  figures into one self-contained HTML page (figures and animations embedded
  as base64 data URIs, inline CSS, no JavaScript, no network).
* :func:`write_report` writes every output for a comparison into a folder;
  :func:`write_comparison` first analyses the two DICOM clips, then calls it.
  The ``echoassess compare`` and ``demo`` commands are thin wrappers around
  :func:`write_comparison`.

The report never holds patient identity: clips are named by file name, series
description and the last digits of the SOP instance UID.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import postteer
from ._version import __version__
from .compare import Comparison, compare
from .errors import InvalidParameterError
from .results import ASE_MILD_BELOW_CM2, ASE_SEVERE_ABOVE_CM2, ClipResult

__all__ = [
    "CAVEATS",
    "ReportOutputs",
    "render_html",
    "write_report",
    "write_comparison",
    "summary_table",
    "imaging_box",
]

logger = logging.getLogger("echoassess")

#: The caveats every report states, whatever the numbers.
CAVEATS = (
    "This is the colour-Doppler jet area only, not a full grade of mitral regurgitation. "
    "Integrate it with vena contracta, PISA/EROA, pulmonary-vein flow and the clinical picture.",
    "Jet area depends on the machine settings: Nyquist limit (the ASE cut-offs assume about "
    "50-70 cm/s), colour gain, frame rate, imaging depth and the angle of the view. Compare pre "
    "and post only when the settings match.",
    "After a clip, the device casts a bright echo and an acoustic shadow that can hide or break "
    "up the jet: the post-clip area is less reliable, and eccentric or multiple jets may be "
    "under-measured in a single plane.",
    f"ASE colour-jet area classes (< {ASE_MILD_BELOW_CM2:g} cm² mild, > {ASE_SEVERE_ABOVE_CM2:g} cm² severe) are older "
    "absolute cut-offs; they do not apply to eccentric wall-hugging jets, which look smaller than "
    "they are.",
    "Mean transmitral gradient, vena contracta and other post-clip measures come from other views "
    "and modes and are not measured here.",
    "Automated segmentation can mistake inflow, flow convergence or colour noise for jet: check "
    "the outlined frames before using the numbers.",
)

_SETTING_ROWS = (
    ("nyquist_cm_s", "Nyquist limit", "cm/s", "{:.1f}"),
    ("frame_rate_hz", "Frame rate", "Hz", "{:.1f}"),
    ("depth_cm", "Imaging depth", "cm", "{:.1f}"),
)

#: Embed an animation in the HTML only when it is smaller than this (bytes);
#: larger ones are linked as files next to the report.
MAX_EMBEDDED_ANIMATION_BYTES = 6_000_000


@dataclass(frozen=True)
class ReportOutputs:
    """What :func:`write_report` wrote: the comparison and the path of each file."""

    comparison: Comparison
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def report(self) -> Path:
        return self.files["report"]


# -- formatting helpers -------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _area(value: float | None, unit: str, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f} cm²" if unit == "cm2" else f"{value:.0f} px"


def _data_uri(data: bytes | Path, mime: str) -> str:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _mime(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {
        ".png": "image/png",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".svg": "image/svg+xml",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
    }.get(suffix, "application/octet-stream")


def _headline(c: Comparison) -> str:
    unit = c.area_unit
    parts = [
        f"Maximal colour-jet area <b>{_area(c.pre_max_jet_area, unit)}</b> before, "
        f"<b>{_area(c.post_max_jet_area, unit)}</b> after the clip"
    ]
    if c.area_reduction is not None:
        if c.area_reduction_pct is not None:
            word = "reduction" if c.area_reduction >= 0 else "increase"
            parts.append(
                f": <b>{abs(c.area_reduction_pct):.0f}&nbsp;% {word}</b> "
                f"({_area(abs(c.area_reduction), unit)})"
            )
    else:
        parts.append(": the reduction cannot be computed (see warnings)")
    text = "".join(parts) + "."
    if c.pre_class and c.post_class:
        same = c.pre_class == c.post_class
        text += f" ASE colour-jet area class: <b>{_e(c.pre_class)}</b>" + (
            " before and after." if same else f" → <b>{_e(c.post_class)}</b>."
        )
    return text


def _class_badge(cls: str | None) -> str:
    if cls is None:
        return '<span class="badge none">no class</span>'
    return f'<span class="badge {cls}">{_e(cls)}</span>'


def summary_table(c: Comparison) -> str:
    """A short plain-text table of the comparison (what the CLI prints)."""
    unit = c.area_unit

    def n_jets(n: int) -> str:
        return f"{n} jet{'s' if n != 1 else ''}"

    rows = [
        ("", "pre-clip", "post-clip"),
        ("clip", c.pre_label, c.post_label),
        ("max jet area", _area(c.pre_max_jet_area, unit, 2), _area(c.post_max_jet_area, unit, 2)),
        ("jets at max", n_jets(c.pre_n_jets), n_jets(c.post_n_jets)),
        ("ASE jet-area class", c.pre_class or "n/a", c.post_class or "n/a"),
    ]
    for key, label, unit_s, fmt in _SETTING_ROWS:
        vals = []
        for res in (c.pre, c.post):
            v = res.settings.get(key)
            vals.append("not recorded" if v is None else f"{fmt.format(float(v))} {unit_s}")
        rows.append((label.lower(), *vals))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines = [f"{a:<{w0}}  {b:<{w1}}  {d}" for a, b, d in rows]
    if c.area_reduction is not None:
        pct = "" if c.area_reduction_pct is None else f" ({c.area_reduction_pct:.1f} %)"
        lines.append(f"{'reduction':<{w0}}  {_area(c.area_reduction, unit, 2)}{pct}")
    else:
        lines.append(f"{'reduction':<{w0}}  n/a")
    for role, res in (("pre-clip", c.pre), ("post-clip", c.post)):
        if res.post_teer is not None:  # vena contracta, LA area, jet/LA ratio
            lines += [f"{role}:"] + postteer.summary_lines(res.post_teer)
    from .provenance import input_lines

    for role, res in (("pre", c.pre), ("post", c.post)):
        for text in input_lines(res.user_inputs):
            lines.append(f"user input ({role}): {text}")
    for w in c.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


# -- HTML --------------------------------------------------------------------------
_CSS = """
:root { --pre: #0072B2; --post: #D55E00; --ink: #1a1a1a; --muted: #5a5a5a; --line: #d8d8d8; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0; background: #f4f4f2; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: white; }
h1 { font-size: 1.55em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 30px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 18px; font-size: 0.95em; }
.pre { color: var(--pre); font-weight: bold; } .post { color: var(--post); font-weight: bold; }
.headline { font-size: 1.18em; padding: 14px 18px; border-left: 6px solid var(--pre);
            background: #eef5fa; margin: 12px 0; }
.kpis { display: flex; gap: 14px; flex-wrap: wrap; margin: 14px 0; }
.kpi { flex: 1 1 180px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 0.85em; }
.kpi .value { font-size: 1.45em; font-weight: bold; }
.warn { background: #fff6d6; border: 1px solid #e6c34a; border-radius: 6px; padding: 10px 16px; }
.warn ul, .caveats ul { margin: 6px 0; padding-left: 22px; }
.ok { background: #e8f4ee; border: 1px solid #8cc5a6; border-radius: 6px; padding: 10px 16px; }
figure { margin: 10px 0; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 0.95em; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: #f0f0ee; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.differs td { background: #fff1c9; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 0.9em;
         border: 1px solid #888; }
.badge.mild { background: #cfeee3; } .badge.moderate { background: #fbf6c4; }
.badge.severe { background: #f7d3bf; } .badge.none { background: #eee; }
.anims { display: flex; gap: 18px; flex-wrap: wrap; }
.anims figure { flex: 1 1 420px; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--pre); }
.anims figcaption { font-size: 1.05em; margin-bottom: 4px; }
.scrub .view { position: relative; }
.scrub .view input { position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; }
.scrub .view img { display: none; }
.scrub .view input:checked + img { display: block; }
.scrub .view input:focus-visible + img { outline: 3px solid #56B4E9; }
.steps { display: flex; flex-wrap: wrap; gap: 2px; margin-top: 4px; }
.steps label { min-width: 22px; padding: 1px 3px; font-size: 0.75em; text-align: center;
               border: 1px solid #bbb; border-radius: 3px; cursor: pointer; background: #fafafa; }
.steps label:hover { background: #e0e0e0; }
.scrub-pre .steps label.sys, .scrub-pre .sys-key { background: #cfe3f1; }
.scrub-post .steps label.sys, .scrub-post .sys-key { background: #f6d9c6; }
.steps label.max { font-weight: bold; border: 2px solid #1a1a1a; }
.legend-steps { font-size: 0.8em; color: var(--muted); margin-top: 3px; }
.sys-key { display: inline-block; width: 14px; height: 10px; border: 1px solid #bbb; }
.caveats li { margin-bottom: 4px; }
footer { margin-top: 34px; color: var(--muted); font-size: 0.85em;
         border-top: 1px solid var(--line);
         padding-top: 10px; }
code { font-size: 0.92em; }
@media print { body { background: white; } main { padding: 0; } details { display: none; } }
"""


#: Other settings shown in the main table when the analysis records them
#: (``key: (label, unit)``); everything else goes under "analysis details".
_OTHER_SETTINGS = {
    "colour_gain_pct": ("Colour gain", "%"),
    "gain": ("Colour gain", ""),
    "heart_rate_bpm": ("Heart rate", "bpm"),
    "transducer": ("Transducer", ""),
    "manufacturer": ("Manufacturer", ""),
    "model": ("Model", ""),
}


def _value(v: Any, unit: str = "") -> str:
    if v is None or v == "":
        return "not recorded"
    if isinstance(v, float):
        v = f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v} {unit}".strip()


#: Readable names of the analysis details (``ClipResult.settings``), in display order.
_DETAIL_LABELS = {
    "nyquist_source": "Nyquist limit from",
    "velocity_unit": "Velocities in",
    "depth_source": "Imaging depth from",
    "depth_cm_from_sector": "Depth of the fan (cm, from the calibration)",
    "systole_source": "Systole from",
    "ecg_rr_ms": "ECG R-R interval (ms)",
    "view": "View",
    "view_source": "View from",
    "annulus_xy": "Mitral annulus (px)",
    "annulus_tilt_deg": "Annulus tilt (°)",
    "annulus_source": "Annulus from",
    "roi_xyxy": "Region of interest (px)",
    "colour_box_xyxy": "Colour-flow box (px)",
    "colour_box_source": "Colour-flow box from",
    "colour_bar_xyxy": "Colour bar (px)",
    "colour_bar_source": "Colour bar",
    "colour_map_variance": "Variance colour map",
    "colour_cell_px": "Colour cell size (px)",
    "static_overlay_px": "Static coloured overlay (px, ignored)",
    "sector": "Imaging fan",
}


def _detail(key: str, v: Any) -> str:
    """A settings value as text: boxes and points in pixels, the fan in words."""
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if key == "sector" and isinstance(v, dict):
        parts = []
        if "apex_x" in v and "apex_y" in v:
            parts.append(f"apex ({v['apex_x']:.0f}, {v['apex_y']:.0f}) px")
        if "radius_px" in v:
            parts.append(f"radius {v['radius_px']:.0f} px")
        if "opening_deg" in v:
            parts.append(f"opening {v['opening_deg']:.0f}°")
        return ", ".join(parts) or "found"
    if key.endswith("_xyxy") and isinstance(v, (list, tuple)) and len(v) == 4:
        return f"({v[0]:.0f}, {v[1]:.0f}) to ({v[2]:.0f}, {v[3]:.0f})"
    if key == "annulus_xy" and isinstance(v, (list, tuple)) and len(v) == 2:
        (x1, y1), (x2, y2) = v
        return f"({x1:.0f}, {y1:.0f}) to ({x2:.0f}, {y2:.0f})"
    if isinstance(v, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_detail(k, x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_detail(key, x) for x in v)
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)


def _settings_table(c: Comparison) -> str:
    differing = {k for k, _, _ in c.setting_differences}
    rows = []
    for key, label, unit, fmt in _SETTING_ROWS:
        cells = []
        for res in (c.pre, c.post):
            v = res.settings.get(key)
            cells.append("not recorded" if v is None else f"{fmt.format(float(v))} {unit}")
        cls = ' class="differs"' if key in differing else ""
        if key in differing:
            flag = "<b>differs</b>"
        elif "not recorded" in cells:
            flag = "cannot check"
        else:
            flag = "match"
        rows.append(
            f"<tr{cls}><th>{_e(label)}</th><td class='num'>{_e(cells[0])}</td>"
            f"<td class='num'>{_e(cells[1])}</td><td>{flag}</td></tr>"
        )
    keys = set(c.pre.settings) | set(c.post.settings)
    for key, (label, unit) in _OTHER_SETTINGS.items():
        if key in keys:
            a, b = c.pre.settings.get(key), c.post.settings.get(key)
            same = "same" if a == b else "different"
            rows.append(
                f"<tr><th>{_e(label)}</th><td>{_e(_value(a, unit))}</td>"
                f"<td>{_e(_value(b, unit))}</td><td>{same}</td></tr>"
            )
    table = (
        "<table><tr><th>Setting</th><th class='pre'>Pre-clip</th>"
        "<th class='post'>Post-clip</th><th>Pre vs post</th></tr>" + "".join(rows) + "</table>"
    )
    # what the analysis found on the screen (colour box, colour bar, valve...),
    # for whoever checks the segmentation
    shown = {k for k, *_ in _SETTING_ROWS} | set(_OTHER_SETTINGS)
    extra = [k for k in _DETAIL_LABELS if k in keys and k not in shown]
    extra += sorted(keys - shown - set(_DETAIL_LABELS))
    if extra:
        detail = "".join(
            f"<tr><th>{_e(_DETAIL_LABELS.get(k, k.replace('_', ' ')))}</th>"
            f"<td>{_e(_detail(k, c.pre.settings.get(k)))}</td>"
            f"<td>{_e(_detail(k, c.post.settings.get(k)))}</td></tr>"
            for k in extra
        )
        table += (
            "<details><summary>Analysis details (what was found on the screen)</summary>"
            "<table><tr><th></th><th class='pre'>Pre-clip</th>"
            f"<th class='post'>Post-clip</th></tr>{detail}</table></details>"
        )
    return table


def _clip_rows(c: Comparison) -> str:
    def time_at(res: ClipResult) -> str:
        if res.max_frame is None:
            return "no systolic frame"
        t = next((f.time_ms for f in res.per_frame if f.index == res.max_frame), None)
        return (
            f"frame {res.max_frame} (from 0; the screen's counter shows "
            f"{res.max_frame + 1}/{res.frames})" + ("" if t is None else f", {t:.0f} ms")
        )

    def jets(res: ClipResult) -> str:
        if not res.jets_at_max:
            return "none"
        return "<br>".join(
            f"jet {k + 1}: "
            + (_area(j.area_cm2, "cm2", 2) if j.area_cm2 is not None else _area(j.area_px, "px"))
            for k, j in enumerate(res.jets_at_max)
        )

    def spacing(res: ClipResult) -> str:
        if res.pixel_spacing_cm is None:
            return "uncalibrated (areas in px)"
        dx, dy = res.pixel_spacing_cm
        return f"{dx:.5f} × {dy:.5f} cm/px ({_e(res.calibration_source or '?')})"

    def timing(res: ClipResult) -> str:
        if not res.frame_time_ms:
            return f"{res.frames} frames, no timing in the file"
        return f"{res.frames} frames, {res.frame_time_ms:.1f} ms/frame ({1000 / res.frame_time_ms:.0f} Hz)"

    def mean_sys(res: ClipResult) -> str:
        return _area(res.mean_systolic_jet_area_cm2, "cm2", 2)

    def valve(res: ClipResult) -> str:
        st = res.settings or {}
        if res.status == "cannot_measure":
            return f"<b>cannot measure</b>: {_e(res.status_reason)} (give the annulus as a hint)"
        view = {"tee": "TEE", "tte": "TTE", "parasternal": "TTE parasternal"}.get(
            str(st.get("view")), "view unknown"
        )
        src = st.get("annulus_source") or "?"
        tilt = st.get("annulus_tilt_deg")
        text = f"{view}; annulus from {_e(src)}" + (f", tilted {tilt:.0f}°" if tilt is not None else "")
        if res.status == "no_jet":
            text += f"; no jet: {_e(res.status_reason)}"
        return text

    def inputs(res: ClipResult) -> str:
        from .provenance import input_lines

        lines = input_lines(res.user_inputs)
        return "<br>".join(_e(t) for t in lines) if lines else "none (everything from the file)"

    unit = c.area_unit
    rows = [
        ("Clip", _e(c.pre_label), _e(c.post_label)),
        ("User inputs", inputs(c.pre), inputs(c.post)),
        ("Valve and view", valve(c.pre), valve(c.post)),
        (
            "Maximal jet area (sum of jets)",
            f"<b>{_area(c.pre_max_jet_area, unit, 2)}</b>",
            f"<b>{_area(c.post_max_jet_area, unit, 2)}</b>",
        ),
        ("ASE colour-jet area class", _class_badge(c.pre_class), _class_badge(c.post_class)),
        ("Number of jets at maximum", str(c.pre_n_jets), str(c.post_n_jets)),
        ("Each jet at maximum", jets(c.pre), jets(c.post)),
        ("Maximal frame", time_at(c.pre), time_at(c.post)),
        ("Mean systolic jet area", mean_sys(c.pre), mean_sys(c.post)),
        ("Frames and timing", timing(c.pre), timing(c.post)),
        ("Pixel spacing", spacing(c.pre), spacing(c.post)),
    ]
    body = "".join(f"<tr><th>{a}</th><td>{b}</td><td>{d}</td></tr>" for a, b, d in rows)
    return (
        "<table><tr><th></th><th class='pre'>Pre-clip</th><th class='post'>Post-clip</th>"
        "</tr>" + body + "</table>"
    )


def _per_frame_table(res: ClipResult, role: str) -> str:
    unit = res.area_unit
    rows = []
    for f in res.per_frame:
        area = f.jet_area_cm2 if unit == "cm2" else f.jet_area_px
        mark = " ◀ max" if f.index == res.max_frame else ""
        t = "" if f.time_ms is None else f"{f.time_ms:.0f}"
        rows.append(
            f"<tr><td class='num'>{f.index}</td><td class='num'>{t}</td>"
            f"<td>{_e(f.phase)}</td><td class='num'>{_area(area, unit, 2)}</td>"
            f"<td class='num'>{f.n_jets}</td><td>{mark}</td></tr>"
        )
    return (
        f"<details><summary>{_e(role)}: jet area on every frame ({len(rows)} frames)"
        "</summary><table><tr><th>frame (from 0; screen + 1)</th><th>time (ms)</th><th>phase</th>"
        "<th>jet area</th><th>jets</th><th></th></tr>" + "".join(rows) + "</table></details>"
    )


def _stepper(key: str, role: str, images: Sequence[bytes], res: ClipResult) -> str:
    """A no-JavaScript frame stepper: one radio button per frame shows its image."""
    by_index = {f.index: f for f in res.per_frame}
    start = res.max_frame if res.max_frame is not None and res.max_frame < len(images) else 0
    view, steps = [], []
    for i, data in enumerate(images):
        mime = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg"
        fid = f"{key}-frame-{i}"
        checked = " checked" if i == start else ""
        view.append(
            f'<input type="radio" name="{key}-frame" id="{fid}"{checked} '
            f'aria-label="{_e(role)} frame {i}"><img src="{_data_uri(data, mime)}" '
            f'alt="{_e(role)} frame {i} with the jet outlined">'
        )
        f = by_index.get(i)
        cls = ["sys"] if f is not None and f.phase == "systole" else []
        if i == res.max_frame:
            cls.append("max")
        tip = f"frame {i}"
        if f is not None:
            if f.time_ms is not None:
                tip += f", {f.time_ms:.0f} ms"
            tip += f", {f.phase}"
            area = f.jet_area_cm2 if f.jet_area_cm2 is not None else f.jet_area_px
            tip += ", " + _area(area, "cm2" if f.jet_area_cm2 is not None else "px", 2)
        steps.append(f'<label for="{fid}" class="{" ".join(cls)}" title="{_e(tip)}">{i}</label>')
    return (
        f'<div class="scrub scrub-{key}"><div class="view">{"".join(view)}</div>'
        f'<div class="steps">{"".join(steps)}</div>'
        '<div class="legend-steps"><span class="sys-key"></span> systolic frame '
        "&nbsp; <b>bold</b> = maximal frame &nbsp; frames are numbered from 0 (the "
        "scanner's counter shows the number + 1)</div></div>"
    )


def render_html(
    comparison: Comparison,
    *,
    figures: Mapping[str, bytes | Path],
    animations: Mapping[str, bytes | Path] | None = None,
    frame_steps: Mapping[str, Sequence[bytes]] | None = None,
    notes: Sequence[str] = (),
    created: _dt.datetime | None = None,
) -> str:
    """One self-contained HTML page for a comparison.

    Parameters
    ----------
    comparison : Comparison
    figures : mapping of str to PNG bytes or path
        Keys used: ``"comparison"`` (the composed figure, required),
        ``"jet_area_time"``, ``"area_change"`` (optional, shown larger).
    animations : mapping of str to GIF/WebP bytes or path, optional
        Keys ``"pre"`` and ``"post"``. Embedded when smaller than
        ``MAX_EMBEDDED_ANIMATION_BYTES``; a path that is too large is linked by
        its file name (it must sit next to the report).
    frame_steps : mapping of str to sequence of JPEG/PNG bytes, optional
        Keys ``"pre"`` and ``"post"``: one image per frame of the clip (e.g.
        :func:`echoassess.animate.overlay_frames`, encoded). Shown as a
        frame-by-frame stepper that needs no JavaScript (radio buttons and
        CSS; arrow keys step once a frame number is clicked).
    notes : sequence of str
        Extra notes on how the report was made (listed under "Analysis notes").
    created : datetime, optional
        Printed in the footer (default: now).

    Returns
    -------
    str
        The HTML document. It loads nothing from the network and needs no
        JavaScript.

    Raises
    ------
    echoassess.InvalidParameterError
        When the ``"comparison"`` figure is missing.
    """
    if "comparison" not in figures:
        raise InvalidParameterError(
            None,
            "render_html: figures must include 'comparison'",
            hint="make it with echoassess.plot.plot_comparison",
        )
    c = comparison
    created = created or _dt.datetime.now().astimezone()
    animations = animations or {}

    def img(key: str, alt: str) -> str:
        data = figures[key]
        name = data.name if isinstance(data, Path) else f"{key}.png"
        return f'<img src="{_data_uri(data, _mime(name))}" alt="{_e(alt)}">'

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # forbid any network load, so a stray reference can never leak data
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data: 'self'; style-src 'unsafe-inline'\">",
        f"<title>MR colour-jet area: {_e(c.pre_label)} vs {_e(c.post_label)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Mitral regurgitation: colour-jet area before and after the clip</h1>",
        f'<p class="sub">Pre-clip: <span class="pre">{_e(c.pre_label)}</span> &nbsp;·&nbsp; '
        f'Post-clip: <span class="post">{_e(c.post_label)}</span></p>',
        f'<div class="headline">{_headline(c)}</div>',
        '<div class="kpis">',
        f'<div class="kpi"><div class="label">Pre-clip maximal jet area</div>'
        f'<div class="value pre">{_area(c.pre_max_jet_area, c.area_unit)}</div>'
        f"<div>{_class_badge(c.pre_class)} · {c.pre_n_jets} jet{'s' if c.pre_n_jets != 1 else ''}"
        "</div></div>",
        f'<div class="kpi"><div class="label">Post-clip maximal jet area</div>'
        f'<div class="value post">{_area(c.post_max_jet_area, c.area_unit)}</div>'
        f"<div>{_class_badge(c.post_class)} · {c.post_n_jets} jet"
        f"{'s' if c.post_n_jets != 1 else ''}</div></div>",
    ]
    if c.area_reduction is not None:
        pct = "n/a" if c.area_reduction_pct is None else f"{c.area_reduction_pct:.0f} %"
        parts.append(
            f'<div class="kpi"><div class="label">Reduction</div>'
            f'<div class="value">{_e(pct)}</div>'
            f"<div>{_area(c.area_reduction, c.area_unit)} smaller"
            f"{'' if c.area_reduction >= 0 else ' (negative: the jet grew)'}</div></div>"
        )
    parts.append("</div>")

    if c.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in c.warnings)
        parts.append(f'<div class="warn"><b>Read these numbers with care:</b><ul>{items}</ul></div>')
    else:
        parts.append(
            '<div class="ok">Nyquist limit, frame rate and imaging depth match between '
            "the two clips, so the areas are comparable.</div>"
        )

    parts += [
        "<h2>Overview</h2>",
        "<figure>"
        + img(
            "comparison",
            "Comparison figure: maximal frames with the jets "
            "outlined, jet area over time and the pre/post maximal areas",
        )
        + "<figcaption>Top: the frame of largest jet area in each clip, each jet outlined with its "
        "area. Bottom left: jet area on every frame, aligned at the onset of systole (shaded; "
        "stars mark the maxima). Bottom right: maximal jet area over the ASE bands."
        "</figcaption></figure>",
        "<h2>Measurements</h2>",
        _clip_rows(c),
        _post_teer_html(c),
        "<h2>Acquisition settings</h2>",
        "<p>Colour-jet area changes with these settings; they should match between the two clips.</p>",
        _settings_table(c),
    ]

    frame_steps = frame_steps or {}
    if animations or frame_steps:
        parts.append("<h2>Segmentation on every frame</h2>")
        parts.append(
            "<p>Each clip around the jet, with the detected jet outlined in white; the banner "
            "gives the frame, its time, the cardiac phase and the measured area (the maximal "
            "frame, shown first, is marked MAX). Click a frame number below an image, then use "
            "the arrow keys to step through the clip. Check that the outline follows the jet "
            "and not inflow, flow convergence or noise.</p>"
        )
        parts.append('<div class="anims">')
        for key, role, res in (("pre", "Pre-clip", c.pre), ("post", "Post-clip", c.post)):
            if key not in animations and key not in frame_steps:
                continue
            parts.append(f'<figure><figcaption class="{key}">{_e(role)}</figcaption>')
            if key in frame_steps:
                parts.append(_stepper(key, role, frame_steps[key], res))
            if key in animations:
                data = animations[key]
                size = data.stat().st_size if isinstance(data, Path) else len(data)
                name = (
                    data.name
                    if isinstance(data, Path)
                    else (f"{key}.webp" if data[:4] == b"RIFF" else f"{key}.gif")
                )
                if size <= MAX_EMBEDDED_ANIMATION_BYTES:
                    anim = (
                        f'<img src="{_data_uri(data, _mime(name))}" alt="{_e(role)} clip '
                        'playing, with the jet outlined">'
                    )
                else:
                    anim = (
                        f'<a href="{_e(name)}">{_e(name)}</a> (too large to embed: '
                        f"{size / 1e6:.1f} MB; open it from the report's folder)"
                    )
                if key in frame_steps:
                    anim = f"<details><summary>Play the clip (slowed 2×)</summary>{anim}</details>"
                parts.append(anim)
            parts.append("</figure>")
        parts.append("</div>")

    parts.append("<h2>Frame by frame</h2>")
    parts.append(_per_frame_table(c.pre, "Pre-clip"))
    parts.append(_per_frame_table(c.post, "Post-clip"))

    items = "".join(f"<li>{_e(t)}</li>" for t in CAVEATS)
    parts.append(f'<h2>Caveats</h2><div class="caveats"><ul>{items}</ul></div>')

    clip_warnings = [
        (role, w) for role, res in (("pre-clip", c.pre), ("post-clip", c.post)) for w in res.warnings
    ]
    if clip_warnings or notes:
        items = "".join(f"<li><b>{_e(r)}:</b> {_e(w)}</li>" for r, w in clip_warnings)
        items += "".join(f"<li>{_e(n)}</li>" for n in notes)
        parts.append(f"<h2>Analysis notes</h2><ul>{items}</ul>")

    algo = c.pre.algorithm_version or c.post.algorithm_version or "unknown"
    params = c.pre.params or c.post.params
    params_html = ""
    if params:
        params_html = (
            "<details><summary>Analysis parameters</summary><pre>"
            f"{_e(json.dumps(params, indent=2, default=str))}</pre></details>"
        )
    parts.append(
        f"<footer>echoassess {_e(__version__)} (algorithm {_e(algo)}) · report made "
        f"{_e(created.strftime('%Y-%m-%d %H:%M %Z').strip())} · This report holds no patient "
        f"identity: clips are named by file, series and UID suffix only.{params_html}</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)


# -- writing every output -------------------------------------------------------------
def _check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(
            out, "the output path exists and is not a folder", hint="give --out a new or existing folder"
        )
    return out


def _jpeg(image: np.ndarray, quality: int = 82) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _crop(frames, masks: np.ndarray, box: tuple[int, int, int, int] | None):
    if box is None:
        return frames, masks
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, y0 = max(x0, 0), max(y0, 0)
    return (
        [np.asarray(f)[y0 : y1 + 1, x0 : x1 + 1] for f in frames],
        np.asarray(masks)[:, y0 : y1 + 1, x0 : x1 + 1],
    )


def imaging_box(clip: Any) -> tuple[int, int, int, int] | None:
    """The bounding box of the clip's 2D imaging region (inclusive pixels), or None.

    Kept for notebooks; images should go through
    :func:`echoassess.anonymise.imaging_view`, which also blacks out what lies
    outside the imaging fan inside that box.
    """
    from .anonymise import imaging_region_box

    return imaging_region_box(clip)


def write_overlay_png(
    clip: Any, result: ClipResult, path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """The clip's maximal frame (the first without a jet), cut to the imaging fan
    (:func:`echoassess.anonymise.imaging_view`), jets outlined, with a colour scale.

    What ``echoassess check --overlay`` and ``batch --qc`` write.
    """
    from . import plot
    from .anonymise import imaging_view, sample_frames

    labels = result.jet_labels_at_max
    index = result.max_frame if result.max_frame is not None else 0
    frame = clip.frame(index)
    if labels is None:
        labels = np.zeros(frame.shape[:2], np.int32)
    view = imaging_view(
        np.concatenate([sample_frames(clip), frame[None]]),
        clip=clip,
        result=result,
        masks=np.asarray(labels) > 0,
    )
    ax = plot.new_axes((7.0, 5.6))
    plot.plot_max_frame(
        view.blank(frame),
        result,
        mask=labels,
        ax=ax,
        zoom=False,
        bounds_xyxy=view.box,
        colour_bar=view.colour_bar,
        title=title,
    )
    if view.source != "imaging fan":
        ax.text(
            0.5,
            0.01,
            {
                "imaging region": "cut to the file's imaging region",
                "colour-flow box": "cut to the colour-flow box",
            }.get(view.source, "whole screen: check for burned-in text"),
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=7,
            color="0.8",
        )
    return plot.save_figure(ax.figure, Path(path))


def _require_masks(res: ClipResult, role: str) -> np.ndarray:
    if res.masks is None:
        raise InvalidParameterError(
            res.source,
            f"write_report: the {role}-clip result kept no jet masks",
            hint="analyse with masks kept (echoassess.analyze_clip(..., keep_masks=True))",
        )
    return res.masks


def write_report(
    comparison: Comparison,
    out_dir: str | os.PathLike[str],
    *,
    pre_frames: np.ndarray | Sequence[np.ndarray],
    post_frames: np.ndarray | Sequence[np.ndarray],
    pre_bounds_xyxy: tuple[int, int, int, int] | None = None,
    post_bounds_xyxy: tuple[int, int, int, int] | None = None,
    animate: bool = True,
    notes: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    pre_colour_bar: np.ndarray | None = None,
    post_colour_bar: np.ndarray | None = None,
) -> ReportOutputs:
    """Write every output of a comparison into a folder.

    comparison.json, comparison.csv, frames.csv, the PNG figures, the
    animations and report.html.

    Parameters
    ----------
    comparison : Comparison
        Both results must carry their jet masks (``ClipResult.masks``).
    out_dir : path
        Created when missing; existing files of the same names are replaced.
    pre_frames, post_frames : (T, H, W, 3) uint8
        The decoded clips (``EchoClip.read_frames()``).
    pre_bounds_xyxy, post_bounds_xyxy : (x0, y0, x1, y1), optional
        The imaging region of each clip (inclusive pixels). Images in the
        outputs never show beyond it, which keeps out text burned in around
        the image (patient name, dates). Without it the full screen is shown
        and the report says so.
    animate : bool
        Also write ``pre_overlay.gif`` / ``post_overlay.gif`` and show them in the report.
    notes : sequence of str
        Added to the report's "Analysis notes".
    progress : callable, optional
        Called with a short message before each step.
    pre_colour_bar, post_colour_bar : (h, w, 3) uint8, optional
        Each clip's colour bar (:attr:`echoassess.anonymise.ImagingView.colour_bar`),
        drawn as the maximal-frame panels' colour scale.

    Returns
    -------
    ReportOutputs
    """
    from . import plot
    from .animate import animation_bytes, overlay_frames, save_animation

    say = progress or (lambda msg: None)
    c = comparison
    out = _check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pre_masks = _require_masks(c.pre, "pre")
    post_masks = _require_masks(c.post, "post")
    for role, res, frames in (("pre", c.pre, pre_frames), ("post", c.post, post_frames)):
        if len(frames) != res.frames or len(res.masks) != len(frames):
            raise InvalidParameterError(
                res.source,
                f"write_report: {len(frames)} {role}-clip frames but the result has "
                f"{res.frames} frames and {len(res.masks)} masks",
            )
    files: dict[str, Path] = {}

    say("tables")
    files["json"] = out / "comparison.json"
    files["json"].write_text(json.dumps(c.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    files["csv"] = out / "comparison.csv"
    c.to_frame().to_csv(files["csv"], index=False)
    import pandas as pd

    per_frame = pd.concat(
        [res.to_frame().assign(clip=role) for role, res in (("pre", c.pre), ("post", c.post))],
        ignore_index=True,
    )
    per_frame = per_frame[["clip", *[col for col in per_frame.columns if col != "clip"]]]
    per_frame["source"] = per_frame["source"].map(lambda s: Path(str(s)).name)
    files["frames_csv"] = out / "frames.csv"
    from .tables import tidy

    tidy(per_frame).to_csv(files["frames_csv"], index=False)

    say("figures")

    def max_frame(res: ClipResult, frames) -> np.ndarray:
        return np.asarray(frames[res.max_frame if res.max_frame is not None else 0])

    bounds = {"pre": pre_bounds_xyxy, "post": post_bounds_xyxy}
    notes = list(notes)
    for role in ("pre", "post"):
        if bounds[role] is None:
            notes.append(
                f"The {role}-clip file defines no imaging region, so its images are "
                "not cut to it: check them for text burned into the pixels (names, "
                "dates) before sharing this report."
            )
    pre_img, post_img = max_frame(c.pre, pre_frames), max_frame(c.post, post_frames)
    bars = {"pre": pre_colour_bar, "post": post_colour_bar}
    art = plot.plot_comparison(
        c,
        pre_img,
        post_img,
        pre_bounds_xyxy=pre_bounds_xyxy,
        post_bounds_xyxy=post_bounds_xyxy,
        pre_colour_bar=pre_colour_bar,
        post_colour_bar=post_colour_bar,
    )
    files["comparison_png"] = plot.save_figure(art["figure"], out / "comparison.png", dpi=110)
    for role, res, image in (("pre", c.pre, pre_img), ("post", c.post, post_img)):
        ax = plot.new_axes((6.4, 5.2))
        label = c.pre_label if role == "pre" else c.post_label
        plot.plot_max_frame(
            image,
            res,
            ax=ax,
            title=f"{role.upper()}-CLIP · {label}",
            bounds_xyxy=bounds[role],
            colour_bar=bars[role],
        )
        files[f"{role}_max_frame_png"] = plot.save_figure(ax.figure, out / f"{role}_max_frame.png")
    ax = plot.new_axes((8.0, 4.0))
    plot.plot_jet_area_time([c.pre, c.post], ax=ax, title=f"Colour-jet area: {c.pre_label} vs {c.post_label}")
    files["jet_area_time_png"] = plot.save_figure(ax.figure, out / "jet_area_time.png")
    ax = plot.new_axes((4.2, 4.4))
    plot.plot_area_change(
        c.pre_max_jet_area, c.post_max_jet_area, unit=c.area_unit, ax=ax, title="Maximal jet area"
    )
    files["area_change_png"] = plot.save_figure(ax.figure, out / "area_change.png")

    animations: dict[str, bytes] = {}
    steps: dict[str, list[bytes]] = {}
    if animate:
        say("animations")
        for role, res, frames, masks in (
            ("pre", c.pre, pre_frames, pre_masks),
            ("post", c.post, post_frames, post_masks),
        ):
            label = c.pre_label if role == "pre" else c.post_label
            # the region around the jets (wide enough to show the valve and the
            # atrium), never beyond the imaging region
            box = (
                plot.jet_zoom_box(np.asarray(masks).any(axis=0), min_fraction=0.55, bounds_xyxy=bounds[role])
                or bounds[role]
            )
            frames, masks = _crop(frames, masks, box)
            images = overlay_frames(
                frames,
                masks,
                per_frame=res.per_frame,
                frame_time_ms=res.frame_time_ms,
                max_frame=res.max_frame,
                title=f"{role.upper()}-CLIP · {label}",
                max_width=520,
                max_upscale=3.0,
            )
            files[f"{role}_overlay_gif"] = save_animation(
                images, out / f"{role}_overlay.gif", frame_time_ms=res.frame_time_ms, slowdown=2.0
            )
            # the page plays a WebP (a tenth of the GIF's size) and steps through JPEGs
            animations[role] = animation_bytes(
                images, format="webp", frame_time_ms=res.frame_time_ms, slowdown=2.0
            )
            steps[role] = [_jpeg(im) for im in images]

    say("report")
    page = render_html(
        c,
        figures={"comparison": files["comparison_png"]},
        animations=animations,
        frame_steps=steps,
        notes=notes,
    )
    files["report"] = out / "report.html"
    files["report"].write_text(page, encoding="utf-8")
    logger.info("wrote the comparison report to %s", files["report"])
    return ReportOutputs(comparison=c, out_dir=out, files=files)


def write_comparison(
    pre_path: str | os.PathLike[str],
    post_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    params: Any = None,
    animate: bool = True,
    notes: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    per_clip_hints: dict[str, dict[str, Any]] | None = None,
    **hints: Any,
) -> ReportOutputs:
    """Analyse a pre-clip and a post-clip DICOM clip, compare them and write every output.

    Parameters
    ----------
    pre_path, post_path : path
        The two DICOM clips (same view, ideally same settings).
    out_dir : path
        Receives comparison.json, comparison.csv, frames.csv, comparison.png,
        pre_max_frame.png, post_max_frame.png, jet_area_time.png,
        area_change.png, pre_overlay.gif, post_overlay.gif and report.html.
    params : optional
        Analysis parameters passed to :func:`echoassess.analyze_clip`.
    animate : bool
        Write the animated overlays (the slowest step).
    notes : sequence of str
        Added to the report's "Analysis notes".
    progress : callable, optional
        Called with a short message before each step.
    per_clip_hints : {"pre": {...}, "post": {...}}, optional
        Hints for one clip only (e.g. ``{"post": {"annulus": ((x1, y1), (x2, y2))}}``).
    **hints
        Passed to :func:`echoassess.analyze_clip` for both clips (e.g. ``spacing_cm=``,
        ``view="tee"``).

    Returns
    -------
    ReportOutputs

    Raises
    ------
    echoassess.EchoAssessError
        When a clip cannot be read or analysed (the message names the file).
    """
    from .anonymise import describe, imaging_view
    from .loading import load_clip

    say = progress or (lambda msg: None)
    _check_out_dir(out_dir)
    calibration = ("spacing_cm", "depth_cm")
    load_hints = {k: v for k, v in hints.items() if k in calibration}
    per_clip_hints = per_clip_hints or {}
    # open both files first, so a bad path fails before any slow analysis
    clips = [
        load_clip(
            path,
            **{**load_hints, **{k: v for k, v in per_clip_hints.get(role, {}).items() if k in calibration}},
        )
        for role, path in (("pre", pre_path), ("post", post_path))
    ]
    from .pipeline import analyze_clip

    other_hints = {k: v for k, v in hints.items() if k not in load_hints}
    results, frames, views = [], [], []
    for role, clip in zip(("pre", "post"), clips):
        say(f"analysing the {role}-clip acquisition {clip.path.name}")
        own = {k: v for k, v in per_clip_hints.get(role, {}).items() if k not in calibration}
        res = analyze_clip(clip, params, keep_masks=True, **{**other_hints, **own})
        raw = clip.read_frames()
        # one helper for every image: only the imaging fan, nothing burned in
        view = imaging_view(raw, clip=clip, result=res, masks=res.masks)
        results.append(res)
        frames.append(view.blank(raw))
        views.append(view)
    notes = list(notes)
    described = [describe(v) for v in views]
    if described[0] == described[1]:
        notes.append(described[0])
    else:
        notes += [f"{role.capitalize()}-clip: {d}" for role, d in zip(("pre", "post"), described)]
    comparison = compare(results[0], results[1])
    return write_report(
        comparison,
        out_dir,
        pre_frames=frames[0],
        post_frames=frames[1],
        pre_bounds_xyxy=views[0].box,
        post_bounds_xyxy=views[1].box,
        pre_colour_bar=views[0].colour_bar,
        post_colour_bar=views[1].colour_bar,
        animate=animate,
        notes=notes,
        progress=progress,
    )


def _post_teer_html(c: Comparison) -> str:
    """Vena contracta per jet, LA area and jet/LA ratio of both clips, with the ASE bands."""
    pts = (c.pre.post_teer, c.post.post_teer)
    if all(pt is None for pt in pts):
        return ""

    def vc(pt: Any) -> str:
        if pt is None or not pt.jets:
            return "n/a"
        cells = []
        for k, j in enumerate(pt.jets, start=1):
            w = (
                f"{j.vc_width_cm:.2f} cm"
                if j.vc_width_cm is not None
                else f"{j.vc_width_px:.0f} px"
                if j.vc_width_px is not None
                else "not measurable"
            )
            cells.append(f"jet {k}: {w} {_class_badge(j.vc_class) if j.vc_class else ''}")
        if len(pt.jets) > 1 and pt.vc_sum_cm is not None:
            cells.append(f"sum {pt.vc_sum_cm:.2f} cm <i>({_e(postteer.MULTI_JET_VC_NOTE)})</i>")
        return "<br>".join(cells)

    def la(pt: Any) -> str:
        if pt is None:
            return "n/a"
        if pt.la_status == "cannot_measure":
            return f"cannot measure ({_e(pt.la_reason)})"
        v = _area(pt.la_area_cm2, "cm2") if pt.la_area_cm2 is not None else f"{pt.la_area_px:.0f} px"
        return v + (" (outline given)" if pt.la_status == "user" else "")

    def ratio(pt: Any) -> str:
        if pt is None or pt.jet_la_ratio is None:
            return "n/a"
        per = ""
        if len(pt.jets) > 1:
            per = (
                " ("
                + ", ".join(
                    f"jet {k}: {100 * j.la_ratio:.0f} %"
                    for k, j in enumerate(pt.jets, start=1)
                    if j.la_ratio is not None
                )
                + ")"
            )
        return f"{100 * pt.jet_la_ratio:.0f} % {_class_badge(pt.jet_la_ratio_class)}{per}"

    rows = [
        ("Vena contracta (largest over systole, per jet)", vc(pts[0]), vc(pts[1])),
        ("LA area (max-jet frame)", la(pts[0]), la(pts[1])),
        ("Jet area / LA area", ratio(pts[0]), ratio(pts[1])),
    ]
    body = "".join(f"<tr><th>{_e(a)}</th><td>{b}</td><td>{d}</td></tr>" for a, b, d in rows)
    return (
        "<h2>Post-TEER measures</h2>"
        "<p>From the same colour clips: the vena contracta (the jet's narrowest neck within "
        "1 cm of its origin, drawn in orange on the maximal frames above), the left-atrial "
        "area (green outline) and the jet area as a fraction of it. ASE bands for native MR: "
        "vena contracta &lt; 0.3 cm mild, &ge; 0.7 cm severe; jet/LA area &lt; 20 % mild, "
        "&gt; 40 % severe. Summed widths of several jets are not validated.</p>"
        "<table><tr><th></th><th>pre-clip</th><th>post-clip</th></tr>" + body + "</table>"
    )
