"""The ``echoassess`` command line.

Thin by design: each command parses its options, calls one library function
and writes or prints the result. Heavy imports happen inside the commands so
``echoassess --help`` is instant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._version import __version__
from .errors import EchoAssessError

app = typer.Typer(
    name="echoassess",
    help="Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"echoassess {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips."""


def _fail(err: EchoAssessError) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@app.command()
def info(
    clip_path: Annotated[Path, typer.Argument(metavar="FILE", help="A DICOM ultrasound clip.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    spacing_cm: Annotated[
        Optional[float], typer.Option("--spacing-cm", help="Pixel spacing in cm (overrides the file).")
    ] = None,
    depth_cm: Annotated[
        Optional[float],
        typer.Option("--depth-cm", help="Imaging depth shown on screen, for uncalibrated files."),
    ] = None,
) -> None:
    """Summarise a clip: frames, timing, calibration regions and device (no patient identity)."""
    from .io import load_clip

    try:
        clip = load_clip(clip_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    except EchoAssessError as err:
        _fail(err)
    summary = clip.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    typer.echo(_format_summary(summary))


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
        row("timing", f"{s['frame_time_ms']:.2f} ms/frame ({s['frame_rate_hz']:.1f} Hz, "
                      f"from {s['timing_source']})")
    else:
        row("timing", "none in the file")
    row("heart rate", f"{s['heart_rate_bpm']:g} bpm" if s["heart_rate_bpm"] else None)
    if s["pixel_spacing_cm"]:
        dx, dy = s["pixel_spacing_cm"]
        row("pixel spacing", f"{dx:.5f} x {dy:.5f} cm ({s['calibration_source']})")
    else:
        row("pixel spacing", f"uncalibrated: {s['calibration_note']}")
    row("colour-flow box", s["colour_flow_region"])
    for k, region in enumerate(s["regions"], start=1):
        row(f"region {k}", region)
    return "\n".join(lines)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: typer.secho(f"… {msg}", err=True, fg=typer.colors.BRIGHT_BLACK)


def _report_outputs(outputs, as_json: bool) -> None:
    from .report import summary_table

    if as_json:
        typer.echo(json.dumps(outputs.comparison.to_dict(), indent=2, default=str))
        return
    typer.echo(summary_table(outputs.comparison))
    typer.echo(f"\nreport: {outputs.report}")


@app.command("compare")
def compare_cmd(
    pre: Annotated[Path, typer.Argument(metavar="PRE", help="The pre-clip DICOM clip.")],
    post: Annotated[Path, typer.Argument(metavar="POST", help="The post-clip DICOM clip.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report and tables.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON instead of a table.")
    ] = False,
    animate: Annotated[
        bool, typer.Option("--animate/--no-animate", help="Write the animated overlays (GIF).")
    ] = True,
) -> None:
    """Compare the MR colour-jet area of a pre-clip and a post-clip clip.

    Writes comparison.json, comparison.csv, frames.csv, the figures (PNG), the
    animated overlays (GIF) and report.html into OUT, and prints a summary.
    """
    from .report import write_comparison

    try:
        outputs = write_comparison(pre, post, out, animate=animate,
                                   progress=_progress(as_json))
    except EchoAssessError as err:
        _fail(err)
    _report_outputs(outputs, as_json)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")] = Path(
        "demo-out"),
    data: Annotated[
        Optional[Path],
        typer.Option("--data", help="Folder of pre/post clips (default: the clone's sample_data/)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    animate: Annotated[
        bool, typer.Option("--animate/--no-animate", help="Write the animated overlays (GIF).")
    ] = True,
) -> None:
    """Run the pre/post comparison on the sample clips and write the report into OUT."""
    from .demo import run_demo

    try:
        outputs = run_demo(out, data_dir=data, animate=animate, progress=_progress(as_json))
    except EchoAssessError as err:
        _fail(err)
    _report_outputs(outputs, as_json)
    if not as_json:
        typer.echo("open it in a browser, e.g.  xdg-open " + str(outputs.report))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except EchoAssessError as err:  # pragma: no cover - commands catch their own
        typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)
        sys.exit(1)
