"""One orchestration layer: analyse one clip, compare two, run the demo.

Every entry point of echoassess that goes from files to results (the
``check``, ``compare`` and ``demo`` commands, :mod:`echoassess.qc`'s pair
reports, the notebooks) goes through these functions, so a clip is opened
once and the user's inputs reach the analysis the same way everywhere.

What the user tells the analysis is explicit, in two small values:

* :class:`~echoassess.dicom.calibration.UserCalibration`: the pixel spacing
  ``(dx, dy)`` or imaging depth, used when the clip is loaded
  (:func:`echoassess.load_clip`);
* :class:`UserHints`: the Nyquist limit, view and geometric hints, used by
  :func:`echoassess.analyze_clip`.

:class:`ClipInputs` pairs a file with both. Nothing is split by keyword name:
a value given is a field, and every field reaches the step that needs it.

The data's path::

    ClipInputs --load--> EchoClip --analyse--> ClipResult        (check)
    2 x ClipInputs --analyse_pair--> PairAnalysis --write--> ReportOutputs   (compare, demo)

Examples
--------
>>> from echoassess.synthetic import SceneParams, generate_clip
>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "c.dcm")
>>> _ = generate_clip(SceneParams(rows=240, cols=320, n_frames=12), rng=1).save(path)
>>> done = analyse_file(ClipInputs(path, hints=UserHints(nyquist_cm_s=60.0)))
>>> str(done.result.status), done.result.acquisition.nyquist_source
('measured', 'user')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dicom.calibration import UserCalibration
from .errors import InvalidParameterError

if TYPE_CHECKING:
    import numpy as np

    from .anonymise import ImagingView
    from .compare import Comparison
    from .dicom import EchoClip
    from .hints import ClipHints
    from .pipeline import AnalysisParams
    from .report import ReportOutputs
    from .results import ClipResult

__all__ = [
    "UserCalibration",
    "UserHints",
    "ClipInputs",
    "ClipAnalysis",
    "inputs_from_hints",
    "PairAnalysis",
    "load",
    "analyse",
    "analyse_file",
    "check_file",
    "analyse_pair",
    "write_pair_report",
    "compare_files",
    "run_demo",
]

#: A progress callback: called with a short message before each step.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class UserHints:
    """What the user tells the analysis beyond the calibration.

    Attributes
    ----------
    nyquist_cm_s : float, optional
        The Nyquist limit printed by the colour bar (cm/s).
    view : {"auto", "tte", "tee"}
        Transthoracic or transoesophageal; ``"auto"`` reads the file or the image.
    annulus : ((x1, y1), (x2, y2)), optional
        The two mitral annulus hinge points (pixels).
    valve_xy : (x, y), optional
        A point on the mitral valve (pixels).
    roi_xyxy : (x0, y0, x1, y1), optional
        The left atrium (pixels): nothing outside it counts.
    la_polygon : "x1,y1,..." or sequence of (x, y), optional
        The left atrium's outline on the max-jet frame (pixels).

    Values are checked by :func:`echoassess.analyze_clip` (which knows the image size).
    """

    nyquist_cm_s: float | None = None
    view: str | None = "auto"
    annulus: Any = None
    valve_xy: tuple[float, float] | None = None
    roi_xyxy: tuple[float, float, float, float] | None = None
    la_polygon: Any = None


@dataclass(frozen=True)
class ClipInputs:
    """One DICOM clip and what the user says about it."""

    path: Path
    calibration: UserCalibration = field(default_factory=UserCalibration)
    hints: UserHints = field(default_factory=UserHints)

    def __init__(
        self,
        path: str | os.PathLike[str],
        calibration: UserCalibration | None = None,
        hints: UserHints | None = None,
    ) -> None:
        object.__setattr__(self, "path", Path(path))
        object.__setattr__(self, "calibration", calibration or UserCalibration())
        object.__setattr__(self, "hints", hints or UserHints())


@dataclass(frozen=True)
class ClipAnalysis:
    """A loaded clip and its result (:func:`analyse_file`), plus the files written
    for it (:func:`check_file`: ``"masks"``, ``"overlay"``, ``"sr"``)."""

    clip: EchoClip
    result: ClipResult
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class PairAnalysis:
    """A pre/post comparison and what the report draws (:func:`analyse_pair`).

    Attributes
    ----------
    comparison : Comparison
        Both results keep their jet masks.
    clips : (EchoClip, EchoClip)
        The pre and post clips as loaded.
    frames : ((T, H, W, 3) uint8, (T, H, W, 3) uint8)
        Each clip's frames with everything outside its imaging view blacked out.
    views : (ImagingView, ImagingView)
        What of each screen is image (box, colour bar).
    notes : tuple of str
        What the images show, for the report's "Analysis notes".
    """

    comparison: Comparison
    clips: tuple[EchoClip, EchoClip]
    frames: tuple[np.ndarray, np.ndarray]
    views: tuple[ImagingView, ImagingView]
    notes: tuple[str, ...] = ()


def inputs_from_hints(path: str | os.PathLike[str], hint: ClipHints | None) -> ClipInputs:
    """A clip's inputs from its row of a batch hints file (:mod:`echoassess.hints`).

    >>> from echoassess.hints import ClipHints
    >>> inputs_from_hints("a.dcm", ClipHints(view="tee", depth_cm=14.0))
    ClipInputs(path=PosixPath('a.dcm'), calibration=UserCalibration(spacing_cm=None, depth_cm=14.0), \
hints=UserHints(nyquist_cm_s=None, view='tee', annulus=None, valve_xy=None, roi_xyxy=None, la_polygon=None))
    """
    if hint is None:
        return ClipInputs(path)
    return ClipInputs(
        path,
        UserCalibration(
            spacing_cm=None if hint.spacing_cm is None else (hint.spacing_cm, hint.spacing_cm),
            depth_cm=hint.depth_cm,
        ),
        UserHints(nyquist_cm_s=hint.nyquist_cm_s, view=hint.view or "auto", annulus=hint.annulus),
    )


def _inputs(value: ClipInputs | str | os.PathLike[str]) -> ClipInputs:
    return value if isinstance(value, ClipInputs) else ClipInputs(value)


# -- one clip ---------------------------------------------------------------------
def load(inputs: ClipInputs | str | os.PathLike[str]) -> EchoClip:
    """Open a clip with the user's calibration (:func:`echoassess.load_clip`);
    the clip keeps it (``clip.user_calibration``)."""
    from .loading import load_clip

    inputs = _inputs(inputs)
    cal = inputs.calibration
    return load_clip(inputs.path, spacing_cm=cal.spacing_cm, depth_cm=cal.depth_cm)


def analyse(
    clip: EchoClip,
    params: AnalysisParams | None = None,
    *,
    hints: UserHints | None = None,
    keep_masks: bool = False,
) -> ClipResult:
    """Measure a clip opened by :func:`load` (:func:`echoassess.analyze_clip`).

    The calibration travels with the clip; ``hints`` go to the analysis. A depth
    the user gave that did not calibrate the clip (the file has its own scale)
    is handed to the analysis too, which names it and warns when it disagrees
    with the file's (the clip is not opened again).
    """
    from . import pipeline

    h = hints or UserHints()
    user = clip.user_calibration
    # a depth the file's own calibration overrides is handed over so that the result names
    # it; the clip already carries it, so analyze_clip does not open the file again
    unnamed = user if user.depth_cm is not None and clip.user_depth_cm is None else UserCalibration()
    return pipeline.analyze_clip(
        clip,
        params,
        keep_masks=keep_masks,
        spacing_cm=unnamed.spacing_cm,
        depth_cm=unnamed.depth_cm,
        nyquist_cm_s=h.nyquist_cm_s,
        annulus=h.annulus,
        view=h.view,
        valve_xy=h.valve_xy,
        roi_xyxy=h.roi_xyxy,
        la_polygon=h.la_polygon,
    )


def analyse_file(
    inputs: ClipInputs | str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    keep_masks: bool = False,
) -> ClipAnalysis:
    """Open one clip (once) and measure it: :func:`load` then :func:`analyse`."""
    inputs = _inputs(inputs)
    clip = load(inputs)
    return ClipAnalysis(clip, analyse(clip, params, hints=inputs.hints, keep_masks=keep_masks))


def check_file(
    inputs: ClipInputs | str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    masks_path: str | os.PathLike[str] | None = None,
    overlay_path: str | os.PathLike[str] | None = None,
    sr_path: str | os.PathLike[str] | None = None,
) -> ClipAnalysis:
    """What ``echoassess check`` does: measure one clip and write the files asked for.

    Parameters
    ----------
    inputs : ClipInputs or path
    params : AnalysisParams, optional
    masks_path : path, optional
        The jet masks as ``.npz`` (key ``masks``, ``(T, H, W)`` bool).
    overlay_path : path, optional
        The maximal frame, cut to the imaging fan, jets outlined (PNG).
    sr_path : path, optional
        A DICOM Structured Report of the result (it carries the patient's identity).

    Returns
    -------
    ClipAnalysis
        ``files`` holds the paths written.
    """
    done = analyse_file(inputs, params, keep_masks=masks_path is not None)
    files: dict[str, Path] = {}
    if masks_path is not None:
        import numpy as np

        files["masks"] = Path(masks_path)
        files["masks"].parent.mkdir(parents=True, exist_ok=True)
        assert done.result.masks is not None  # kept: keep_masks above
        np.savez_compressed(files["masks"], masks=done.result.masks)
    if overlay_path is not None:
        from .report import write_overlay_png

        files["overlay"] = write_overlay_png(done.clip, done.result, overlay_path)
    if sr_path is not None:
        from .dicom.sr import write_clip_sr

        files["sr"] = write_clip_sr(done.result, done.clip, sr_path)
    return ClipAnalysis(done.clip, done.result, files)


# -- two clips ---------------------------------------------------------------------
def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def analyse_pair(
    pre: ClipInputs | str | os.PathLike[str],
    post: ClipInputs | str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    progress: Progress | None = None,
) -> PairAnalysis:
    """Measure a pre-clip and a post-clip acquisition and compare them.

    Both files are opened first, so a bad path fails before any slow analysis.
    Each clip's frames are cut to its imaging view
    (:func:`echoassess.anonymise.imaging_view`), so that no image drawn from
    them shows text burned in around the fan.

    Raises
    ------
    echoassess.EchoAssessError
        When a clip cannot be read or analysed (the message names the file).
    """
    from .anonymise import describe, imaging_view
    from .compare import compare

    roles = ("pre", "post")
    inputs = (_inputs(pre), _inputs(post))
    clips = (load(inputs[0]), load(inputs[1]))
    results = []
    for role, clip, given in zip(roles, clips, inputs, strict=True):
        _say(progress, f"analysing the {role}-clip acquisition {clip.path.name}")
        results.append(analyse(clip, params, hints=given.hints, keep_masks=True))
    for k in (0, 1):
        shared = _with_shared_view(results[k], results[1 - k], clips[k], inputs[k], roles[1 - k], params)
        if shared is not None:
            _say(progress, f"analysing the {roles[k]}-clip acquisition again as {shared.diagnostics.view}")
            results[k] = shared
    frames, views = [], []
    for clip, res in zip(clips, results, strict=True):
        raw = clip.read_frames()
        view = imaging_view(raw, clip=clip, result=res, masks=res.masks)
        frames.append(view.blank(raw))
        views.append(view)
    described = [describe(v) for v in views]
    if described[0] == described[1]:
        notes = [described[0]]
    else:
        notes = [f"{role.capitalize()}-clip: {d}" for role, d in zip(roles, described, strict=True)]
    return PairAnalysis(
        comparison=compare(results[0], results[1]),
        clips=clips,
        frames=(frames[0], frames[1]),
        views=(views[0], views[1]),
        notes=tuple(notes),
    )


def needs_shared_view(
    status: str, own_view: str | None, given_view: str | None, other_view: str | None
) -> bool:
    """Whether a clip (its ``status`` and the view it read) takes its pair's
    ``other_view``: it could not be measured without telling TTE from TEE, the
    user gave no view, and the other clip read one.

    >>> needs_shared_view("cannot_measure", None, None, "tee"), needs_shared_view("cannot_measure", None, "tte", "tee")
    (True, False)
    """
    return (
        status == "cannot_measure"
        and own_view is None
        and given_view in (None, "auto")
        and other_view in ("tte", "tee")
    )


def shared_view_note(view: str, other_role: str, read: str) -> tuple[str, str]:
    """``(source, warning)`` of a view (``"tte"``/``"tee"``) taken from the pair's
    ``other_role`` clip, whose own view came from ``read`` (its ``view_source``).

    >>> shared_view_note("tee", "pre", "file")[0]
    'the pre-clip acquisition (named in its file)'
    """
    how = {"user": "given by you", "file": "named in its file"}.get(read, read)
    if read.startswith("image (") and read.endswith(")"):
        how = f"its image: {read[len('image (') : -1]}"
    source = f"the {other_role}-clip acquisition ({how})"
    note = (
        "this clip alone could not tell a transthoracic from a transoesophageal view: "
        f"measured as {view.upper()}, the view of {source}"
    )
    return source, note


def _with_shared_view(
    res: ClipResult,
    other: ClipResult,
    clip: EchoClip,
    given: ClipInputs,
    other_role: str,
    params: AnalysisParams | None,
) -> ClipResult | None:
    """``res`` measured again with the view (TTE or TEE) read from the other
    acquisition of the pair, when ``res`` could not tell them apart and the
    user gave none: the pre- and post-clip acquisitions of one procedure come
    from one probe. The result says where its view came from; ``None`` when
    nothing changes or the clip still cannot be measured."""
    view = other.diagnostics.view
    if not needs_shared_view(str(res.status), res.diagnostics.view, given.hints.view, view):
        return None
    assert view is not None
    again = analyse(clip, params, hints=replace(given.hints, view=view), keep_masks=True)
    if again.status == "cannot_measure":
        return None
    source, note = shared_view_note(view, other_role, other.diagnostics.view_source or "")
    inputs = tuple(
        {**u, "text": f"view: {view.upper()}, from {source}"} if u.get("input") == "view" else u
        for u in again.user_inputs
    )
    return replace(
        again,
        diagnostics=replace(again.diagnostics, view_source=source),
        user_inputs=inputs,
        warnings=(*again.warnings, note),
    )


def write_pair_report(
    pair: PairAnalysis,
    out_dir: str | os.PathLike[str],
    *,
    animate: bool = True,
    notes: Sequence[str] = (),
    sr: bool = False,
    progress: Progress | None = None,
) -> ReportOutputs:
    """Write every output of :func:`analyse_pair` into ``out_dir``
    (:func:`echoassess.report.write_report`); with ``sr``, also ``pre_sr.dcm``
    and ``post_sr.dcm`` (DICOM Structured Reports, which carry the patient's identity)."""
    from .report import write_report

    pre_view, post_view = pair.views
    outputs = write_report(
        pair.comparison,
        out_dir,
        pre_frames=pair.frames[0],
        post_frames=pair.frames[1],
        pre_bounds_xyxy=pre_view.box,
        post_bounds_xyxy=post_view.box,
        pre_colour_bar=pre_view.colour_bar,
        post_colour_bar=post_view.colour_bar,
        animate=animate,
        notes=[*notes, *pair.notes],
        progress=progress,
    )
    if sr:
        from .dicom.sr import write_clip_sr

        c = pair.comparison
        for role, res, clip in (("pre", c.pre, pair.clips[0]), ("post", c.post, pair.clips[1])):
            outputs.files[f"{role}_sr"] = write_clip_sr(res, clip, outputs.out_dir / f"{role}_sr.dcm")
    return outputs


def compare_files(
    pre: ClipInputs | str | os.PathLike[str],
    post: ClipInputs | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    params: AnalysisParams | None = None,
    *,
    animate: bool = True,
    notes: Sequence[str] = (),
    sr: bool = False,
    progress: Progress | None = None,
) -> ReportOutputs:
    """What ``echoassess compare`` does: analyse a pre-clip and a post-clip
    DICOM clip, compare them and write every output into ``out_dir``.

    Parameters
    ----------
    pre, post : ClipInputs or path
        The two DICOM clips (same view, ideally same settings), each with the
        user's calibration and hints.
    out_dir : path
        Receives comparison.json, comparison.csv, frames.csv, comparison.png,
        pre_max_frame.png, post_max_frame.png, jet_area_time.png,
        area_change.png, pre_overlay.gif, post_overlay.gif and report.html.
    params : AnalysisParams, optional
    animate : bool
        Write the animated overlays (the slowest step).
    notes : sequence of str
        Added to the report's "Analysis notes".
    sr : bool
        Also write ``pre_sr.dcm`` and ``post_sr.dcm``.
    progress : callable, optional
        Called with a short message before each step.

    Returns
    -------
    ReportOutputs

    Raises
    ------
    echoassess.EchoAssessError
        When a clip cannot be read or analysed (the message names the file), or
        ``out_dir`` is an existing file.

    Examples
    --------
    >>> out = compare_files(ClipInputs("pre.dcm", UserCalibration(depth_cm=16)),
    ...                     "post.dcm", "report")  # doctest: +SKIP
    >>> out.comparison.area_reduction_pct, out.report  # doctest: +SKIP
    (71.0, PosixPath('report/report.html'))
    """
    from .report import check_out_dir

    check_out_dir(out_dir)
    pair = analyse_pair(pre, post, params, progress=progress)
    return write_pair_report(pair, out_dir, animate=animate, notes=notes, sr=sr, progress=progress)


# -- the demo ------------------------------------------------------------------------
def run_demo(
    out_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    patient: str | None = None,
    animate: bool = True,
    progress: Progress | None = None,
) -> ReportOutputs:
    """Compare the sample pre/post clips (:mod:`echoassess.demo`) and write the
    report into ``out_dir``: what ``echoassess demo`` does.

    Raises
    ------
    echoassess.InvalidParameterError
        When no sample data is found.
    """
    from .demo import default_sample_dir, find_pre_post, truth_notes

    if data_dir is None:
        data_dir = default_sample_dir()
        if data_dir is None:
            raise InvalidParameterError(
                "sample_data",
                "the sample clips were not found next to the package or in the working directory",
                hint="run from a clone of the echoassess repository, or pass --data DIR",
            )
    pre, post = find_pre_post(data_dir, patient=patient)
    return compare_files(pre, post, out_dir, animate=animate, notes=truth_notes(pre, post), progress=progress)
