"""The report's measurement tables: per clip, per frame and the post-TEER measures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import postteer
from ..provenance import input_lines
from ._common import area_text, class_badge, esc
from .settings import valve_settings

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["measurements_html", "per_frame_html", "post_teer_html"]


def _time_at(res: ClipResult) -> str:
    if res.max_frame is None:
        return "no systolic frame"
    t = next((f.time_ms for f in res.per_frame if f.index == res.max_frame), None)
    return f"frame {res.max_frame} (from 0; the screen's counter shows {res.max_frame + 1}/{res.frames})" + (
        "" if t is None else f", {t:.0f} ms"
    )


def _jets(res: ClipResult) -> str:
    if not res.jets_at_max:
        return "none"
    return "<br>".join(
        f"jet {k + 1}: "
        + (area_text(j.area_cm2, "cm2", 2) if j.area_cm2 is not None else area_text(j.area_px, "px"))
        for k, j in enumerate(res.jets_at_max)
    )


def _spacing(res: ClipResult) -> str:
    if res.pixel_spacing_cm is None:
        return "uncalibrated (areas in px)"
    dx, dy = res.pixel_spacing_cm
    return f"{dx:.5f} × {dy:.5f} cm/px ({esc(res.calibration_source or '?')})"


def _timing(res: ClipResult) -> str:
    if not res.frame_time_ms:
        return f"{res.frames} frames, no timing in the file"
    return f"{res.frames} frames, {res.frame_time_ms:.1f} ms/frame ({1000 / res.frame_time_ms:.0f} Hz)"


def _mean_sys(res: ClipResult) -> str:
    return area_text(res.mean_systolic_jet_area_cm2, "cm2", 2)


def _valve(res: ClipResult) -> str:
    view_key, src, tilt = valve_settings(res)
    if res.status == "cannot_measure":
        return f"<b>cannot measure</b>: {esc(res.status_reason)} (give the annulus as a hint)"
    view = {"tee": "TEE", "tte": "TTE", "parasternal": "TTE parasternal"}.get(str(view_key), "view unknown")
    src = src or "?"
    text = f"{view}; annulus from {esc(src)}" + (f", tilted {tilt:.0f}°" if tilt is not None else "")
    if res.status == "no_jet":
        text += f"; no jet: {esc(res.status_reason)}"
    return text


def _inputs(res: ClipResult) -> str:
    lines = input_lines(res.user_inputs)
    return "<br>".join(esc(t) for t in lines) if lines else "none (everything from the file)"


def measurements_html(c: Comparison) -> str:
    """The "Measurements" table: one row per quantity, one column per clip."""
    unit = c.area_unit
    rows = [
        ("Clip", esc(c.pre_label), esc(c.post_label)),
        ("User inputs", _inputs(c.pre), _inputs(c.post)),
        ("Valve and view", _valve(c.pre), _valve(c.post)),
        (
            "Maximal jet area (sum of jets)",
            f"<b>{area_text(c.pre_max_jet_area, unit, 2)}</b>",
            f"<b>{area_text(c.post_max_jet_area, unit, 2)}</b>",
        ),
        ("ASE colour-jet area class", class_badge(c.pre_class), class_badge(c.post_class)),
        ("Number of jets at maximum", str(c.pre_n_jets), str(c.post_n_jets)),
        ("Each jet at maximum", _jets(c.pre), _jets(c.post)),
        ("Maximal frame", _time_at(c.pre), _time_at(c.post)),
        ("Mean systolic jet area", _mean_sys(c.pre), _mean_sys(c.post)),
        ("Frames and timing", _timing(c.pre), _timing(c.post)),
        ("Pixel spacing", _spacing(c.pre), _spacing(c.post)),
    ]
    body = "".join(f"<tr><th>{a}</th><td>{b}</td><td>{d}</td></tr>" for a, b, d in rows)
    return (
        "<table><tr><th></th><th class='pre'>Pre-clip</th><th class='post'>Post-clip</th>"
        "</tr>" + body + "</table>"
    )


def per_frame_html(res: ClipResult, role: str) -> str:
    unit = res.area_unit
    rows = []
    for f in res.per_frame:
        area = f.jet_area_cm2 if unit == "cm2" else f.jet_area_px
        mark = " ◀ max" if f.index == res.max_frame else ""
        t = "" if f.time_ms is None else f"{f.time_ms:.0f}"
        rows.append(
            f"<tr><td class='num'>{f.index}</td><td class='num'>{t}</td>"
            f"<td>{esc(f.phase)}</td><td class='num'>{area_text(area, unit, 2)}</td>"
            f"<td class='num'>{f.n_jets}</td><td>{mark}</td></tr>"
        )
    return (
        f"<details><summary>{esc(role)}: jet area on every frame ({len(rows)} frames)"
        "</summary><table><tr><th>frame (from 0; screen + 1)</th><th>time (ms)</th><th>phase</th>"
        "<th>jet area</th><th>jets</th><th></th></tr>" + "".join(rows) + "</table></details>"
    )


def post_teer_html(c: Comparison) -> str:
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
            cells.append(f"jet {k}: {w} {class_badge(j.vc_class) if j.vc_class else ''}")
        if len(pt.jets) > 1 and pt.vc_sum_cm is not None:
            cells.append(f"sum {pt.vc_sum_cm:.2f} cm <i>({esc(postteer.MULTI_JET_VC_NOTE)})</i>")
        note = postteer.at_max_note(pt)
        if note:
            cells.append(f"<i>{esc(note)}</i>")
        return "<br>".join(cells)

    def la(pt: Any) -> str:
        if pt is None:
            return "n/a"
        if pt.la_status == "cannot_measure":
            return f"cannot measure ({esc(pt.la_reason)})"
        v = area_text(pt.la_area_cm2, "cm2") if pt.la_area_cm2 is not None else f"{pt.la_area_px:.0f} px"
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
        return f"{100 * pt.jet_la_ratio:.0f} % {class_badge(pt.jet_la_ratio_class)}{per}"

    rows = [
        ("Vena contracta (largest over systole, per jet)", vc(pts[0]), vc(pts[1])),
        ("LA area (max-jet frame)", la(pts[0]), la(pts[1])),
        ("Jet area / LA area", ratio(pts[0]), ratio(pts[1])),
    ]
    body = "".join(f"<tr><th>{esc(a)}</th><td>{b}</td><td>{d}</td></tr>" for a, b, d in rows)
    return (
        "<h2>Post-TEER measures</h2>"
        "<p>From the same colour clips: the vena contracta (the jet's narrowest neck within "
        "1 cm of its origin, drawn in orange on the maximal frames above), the left-atrial "
        "area (green outline) and the jet area as a fraction of it. ASE bands for native MR: "
        "vena contracta &lt; 0.3 cm mild, &ge; 0.7 cm severe; jet/LA area &lt; 20 % mild, "
        "&gt; 40 % severe. Summed widths of several jets are not validated.</p>"
        "<table><tr><th></th><th>pre-clip</th><th>post-clip</th></tr>" + body + "</table>"
    )
