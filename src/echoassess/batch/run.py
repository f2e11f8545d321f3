"""run_batch: check the arguments, plan the files, run them, write the tables.

The data's path through a batch, one function each:

1. :func:`_check_arguments`: validate everything before the output folder is
   touched (a usage error creates nothing);
2. :func:`_plan`: one :class:`~echoassess.batch.records.FileRecord` per file
   found, reusing every up-to-date record; the rest is the work list;
3. the executor (:mod:`echoassess.batch.executors`) runs the worker
   (:func:`~echoassess.batch.worker.process_file`) on the work list and
   :class:`_Recorder` writes each record as it comes back;
4. :func:`_finish`: the tables (:mod:`echoassess.batch.tables`), the
   pairing and comparisons (:mod:`echoassess.cohort`), the QC pages and
   :class:`BatchOutputs`.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "notes.txt").write_text("not an image")
>>> out = run_batch([folder], folder / "out", executor="serial", salt="s")
>>> out.n_files, out.n_skipped, out.exit_code, list(out.skipped["reason"].str[:9])
(1, 1, 0, ['not DICOM'])
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import cohort
from .._version import __version__
from ..discover import FoundFile, check_inputs, find_files
from ..errors import InvalidParameterError, OutputError
from ..pipeline import ALGORITHM, AnalysisParams
from ..store import TEMP_GLOB
from .executors import MAIN_GUARD_HINT, Executor, Item, get_executor
from .outdir import JsonLog, OutputLock, load_salt
from .pairview import share_views
from .records import RECORD_SCHEMA, FileRecord, fingerprint, params_hash, read_record
from .tables import ERROR_COLUMNS, duplicates, sr_table, tables, write_csv, write_parquet
from .worker import SR_DIR, WorkerOptions, crash_record, process_file

__all__ = ["BatchOutputs", "BatchProgress", "run_batch", "RESULTS_DIR"]

logger = logging.getLogger("echoassess")

#: Folder of the per-file JSON records under the output folder.
RESULTS_DIR = "results"


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
    #: paired clips analysed again this run with their pair's view (TTE or TEE)
    n_shared_view: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if len(self.errors) else 0


@dataclass(frozen=True)
class _Job:
    """:func:`run_batch`'s arguments, checked."""

    out: Path
    inputs: list[Path]
    params: AnalysisParams
    executor: Executor
    force: bool
    salt: str | bytes | None
    pairs: Path | None
    pair_by: str | None
    #: the manifest's rows (with ``pairs``)
    requests: list[cohort.PairRequest] | None
    #: the hints table (:func:`echoassess.hints.read_hints`), with ``hints``
    hints: Any
    sr: bool
    qc: bool
    progress: Callable[[BatchProgress], None] | None
    log_path: str | os.PathLike[str] | None
    t0: float


