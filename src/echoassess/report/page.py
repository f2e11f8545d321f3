"""The report as one self-contained HTML page (:func:`render_html`).

Figures and animations are embedded as base64 data URIs; the CSS is inline;
there is no JavaScript and nothing is loaded from the network.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..errors import InvalidParameterError
from ._common import CAVEATS, area_text, class_badge, data_uri, esc, mime_type
from .sections import measurements_html, per_frame_html, post_teer_html
from .settings import settings_html

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["MAX_EMBEDDED_ANIMATION_BYTES", "render_html"]

#: Embed an animation in the HTML only when it is smaller than this (bytes);
#: larger ones are linked as files next to the report.
MAX_EMBEDDED_ANIMATION_BYTES = 6_000_000

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


def _headline(c: Comparison) -> str:
    unit = c.area_unit
    parts = [
        f"Maximal colour-jet area <b>{area_text(c.pre_max_jet_area, unit)}</b> before, "
        f"<b>{area_text(c.post_max_jet_area, unit)}</b> after the clip"
    ]
    if c.area_reduction is not None:
        if c.area_reduction_pct is not None:
            word = "reduction" if c.area_reduction >= 0 else "increase"
            parts.append(
                f": <b>{abs(c.area_reduction_pct):.0f}&nbsp;% {word}</b> "
                f"({area_text(abs(c.area_reduction), unit)})"
            )
    else:
        parts.append(": the reduction cannot be computed (see warnings)")
    text = "".join(parts) + "."
    if c.pre_class and c.post_class:
        same = c.pre_class == c.post_class
        text += f" ASE colour-jet area class: <b>{esc(c.pre_class)}</b>" + (
            " before and after." if same else f" → <b>{esc(c.post_class)}</b>."
        )
    return text


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
            f'aria-label="{esc(role)} frame {i}"><img src="{data_uri(data, mime)}" '
            f'alt="{esc(role)} frame {i} with the jet outlined">'
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
            tip += ", " + area_text(area, "cm2" if f.jet_area_cm2 is not None else "px", 2)
        steps.append(f'<label for="{fid}" class="{" ".join(cls)}" title="{esc(tip)}">{i}</label>')
    return (
        f'<div class="scrub scrub-{key}"><div class="view">{"".join(view)}</div>'
        f'<div class="steps">{"".join(steps)}</div>'
        '<div class="legend-steps"><span class="sys-key"></span> systolic frame '
        "&nbsp; <b>bold</b> = maximal frame &nbsp; frames are numbered from 0 (the "
        "scanner's counter shows the number + 1)</div></div>"
    )


def _plural_jets(n: int) -> str:
    return f"{n} jet{'s' if n != 1 else ''}"


def _top(c: Comparison) -> list[str]:
    """The page's head, title, headline and key numbers."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # forbid any network load, so a stray reference can never leak data
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data: 'self'; style-src 'unsafe-inline'\">",
        f"<title>MR colour-jet area: {esc(c.pre_label)} vs {esc(c.post_label)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Mitral regurgitation: colour-jet area before and after the clip</h1>",
        f'<p class="sub">Pre-clip: <span class="pre">{esc(c.pre_label)}</span> &nbsp;·&nbsp; '
        f'Post-clip: <span class="post">{esc(c.post_label)}</span></p>',
        f'<div class="headline">{_headline(c)}</div>',
        '<div class="kpis">',
        f'<div class="kpi"><div class="label">Pre-clip maximal jet area</div>'
        f'<div class="value pre">{area_text(c.pre_max_jet_area, c.area_unit)}</div>'
        f"<div>{class_badge(c.pre_class)} · {_plural_jets(c.pre_n_jets)}</div></div>",
        f'<div class="kpi"><div class="label">Post-clip maximal jet area</div>'
        f'<div class="value post">{area_text(c.post_max_jet_area, c.area_unit)}</div>'
        f"<div>{class_badge(c.post_class)} · {_plural_jets(c.post_n_jets)}</div></div>",
    ]
    if c.area_reduction is not None:
        pct = "n/a" if c.area_reduction_pct is None else f"{c.area_reduction_pct:.0f} %"
        parts.append(
            f'<div class="kpi"><div class="label">Reduction</div>'
            f'<div class="value">{esc(pct)}</div>'
            f"<div>{area_text(c.area_reduction, c.area_unit)} smaller"
            f"{'' if c.area_reduction >= 0 else ' (negative: the jet grew)'}</div></div>"
        )
    parts.append("</div>")
    return parts


def _warnings(c: Comparison) -> str:
    if c.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in c.warnings)
        return f'<div class="warn"><b>Read these numbers with care:</b><ul>{items}</ul></div>'
    return (
        '<div class="ok">Nyquist limit, frame rate and imaging depth match between '
        "the two clips, so the areas are comparable.</div>"
    )


def _img(figures: Mapping[str, bytes | Path], key: str, alt: str) -> str:
    data = figures[key]
    name = data.name if isinstance(data, Path) else f"{key}.png"
    return f'<img src="{data_uri(data, mime_type(name))}" alt="{esc(alt)}">'


