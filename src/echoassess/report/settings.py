"""The acquisition settings and analysis details of a report: every read of
``ClipResult.settings`` by the report goes through :func:`settings_of`.

Examples
--------
>>> detail_text("colour_box_xyxy", [10, 20, 110, 220])
'(10, 20) to (110, 220)'
>>> detail_text("sector", {"apex_x": 320.0, "apex_y": 40.0, "radius_px": 400.0})
'apex (320, 40) px, radius 400 px'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import esc, value_text

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["COMPARED", "settings_of", "compared_cells", "valve_settings", "detail_text", "settings_html"]

#: The settings that must match between pre and post, in display order:
#: ``(key, label, unit, format)``.
COMPARED = (
    ("nyquist_cm_s", "Nyquist limit", "cm/s", "{:.1f}"),
    ("frame_rate_hz", "Frame rate", "Hz", "{:.1f}"),
    ("depth_cm", "Imaging depth", "cm", "{:.1f}"),
)

#: Other settings shown in the main table when the analysis records them
#: (``key: (label, unit)``); everything else goes under "analysis details".
_OTHER_SETTINGS = {
    "heart_rate_bpm": ("Heart rate", "bpm"),
    "manufacturer": ("Manufacturer", ""),
    "model": ("Model", ""),
}

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


def settings_of(res: ClipResult) -> dict[str, Any]:
    """Every acquisition setting and analysis detail by field name, for the tables
    that list them all (the other readers take the typed fields)."""
    return dict(res.settings or {})


def compared_cells(res: ClipResult) -> list[str]:
    """The :data:`COMPARED` settings of one clip as text ("not recorded" when missing)."""
    values = [getattr(res.acquisition, key) for key, _, _, _ in COMPARED]
    return [
        "not recorded" if v is None else f"{fmt.format(float(v))} {unit}"
        for v, (_, _, unit, fmt) in zip(values, COMPARED, strict=True)
    ]


def valve_settings(res: ClipResult) -> tuple[Any, Any, Any]:
    """``(view, annulus source, annulus tilt in degrees)`` as the analysis recorded them."""
    d = res.diagnostics
    return d.view, d.annulus_source, d.annulus_tilt_deg


def detail_text(key: str, v: Any) -> str:
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
        return ", ".join(f"{k.replace('_', ' ')} {detail_text(k, x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(detail_text(key, x) for x in v)
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)


def _compared_rows(c: Comparison) -> list[str]:
    differing = {k for k, _, _ in c.setting_differences}
    rows = []
    pre_cells, post_cells = compared_cells(c.pre), compared_cells(c.post)
    for (key, label, _, _), a, b in zip(COMPARED, pre_cells, post_cells, strict=True):
        cls = ' class="differs"' if key in differing else ""
        if key in differing:
            flag = "<b>differs</b>"
        elif "not recorded" in (a, b):
            flag = "cannot check"
        else:
            flag = "match"
        rows.append(
            f"<tr{cls}><th>{esc(label)}</th><td class='num'>{esc(a)}</td>"
            f"<td class='num'>{esc(b)}</td><td>{flag}</td></tr>"
        )
    return rows


def _other_rows(pre: dict[str, Any], post: dict[str, Any]) -> list[str]:
    keys = set(pre) | set(post)
    rows = []
    for key, (label, unit) in _OTHER_SETTINGS.items():
        if key in keys:
            a, b = pre.get(key), post.get(key)
            same = "same" if a == b else "different"
            rows.append(
                f"<tr><th>{esc(label)}</th><td>{esc(value_text(a, unit))}</td>"
                f"<td>{esc(value_text(b, unit))}</td><td>{same}</td></tr>"
            )
    return rows


def _details_html(pre: dict[str, Any], post: dict[str, Any]) -> str:
    """What the analysis found on the screen (colour box, colour bar, valve...),
    for whoever checks the segmentation."""
    keys = set(pre) | set(post)
    shown = {k for k, *_ in COMPARED} | set(_OTHER_SETTINGS)
    extra = [k for k in _DETAIL_LABELS if k in keys and k not in shown]
    extra += sorted(keys - shown - set(_DETAIL_LABELS))
    if not extra:
        return ""
    detail = "".join(
        f"<tr><th>{esc(_DETAIL_LABELS.get(k, k.replace('_', ' ')))}</th>"
        f"<td>{esc(detail_text(k, pre.get(k)))}</td>"
        f"<td>{esc(detail_text(k, post.get(k)))}</td></tr>"
        for k in extra
    )
    return (
        "<details><summary>Analysis details (what was found on the screen)</summary>"
        "<table><tr><th></th><th class='pre'>Pre-clip</th>"
        f"<th class='post'>Post-clip</th></tr>{detail}</table></details>"
    )


def settings_html(c: Comparison) -> str:
    """The "Acquisition settings" table of both clips, then the analysis details."""
    pre, post = settings_of(c.pre), settings_of(c.post)
    rows = _compared_rows(c) + _other_rows(pre, post)
    table = (
        "<table><tr><th>Setting</th><th class='pre'>Pre-clip</th>"
        "<th class='post'>Post-clip</th><th>Pre vs post</th></tr>" + "".join(rows) + "</table>"
    )
    return table + _details_html(pre, post)
