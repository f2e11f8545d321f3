"""Batch analysis of study folders: resumable, error-isolated, local or on Dask.

:func:`run_batch` walks the inputs (:func:`echoassess.discover.find_files`),
sends each file's *path* to a worker running :func:`process_file`, and writes
one JSON record per file, atomically, under ``OUT/results/<key>.json`` as
soon as it comes back. The tables are rebuilt from those records at the end:

``clips.csv`` (and ``clips.parquet`` when pyarrow is installed)
    one row per ultrasound clip: the file's UIDs as they are (not anonymised)
    and the salted patient hash, settings, maximal jet area,
    jets, class, status and error;
``errors.csv``
    every failure with its reason (unreadable clips, worker crashes, pairs
    that cannot be compared);
``skipped.csv``
    every file that is not a colour-Doppler clip, with the reason (not DICOM,
    DICOMDIR index, not ultrasound, no colour flow);
``comparisons.csv`` and ``cohort.png``
    with pairing (see :mod:`echoassess.cohort`);
``sr/<key>.dcm`` and ``srs.csv``
    with ``sr=True``: one DICOM Structured Report per analysed clip
    (:mod:`echoassess.dicom.sr`) and their list (file, source and SR SOP Instance
    UIDs, status). Each SR carries its clip's patient and study modules, as a
    DICOM object for the PACS must; the tables never do.

Rerunning skips every file whose record was made from the same file (size
and modification time), the same :class:`~echoassess.pipeline.AnalysisParams`,
algorithm version and patient-hash salt; failed files are retried. A killed
run loses at most the files in flight.

Patient identity never leaves the worker: the PatientID is read there and only
its salted hash (HMAC-SHA256) is returned. The salt comes from ``salt=`` or
from ``OUT/salt.key``, created on first use; whoever holds it can test a
guessed PatientID against the hashes, so share the tables, not the salt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sys
import tempfile
import time
import traceback
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import cohort
from ._version import __version__
from .discover import FoundFile, check_inputs, find_files, sniff
from .errors import (
    EchoAssessError,
    InvalidParameterError,
    NoColourFlowError,
    OutputError,
    printable,
)
from .pipeline import ALGORITHM, AnalysisParams, analyze_clip
from .postteer import TABLE_COLUMNS, table_row
from .provenance import input_lines

__all__ = [
    "BatchOutputs",
    "BatchProgress",
    "WorkerOptions",
    "CLIP_COLUMNS",
    "TIMING_COLUMNS",
    "process_file",
    "run_batch",
    "file_key",
]

logger = logging.getLogger("echoassess")

RECORD_SCHEMA = 1
RESULTS_DIR = "results"
SR_DIR = "sr"
SALT_FILE = "salt.key"
_LOCK_FILE = ".batch.lock"

#: Columns that measure the run rather than the clip (differ between runs).
TIMING_COLUMNS = ("seconds", "peak_rss_mb")

#: The columns of clips.csv, in order.
CLIP_COLUMNS = (
    "file",
    "status",
    "reason",
    "error_type",
    "patient_hash",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
    "series_number",
    "instance_number",
    "manufacturer",
    "model",
    "frames",
    "frame_rate_hz",
    "frame_time_ms",
    "heart_rate_bpm",
    "pixel_spacing_x_cm",
    "pixel_spacing_y_cm",
    "calibration_source",
    "nyquist_cm_s",
    "colour_box_source",
    "colour_bar_source",
    "colour_map_variance",
    "measurement",
    "measurement_reason",
    "view",
    "annulus_source",
    "user_inputs",
    "area_unit",
    "max_jet_area_cm2",
    "max_jet_area_px",
    "max_frame",
    "n_jets",
    "jet_areas_cm2",
    "jet_area_class",
    "mean_systolic_jet_area_cm2",
    "warnings",
    "algorithm_version",
    "params_hash",
    *TIMING_COLUMNS,
    *TABLE_COLUMNS,
)
ERROR_COLUMNS = ("file", "stage", "error_type", "reason", "hint", "sop_instance_uid")
SR_COLUMNS = (
    "file",
    "measurement",
    "study_instance_uid",
    "sop_instance_uid",
    "sr_file",
    "sr_sop_instance_uid",
)
SKIPPED_COLUMNS = ("file", "reason", "modality", "sop_class")


# -- progress and outputs -------------------------------------------------------------
@dataclass(frozen=True)
class BatchProgress:
    """What a batch has done so far, passed to the ``progress`` callback.

    ``done`` counts every finished file (analysed, failed, skipped or reused
    from an earlier run) out of ``total``; ``file`` and ``status`` describe the
    file that just finished (``None`` in the first call).
    """

    total: int
    done: int
    ok: int
    failed: int
    skipped: int
    reused: int
    file: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class BatchOutputs:
    """The files a batch wrote and its tables.

    ``exit_code`` is 0 when nothing failed (skipped files are not failures)
    and 1 when ``errors`` has rows.
    """

    out_dir: Path
    clips_csv: Path
    errors_csv: Path
    skipped_csv: Path
    clips_parquet: Path | None
    comparisons_csv: Path | None
    cohort_figure: Path | None
    n_files: int
    n_ok: int
    n_failed: int
    n_skipped: int
    n_reused: int
    n_analysed: int
    clips: Any = field(repr=False)
    errors: Any = field(repr=False)
    skipped: Any = field(repr=False)
    comparisons: Any = field(default=None, repr=False)
    elapsed_s: float = 0.0
    #: with ``sr=True``: srs.csv and its table (one row per SR written)
    srs_csv: Path | None = None
    srs: Any = field(default=None, repr=False)
    #: ``index.html`` of the QC pictures (``qc=True``), else ``None``
    qc_index: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if len(self.errors) else 0


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


# -- the worker ------------------------------------------------------------------------
def process_file(path: str, options: WorkerOptions) -> dict[str, Any]:
    """Classify and analyse one file; never raises for a bad file.

    Runs in a worker process (local pool or Dask). Reads the header, skips
    files that are not colour-Doppler ultrasound clips, loads the clip, hashes
    the PatientID with the salt, and runs :func:`echoassess.analyze_clip`.

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
    rec: dict[str, Any] = {
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
    from .loading import load_clip

    rec["stage"] = "read"
    head = sniff(p)
    rec["modality"], rec["sop_class"] = head.modality, head.sop_class_name or head.sop_class_uid
    if head.kind == "not dicom":
        reason = head.detail if head.detail.startswith("empty") else f"not DICOM ({head.detail})"
        rec.update(status="skipped", kind="other", stage=None, reason=reason)
        return
    if head.kind == "dicomdir":
        rec.update(
            status="skipped",
            kind="other",
            stage=None,
            reason="DICOMDIR (file-set index; the files it lists are processed)",
        )
        return
    if head.kind == "dicom" and not head.is_ultrasound and (head.modality or head.sop_class_uid):
        # a header that states neither is no DICOM object anybody wrote: a damaged
        # file, which the loader below reports as a failure
        what = ", ".join(
            v
            for v in (
                f"modality {head.modality}" if head.modality else None,
                head.sop_class_name or head.sop_class_uid,
            )
            if v
        )
        rec.update(
            status="skipped",
            kind="other",
            stage=None,
            reason=f"not ultrasound ({what or 'no modality or SOP class'})",
        )
        return
    table = options.hints
    hint = table.for_path(p) if table is not None else None
    try:
        clip = load_clip(p, **(hint.load_kwargs() if hint else {}))
        if hint is None and table is not None:
            hint = table.for_uid(clip.metadata.sop_instance_uid)
            if hint is not None and hint.load_kwargs():
                clip = load_clip(p, **hint.load_kwargs())
    except EchoAssessError as err:
        _record_error(rec, err)
        return
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
    rec["stage"] = "analyse"
    try:
        result = analyze_clip(clip, options.params, **(hint.analysis_kwargs() if hint else {}))
    except NoColourFlowError as err:
        rec.update(status="skipped", stage=None, reason=f"no colour flow: {err.reason}")
        return
    except EchoAssessError as err:
        _record_error(rec, err)
        return
    if options.sr_dir is not None:
        from .dicom.sr import write_clip_sr

        rec["stage"] = "sr"
        key = file_key(p)
        try:
            sr = write_clip_sr(result, clip, Path(options.sr_dir) / f"{key}.dcm")
        except EchoAssessError as err:
            _record_error(rec, err)
            return
        from .dicom.sr import sr_uids

        rec["sr"] = {
            "file": f"{SR_DIR}/{sr.name}",
            **sr_uids(md.sop_instance_uid, md.study_instance_uid, result),
        }
    rec.update(status="ok", stage=None, result=result.to_dict())
    if options.qc_out is not None:
        from .qc import clip_png
        from .report import write_overlay_png

        png = clip_png(Path(options.qc_out), file_key(p))
        png.parent.mkdir(parents=True, exist_ok=True)
        tmp = png.with_name(f".{png.stem}.{os.getpid()}.tmp.png")
        try:
            write_overlay_png(clip, result, tmp, title=p.name)
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, png)
            rec["qc_png"] = png.name
        finally:
            tmp.unlink(missing_ok=True)


