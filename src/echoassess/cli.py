"""The ``echoassess`` command line.

Thin by design: each command parses its options, calls one library function
and writes or prints the result. Heavy imports happen inside the commands so
``echoassess --help`` is instant.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._version import __version__
from .errors import EchoAssessError, InvalidParameterError, printable

app = typer.Typer(
    name="echoassess",
    help="Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips.\n\n"
    "Exit status (every command): 0 ok; 1 some inputs failed (unreadable or "
    "unanalysable clips); 2 usage or environment (bad option, missing path, "
    "unwritable output).",
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
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show debug logging and the traceback of unexpected errors.")
    ] = False,
) -> None:
    """Measure mitral regurgitation colour-Doppler jet area from echo DICOM clips."""
    _configure_logging(logging.DEBUG if debug else logging.WARNING)
    if not debug:
        import warnings

        # pydicom's warnings quote header values (a patient's name or ID among
        # them); the library reports what matters through its log
        warnings.simplefilter("ignore")


class _StderrHandler(logging.StreamHandler):
    """The CLI's log handler: one line per message on the current stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))

    @property  # always today's sys.stderr (tests swap it)
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def _configure_logging(level: int) -> None:
    """Send the library's log to stderr at ``level`` (``--quiet`` raises it to ERROR)."""
    log = logging.getLogger("echoassess")
    handler = next((h for h in log.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        log.addHandler(handler)
    handler.setLevel(level)
    log.setLevel(min(level, logging.WARNING))


def _debug() -> bool:
    """Whether ``--debug`` was given (it set the CLI's log handler to DEBUG)."""
    log = logging.getLogger("echoassess")
    return any(isinstance(h, _StderrHandler) and h.level <= logging.DEBUG for h in log.handlers)


#: Exit status of every command (README "Exit status", and each command's --help).
EXIT_OK = 0
#: some inputs failed: a clip could not be read or analysed (batch: errors.csv has rows)
EXIT_INPUT_FAILED = 1
#: usage or environment: a bad option value, a missing input path, an output
#: that cannot be written, a missing optional package, an unreachable scheduler
EXIT_USAGE = 2

EXIT_CODES_HELP = (
    "Exit status: 0 ok; 1 some inputs failed (unreadable or unanalysable "
    "clips); 2 usage or environment (bad option, missing path, unwritable "
    "output)."
)


def _exit_code(err: EchoAssessError) -> int:
    """The exit status for a project error: a problem of the inputs' content is 1,
    one of the command line or the environment is 2."""
    from .errors import DicomWebError, OutputError

    return (
        EXIT_USAGE
        if isinstance(err, (InvalidParameterError, OutputError, DicomWebError))
        else EXIT_INPUT_FAILED
    )


def _fail(err: EchoAssessError, code: int | None = None) -> None:
    typer.secho(f"error: {printable(str(err))}", fg=typer.colors.RED, err=True)
    raise typer.Exit(_exit_code(err) if code is None else code)


def _require_files(*paths: Path) -> None:
    """A missing input path is a usage error (exit 2), as in every command."""
    for path in paths:
        if not Path(path).exists():
            raise InvalidParameterError(path, "no such file", hint="check the path (see `echoassess --help`)")


def _is_cli_exception(exc: BaseException) -> bool:
    """An exception of the command-line framework (exit, abort, usage), which it
    handles itself. Recognised by module, not imported: typer >= 0.2x vendors
    click as ``typer._click`` and a plain ``pip install`` has no ``click``."""
    return any(
        (getattr(t, "__module__", "") or "").split(".")[0] in ("click", "typer") for t in type(exc).__mro__
    )


def _guarded(fn):
    """One error surface for every command: ``error: FILE: reason (hint)`` and exit 1
    for input problems; for anything unexpected one line and a pointer to
    ``--debug``, which re-raises it with its traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except EchoAssessError as err:
            _fail(err)
        except Exception as exc:
            if _is_cli_exception(exc) or _debug():
                raise
            # the exception's own text is not shown: it may quote a header value
            typer.secho(
                f"error: unexpected {type(exc).__name__} in `{fn.__name__.removesuffix('_cmd')}`"
                " (a bug; rerun with --debug for the traceback)",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(EXIT_INPUT_FAILED) from None

    return wrapper


def _output_file(path: Path | None, option: str, example: str) -> None:
    """Refuse an output file name that is an existing folder."""
    if path is not None and path.is_dir():
        raise InvalidParameterError(
            path,
            f"{option} is an existing folder, not a file name",
            hint=f"give a file, e.g. {option} {path / example}",
        )


@app.command()
@_guarded
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
    from .loading import load_clip

    try:
        _require_files(clip_path)
        clip = load_clip(clip_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
    except EchoAssessError as err:
        _fail(err)
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


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: typer.secho(printable(f"… {msg}"), err=True, fg=typer.colors.BRIGHT_BLACK)


def _report_outputs(outputs, as_json: bool) -> None:
    from .report import summary_table

    if as_json:
        typer.echo(json.dumps(outputs.comparison.to_dict(), indent=2, default=str))
        return
    typer.echo(printable(summary_table(outputs.comparison)))
    typer.echo(printable(f"\nreport: {outputs.report}"))


@app.command("compare")
@_guarded
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
    nyquist_cm_s: Annotated[
        float | None,
        typer.Option(
            "--nyquist-cm-s",
            metavar="CM_S",
            help="Nyquist limit printed by the colour bar, cm/s (both clips; overrides "
            "the file, with a warning when they differ).",
        ),
    ] = None,
    nyquist_alias: Annotated[float | None, typer.Option("--nyquist", hidden=True)] = None,
    spacing_cm: Annotated[
        float | None,
        typer.Option(
            "--spacing-cm",
            metavar="CM",
            help="Pixel spacing in cm/px (both clips; overrides the file's calibration, "
            "with a warning when they differ).",
        ),
    ] = None,
    depth_cm: Annotated[
        float | None,
        typer.Option(
            "--depth-cm", metavar="CM", help="Imaging depth shown on screen (cm), for uncalibrated files."
        ),
    ] = None,
    view: Annotated[
        str,
        typer.Option(
            "--view", metavar="auto|tte|tee", help="Transthoracic or transoesophageal (both clips)."
        ),
    ] = "auto",
    pre_annulus: Annotated[
        str | None,
        typer.Option(
            "--pre-annulus", metavar="X1,Y1,X2,Y2", help="Hint: the pre clip's annulus hinge points (pixels)."
        ),
    ] = None,
    post_annulus: Annotated[
        str | None,
        typer.Option(
            "--post-annulus",
            metavar="X1,Y1,X2,Y2",
            help="Hint: the post clip's annulus hinge points (pixels).",
        ),
    ] = None,
    pre_la_polygon: Annotated[
        str | None,
        typer.Option(
            "--pre-la-polygon",
            metavar="X1,Y1,...",
            help="The pre clip's LA outline on its max-jet frame (pixels).",
        ),
    ] = None,
    post_la_polygon: Annotated[
        str | None,
        typer.Option(
            "--post-la-polygon",
            metavar="X1,Y1,...",
            help="The post clip's LA outline on its max-jet frame (pixels).",
        ),
    ] = None,
    sr: Annotated[
        bool,
        typer.Option(
            "--sr",
            help="Also write pre_sr.dcm and post_sr.dcm (DICOM Structured "
            "Reports; they carry the patient's identity).",
        ),
    ] = False,
) -> None:
    """Compare the MR colour-jet area of a pre-clip and a post-clip acquisition.

    Writes comparison.json, comparison.csv, frames.csv, the figures (PNG), the
    animated overlays (GIF) and report.html into OUT, and prints a summary.

    Exit status: 0 ok; 1 a clip cannot be read or analysed; 2 usage (bad option,
    missing path, unwritable OUT).
    """
    from .report import write_comparison

    nyquist_cm_s = _alias(nyquist_cm_s, nyquist_alias, "--nyquist-cm-s", "--nyquist")
    hints = {
        k: v
        for k, v in (("nyquist_cm_s", nyquist_cm_s), ("spacing_cm", spacing_cm), ("depth_cm", depth_cm))
        if v is not None
    }
    if view != "auto":
        hints["view"] = view
    try:
        from .report import _check_out_dir

        _check_out_dir(out)
        _require_files(pre, post)
        if depth_cm is not None and spacing_cm is not None:
            raise InvalidParameterError(None, "give either --depth-cm or --spacing-cm, not both")
        per_clip = {}
        for role, text in (("pre", pre_annulus), ("post", post_annulus)):
            ann = _parse_numbers(text, 4, f"--{role}-annulus", "300,310,380,300")
            if ann is not None:
                per_clip[role] = {"annulus": (ann[:2], ann[2:])}
        for role, text in (("pre", pre_la_polygon), ("post", post_la_polygon)):
            if text is not None:  # validated (with the image size) by analyze_clip
                per_clip.setdefault(role, {})["la_polygon"] = text
        outputs = write_comparison(
            pre, post, out, animate=animate, progress=_progress(as_json), per_clip_hints=per_clip, **hints
        )
        if sr:
            from .dicom.sr import write_comparison_srs

            outputs.files.update(
                write_comparison_srs(
                    outputs.comparison,
                    pre,
                    post,
                    out,
                    **{k: v for k, v in hints.items() if k in ("spacing_cm", "depth_cm")},
                )
            )
    except EchoAssessError as err:
        _fail(err)
    _report_outputs(outputs, as_json)
    if sr and not as_json:
        typer.echo(
            printable(
                f"structured reports: {outputs.files['pre_sr']}, "
                f"{outputs.files['post_sr']} (they carry the patient's identity)"
            )
        )


@app.command()
@_guarded
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")] = Path("demo-out"),
    data: Annotated[
        Path | None,
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
        typer.echo(printable("open it in a browser, e.g.  xdg-open " + str(outputs.report)))


def _alias(value, old_value, name: str, old_name: str):
    """The value of an option given under its name or its old (hidden) alias."""
    if value is not None and old_value is not None and value != old_value:
        raise InvalidParameterError(
            None, f"{name} and {old_name} (its old name) disagree", hint=f"give {name} only"
        )
    return value if value is not None else old_value


def _parse_numbers(text: str | None, n: int, option: str, example: str) -> tuple[float, ...] | None:
    from .errors import InvalidParameterError

    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != n:
        raise InvalidParameterError(
            None, f"{option} {text!r} must be {n} comma-separated numbers", hint=f"e.g. {option} {example}"
        )
    return values


@app.command()
@_guarded
def check(
    clip_path: Annotated[Path, typer.Argument(metavar="CLIP", help="A colour-Doppler DICOM clip.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print ClipResult.to_dict() as JSON.")] = False,
    overlay: Annotated[
        Path | None,
        typer.Option("--overlay", metavar="PNG", help="Write the max frame with the jets outlined."),
    ] = None,
    masks: Annotated[
        Path | None,
        typer.Option("--masks", metavar="NPZ", help="Write the jet masks (key 'masks', T x H x W bool)."),
    ] = None,
    sr: Annotated[
        Path | None,
        typer.Option(
            "--sr",
            metavar="OUT.dcm",
            help="Write a DICOM Structured Report (TID 1500) of the result; "
            "it carries the clip's patient and study modules.",
        ),
    ] = None,
    nyquist: Annotated[
        float | None,
        typer.Option(
            "--nyquist-cm-s",
            metavar="CM_S",
            help="Nyquist limit shown on the colour bar, cm/s "
            "(overrides the file, with a warning when they differ).",
        ),
    ] = None,
    nyquist_alias: Annotated[float | None, typer.Option("--nyquist", hidden=True)] = None,
    depth_cm: Annotated[
        float | None,
        typer.Option(
            "--depth-cm", metavar="CM", help="Imaging depth shown on screen (cm), for uncalibrated files."
        ),
    ] = None,
    spacing_cm: Annotated[
        float | None,
        typer.Option(
            "--spacing-cm",
            metavar="CM",
            help="Pixel spacing in cm/px (overrides the file's calibration, "
            "with a warning when they differ).",
        ),
    ] = None,
    valve: Annotated[
        str | None,
        typer.Option("--valve", metavar="X,Y", help="Hint: a point on the mitral valve (pixels)."),
    ] = None,
    roi: Annotated[
        str | None, typer.Option("--roi", metavar="X0,Y0,X1,Y1", help="Hint: the left atrium (pixels).")
    ] = None,
    annulus: Annotated[
        str | None,
        typer.Option(
            "--annulus", metavar="X1,Y1,X2,Y2", help="Hint: the two mitral annulus hinge points (pixels)."
        ),
    ] = None,
    view: Annotated[
        str,
        typer.Option(
            "--view",
            metavar="auto|tte|tee",
            help="Transthoracic (atrium far from the probe) or transoesophageal "
            "(atrium under the probe); auto reads the file or the image.",
        ),
    ] = "auto",
    la_polygon: Annotated[
        str | None,
        typer.Option(
            "--la-polygon",
            metavar="X1,Y1,X2,Y2,...",
            help="The left atrium's outline on the max-jet frame "
            "(pixels, >= 3 points): replaces the automatic LA area.",
        ),
    ] = None,
) -> None:
    """Measure the MR colour-jet area of one clip and print a short summary.

    Exit status: 0 ok; 1 the clip cannot be read or analysed; 2 usage (bad option,
    missing path, unwritable output).
    """
    nyquist = _alias(nyquist, nyquist_alias, "--nyquist-cm-s", "--nyquist")
    try:
        _require_files(clip_path)
        if depth_cm is not None and spacing_cm is not None:
            raise InvalidParameterError(clip_path, "give either --depth-cm or --spacing-cm, not both")
        _output_file(overlay, "--overlay", "max.png")
        _output_file(masks, "--masks", "masks.npz")
        _output_file(sr, "--sr", "clip_sr.dcm")
        valve_xy = _parse_numbers(valve, 2, "--valve", "400,300")
        roi_xyxy = _parse_numbers(roi, 4, "--roi", "300,300,500,450")
        ann = _parse_numbers(annulus, 4, "--annulus", "300,310,380,300")
        from .loading import load_clip
        from .pipeline import analyze_clip

        clip = load_clip(clip_path, spacing_cm=spacing_cm, depth_cm=depth_cm)
        result = analyze_clip(
            clip,
            keep_masks=masks is not None,
            nyquist_cm_s=nyquist,
            depth_cm=depth_cm,
            valve_xy=valve_xy,
            roi_xyxy=roi_xyxy,
            annulus=None if ann is None else (ann[:2], ann[2:]),
            view=view,
            la_polygon=la_polygon,
        )
        if masks is not None:
            import numpy as np

            masks.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(masks, masks=result.masks)
        if overlay is not None:
            _write_overlay(clip, result, overlay)
        if sr is not None:
            from .dicom.sr import write_clip_sr

            write_clip_sr(result, clip, sr)
    except EchoAssessError as err:
        _fail(err)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(printable(_format_check(result, overlay=overlay, masks=masks, sr=sr)))


def _write_overlay(clip, result, path: Path) -> None:
    """The max frame (or the first, without a jet), cut to the imaging fan, jets outlined."""
    from .report import write_overlay_png

    write_overlay_png(clip, result, path)


def postteer_lines(pt) -> list[str]:
    from .postteer import summary_lines

    return summary_lines(pt)


def _format_check(r, *, overlay: Path | None, masks: Path | None, sr: Path | None = None) -> str:
    from .provenance import input_lines

    unit = r.area_unit
    n_sys = len(r.systolic_frames)
    lines = [f"{r.source}: {r.frames} frames (numbered from 0; the screen counts from 1), {n_sys} systolic"]
    if r.status == "cannot_measure":
        lines.append(f"  cannot measure: could not locate the mitral valve ({r.status_reason})")
        lines.append("  give a hint: --annulus X1,Y1,X2,Y2 (the two annulus hinge points) and --view tte|tee")
    elif r.max_frame is None or r.max_jet_area_px == 0:
        lines.append(
            f"  no regurgitant jet found ({r.status_reason})"
            if r.status_reason
            else "  no regurgitant jet found"
        )
    else:
        area = f"{r.max_jet_area_cm2:.2f} cm²" if unit == "cm2" else f"{r.max_jet_area_px} px (uncalibrated)"
        t = r.per_frame[r.max_frame].time_ms
        when = f"frame {r.max_frame} (screen {r.max_frame + 1}/{r.frames})" + (
            f", {t:.0f} ms" if t is not None else ""
        )
        lines.append(f"  max jet area   {area} at {when}")
        if r.jet_area_class:
            lines.append(
                f"  colour-jet class {r.jet_area_class} (ASE: < 4 mild, 4-10 moderate, > 10 severe cm²)"
            )
        jets = ", ".join(
            (f"{j.area_cm2:.2f} cm²" if j.area_cm2 is not None else f"{j.area_px} px")
            + f" at ({j.centroid_xy[0]:.0f}, {j.centroid_xy[1]:.0f})"
            for j in r.jets_at_max
        )
        lines.append(f"  jets at max    {r.n_jets_at_max}: {jets}")
        if r.mean_systolic_jet_area_cm2 is not None:
            lines.append(f"  mean systolic  {r.mean_systolic_jet_area_cm2:.2f} cm²")
        lines += postteer_lines(r.post_teer)
    s = r.settings
    nyq = f"{s['nyquist_cm_s']:.1f} cm/s" if s.get("nyquist_cm_s") else "not recorded"
    fr = f"{s['frame_rate_hz']:.1f} Hz" if s.get("frame_rate_hz") else "unknown"
    depth = f"{s['depth_cm']:.1f} cm" if s.get("depth_cm") else "not recorded"
    lines.append(f"  settings       Nyquist {nyq}, frame rate {fr}, depth {depth}")
    if r.pixel_spacing_cm:
        dx, dy = r.pixel_spacing_cm
        sp = f"{dx:.4g} cm/px" if dx == dy else f"{dx:.4g} x {dy:.4g} cm/px"
        lines.append(f"  calibration    {sp} ({r.calibration_source})")
    else:
        lines.append("  calibration    none: areas in pixels (give --spacing-cm or --depth-cm)")
    if s.get("annulus_xy"):
        (x1, y1), (x2, y2) = s["annulus_xy"]
        lines.append(
            f"  valve          {str(s.get('view', '')).upper()} ({s.get('view_source')}), "
            f"annulus ({x1:.0f}, {y1:.0f})-({x2:.0f}, {y2:.0f}) from {s.get('annulus_source')}"
        )
    for text in input_lines(r.user_inputs):
        lines.append(f"  user input     {text}")
    for w in r.warnings:
        lines.append(f"  warning: {w}")
    if overlay is not None:
        lines.append(f"  overlay -> {overlay}")
    if masks is not None:
        lines.append(f"  masks -> {masks}")
    if sr is not None:
        lines.append(f"  structured report -> {sr} (carries the patient's identity)")
    lines.append("  (colour-jet area only, not a full MR grade; it depends on machine settings)")
    return "\n".join(lines)


class _PlainProgress:
    """Progress as whole lines on stderr, for logs and pipes (no terminal to redraw
    a bar on, which would cut its last line to 80 columns): a line at every
    tenth of the files and one at the end."""

    def __init__(self) -> None:
        self._next = 0

    def __enter__(self) -> _PlainProgress:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __call__(self, p) -> None:
        step = max(1, p.total // 10)
        if p.file is not None and p.done < p.total and p.done < self._next:
            return
        self._next = p.done + step
        line = f"batch: {p.done}/{p.total} files · {p.ok} ok · {p.failed} failed · {p.skipped} skipped" + (
            f" · {p.reused} reused" if p.reused else ""
        )
        typer.echo(printable(line), err=True)


def _progress_display():
    """A live bar on a terminal, whole lines otherwise."""
    return _BatchBar() if sys.stderr.isatty() else _PlainProgress()


class _BatchBar:
    """A rich progress bar on stderr fed by run_batch's progress callback."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = None
        self._t0 = 0.0
        self._first = 0

    def __enter__(self) -> _BatchBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, p) -> None:
        import time

        counts = f"[green]{p.ok} ok[/] · [red]{p.failed} failed[/] · {p.skipped} skipped" + (
            f" · {p.reused} reused" if p.reused else ""
        )
        if self.task is None:
            self._t0, self._first = time.perf_counter(), p.done
            self.task = self.progress.add_task(
                "batch", total=p.total, completed=p.done, counts=counts, rate=""
            )
            return
        elapsed = time.perf_counter() - self._t0
        n = p.done - self._first
        rate = f"{60.0 * n / elapsed:.0f} files/min" if elapsed > 0 and n else ""
        self.progress.update(self.task, completed=p.done, counts=counts, rate=rate)


@app.command("batch")
@_guarded
def batch_cmd(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (results/, clips.csv, errors.csv, ...).")
    ],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="INPUT",
            help="Folders (walked recursively), DICOM files or DICOMDIRs (or none, with --dicomweb).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", min=1, help="Local worker processes (default: the CPU count)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run on this Dask distributed scheduler instead (extra 'distributed').",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo clips already analysed with the same settings.")
    ] = False,
    pairs: Annotated[
        Path | None,
        typer.Option(
            "--pairs", metavar="CSV", help="Manifest patient,pre,post (paths or SOP instance UIDs)."
        ),
    ] = None,
    pair_by: Annotated[
        str | None,
        typer.Option(
            "--pair-by",
            metavar="study-time",
            help="Pair each patient's earliest and latest colour-flow series.",
        ),
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            envvar="ECHOASSESS_SALT",
            help="Salt of the patient hash (default: OUT/salt.key, created once).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    log_json: Annotated[
        Path | None,
        typer.Option(
            "--log-json", metavar="FILE", help="Append one JSON line per event (start, each file, end)."
        ),
    ] = None,
    hints: Annotated[
        Path | None,
        typer.Option(
            "--hints",
            metavar="CSV",
            help="Per-clip hints: file or sop_instance_uid, view, annulus, nyquist_cm_s, spacing_cm, depth_cm.",
        ),
    ] = None,
    qc: Annotated[
        bool,
        typer.Option(
            "--qc",
            help="Quality control: per clip a cropped max-frame overlay "
            "PNG, per pair a report.html, and OUT/index.html.",
        ),
    ] = False,
    sr: Annotated[
        bool,
        typer.Option(
            "--sr",
            help="Write one DICOM Structured Report per analysed clip into "
            "OUT/sr/ (they carry the patient's identity).",
        ),
    ] = False,
    dicomweb: Annotated[
        str | None,
        typer.Option(
            "--dicomweb",
            metavar="URL",
            help="Read the studies from this DICOMweb server instead of INPUT "
            "(credentials: ECHOASSESS_DICOMWEB_USER/_PASSWORD or _TOKEN, or netrc).",
        ),
    ] = None,
    study: Annotated[
        list[str] | None,
        typer.Option("--study", metavar="UID", help="With --dicomweb: a Study Instance UID (repeatable)."),
    ] = None,
    accession: Annotated[
        str | None,
        typer.Option(
            "--accession",
            metavar="NUMBER",
            help="With --dicomweb and no --study: the studies with this accession number.",
        ),
    ] = None,
    study_date: Annotated[
        str | None,
        typer.Option(
            "--study-date",
            metavar="FROM-TO",
            help="With --dicomweb and no --study: studies in this date range (YYYYMMDD-YYYYMMDD).",
        ),
    ] = None,
    store: Annotated[
        bool, typer.Option("--store", help="With --dicomweb --sr: send each SR back to the server (STOW-RS).")
    ] = False,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache",
            metavar="DIR",
            help="With --dicomweb: where retrieved instances are kept (default OUT.dicomweb-cache beside OUT).",
        ),
    ] = None,
) -> None:
    """Analyse every colour-Doppler clip under INPUT... (or of studies on a DICOMweb server) and write tables into OUT.

    With --sr, one DICOM Structured Report per clip into OUT/sr/; with
    --dicomweb URL --study UID, the studies come from the server (QIDO-RS,
    WADO-RS) and --store sends the SRs back (STOW-RS).

    Resumable (rerun to finish or update), never stopped by a bad file. Exit
    status: 0 ok; 1 some inputs failed (see errors.csv; every other result is
    written); 2 usage or environment (bad option, missing path, malformed
    hints or manifest, unwritable OUT, unreachable scheduler).
    """
    import contextlib

    from .batch import run_batch

    if quiet and not _debug():
        _configure_logging(logging.ERROR)
    bar = contextlib.nullcontext(None) if quiet else _progress_display()
    web = None
    try:
        if dicomweb is None:
            if study or accession or study_date or store or cache:
                raise InvalidParameterError(
                    None, "--study, --accession, --study-date, --store and --cache need --dicomweb URL"
                )
            if not inputs:
                raise InvalidParameterError(
                    None, "no inputs given", hint="give folders or DICOM files, or --dicomweb URL --study UID"
                )
        elif inputs:
            raise InvalidParameterError(None, "give either INPUT... or --dicomweb, not both")
        with bar as progress:
            kwargs = dict(
                workers=workers,
                scheduler=scheduler,
                force=force,
                salt=salt,
                pairs=pairs,
                pair_by=pair_by,
                progress=progress,
                log_path=log_json,
                hints=hints,
                sr=sr,
                qc=qc,
            )
            if dicomweb is not None:
                from .dicom.web import run_dicomweb_batch

                web = run_dicomweb_batch(
                    dicomweb,
                    out,
                    studies=study or (),
                    accession_number=accession,
                    study_date=study_date,
                    store=store,
                    cache_dir=cache,
                    progress_message=None if quiet else _progress(False),
                    **kwargs,
                )
                outputs = web.batch
            else:
                outputs = run_batch(inputs, out, **kwargs)
    except EchoAssessError as err:
        _fail(err, EXIT_USAGE)  # per-file problems never raise: this is usage
    except KeyboardInterrupt:
        typer.secho(
            "interrupted: finished results are kept; rerun the same command to resume",
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(130) from None
    if not quiet:
        o = outputs
        if o.n_files == 0:
            typer.secho("warning: no files found under the inputs", fg=typer.colors.YELLOW, err=True)
        typer.echo(
            f"{o.n_files} files: {o.n_ok} clips analysed, {o.n_failed} failed, "
            f"{o.n_skipped} skipped ({o.n_reused} reused from earlier runs) "
            f"in {o.elapsed_s:.1f} s"
        )
        typer.echo(
            printable(
                f"tables: {o.clips_csv}, {o.errors_csv.name}, {o.skipped_csv.name}"
                + (f", {o.clips_parquet.name}" if o.clips_parquet else "")
            )
        )
        if o.comparisons_csv is not None:
            n_pairs = int((o.comparisons["status"] == "ok").sum())
            typer.echo(
                printable(
                    f"pairs: {n_pairs} compared -> {o.comparisons_csv}"
                    + (f", {o.cohort_figure.name}" if o.cohort_figure else "")
                )
            )
        if o.qc_index is not None:
            typer.echo(printable(f"quality control: {o.qc_index}"))
        if o.srs_csv is not None:
            typer.echo(
                printable(
                    f"structured reports: {len(o.srs)} in {o.out_dir / 'sr'} "
                    f"(listed in {o.srs_csv.name}; they carry the patient's identity)"
                )
            )
        if web is not None:
            typer.echo(
                printable(
                    f"DICOMweb: {len(web.studies)} study(ies) from {web.url}, "
                    f"{len(web.files)} ultrasound instance(s) cached in {web.cache_dir}"
                    + (f"; {len(web.stored)} SR(s) stored" if store else "")
                )
            )
        if len(o.errors):
            typer.secho(
                printable(f"{len(o.errors)} error(s): see {o.errors_csv}"), fg=typer.colors.YELLOW, err=True
            )
    raise typer.Exit(outputs.exit_code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except EchoAssessError as err:  # pragma: no cover - commands catch their own
        typer.secho(f"error: {printable(str(err))}", fg=typer.colors.RED, err=True)
        sys.exit(1)
