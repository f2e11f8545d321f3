"""``echoassess check``: measure one clip and print a short summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import EchoAssessError, InvalidParameterError, printable
from ._app import alias, app, fail, guarded, output_file, parse_numbers, require_files

_ClipPath = Annotated[Path, typer.Argument(metavar="CLIP", help="A colour-Doppler DICOM clip.")]
_AsJson = Annotated[bool, typer.Option("--json", help="Print ClipResult.to_dict() as JSON.")]
_Overlay = Annotated[
    Path | None,
    typer.Option("--overlay", metavar="PNG", help="Write the max frame with the jets outlined."),
]
_Masks = Annotated[
    Path | None,
    typer.Option("--masks", metavar="NPZ", help="Write the jet masks (key 'masks', T x H x W bool)."),
]
_Sr = Annotated[
    Path | None,
    typer.Option(
        "--sr",
        metavar="OUT.dcm",
        help="Write a DICOM Structured Report (TID 1500) of the result; "
        "it carries the clip's patient and study modules.",
    ),
]
_Nyquist = Annotated[
    float | None,
    typer.Option(
        "--nyquist-cm-s",
        metavar="CM_S",
        help="Nyquist limit shown on the colour bar, cm/s "
        "(overrides the file, with a warning when they differ).",
    ),
]
_NyquistAlias = Annotated[float | None, typer.Option("--nyquist", hidden=True)]
_DepthCm = Annotated[
    float | None,
    typer.Option(
        "--depth-cm", metavar="CM", help="Imaging depth shown on screen (cm), for uncalibrated files."
    ),
]
_SpacingCm = Annotated[
    float | None,
    typer.Option(
        "--spacing-cm",
        metavar="CM",
        help="Pixel spacing in cm/px (overrides the file's calibration, with a warning when they differ).",
    ),
]
_Valve = Annotated[
    str | None,
    typer.Option("--valve", metavar="X,Y", help="Hint: a point on the mitral valve (pixels)."),
]
_Roi = Annotated[
    str | None, typer.Option("--roi", metavar="X0,Y0,X1,Y1", help="Hint: the left atrium (pixels).")
]
_Annulus = Annotated[
    str | None,
    typer.Option(
        "--annulus", metavar="X1,Y1,X2,Y2", help="Hint: the two mitral annulus hinge points (pixels)."
    ),
]
_View = Annotated[
    str,
    typer.Option(
        "--view",
        metavar="auto|tte|tee",
        help="Transthoracic (atrium far from the probe) or transoesophageal "
        "(atrium under the probe); auto reads the file or the image.",
    ),
]
_LaPolygon = Annotated[
    str | None,
    typer.Option(
        "--la-polygon",
        metavar="X1,Y1,X2,Y2,...",
        help="The left atrium's outline on the max-jet frame "
        "(pixels, >= 3 points): replaces the automatic LA area.",
    ),
]


@app.command()
@guarded
def check(
    clip_path: _ClipPath,
    as_json: _AsJson = False,
    overlay: _Overlay = None,
    masks: _Masks = None,
    sr: _Sr = None,
    nyquist: _Nyquist = None,
    nyquist_alias: _NyquistAlias = None,
    depth_cm: _DepthCm = None,
    spacing_cm: _SpacingCm = None,
    valve: _Valve = None,
    roi: _Roi = None,
    annulus: _Annulus = None,
    view: _View = "auto",
    la_polygon: _LaPolygon = None,
) -> None:
    """Measure the MR colour-jet area of one clip and print a short summary.

    Exit status: 0 ok; 1 the clip cannot be read or analysed; 2 usage (bad option,
    missing path, unwritable output).
    """
    nyquist = alias(nyquist, nyquist_alias, "--nyquist-cm-s", "--nyquist")
    try:
        require_files(clip_path)
        if depth_cm is not None and spacing_cm is not None:
            raise InvalidParameterError(clip_path, "give either --depth-cm or --spacing-cm, not both")
        output_file(overlay, "--overlay", "max.png")
        output_file(masks, "--masks", "masks.npz")
        output_file(sr, "--sr", "clip_sr.dcm")
        valve_xy = parse_numbers(valve, 2, "--valve", "400,300")
        roi_xyxy = parse_numbers(roi, 4, "--roi", "300,300,500,450")
        ann = parse_numbers(annulus, 4, "--annulus", "300,310,380,300")
        from ..workflows import ClipInputs, UserCalibration, UserHints, check_file

        hints = UserHints(
            nyquist_cm_s=nyquist,
            view=view,
            annulus=None if ann is None else (ann[:2], ann[2:]),
            valve_xy=None if valve_xy is None else (valve_xy[0], valve_xy[1]),
            roi_xyxy=None if roi_xyxy is None else (roi_xyxy[0], roi_xyxy[1], roi_xyxy[2], roi_xyxy[3]),
            la_polygon=la_polygon,
        )
        spacing = None if spacing_cm is None else (spacing_cm, spacing_cm)
        inputs = ClipInputs(clip_path, UserCalibration(spacing_cm=spacing, depth_cm=depth_cm), hints)
        done = check_file(inputs, masks_path=masks, overlay_path=overlay, sr_path=sr)
    except EchoAssessError as err:
        fail(err)
    if as_json:
        typer.echo(json.dumps(done.result.to_dict(), indent=2))
        return
    from ..report import clip_summary

    typer.echo(printable(clip_summary(done.result, overlay=overlay, masks=masks, sr=sr)))
