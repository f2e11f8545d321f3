"""Writing every output of a comparison into a folder (:func:`write_report`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidParameterError
from .figures import write_animations, write_figures
from .page import render_html

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..results import ClipResult

__all__ = ["ReportOutputs", "check_out_dir", "write_tables", "write_report"]

logger = logging.getLogger("echoassess")


@dataclass(frozen=True)
class ReportOutputs:
    """What :func:`write_report` wrote: the comparison and the path of each file."""

    comparison: Comparison
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def report(self) -> Path:
        return self.files["report"]


def check_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """``out_dir`` as a Path; it must be a folder or not exist yet.

    Raises
    ------
    echoassess.InvalidParameterError
        When it is an existing file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(
            out, "the output path exists and is not a folder", hint="give --out a new or existing folder"
        )
    return out


def _require_masks(res: ClipResult, role: str) -> np.ndarray:
    if res.masks is None:
        raise InvalidParameterError(
            res.source,
            f"write_report: the {role}-clip result kept no jet masks",
            hint="analyse with masks kept (echoassess.analyze_clip(..., keep_masks=True))",
        )
    return res.masks


def _check_frames(
    c: Comparison,
    pre_frames: np.ndarray | Sequence[np.ndarray],
    post_frames: np.ndarray | Sequence[np.ndarray],
) -> None:
    for role, res, frames in (("pre", c.pre, pre_frames), ("post", c.post, post_frames)):
        n_masks = 0 if res.masks is None else len(res.masks)
        if len(frames) != res.frames or n_masks != len(frames):
            raise InvalidParameterError(
                res.source,
                f"write_report: {len(frames)} {role}-clip frames but the result has "
                f"{res.frames} frames and {n_masks} masks",
            )


def write_tables(c: Comparison, out: Path) -> dict[str, Path]:
    """``comparison.json``, ``comparison.csv`` and ``frames.csv`` (both clips' frames)."""
    import pandas as pd

    from ..tables import tidy

    files: dict[str, Path] = {}
    files["json"] = out / "comparison.json"
    files["json"].write_text(json.dumps(c.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    files["csv"] = out / "comparison.csv"
    c.to_frame().to_csv(files["csv"], index=False)
    per_frame = pd.concat(
        [res.to_frame().assign(clip=role) for role, res in (("pre", c.pre), ("post", c.post))],
        ignore_index=True,
    )
    per_frame = per_frame[["clip", *[col for col in per_frame.columns if col != "clip"]]]
    per_frame["source"] = per_frame["source"].map(lambda s: Path(str(s)).name)
    files["frames_csv"] = out / "frames.csv"
    tidy(per_frame).to_csv(files["frames_csv"], index=False)
    return files


def _max_frame(res: ClipResult, frames: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    return np.asarray(frames[res.max_frame if res.max_frame is not None else 0])


def _uncut_notes(bounds: dict[str, tuple[int, int, int, int] | None]) -> list[str]:
    return [
        f"The {role}-clip file defines no imaging region, so its images are "
        "not cut to it: check them for text burned into the pixels (names, "
        "dates) before sharing this report."
        for role in ("pre", "post")
        if bounds[role] is None
    ]


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

    comparison.json, comparison.csv, frames.csv, the PNG figures, the animations and report.html.

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
    say = progress or (lambda msg: None)
    c = comparison
    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    masks = {"pre": _require_masks(c.pre, "pre"), "post": _require_masks(c.post, "post")}
    _check_frames(c, pre_frames, post_frames)
    frames = {"pre": pre_frames, "post": post_frames}
    bounds = {"pre": pre_bounds_xyxy, "post": post_bounds_xyxy}

    say("tables")
    files = write_tables(c, out)
    say("figures")
    notes = list(notes) + _uncut_notes(bounds)
    images = {"pre": _max_frame(c.pre, pre_frames), "post": _max_frame(c.post, post_frames)}
    bars = {"pre": pre_colour_bar, "post": post_colour_bar}
    files.update(write_figures(c, out, images, bounds=bounds, bars=bars))
    animations: dict[str, bytes] = {}
    steps: dict[str, list[bytes]] = {}
    if animate:
        say("animations")
        gifs, animations, steps = write_animations(c, out, frames, masks, bounds=bounds)
        files.update(gifs)

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