def _record_error(rec: dict[str, Any], err: EchoAssessError) -> None:
    rec.update(status="failed", error_type=type(err).__name__, reason=err.reason, hint=err.hint)


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


def _crash_record(reason: str) -> dict[str, Any]:
    return {
        "status": "failed",
        "kind": "clip",
        "stage": "worker",
        "error_type": "WorkerCrash",
        "reason": reason,
        "hint": "the file may crash the decoder or need more memory than a worker has",
        "modality": None,
        "sop_class": None,
        "identifiers": {},
        "acquisition_datetime": None,
        "result": None,
        "seconds": None,
        "peak_rss_mb": None,
    }


# -- executors -------------------------------------------------------------------------
Item = tuple[str, str]  # (key, absolute path)
OnRecord = Callable[[str, dict[str, Any]], None]


_MAIN_GUARD = ("the local worker processes die while starting",)
_MAIN_GUARD_HINT = (
    'a script that calls run_batch must do so under `if __name__ == "__main__":`, '
    "because each worker process re-imports the script"
)


def _ping() -> bool:
    return True


def _run_local(
    items: Sequence[Item],
    fn: Callable[[str, Any], dict[str, Any]],
    options: Any,
    workers: int,
    on_record: OnRecord,
) -> None:
    """Run ``fn(path, options)`` for every item on a local process pool.

    At most ``2 * workers`` files are in flight. When a worker dies (a
    segfault in a decoder, the kernel's OOM killer), every file then in flight
    is retried alone in a fresh one-process pool, so only the file that kills
    its worker again is recorded as crashed.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork-with-threads hazards; like Dask workers
    probe = ProcessPoolExecutor(1, mp_context=ctx)
    try:  # workers that die while starting would otherwise look like crashing files
        probe.submit(_ping).result()
    except BrokenProcessPool:
        raise InvalidParameterError(None, _MAIN_GUARD[0], hint=_MAIN_GUARD_HINT) from None
    finally:
        probe.shutdown(wait=True)
    queue: deque[Item] = deque(items)
    suspects: deque[Item] = deque()
    while queue or suspects:
        if suspects:  # one at a time, in one process replaced only when it dies
            ex = ProcessPoolExecutor(1, mp_context=ctx)
            try:
                while suspects:
                    item = suspects.popleft()
                    try:
                        rec = ex.submit(fn, item[1], options).result()
                    except BrokenProcessPool:
                        rec = _crash_record("the worker process died while reading this file")
                        ex.shutdown(wait=True)
                        ex = ProcessPoolExecutor(1, mp_context=ctx)
                    on_record(item[0], rec)
            finally:
                ex.shutdown(wait=True)
            continue
        n = max(1, min(workers, len(queue)))
        ex = ProcessPoolExecutor(n, mp_context=ctx)
        inflight: dict[Any, Item] = {}
        try:
            broken = False
            while (queue or inflight) and not broken:
                while queue and len(inflight) < 2 * n:
                    item = queue.popleft()
                    inflight[ex.submit(fn, item[1], options)] = item
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = inflight.pop(future)
                    try:
                        rec = future.result()
                    except BrokenProcessPool:
                        suspects.append(item)
                        broken = True
                        continue
                    on_record(item[0], rec)
            if broken:
                logger.warning(
                    "a worker process died; retrying the %d files it may have been reading one at a time",
                    len(suspects) + len(inflight),
                )
                suspects.extend(inflight.values())
                inflight.clear()
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            ex.shutdown(wait=True)


def _run_dask(
    items: Sequence[Item],
    fn: Callable[[str, Any], dict[str, Any]],
    options: Any,
    scheduler: str,
    on_record: OnRecord,
) -> None:
    """Run ``fn(path, options)`` for every item on an existing Dask cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InvalidParameterError(
            None,
            "scheduler= needs the 'distributed' package",
            hint="pip install 'echoassess[distributed]'",
        ) from None
    try:
        client = Client(scheduler, timeout="15s", set_as_default=False)
    except Exception as exc:
        raise InvalidParameterError(
            None,
            f"cannot connect to the Dask scheduler at {scheduler!r}: {type(exc).__name__}: {exc}",
            hint="give the address the scheduler prints, e.g. tcp://10.0.0.5:8786",
        ) from None
    token = uuid.uuid4().hex[:8]
    try:
        futures = {
            client.submit(fn, path, options, key=f"echoassess-{key}-{token}", pure=False): key
            for key, path in items
        }
        try:
            for future in as_completed(futures, loop=client.loop):
                key = futures.pop(future)
                try:
                    rec = future.result()
                except Exception as exc:  # KilledWorker, lost worker, ...
                    rec = _crash_record(f"the Dask task failed: {type(exc).__name__}: {exc}")
                on_record(key, rec)
                future.release()
        except BaseException:
            client.cancel(list(futures))
            raise
    finally:
        client.close()


