"""``echoassess info``: what a clip holds (frames, timing, calibration, device)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EchoAssessError, printable
from ._app import app, fail, guarded, require_files


@app.command()
@guarded
def info(
    clip_path: Annotated[Path, typer.Argument(metavar="FILE", help="A DICOM ultrasound clip.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    spacing_cm: Annotated[
        float | None, typer.Option("--spacing-cm", help="Pixel spacing in cm (overrides the file).")
    ] = None,
    depth_cm: Annotated[
        float | None,
        typer.Option("--depth-cm", help="Imaging depth shown on screen, for uncalibrated files."),
    ] = None,
) -> None:
    """Summarise a clip: frames, timing, calibration regions and device (no patient identity).

    Exit status: 0 ok; 1 the clip cannot be read; 2 usage (bad option, missing path).
    """
    from ..workflows import ClipInputs, UserCalibration, load

    try:
        require_files(clip_path)
        spacing = None if spacing_cm is None else (spacing_cm, spacing_cm)
        clip = load(ClipInputs(clip_path, UserCalibration(spacing_cm=spacing, depth_cm=depth_cm)))
    except EchoAssessError as err:
        fail(err)
    summary = clip.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    typer.echo(printable(_format_summary(summary)))


def _format_summary(s: dict) -> str:
    lines = [f"{s['file']}"]

    def row(label: str, value: object) -> None:
        if value not in (None, "", []):
            lines.append(f"  {label:<18} {value}")

    row("device", " ".join(v for v in (s["manufacturer"], s["model"]) if v))
    row("acquired", s["acquisition_datetime"])
    row("description", s["series_description"] or s["study_description"])
    row("frames", f"{s['frames']} x {s['rows']} x {s['columns']} px")
    row("encoding", f"{s['transfer_syntax']}, {s['photometric_interpretation']}")
    if s["frame_time_ms"]:
        row(
            "timing",
            f"{s['frame_time_ms']:.2f} ms/frame ({s['frame_rate_hz']:.1f} Hz, from {s['timing_source']})",
        )
    else:
        row("timing", "none in the file")
    row("heart rate", f"{s['heart_rate_bpm']:g} bpm" if s["heart_rate_bpm"] else None)
    if s["pixel_spacing_cm"]:
        dx, dy = s["pixel_spacing_cm"]
        row("pixel spacing", f"{dx:.5f} x {dy:.5f} cm/px ({s['calibration_source']})")
        if s.get("calibration_source") != "regions":
            row("calibration", s["calibration_note"])
    else:
        row("pixel spacing", f"uncalibrated: {s['calibration_note']}")
    row("imaging depth", f"{s['depth_cm']:.1f} cm" if s["depth_cm"] else None)
    row(
        "Nyquist limit",
        f"{s['nyquist_cm_s']:.1f} cm/s (from PRF and transducer frequency)" if s["nyquist_cm_s"] else None,
    )
    row("colour-flow box", s["colour_flow_region"])
    for k, region in enumerate(s["regions"], start=1):
        row(f"region {k}", region)
    return "\n".join(lines)
