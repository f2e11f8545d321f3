"""What every part of the report shares: the caveats and the small formatters."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from ..results import ASE_MILD_BELOW_CM2, ASE_SEVERE_ABOVE_CM2

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


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def area_text(value: float | None, unit: str, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f} cm²" if unit == "cm2" else f"{value:.0f} px"


def data_uri(data: bytes | Path, mime: str) -> str:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def mime_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {
        ".png": "image/png",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".svg": "image/svg+xml",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
    }.get(suffix, "application/octet-stream")


def class_badge(cls: str | None) -> str:
    if cls is None:
        return '<span class="badge none">no class</span>'
    return f'<span class="badge {cls}">{esc(cls)}</span>'


def value_text(v: Any, unit: str = "") -> str:
    if v is None or v == "":
        return "not recorded"
    if isinstance(v, float):
        v = f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v} {unit}".strip()