def run_batch(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    params: AnalysisParams | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | str | None = None,
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
        Created when missing: ``results/`` (a JSON record per file), the tables,
        ``salt.key`` (unless ``salt`` is given). Never walked, even inside an input.
    params : AnalysisParams, optional
        Analysis parameters; the defaults when ``None``.
    workers : int, optional
        Local worker processes (default: the CPUs this process may use).
    scheduler : str, optional
        A running Dask scheduler's address; its workers must see the files at the same paths.
    executor : {"process", "serial", "dask"} or Executor, optional
        Where files are analysed (:mod:`echoassess.batch.executors`): local
        processes by default (Dask with ``scheduler``), ``"serial"`` in this
        process (no start-up cost, no crash isolation), or an Executor object.
    force : bool
        Re-analyse files even when an up-to-date record exists.
    salt : str or bytes, optional
        Salt of the patient hash; by default from (or created in) ``out_dir/salt.key``.
    pairs : path, optional
        Manifest CSV ``patient,pre,post`` (paths, relative to it, or SOP instance UIDs).
    pair_by : {"study-time"}, optional
        Pair each patient's earliest and latest colour-flow series.
    progress : callable(BatchProgress), optional
        Called once before work starts and after every file.
    log_path : path, optional
        Append one JSON object per event (start, each file, end) to this file.
    hints : path, optional
        Per-clip hints CSV (:mod:`echoassess.hints`).
    sr : bool
        Also write a DICOM SR per analysed clip into ``sr/`` and ``srs.csv`` (:mod:`echoassess.dicom.sr`).
    qc : bool
        Also write the quality-control pictures and ``index.html`` (:mod:`echoassess.qc`).

    Raises
    ------
    InvalidParameterError
        Bad arguments (a missing input, a malformed manifest, ``workers < 1``, an unreachable
        scheduler, ...) or an output folder another batch is writing; never for a bad file.
    OutputError
        The output folder cannot be written (rerun to resume).

    Returns
    -------
    BatchOutputs
    """
    _refuse_in_starting_worker()
    job = _check_arguments(t0=time.perf_counter(), **locals())  # all the arguments above
    try:
        return _run(job)
    except OSError as exc:
        raise _output_error(exc, job.out) from None


def _refuse_in_starting_worker() -> None:
    """Stop a spawned worker that is re-importing a script calling run_batch at top level."""
    if getattr(sys.modules.get("__main__"), "__name__", "") == "__mp_main__":
        raise InvalidParameterError(
            None, "run_batch was called while a worker process was starting", hint=MAIN_GUARD_HINT
        )


def _output_error(exc: OSError, out: Path) -> OutputError:
    """The usage error for an OSError while the batch runs.

    The inputs are read by the workers, which record their own failures: an
    OSError here is the output folder (unwritable, full disk, ...).
    """
    where = exc.filename if isinstance(exc.filename, str) else out
    return OutputError(
        where,
        f"cannot write the batch output: {exc.strerror or type(exc).__name__}",
        hint="check the output folder's permissions and free space; rerun to resume",
    )


def _check_arguments(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    params: AnalysisParams | None,
    workers: int | None,
    scheduler: str | None,
    executor: Executor | str | None,
    pairs: str | os.PathLike[str] | None,
    pair_by: str | None,
    hints: str | os.PathLike[str] | None,
    **rest: Any,
) -> _Job:
    """Validate :func:`run_batch`'s arguments before anything is written."""
    resolved = get_executor(executor, workers=workers, scheduler=scheduler)
    params = AnalysisParams() if params is None else params
    if not isinstance(params, AnalysisParams):
        raise InvalidParameterError(None, f"params must be an AnalysisParams, got {type(params).__name__}")
    if pairs is not None and pair_by is not None:
        raise InvalidParameterError(None, "give either pairs= (a manifest) or pair_by=, not both")
    if pair_by is not None and pair_by not in cohort.PAIR_BY:
        raise InvalidParameterError(
            None, f"pair_by must be one of {', '.join(cohort.PAIR_BY)}, got {pair_by!r}"
        )
    paths = [Path(i) for i in inputs]
    if not paths:
        raise InvalidParameterError(None, "no inputs given", hint="give folders or DICOM files")
    check_inputs(paths)  # before anything is created in the output folder
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidParameterError(out, "the output path exists and is not a folder")
    manifest = None if pairs is None else Path(pairs)
    if manifest is not None and manifest.is_dir():
        raise InvalidParameterError(
            pairs,
            "the pairs manifest is a folder, not a CSV file",
            hint="give the manifest file, e.g. --pairs manifest.csv",
        )
    if manifest is not None and not manifest.exists():
        raise InvalidParameterError(pairs, "the pairs manifest does not exist")
    requests = cohort.read_manifest(manifest) if manifest is not None else None
    hints_table = None
    if hints is not None:
        from ..hints import read_hints

        hints_table = read_hints(hints)  # a malformed file is a usage error, before anything runs
    return _Job(
        out=out,
        inputs=paths,
        params=params,
        pairs=manifest,
        pair_by=pair_by,
        requests=requests,
        hints=hints_table,
        executor=resolved,
        **rest,
    )


def _run(job: _Job) -> BatchOutputs:
    """The batch, once the arguments are checked: plan, analyse, write the tables."""
    out = job.out
    out.mkdir(parents=True, exist_ok=True)
    results_dir = out / RESULTS_DIR
    results_dir.mkdir(exist_ok=True)
    if job.sr:
        (out / SR_DIR).mkdir(exist_ok=True)
    jlog = JsonLog(job.log_path)
    try:
        with OutputLock(out):
            for stale in results_dir.glob(TEMP_GLOB):  # left by a killed run
                stale.unlink(missing_ok=True)
            salt = load_salt(out, job.salt)
            extra = (
                cohort.manifest_files(job.requests, job.pairs.parent) if job.requests and job.pairs else []
            )
            found = find_files([*job.inputs, *extra], exclude=[out])
            # a change to the hints file redoes the clips (conservative)
            fp = fingerprint(job.params, salt, job.hints.digest if job.hints is not None else "")
            files, todo, n_reused = _plan(job, found, fp)
            recorder = _Recorder(job, files, fp, n_reused, jlog)
            jlog(
                "start",
                version=__version__,
                algorithm=ALGORITHM,
                files=len(files),
                to_analyse=len(todo),
                reused=n_reused,
                executor=job.executor.description,
            )
            recorder.report()
            if todo:
                job.executor.run(todo, process_file, _options(job, salt), recorder)
            return _finish(job, recorder, salt, n_analysed=len(todo))
    finally:
        jlog.close()


def _plan(job: _Job, found: list[FoundFile], fp: str) -> tuple[dict[str, FileRecord], list[Item], int]:
    """Every file's record (earlier ones reused when up to date), the work list and the reuse count.

    The work list is sorted largest file first: the last to finish are then short ones.
    """
    files: dict[str, FileRecord] = {}
    todo: list[Item] = []
    n_reused = 0
    for f in found:
        file = FileRecord.from_found(f)
        if file.missing:
            files[file.key] = file.with_data(
                {
                    **crash_record("listed in a DICOMDIR but not on disk"),
                    "stage": "discover",
                    "error_type": "MissingFile",
                    "hint": "the archive copy is incomplete",
                }
            )
            continue
        earlier = None if job.force else read_record(job.out / RESULTS_DIR / f"{file.key}.json")
        candidate = file.with_data(earlier)
        if candidate.reusable(fp) and _has_extras(candidate, job):
            files[file.key] = candidate
            n_reused += 1
        else:
            files[file.key] = file
            todo.append((file.key, str(file.path)))
    todo.sort(key=lambda item: -(files[item[0]].size or 0))
    return files, todo, n_reused


def _has_extras(file: FileRecord, job: _Job) -> bool:
    """Whether an analysed clip's record has the QC picture and SR this run asks for."""
    if file.status != "ok":
        return True
    data = file.data or {}
    if job.qc and not (data.get("qc_png") and (job.out / "qc" / "clips" / data["qc_png"]).exists()):
        return False
    if job.sr:
        info = data.get("sr") or {}
        return bool(info.get("file")) and (job.out / info["file"]).is_file()
    return True


class _Recorder:
    """Takes each record as it comes back: completes it, writes it, counts it, reports it."""

    def __init__(
        self, job: _Job, files: dict[str, FileRecord], fp: str, n_reused: int, jlog: JsonLog
    ) -> None:
        self.job = job
        self.files = files
        self.jlog = jlog
        self.n_reused = n_reused
        self.meta = {
            "schema": RECORD_SCHEMA,
            "fingerprint": fp,
            "algorithm_version": ALGORITHM,
            "params_hash": params_hash(job.params),
        }
        self.counts = {"ok": 0, "failed": 0, "skipped": 0}
        self.done = 0
        for f in files.values():
            if f.data is not None:
                self.counts[f.data["status"]] += 1
                self.done += 1

    def __call__(self, key: str, rec: dict[str, Any]) -> None:
        file = self.files[key]
        rec.update(self.meta, key=key, file=file.display, size=file.size, mtime_ns=file.mtime_ns)
        file = self.files[key] = file.with_data(rec)
        file.write(self.job.out / RESULTS_DIR)
        self.counts[rec["status"]] += 1
        self.done += 1
        self.jlog(
            "file",
            file=file.display,
            status=rec["status"],
            reason=rec.get("reason"),
            seconds=rec.get("seconds"),
        )
        self.report(file)

    def report(self, file: FileRecord | None = None) -> None:
        """Call the progress callback (``file``: the file just finished)."""
        if self.job.progress is None:
            return
        c = self.counts
        self.job.progress(
            BatchProgress(
                len(self.files),
                self.done,
                c["ok"],
                c["failed"],
                c["skipped"],
                self.n_reused,
                None if file is None else file.display,
                None if file is None else file.status,
            )
        )


@dataclass(frozen=True)
class _Pairing:
    """The pairs of a batch run with ``pairs`` or ``pair_by``, and what was written of them."""

    specs: list[cohort.PairSpec]
    comparisons: Any
    errors: Any
    csv: Path
    figure: Path | None


def _finish(job: _Job, recorder: _Recorder, salt: bytes, *, n_analysed: int) -> BatchOutputs:
    """Write the tables, comparisons and QC pages; the batch's outputs."""
    out = job.out
    shared: list[str] = []
    if job.requests is not None or job.pair_by is not None:
        # a pair shares its view: a clip that cannot tell TTE from TEE takes its pair's
        files = list(recorder.files.values())
        shared = share_views(
            _specs(job, files, duplicates(files), salt),
            recorder.files,
            _options(job, salt),
            out / RESULTS_DIR,
        )
        for key in shared:
            recorder.jlog("shared_view", file=recorder.files[key].display)
    files = list(recorder.files.values())
    dup = duplicates(files)
    clips, errors, skipped = tables(files, dup)
    pairing = _pair(job, files, dup, salt)
    if pairing is not None and len(pairing.errors):
        import pandas as pd

        errors = pd.concat([errors, pairing.errors[list(ERROR_COLUMNS)]], ignore_index=True)
    index = _write_qc(job, files, dup, clips, pairing)
    clips_csv = write_csv(clips, out / "clips.csv")
    errors_csv = write_csv(errors, out / "errors.csv")
    skipped_csv = write_csv(skipped, out / "skipped.csv")
    srs = srs_csv = None
    if job.sr:
        srs = sr_table(files)
        srs_csv = write_csv(srs, out / "srs.csv")
    else:
        (out / "srs.csv").unlink(missing_ok=True)
    parquet = write_parquet(clips, out / "clips.parquet")
    if parquet is None:
        (out / "clips.parquet").unlink(missing_ok=True)  # never leave a stale one
    elapsed = time.perf_counter() - job.t0
    c = recorder.counts
    outputs = BatchOutputs(
        out_dir=out,
        clips_csv=clips_csv,
        errors_csv=errors_csv,
        skipped_csv=skipped_csv,
        clips_parquet=parquet,
        comparisons_csv=None if pairing is None else pairing.csv,
        cohort_figure=None if pairing is None else pairing.figure,
        n_files=len(files),
        n_ok=c["ok"],
        n_failed=c["failed"],
        n_skipped=c["skipped"],
        n_reused=recorder.n_reused,
        n_analysed=n_analysed,
        clips=clips,
        errors=errors,
        skipped=skipped,
        comparisons=None if pairing is None else pairing.comparisons,
        elapsed_s=elapsed,
        srs_csv=srs_csv,
        srs=srs,
        qc_index=index,
        n_shared_view=len(shared),
    )
    recorder.jlog(
        "end",
        ok=c["ok"],
        failed=c["failed"],
        skipped=c["skipped"],
        reused=recorder.n_reused,
        errors=len(errors),
        seconds=round(elapsed, 3),
    )
    return outputs


def _options(job: _Job, salt: bytes) -> WorkerOptions:
    """What the workers get besides a file's path."""
    return WorkerOptions(
        params=job.params,
        salt=salt,
        hints=job.hints,
        sr_dir=str(job.out / SR_DIR) if job.sr else None,
        qc_out=str(job.out.resolve()) if job.qc else None,
    )


def _specs(job: _Job, files: list[FileRecord], dup: dict[str, str], salt: bytes) -> list[cohort.PairSpec]:
    """The batch's pairs (``pairs`` manifest or ``pair_by``)."""
    # a duplicate never stands for a clip: its first copy does
    entries = [
        cohort.Entry(
            path=f.path,
            display=f.display,
            record={**(f.data or {}), "duplicate_of": dup[f.key]} if f.key in dup else (f.data or {}),
        )
        for f in files
        if not f.missing
    ]
    if job.requests is not None and job.pairs is not None:
        return cohort.pairs_from_manifest(job.requests, job.pairs.parent, entries, salt)
    return cohort.pairs_by_study_time(entries)


def _pair(job: _Job, files: list[FileRecord], dup: dict[str, str], salt: bytes) -> _Pairing | None:
    """Pair and compare the clips (``pairs`` or ``pair_by``); ``None`` (and no old files) without."""
    if job.requests is None and job.pair_by is None:
        # the outputs always describe this run: no pairing, no comparison files
        for name in ("comparisons.csv", "cohort.png"):
            (job.out / name).unlink(missing_ok=True)
        return None
    specs = _specs(job, files, dup, salt)
    comparisons, errors, compared = cohort.compare_pairs(specs)
    csv = write_csv(comparisons, job.out / "comparisons.csv")
    figure = cohort.write_cohort_figure(compared, job.out / "cohort.png")
    return _Pairing(specs, comparisons, errors, csv, figure)


def _write_qc(
    job: _Job, files: list[FileRecord], dup: dict[str, str], clips: Any, pairing: _Pairing | None
) -> Path | None:
    """With ``qc``: the pair reports and ``index.html``; without, remove an old index."""
    if not job.qc:
        (job.out / "index.html").unlink(missing_ok=True)  # describes an earlier --qc run
        return None
    from .. import qc as qc_mod

    reports = {}
    if pairing is not None:
        reports = qc_mod.write_pair_reports(
            job.out, pairing.specs, pairing.comparisons, params=job.params, hints=job.hints
        )
    pngs = {
        f.display: qc_mod.clip_png(job.out, f.key)
        for f in files
        if not f.missing and f.key not in dup and (f.data or {}).get("qc_png")
    }
    comparisons = None if pairing is None else pairing.comparisons
    return qc_mod.write_index(job.out, clips, comparisons, clip_pngs=pngs, pair_reports=reports)
