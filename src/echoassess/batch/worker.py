"""The batch's worker: classify, load and analyse one file, never raising for a bad one.

:func:`process_file` runs wherever the executor puts it (this process, a
local worker process, a Dask worker) and gets only a path and the small,
picklable :class:`WorkerOptions`. It returns a JSON-ready record dict; the
PatientID is read here and only its salted hash leaves.

The stages, in order, each able to end the file's record:

1. ``read``: :func:`~echoassess.discover.sniff` the header; files that are
   not DICOM, DICOMDIR indexes and non-ultrasound objects are ``skipped``;
2. ``read``: load the clip (with the hints' calibration, when given);
3. ``analyse``: :func:`~echoassess.pipeline.analyze_clip` (no colour flow
   is ``skipped``, other errors ``failed``);
4. ``sr``: with ``sr_dir``, write the clip's DICOM SR;
5. with ``qc_out``, draw the QC picture of the maximal frame.

Examples
--------
>>> import tempfile, pathlib
>>> from echoassess.pipeline import AnalysisParams
>>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> _ = path.write_text("not an image")
>>> rec = process_file(str(path), WorkerOptions(params=AnalysisParams(), salt=b"s"))
>>> rec["status"], rec["kind"], rec["reason"]
('skipped', 'other', "not DICOM (no DICOM preamble ('DICM' marker))")
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import cohort, workflows
from ..discover import HeaderSniff, sniff
from ..errors import EchoAssessError, NoColourFlowError, printable
from ..pipeline import AnalysisParams
from .records import file_key

__all__ = ["SR_DIR", "WorkerOptions", "process_file", "crash_record"]

logger = logging.getLogger("echoassess")

#: Folder of the SRs under the batch's output folder.
SR_DIR = "sr"


@dataclass(frozen=True)
class WorkerOptions:
    """Everything a worker needs besides the file's path (small and picklable)."""

    params: AnalysisParams
    salt: bytes
    #: per-clip hints (:func:`echoassess.hints.read_hints`), when given
    hints: Any = None
    #: write one DICOM SR per analysed clip into this folder (as ``<key>.dcm``)
    sr_dir: str | None = None
    #: the batch's output folder when QC pictures are asked for (``--qc``)
    qc_out: str | None = None


def _empty_record() -> dict[str, Any]:
    return {
        "status": "failed",
        "kind": "clip",
        "stage": None,
        "reason": None,
        "error_type": None,
        "hint": None,
        "modality": None,
        "sop_class": None,
        "identifiers": {},
        "acquisition_datetime": None,
        "result": None,
    }


def process_file(path: str, options: WorkerOptions) -> dict[str, Any]:
    """Classify and analyse one file; never raises for a bad file.

    Reads the header, skips files that are not colour-Doppler ultrasound
    clips, loads the clip, hashes the PatientID with the salt, and runs
    :func:`echoassess.analyze_clip`.

    Parameters
    ----------
    path : str
        Absolute path of the file (paths travel to workers, never pixels).
    options : WorkerOptions

    Returns
    -------
    dict
        A JSON-ready record: ``status`` (``"ok"``, ``"failed"`` or
        ``"skipped"``), ``kind`` (``"clip"`` for ultrasound clips and files
        that claim to be, ``"other"`` otherwise), ``reason``, ``error_type``,
        ``stage``, anonymised ``identifiers``, ``result``
        (:meth:`ClipResult.to_dict`), ``seconds`` and ``peak_rss_mb``.
    """
    start = time.perf_counter()
    rec = _empty_record()
    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings quote header values
            _process(p, options, rec)
    except Exception as exc:  # a bug, not bad input: record it, keep the batch going
        # the traceback only at debug level, and the exception's text nowhere:
        # either may quote a header value (a patient's name or ID)
        logger.debug("internal error on %s\n%s", printable(p.name), traceback.format_exc())
        rec.update(
            status="failed",
            stage=rec["stage"] or "analyse",
            error_type=f"internal error ({type(exc).__name__})",
            reason=f"unexpected {type(exc).__name__} (a bug in echoassess)",
            hint="please report it with the traceback of `echoassess --debug check FILE`",
        )
    rec["seconds"] = round(time.perf_counter() - start, 4)
    rec["peak_rss_mb"] = _peak_rss_mb()
    return rec


def _process(p: Path, options: WorkerOptions, rec: dict[str, Any]) -> None:
    """The stages of :func:`process_file`; each fills ``rec`` and may end it."""
    rec["stage"] = "read"
    head = sniff(p)
    rec["modality"], rec["sop_class"] = head.modality, head.sop_class_name or head.sop_class_uid
    reason = _skip_reason(head)
    if reason is not None:
        rec.update(status="skipped", kind="other", stage=None, reason=reason)
        return
    loaded = _load(p, options, rec)
    if loaded is None:
        return
    clip, hint = loaded
    rec["stage"] = "analyse"
    try:
        result = workflows.analyse(clip, options.params, hints=workflows.inputs_from_hints(p, hint).hints)
    except NoColourFlowError as err:
        rec.update(status="skipped", stage=None, reason=f"no colour flow: {err.reason}")
        return
    except EchoAssessError as err:
        _record_error(rec, err)
        return
    if options.sr_dir is not None and not _write_sr(p, Path(options.sr_dir), clip, result, rec):
        return
    rec.update(status="ok", stage=None, result=result.to_dict())
    if options.qc_out is not None:
        rec["qc_png"] = _write_qc_png(p, Path(options.qc_out), clip, result)