# -- keys, records, resume --------------------------------------------------------------
def file_key(path: str | os.PathLike[str]) -> str:
    """The result key of a file: a hash of its absolute path (no names leak into file names).

    >>> len(file_key("/data/study/clip.dcm"))
    24
    """
    return hashlib.sha256(os.fsencode(Path(path).resolve())).hexdigest()[:24]


def _params_hash(params: AnalysisParams) -> str:
    text = json.dumps(params.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _fingerprint(params: AnalysisParams, salt: bytes, hints_digest: str = "") -> str:
    text = json.dumps(
        {
            "schema": RECORD_SCHEMA,
            "algorithm": ALGORITHM,
            "version": __version__,
            "params": params.to_dict(),
            "salt": hashlib.sha256(salt).hexdigest(),
            **({"hints": hints_digest} if hints_digest else {}),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


#: Mode of every file a batch writes (the salt excepted): rw-r--r--, like any table.
FILE_MODE = 0o644


def _atomic_write_bytes(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename over it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600; tables are as readable as compare's
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write_bytes(path, text.encode("utf-8"))


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def _reusable(rec: dict[str, Any] | None, fingerprint: str, stat: os.stat_result | None) -> bool:
    return (
        rec is not None
        and stat is not None
        and rec.get("fingerprint") == fingerprint
        and rec.get("size") == stat.st_size
        and rec.get("mtime_ns") == stat.st_mtime_ns
        and rec.get("status") in ("ok", "skipped")
    )


def _has_sr(rec: dict[str, Any] | None, out: Path) -> bool:
    """Whether a reusable record's SR exists (analysed clips only need one)."""
    if rec is None or rec.get("status") != "ok":
        return True
    info = rec.get("sr") or {}
    return bool(info.get("file")) and (out / info["file"]).is_file()


def _sr_table(found: Sequence[FoundFile], records: dict[str, dict[str, Any]]):
    import pandas as pd

    rows = []
    for f in found:
        rec = records.get(file_key(f.path) if not f.missing else _missing_key(f)) or {}
        info = rec.get("sr")
        if rec.get("status") != "ok" or not info:
            continue
        ids = rec.get("identifiers") or {}
        rows.append(
            {
                "file": printable(f.display),
                "measurement": (rec.get("result") or {}).get("status"),
                "study_instance_uid": ids.get("study_instance_uid"),
                "sop_instance_uid": ids.get("sop_instance_uid"),
                "sr_file": info.get("file"),
                "sr_sop_instance_uid": info.get("sop_instance_uid"),
            }
        )
    return pd.DataFrame(rows, columns=list(SR_COLUMNS))


def _load_salt(out: Path, salt: str | bytes | None) -> bytes:
    if salt is not None:
        value = salt.encode() if isinstance(salt, str) else bytes(salt)
        if not value:
            raise InvalidParameterError(None, "salt must not be empty")
        return value
    path = out / SALT_FILE
    if path.exists():
        value = path.read_text("ascii").strip().encode()
        if value:
            return value
    value = secrets.token_hex(32).encode()
    _atomic_write_bytes(path, value + b"\n", mode=0o600)
    return value


class _Lock:
    """An exclusive lock on the output folder, so two batches never write it at once."""

    def __init__(self, out: Path) -> None:
        self.path = out / _LOCK_FILE
        self._f: Any = None

    def __enter__(self) -> _Lock:
        self._f = open(self.path, "a+")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return self
        try:
            fcntl.flock(self._f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._f.close()
            raise InvalidParameterError(
                self.path.parent,
                "another batch is writing to this output folder",
                hint="wait for it to finish or choose another --out",
            ) from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)  # still held: nobody else can own it now
        self._f.close()


# -- tables ------------------------------------------------------------------------------
def _clip_row(f: FoundFile, rec: dict[str, Any]) -> dict[str, Any]:
    ids = rec.get("identifiers") or {}
    res = rec.get("result") or {}
    settings = res.get("settings") or {}
    spacing = res.get("pixel_spacing_cm") or [None, None]
    jets = res.get("jets_at_max") or []
    areas = [j.get("area_cm2") for j in jets]
    return {
        "file": printable(f.display),
        "status": rec.get("status"),
        "reason": rec.get("reason"),
        "error_type": rec.get("error_type"),
        "patient_hash": ids.get("patient_hash"),
        "study_instance_uid": ids.get("study_instance_uid"),
        "series_instance_uid": ids.get("series_instance_uid"),
        "sop_instance_uid": ids.get("sop_instance_uid"),
        "series_number": ids.get("series_number"),
        "instance_number": ids.get("instance_number"),
        "manufacturer": ids.get("manufacturer"),
        "model": ids.get("model"),
        "frames": res.get("frames"),
        "frame_rate_hz": settings.get("frame_rate_hz"),
        "frame_time_ms": res.get("frame_time_ms"),
        "heart_rate_bpm": ids.get("heart_rate_bpm"),
        "pixel_spacing_x_cm": spacing[0],
        "pixel_spacing_y_cm": spacing[1],
        "calibration_source": res.get("calibration_source"),
        "nyquist_cm_s": settings.get("nyquist_cm_s"),
        "colour_box_source": settings.get("colour_box_source"),
        "colour_bar_source": settings.get("colour_bar_source"),
        "colour_map_variance": settings.get("colour_map_variance"),
        "measurement": res.get("status") if res else None,
        "measurement_reason": (res.get("status_reason") or None) if res else None,
        "view": settings.get("view"),
        "annulus_source": settings.get("annulus_source"),
        "user_inputs": " | ".join(input_lines(res.get("user_inputs"))) or None,
        "area_unit": res.get("area_unit"),
        "max_jet_area_cm2": res.get("max_jet_area_cm2"),
        "max_jet_area_px": res.get("max_jet_area_px"),
        "max_frame": res.get("max_frame"),
        "n_jets": res.get("n_jets_at_max"),
        "jet_areas_cm2": ";".join(f"{a:.3f}" for a in areas if a is not None) or None,
        "jet_area_class": res.get("jet_area_class"),
        "mean_systolic_jet_area_cm2": res.get("mean_systolic_jet_area_cm2"),
        "warnings": " | ".join(res.get("warnings") or []) or None,
        "algorithm_version": rec.get("algorithm_version"),
        "params_hash": rec.get("params_hash"),
        "seconds": rec.get("seconds"),
        "peak_rss_mb": rec.get("peak_rss_mb"),
        **table_row(res),  # vena contracta, LA area, jet/LA ratio
    }


def duplicates(found: Sequence[FoundFile], records: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``{key: first file's display name}`` for every analysed file whose SOP
    Instance UID an earlier file (in walk order) already has: the same image
    twice (a copy, or a DICOMDIR listing a file also given directly)."""
    first: dict[str, str] = {}
    dup: dict[str, str] = {}
    for f in found:
        if f.missing:
            continue
        key = file_key(f.path)
        rec = records.get(key) or {}
        uid = (rec.get("identifiers") or {}).get("sop_instance_uid")
        if not uid or rec.get("status") != "ok":
            continue
        if uid in first:
            dup[key] = first[uid]
        else:
            first[uid] = printable(f.display)
    return dup


def _tables(
    found: Sequence[FoundFile], records: dict[str, dict[str, Any]], dup: dict[str, str] | None = None
):
    import pandas as pd

    from .tables import tidy

    dup = dup or {}
    clips, errors, skipped = [], [], []
    for f in found:
        key = file_key(f.path) if not f.missing else _missing_key(f)
        rec = records[key]
        if key in dup:
            reason = f"duplicate of {dup[key]} (same SOP Instance UID; the first is kept)"
            row = _clip_row(f, rec)
            kept = {
                c: row[c]
                for c in (
                    "file",
                    "patient_hash",
                    "study_instance_uid",
                    "series_instance_uid",
                    "sop_instance_uid",
                    "series_number",
                    "instance_number",
                    "manufacturer",
                    "model",
                )
            }
            clips.append({**dict.fromkeys(CLIP_COLUMNS), **kept, "status": "skipped", "reason": reason})
            skipped.append(
                {
                    "file": printable(f.display),
                    "reason": reason,
                    "modality": rec.get("modality"),
                    "sop_class": rec.get("sop_class"),
                }
            )
            continue
        if rec.get("kind") == "clip":
            clips.append(_clip_row(f, rec))
        if rec.get("status") == "failed":
            errors.append(
                {
                    "file": printable(f.display),
                    "stage": rec.get("stage"),
                    "error_type": rec.get("error_type"),
                    "reason": rec.get("reason"),
                    "hint": rec.get("hint"),
                    "sop_instance_uid": (rec.get("identifiers") or {}).get("sop_instance_uid"),
                }
            )
        elif rec.get("status") == "skipped":
            skipped.append(
                {
                    "file": printable(f.display),
                    "reason": rec.get("reason"),
                    "modality": rec.get("modality"),
                    "sop_class": rec.get("sop_class"),
                }
            )
    return (
        tidy(pd.DataFrame(clips, columns=list(CLIP_COLUMNS))),
        pd.DataFrame(errors, columns=list(ERROR_COLUMNS)),
        pd.DataFrame(skipped, columns=list(SKIPPED_COLUMNS)),
    )


def _missing_key(f: FoundFile) -> str:
    return "missing-" + hashlib.sha256(os.fsencode(f.path)).hexdigest()[:24]


def _write_csv(df: Any, path: Path) -> Path:
    _atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))
    return path


def _write_parquet(df: Any, path: Path) -> Path | None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- the batch -----------------------------------------------------------------------------
class _JsonLog:
    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        try:
            self._f = None if path is None else open(path, "a", encoding="utf-8")
        except OSError as exc:
            raise InvalidParameterError(
                path, f"cannot write the JSON log: {exc.strerror}", hint="give a file in an existing folder"
            ) from None

    def __call__(self, event: str, **fields: Any) -> None:
        if self._f is None:
            return
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            **fields,
        }
        self._f.write(json.dumps(entry, default=str) + "\n")
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


def run_batch(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    params: AnalysisParams | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    salt: str | bytes | None = None,
    pairs: str | os.PathLike[str] | None = None,
    pair_by: str | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
    log_path: str | os.PathLike[str] | None = None,
    hints: str | os.PathLike[str] | None = None,
    sr: bool = False,
    qc: bool = False,
) -> BatchOutputs:
    """Analyse every colour-Doppler clip under the inputs and write the tables.

    Parameters
    ----------
    inputs : iterable of path
        Folders (walked recursively), DICOM files or DICOMDIR files.
    out_dir : path
        Created when missing. Holds ``results/`` (one JSON record per file),
        the tables, ``salt.key`` (unless ``salt`` is given) and the cohort
        outputs. Never walked even when it lies inside an input.
    params : AnalysisParams, optional
        Analysis parameters; the defaults when ``None``.
    workers : int, optional
        Local worker processes (default: the CPUs this process may use).
        Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask distributed scheduler; the same work runs
        on its workers (which must see the files at the same paths).
    force : bool
        Re-analyse files even when an up-to-date record exists.
    salt : str or bytes, optional
        Salt of the patient hash; by default read from (or created in)
        ``out_dir/salt.key``.
    pairs : path, optional
        Manifest CSV with columns ``patient,pre,post`` (file paths, relative
        to the manifest's folder or absolute, or SOP instance UIDs).
    pair_by : {"study-time"}, optional
        Pair each patient's earliest and latest colour-flow series.
    progress : callable(BatchProgress), optional
        Called once before work starts and after every file.
    log_path : path, optional
        Append one JSON object per event (start, each file, end) to this file.
    hints : path, optional
        Per-clip hints CSV (:mod:`echoassess.hints`): view, annulus, Nyquist,
        spacing or depth, keyed by file name or SOP Instance UID.
    sr : bool
        Also write one DICOM Structured Report per analysed clip into
        ``out_dir/sr/`` and list them in ``srs.csv`` (:mod:`echoassess.dicom.sr`).
        Each SR carries its clip's patient and study modules.
    qc : bool
        Also write the quality-control pictures (:mod:`echoassess.qc`): per
        clip the maximal frame cut to the imaging fan with the jets outlined,
        per pair the compare report, and ``index.html`` linking them.

    Returns
    -------
    BatchOutputs

    Raises
    ------
    InvalidParameterError
        Bad arguments: a missing input, a malformed manifest, ``workers < 1``,
        both ``pairs`` and ``pair_by``, an unreachable scheduler, or an output
        folder that another batch is writing. Per-file problems never raise.
    """
    if getattr(sys.modules.get("__main__"), "__name__", "") == "__mp_main__":
        # a spawned worker is re-importing a script that calls run_batch at top level
        raise InvalidParameterError(
            None,
            "run_batch was called while a worker process was starting",
            hint=_MAIN_GUARD_HINT,
        )
    t0 = time.perf_counter()
    params = AnalysisParams() if params is None else params
    if not isinstance(params, AnalysisParams):
        raise InvalidParameterError(None, f"params must be an AnalysisParams, got {type(params).__name__}")
    if workers is None:
        workers = _default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError(None, f"workers must be a positive integer, got {workers!r}")
    if pairs is not None and pair_by is not None:
        raise InvalidParameterError(None, "give either pairs= (a manifest) or pair_by=, not both")
    if pair_by is not None and pair_by not in cohort.PAIR_BY:
        raise InvalidParameterError(
            None, f"pair_by must be one of {', '.join(cohort.PAIR_BY)}, got {pair_by!r}"
        )
    inputs = [Path(i) for i in inputs]
    if not inputs:
        raise InvalidParameterError(None, "no inputs given", hint="give folders or DICOM files")
    check_inputs(inputs)  # before anything is created in the output folder
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(out, "the output path exists and is not a folder")
    if pairs is not None and Path(pairs).is_dir():
        raise InvalidParameterError(
            pairs,
            "the pairs manifest is a folder, not a CSV file",
            hint="give the manifest file, e.g. --pairs manifest.csv",
        )
    if pairs is not None and not Path(pairs).exists():
        raise InvalidParameterError(pairs, "the pairs manifest does not exist")
    requests = cohort.read_manifest(pairs) if pairs is not None else None
    hints_table = None
    if hints is not None:
        from .hints import read_hints

        hints_table = read_hints(hints)  # a malformed file is a usage error, before anything runs

    try:
        return _run_batch_in(
            out,
            inputs,
            params,
            workers,
            scheduler,
            force,
            salt,
            pairs,
            pair_by,
            progress,
            log_path,
            requests,
            t0,
            hints_table,
            sr,
            qc,
        )
    except OSError as exc:
        # the inputs are read by the workers, which record their own failures:
        # an OSError here is the output folder (unwritable, full disk, ...)
        where = exc.filename if isinstance(exc.filename, str) else out
        raise OutputError(
            where,
            f"cannot write the batch output: {exc.strerror or type(exc).__name__}",
            hint="check the output folder's permissions and free space; rerun to resume",
        ) from None


def _run_batch_in(
    out,
    inputs,
    params,
    workers,
    scheduler,
    force,
    salt,
    pairs,
    pair_by,
    progress,
    log_path,
    requests,
    t0,
    hints_table=None,
    sr=False,
    qc=False,
) -> BatchOutputs:
    """The body of :func:`run_batch`, once the arguments are checked."""
    out.mkdir(parents=True, exist_ok=True)
    results_dir = out / RESULTS_DIR
    results_dir.mkdir(exist_ok=True)
    sr_dir = out / SR_DIR
    if sr:
        sr_dir.mkdir(exist_ok=True)
    jlog = _JsonLog(log_path)
    try:
        with _Lock(out):
            for stale in results_dir.glob(".*.tmp"):  # left by a killed run
                stale.unlink(missing_ok=True)
            salt_bytes = _load_salt(out, salt)
            extra = cohort.manifest_files(requests, Path(pairs).parent) if requests else []
            found = find_files([*inputs, *extra], exclude=[out])
            # a change to the hints file redoes the clips (conservative)
            fingerprint = _fingerprint(
                params, salt_bytes, hints_table.digest if hints_table is not None else ""
            )
            meta = {
                "schema": RECORD_SCHEMA,
                "fingerprint": fingerprint,
                "algorithm_version": ALGORITHM,
                "params_hash": _params_hash(params),
            }

            records: dict[str, dict[str, Any]] = {}
            todo: list[Item] = []
            stats: dict[str, os.stat_result | None] = {}
            n_reused = 0
            for f in found:
                if f.missing:
                    records[_missing_key(f)] = {
                        **_crash_record("listed in a DICOMDIR but not on disk"),
                        "stage": "discover",
                        "error_type": "MissingFile",
                        "hint": "the archive copy is incomplete",
                    }
                    continue
                key = file_key(f.path)
                try:
                    stats[key] = f.path.stat()
                except OSError:
                    stats[key] = None
                rec = None if force else _read_record(results_dir / f"{key}.json")
                if (
                    qc
                    and rec is not None
                    and rec.get("status") == "ok"
                    and not (rec.get("qc_png") and (out / "qc" / "clips" / rec["qc_png"]).exists())
                ):
                    rec = None  # analysed without its QC picture: redo it
                if _reusable(rec, fingerprint, stats[key]) and (not sr or _has_sr(rec, out)):
                    records[key] = rec
                    n_reused += 1
                else:
                    todo.append((key, str(f.path)))
            display = {file_key(f.path): printable(f.display) for f in found if not f.missing}
            counts = {"ok": 0, "failed": 0, "skipped": 0}
            for rec in records.values():
                counts[rec["status"]] += 1
            total = len(found)
            jlog(
                "start",
                version=__version__,
                algorithm=ALGORITHM,
                files=total,
                to_analyse=len(todo),
                reused=n_reused,
                executor=f"dask {scheduler}" if scheduler else f"local x{workers}",
            )
            if progress is not None:
                progress(
                    BatchProgress(
                        total, len(records), counts["ok"], counts["failed"], counts["skipped"], n_reused
                    )
                )

            def on_record(key: str, rec: dict[str, Any]) -> None:
                st = stats.get(key)
                rec.update(
                    meta,
                    key=key,
                    file=display[key],
                    size=None if st is None else st.st_size,
                    mtime_ns=None if st is None else st.st_mtime_ns,
                )
                _atomic_write_text(results_dir / f"{key}.json", json.dumps(rec, indent=1, default=str))
                records[key] = rec
                counts[rec["status"]] += 1
                jlog(
                    "file",
                    file=display[key],
                    status=rec["status"],
                    reason=rec.get("reason"),
                    seconds=rec.get("seconds"),
                )
                if progress is not None:
                    progress(
                        BatchProgress(
                            total,
                            len(records),
                            counts["ok"],
                            counts["failed"],
                            counts["skipped"],
                            n_reused,
                            display[key],
                            rec["status"],
                        )
                    )

            if todo:
                # largest files first: the last clips to finish are then short ones
                todo.sort(key=lambda item: -(getattr(stats.get(item[0]), "st_size", 0) or 0))
                options = WorkerOptions(
                    params=params,
                    salt=salt_bytes,
                    hints=hints_table,
                    sr_dir=str(sr_dir) if sr else None,
                    qc_out=str(out.resolve()) if qc else None,
                )
                if scheduler:
                    _run_dask(todo, process_file, options, scheduler, on_record)
                else:
                    _run_local(todo, process_file, options, workers, on_record)

            dup = duplicates(found, records)
            clips, errors, skipped = _tables(found, records, dup)
            comparisons = figure = comparisons_csv = None
            if requests is not None or pair_by is not None:
                # a duplicate never stands for a clip: its first copy does
                entries = [
                    cohort.Entry(
                        path=f.path,
                        display=printable(f.display),
                        record=(
                            {**records[file_key(f.path)], "duplicate_of": dup[file_key(f.path)]}
                            if file_key(f.path) in dup
                            else records[file_key(f.path)]
                        ),
                    )
                    for f in found
                    if not f.missing
                ]
                if requests is not None:
                    specs = cohort.pairs_from_manifest(requests, Path(pairs).parent, entries, salt_bytes)
                else:
                    specs = cohort.pairs_by_study_time(entries)
                comparisons, pair_errors, comps = cohort.compare_pairs(specs)
                if len(pair_errors):
                    import pandas as pd

                    errors = pd.concat([errors, pair_errors[list(ERROR_COLUMNS)]], ignore_index=True)
                comparisons_csv = _write_csv(comparisons, out / "comparisons.csv")
                figure = cohort.write_cohort_figure(comps, out / "cohort.png")
                if figure is not None:
                    os.chmod(figure, FILE_MODE)
            else:  # the outputs always describe this run: no pairing, no comparison files
                for name in ("comparisons.csv", "cohort.png"):
                    (out / name).unlink(missing_ok=True)
            index = None
            if qc:
                from . import qc as qc_mod

                reports = {}
                if comparisons is not None:
                    reports = qc_mod.write_pair_reports(
                        out, specs, comparisons, params=params, hints=hints_table
                    )
                pngs = {
                    printable(f.display): qc_mod.clip_png(out, file_key(f.path))
                    for f in found
                    if not f.missing
                    and file_key(f.path) not in dup
                    and (records.get(file_key(f.path)) or {}).get("qc_png")
                }
                index = qc_mod.write_index(out, clips, comparisons, clip_pngs=pngs, pair_reports=reports)
            else:
                (out / "index.html").unlink(missing_ok=True)  # describes an earlier --qc run
            clips_csv = _write_csv(clips, out / "clips.csv")
            errors_csv = _write_csv(errors, out / "errors.csv")
            skipped_csv = _write_csv(skipped, out / "skipped.csv")
            srs = srs_csv = None
            if sr:
                srs = _sr_table(found, records)
                srs_csv = _write_csv(srs, out / "srs.csv")
            else:
                (out / "srs.csv").unlink(missing_ok=True)
            parquet = _write_parquet(clips, out / "clips.parquet")
            if parquet is None:
                (out / "clips.parquet").unlink(missing_ok=True)  # never leave a stale one
            elapsed = time.perf_counter() - t0
            outputs = BatchOutputs(
                out_dir=out,
                clips_csv=clips_csv,
                errors_csv=errors_csv,
                skipped_csv=skipped_csv,
                clips_parquet=parquet,
                comparisons_csv=comparisons_csv,
                cohort_figure=figure,
                n_files=total,
                n_ok=counts["ok"],
                n_failed=counts["failed"],
                n_skipped=counts["skipped"],
                n_reused=n_reused,
                n_analysed=len(todo),
                clips=clips,
                errors=errors,
                skipped=skipped,
                comparisons=comparisons,
                elapsed_s=elapsed,
                srs_csv=srs_csv,
                srs=srs,
                qc_index=index,
            )
            jlog(
                "end",
                ok=counts["ok"],
                failed=counts["failed"],
                skipped=counts["skipped"],
                reused=n_reused,
                errors=len(errors),
                seconds=round(elapsed, 3),
            )
            return outputs
    finally:
        jlog.close()


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)
