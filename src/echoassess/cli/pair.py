"""``echoassess compare`` and ``demo``: a pre/post pair into one report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import EchoAssessError, InvalidParameterError, printable
from ._app import alias, app, fail, guarded, parse_numbers, progress_printer, require_files

if TYPE_CHECKING:
    from ..report import ReportOutputs
    from ..workflows import ClipInputs

_ComparePre = Annotated[Path, typer.Argument(metavar="PRE", help="The pre-clip DICOM clip.")]
_ComparePost = Annotated[Path, typer.Argument(metavar="POST", help="The post-clip DICOM clip.")]
_CompareOut = Annotated[Path, typer.Option("--out", "-o", help="Folder for the report and tables.")]
_CompareAsJson = Annotated[
    bool, typer.Option("--json", help="Print the comparison as JSON instead of a table.")
]
_CompareAnimate = Annotated[
    bool, typer.Option("--animate/--no-animate", help="Write the animated overlays (GIF).")
]
_CompareNyquistCmS = Annotated[
    float | None,
    typer.Option(
        "--nyquist-cm-s",
        metavar="CM_S",
        help="Nyquist limit printed by the colour bar, cm/s (both clips; overrides "
        "the file, with a warning when they differ).",
    ),
]
_CompareNyquistAlias = Annotated[float | None, typer.Option("--nyquist", hidden=True)]
_CompareSpacingCm = Annotated[
    float | None,
    typer.Option(
        "--spacing-cm",
        metavar="CM",
        help="Pixel spacing in cm/px (both clips; overrides the file's calibration, "
        "with a warning when they differ).",
    ),
]
_CompareDepthCm = Annotated[
    float | None,
    typer.Option(
        "--depth-cm", metavar="CM", help="Imaging depth shown on screen (cm), for uncalibrated files."
    ),
]
_CompareView = Annotated[
    str,
    typer.Option("--view", metavar="auto|tte|tee", help="Transthoracic or transoesophageal (both clips)."),
]
_ComparePreAnnulus = Annotated[
    str | None,
    typer.Option(
        "--pre-annulus", metavar="X1,Y1,X2,Y2", help="Hint: the pre clip's annulus hinge points (pixels)."
    ),
]
_ComparePostAnnulus = Annotated[
    str | None,
    typer.Option(
        "--post-annulus",
        metavar="X1,Y1,X2,Y2",
        help="Hint: the post clip's annulus hinge points (pixels).",
    ),
]
_ComparePreLaPolygon = Annotated[
    str | None,
    typer.Option(
        "--pre-la-polygon",
        metavar="X1,Y1,...",
        help="The pre clip's LA outline on its max-jet frame (pixels).",
    ),
]
_ComparePostLaPolygon = Annotated[
    str | None,
    typer.Option(
        "--post-la-polygon",
        metavar="X1,Y1,...",
        help="The post clip's LA outline on its max-jet frame (pixels).",
    ),
]
_CompareSr = Annotated[
    bool,
    typer.Option(
        "--sr",
        help="Also write pre_sr.dcm and post_sr.dcm (DICOM Structured "
        "Reports; they carry the patient's identity).",
    ),
]

_DemoOut = Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")]
_DemoData = Annotated[
    Path | None,
    typer.Option("--data", help="Folder of pre/post clips (default: the clone's sample_data/)."),
]
_DemoAsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
_DemoAnimate = Annotated[
    bool, typer.Option("--animate/--no-animate", help="Write the animated overlays (GIF).")
]


def _report_outputs(outputs: ReportOutputs, as_json: bool) -> None:
    from ..report import summary_table

    if as_json:
        typer.echo(json.dumps(outputs.comparison.to_dict(), indent=2, default=str))
        return
    typer.echo(printable(summary_table(outputs.comparison)))
    typer.echo(printable(f"\nreport: {outputs.report}"))


def _pair_inputs(
    paths: tuple[Path, Path],
    annuli: tuple[str | None, str | None],
    la_polygons: tuple[str | None, str | None],
    *,
    nyquist_cm_s: float | None,
    spacing_cm: float | None,
    depth_cm: float | None,
    view: str,
) -> tuple[ClipInputs, ClipInputs]:
    """Each clip's inputs: the calibration, Nyquist limit and view given for both,
    the annulus and LA outline given for each."""
    from ..workflows import ClipInputs, UserCalibration, UserHints

    spacing = None if spacing_cm is None else (spacing_cm, spacing_cm)
    calibration = UserCalibration(spacing_cm=spacing, depth_cm=depth_cm)
    inputs = []
    for role, path, text, polygon in zip(("pre", "post"), paths, annuli, la_polygons, strict=True):
        ann = parse_numbers(text, 4, f"--{role}-annulus", "300,310,380,300")
        hints = UserHints(
            nyquist_cm_s=nyquist_cm_s,
            view=view,
            annulus=None if ann is None else (ann[:2], ann[2:]),
            la_polygon=polygon,  # validated (with the image size) by analyze_clip
        )
        inputs.append(ClipInputs(path, calibration, hints))
    return inputs[0], inputs[1]


@app.command("compare")
@guarded
def compare_cmd(
    pre: _ComparePre,
    post: _ComparePost,
    out: _CompareOut,
    as_json: _CompareAsJson = False,
    animate: _CompareAnimate = True,
    nyquist_cm_s: _CompareNyquistCmS = None,
    nyquist_alias: _CompareNyquistAlias = None,
    spacing_cm: _CompareSpacingCm = None,
    depth_cm: _CompareDepthCm = None,
    view: _CompareView = "auto",
    pre_annulus: _ComparePreAnnulus = None,
    post_annulus: _ComparePostAnnulus = None,
    pre_la_polygon: _ComparePreLaPolygon = None,
    post_la_polygon: _ComparePostLaPolygon = None,
    sr: _CompareSr = False,
) -> None:
    """Compare the MR colour-jet area of a pre-clip and a post-clip acquisition.

    Writes comparison.json, comparison.csv, frames.csv, the figures (PNG), the
    animated overlays (GIF) and report.html into OUT, and prints a summary.

    Exit status: 0 ok; 1 a clip cannot be read or analysed; 2 usage (bad option,
    missing path, unwritable OUT).
    """
    nyquist_cm_s = alias(nyquist_cm_s, nyquist_alias, "--nyquist-cm-s", "--nyquist")
    try:
        from ..report import check_out_dir
        from ..workflows import compare_files

        check_out_dir(out)
        require_files(pre, post)
        if depth_cm is not None and spacing_cm is not None:
            raise InvalidParameterError(None, "give either --depth-cm or --spacing-cm, not both")
        inputs = _pair_inputs(
            (pre, post),
            (pre_annulus, post_annulus),
            (pre_la_polygon, post_la_polygon),
            nyquist_cm_s=nyquist_cm_s,
            spacing_cm=spacing_cm,
            depth_cm=depth_cm,
            view=view,
        )
        outputs = compare_files(*inputs, out, animate=animate, sr=sr, progress=progress_printer(as_json))
    except EchoAssessError as err:
        fail(err)
    _report_outputs(outputs, as_json)
    if sr and not as_json:
        typer.echo(
            printable(
                f"structured reports: {outputs.files['pre_sr']}, "
                f"{outputs.files['post_sr']} (they carry the patient's identity)"
            )
        )


@app.command()
@guarded
def demo(
    out: _DemoOut = Path("demo-out"),
    data: _DemoData = None,
    as_json: _DemoAsJson = False,
    animate: _DemoAnimate = True,
) -> None:
    """Run the pre/post comparison on the sample clips and write the report into OUT."""
    from ..workflows import run_demo

    try:
        outputs = run_demo(out, data_dir=data, animate=animate, progress=progress_printer(as_json))
    except EchoAssessError as err:
        fail(err)
    _report_outputs(outputs, as_json)
    if not as_json:
        typer.echo(printable("open it in a browser, e.g.  xdg-open " + str(outputs.report)))