def _skip_reason(head: HeaderSniff) -> str | None:
    """Why a file is no clip to analyse (not DICOM, a DICOMDIR, not ultrasound), or ``None``."""
    if head.kind == "not dicom":
        detail = head.detail or ""
        return detail if detail.startswith("empty") else f"not DICOM ({detail})"
    if head.kind == "dicomdir":
        return "DICOMDIR (file-set index; the files it lists are processed)"
    if head.kind == "dicom" and not head.is_ultrasound and (head.modality or head.sop_class_uid):
        # a header that states neither is no DICOM object anybody wrote: a damaged
        # file, which the loader reports as a failure
        what = ", ".join(
            v
            for v in (
                f"modality {head.modality}" if head.modality else None,
                head.sop_class_name or head.sop_class_uid,
            )
            if v
        )
        return f"not ultrasound ({what or 'no modality or SOP class'})"
    return None


def _load(p: Path, options: WorkerOptions, rec: dict[str, Any]) -> tuple[Any, Any] | None:
    """The clip and its hint (by file name, else by SOP Instance UID), with its keys in ``rec``.

    ``None`` (and the error in ``rec``) when the clip cannot be loaded.
    """
    table = options.hints
    hint = table.for_path(p) if table is not None else None
    try:
        clip = workflows.load(workflows.inputs_from_hints(p, hint))
        if hint is None and table is not None:
            hint = table.for_uid(clip.metadata.sop_instance_uid)
            if hint is not None and hint.load_kwargs():
                clip = workflows.load(workflows.inputs_from_hints(p, hint))
    except EchoAssessError as err:
        _record_error(rec, err)
        return None
    if hint is not None:
        rec["hints"] = hint.to_dict()
    md = clip.metadata
    patient_id = str(clip.read_header(include_patient_identity=True).get("PatientID", "") or "")
    rec["identifiers"] = {
        "patient_hash": cohort.patient_hash(patient_id, options.salt),
        "study_instance_uid": md.study_instance_uid,
        "series_instance_uid": md.series_instance_uid,
        "sop_instance_uid": md.sop_instance_uid,
        "series_number": md.series_number,
        "instance_number": md.instance_number,
        "manufacturer": md.manufacturer,
        "model": md.model,
        "heart_rate_bpm": md.heart_rate_bpm,
    }
    rec["acquisition_datetime"] = md.acquisition_datetime.isoformat() if md.acquisition_datetime else None
    return clip, hint


def _write_sr(p: Path, sr_dir: Path, clip: Any, result: Any, rec: dict[str, Any]) -> bool:
    """Write the clip's SR as ``sr_dir/<key>.dcm`` and note it in ``rec``; ``False`` on failure."""
    from ..dicom.sr import sr_uids, write_clip_sr

    rec["stage"] = "sr"
    try:
        sr = write_clip_sr(result, clip, sr_dir / f"{file_key(p)}.dcm")
    except EchoAssessError as err:
        _record_error(rec, err)
        return False
    md = clip.metadata
    rec["sr"] = {
        "file": f"{SR_DIR}/{sr.name}",
        **sr_uids(md.sop_instance_uid, md.study_instance_uid, result),
    }
    return True


def _write_qc_png(p: Path, qc_out: Path, clip: Any, result: Any) -> str:
    """Draw the QC picture of the clip's maximal frame; returns its file name."""
    from ..qc import clip_png
    from ..report import write_overlay_png
    from ..store import atomic_path

    png = clip_png(qc_out, file_key(p))
    png.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(png, keep_suffix=True) as tmp:
        write_overlay_png(clip, result, tmp, title=p.name)
    return png.name


def _record_error(rec: dict[str, Any], err: EchoAssessError) -> None:
    rec.update(status="failed", error_type=type(err).__name__, reason=err.reason, hint=err.hint)


def crash_record(reason: str) -> dict[str, Any]:
    """The record of a file whose worker died (or whose task was lost) while on it."""
    return {
        **_empty_record(),
        "stage": "worker",
        "error_type": "WorkerCrash",
        "reason": reason,
        "hint": "the file may crash the decoder or need more memory than a worker has",
        "seconds": None,
        "peak_rss_mb": None,
    }


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this worker process so far, in MiB.

    Linux: VmHWM of /proc/self/status. Not ``getrusage``'s ``ru_maxrss``,
    which survives exec and so reports the *parent's* size for a spawned
    worker.
    """
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return round(peak / scale, 1)