def _body(c: Comparison, figures: Mapping[str, bytes | Path]) -> list[str]:
    """The overview figure, the measurements and the acquisition settings."""
    return [
        "<h2>Overview</h2>",
        "<figure>"
        + _img(
            figures,
            "comparison",
            "Comparison figure: maximal frames with the jets "
            "outlined, jet area over time and the pre/post maximal areas",
        )
        + "<figcaption>Top: the frame of largest jet area in each clip, each jet outlined with its "
        "area. Bottom left: jet area on every frame, aligned at the onset of systole (shaded; "
        "stars mark the maxima). Bottom right: maximal jet area over the ASE bands."
        "</figcaption></figure>",
        "<h2>Measurements</h2>",
        measurements_html(c),
        post_teer_html(c),
        "<h2>Acquisition settings</h2>",
        "<p>Colour-jet area changes with these settings; they should match between the two clips.</p>",
        settings_html(c),
    ]


def _animation(key: str, role: str, data: bytes | Path, stepped: bool) -> str:
    """One clip's animation, embedded when small enough, else linked by file name."""
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    name = data.name if isinstance(data, Path) else (f"{key}.webp" if data[:4] == b"RIFF" else f"{key}.gif")
    if size <= MAX_EMBEDDED_ANIMATION_BYTES:
        anim = (
            f'<img src="{data_uri(data, mime_type(name))}" alt="{esc(role)} clip '
            'playing, with the jet outlined">'
        )
    else:
        anim = (
            f'<a href="{esc(name)}">{esc(name)}</a> (too large to embed: '
            f"{size / 1e6:.1f} MB; open it from the report's folder)"
        )
    if stepped:
        anim = f"<details><summary>Play the clip (slowed 2×)</summary>{anim}</details>"
    return anim


def _segmentation(
    c: Comparison,
    animations: Mapping[str, bytes | Path],
    frame_steps: Mapping[str, Sequence[bytes]],
) -> list[str]:
    """The "Segmentation on every frame" section: frame steppers and animations."""
    if not (animations or frame_steps):
        return []
    parts = [
        "<h2>Segmentation on every frame</h2>",
        "<p>Each clip around the jet, with the detected jet outlined in white; the banner "
        "gives the frame, its time, the cardiac phase and the measured area (the maximal "
        "frame, shown first, is marked MAX). Click a frame number below an image, then use "
        "the arrow keys to step through the clip. Check that the outline follows the jet "
        "and not inflow, flow convergence or noise.</p>",
        '<div class="anims">',
    ]
    for key, role, res in (("pre", "Pre-clip", c.pre), ("post", "Post-clip", c.post)):
        if key not in animations and key not in frame_steps:
            continue
        parts.append(f'<figure><figcaption class="{key}">{esc(role)}</figcaption>')
        if key in frame_steps:
            parts.append(_stepper(key, role, frame_steps[key], res))
        if key in animations:
            parts.append(_animation(key, role, animations[key], key in frame_steps))
        parts.append("</figure>")
    parts.append("</div>")
    return parts


def _bottom(c: Comparison, notes: Sequence[str], created: _dt.datetime) -> list[str]:
    """Per-frame tables, caveats, analysis notes and the footer."""
    parts = [
        "<h2>Frame by frame</h2>",
        per_frame_html(c.pre, "Pre-clip"),
        per_frame_html(c.post, "Post-clip"),
    ]
    items = "".join(f"<li>{esc(t)}</li>" for t in CAVEATS)
    parts.append(f'<h2>Caveats</h2><div class="caveats"><ul>{items}</ul></div>')
    clip_warnings = [
        (role, w) for role, res in (("pre-clip", c.pre), ("post-clip", c.post)) for w in res.warnings
    ]
    if clip_warnings or notes:
        items = "".join(f"<li><b>{esc(r)}:</b> {esc(w)}</li>" for r, w in clip_warnings)
        items += "".join(f"<li>{esc(n)}</li>" for n in notes)
        parts.append(f"<h2>Analysis notes</h2><ul>{items}</ul>")
    algo = c.pre.algorithm_version or c.post.algorithm_version or "unknown"
    params = c.pre.params or c.post.params
    params_html = ""
    if params:
        params_html = (
            "<details><summary>Analysis parameters</summary><pre>"
            f"{esc(json.dumps(params, indent=2, default=str))}</pre></details>"
        )
    parts.append(
        f"<footer>echoassess {esc(__version__)} (algorithm {esc(algo)}) · report made "
        f"{esc(created.strftime('%Y-%m-%d %H:%M %Z').strip())} · This report holds no patient "
        f"identity: clips are named by file, series and UID suffix only.{params_html}</footer>"
    )
    parts.append("</main></body></html>")
    return parts


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
    parts = _top(c)
    parts.append(_warnings(c))
    parts += _body(c, figures)
    parts += _segmentation(c, animations or {}, frame_steps or {})
    parts += _bottom(c, notes, created)
    return "\n".join(parts)
