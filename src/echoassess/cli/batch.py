"""``echoassess batch``: every clip under the inputs (or on a DICOMweb server)
into tables, with a progress bar on a terminal and whole lines otherwise."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ..errors import EchoAssessError, InvalidParameterError, printable
from ._app import EXIT_USAGE, app, configure_logging, debug_on, fail, guarded, progress_printer

_Out = Annotated[
    Path, typer.Option("--out", "-o", help="Output folder (results/, clips.csv, errors.csv, ...).")
]
_Inputs = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="INPUT",
        help="Folders (walked recursively), DICOM files or DICOMDIRs (or none, with --dicomweb).",
    ),
]
_Workers = Annotated[
    int | None,
    typer.Option("--workers", "-j", min=1, help="Local worker processes (default: the CPU count)."),
]
_Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on this Dask distributed scheduler instead (extra 'distributed').",
    ),
]
_Executor = Annotated[
    str | None,
    typer.Option(
        "--executor",
        metavar="NAME",
        help="serial (one process, in order), process (local worker processes) or dask "
        "(needs --scheduler); default: process, or dask with --scheduler.",
    ),
]
_Force = Annotated[bool, typer.Option("--force", help="Redo clips already analysed with the same settings.")]
_Pairs = Annotated[
    Path | None,
    typer.Option("--pairs", metavar="CSV", help="Manifest patient,pre,post (paths or SOP instance UIDs)."),
]
_PairBy = Annotated[
    str | None,
    typer.Option(
        "--pair-by",
        metavar="study-time",
        help="Pair each patient's earliest and latest colour-flow series.",
    ),
]
_Salt = Annotated[
    str | None,
    typer.Option(
        "--salt",
        envvar="ECHOASSESS_SALT",
        help="Salt of the patient hash (default: OUT/salt.key, created once).",
    ),
]
_Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
_LogJson = Annotated[
    Path | None,
    typer.Option(
        "--log-json", metavar="FILE", help="Append one JSON line per event (start, each file, end)."
    ),
]
_Hints = Annotated[
    Path | None,
    typer.Option(
        "--hints",
        metavar="CSV",
        help="Per-clip hints: file or sop_instance_uid, view, annulus, nyquist_cm_s, spacing_cm, depth_cm.",
    ),
]
_Qc = Annotated[
    bool,
    typer.Option(
        "--qc",
        help="Quality control: per clip a cropped max-frame overlay "
        "PNG, per pair a report.html, and OUT/index.html.",
    ),
]
_Sr = Annotated[
    bool,
    typer.Option(
        "--sr",
        help="Write one DICOM Structured Report per analysed clip into "
        "OUT/sr/ (they carry the patient's identity).",
    ),
]
_Dicomweb = Annotated[
    str | None,
    typer.Option(
        "--dicomweb",
        metavar="URL",
        help="Read the studies from this DICOMweb server instead of INPUT "
        "(credentials: ECHOASSESS_DICOMWEB_USER/_PASSWORD or _TOKEN, or netrc).",
    ),
]
_Study = Annotated[
    list[str] | None,
    typer.Option("--study", metavar="UID", help="With --dicomweb: a Study Instance UID (repeatable)."),
]
_Accession = Annotated[
    str | None,
    typer.Option(
        "--accession",
        metavar="NUMBER",
        help="With --dicomweb and no --study: the studies with this accession number.",
    ),
]
_StudyDate = Annotated[
    str | None,
    typer.Option(
        "--study-date",
        metavar="FROM-TO",
        help="With --dicomweb and no --study: studies in this date range (YYYYMMDD-YYYYMMDD).",
    ),
]
_Store = Annotated[
    bool, typer.Option("--store", help="With --dicomweb --sr: send each SR back to the server (STOW-RS).")
]
_Cache = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        metavar="DIR",
        help="With --dicomweb: where retrieved instances are kept (default OUT.dicomweb-cache beside OUT).",
    ),
]


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
        self.task: Any = None
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


def _check_sources(
    inputs: list[Path] | None,
    dicomweb: str | None,
    study: list[str] | None,
    accession: str | None,
    study_date: str | None,
    store: bool,
    cache: Path | None,
) -> None:
    """Either local inputs or a DICOMweb server, and the server options only with it."""
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


def _run_local(inputs: list[Path], out: Path, options: dict[str, Any]) -> Any:
    from ..batch import run_batch

    return run_batch(inputs, out, **options)


def _run_dicomweb(url: str, out: Path, options: dict[str, Any], *, quiet: bool, **query: Any) -> Any:
    from ..batch.pacs import run_dicomweb_batch

    return run_dicomweb_batch(
        url, out, progress_message=None if quiet else progress_printer(False), **query, **options
    )


def _print_summary(o: Any, web: Any, store: bool) -> None:
    """What the batch did: counts, the tables written, pairs, QC, SRs and DICOMweb."""
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
        if o.n_shared_view:
            typer.echo(
                f"{o.n_shared_view} clip(s) that alone could not tell a transthoracic from a "
                "transoesophageal view measured with their pair's view (see their warnings)"
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


@app.command("batch")
@guarded
def batch_cmd(
    out: _Out,
    inputs: _Inputs = None,
    workers: _Workers = None,
    scheduler: _Scheduler = None,
    executor: _Executor = None,
    force: _Force = False,
    pairs: _Pairs = None,
    pair_by: _PairBy = None,
    salt: _Salt = None,
    quiet: _Quiet = False,
    log_json: _LogJson = None,
    hints: _Hints = None,
    qc: _Qc = False,
    sr: _Sr = False,
    dicomweb: _Dicomweb = None,
    study: _Study = None,
    accession: _Accession = None,
    study_date: _StudyDate = None,
    store: _Store = False,
    cache: _Cache = None,
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

    if quiet and not debug_on():
        configure_logging(logging.ERROR)
    bar = contextlib.nullcontext(None) if quiet else _progress_display()
    try:
        _check_sources(inputs, dicomweb, study, accession, study_date, store, cache)
        with bar as progress:
            options = dict(
                workers=workers,
                scheduler=scheduler,
                executor=executor,
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
            if dicomweb is None:
                outputs, web = _run_local(inputs or [], out, options), None
            else:
                web = _run_dicomweb(
                    dicomweb,
                    out,
                    options,
                    studies=study or (),
                    accession_number=accession,
                    study_date=study_date,
                    store=store,
                    cache_dir=cache,
                    quiet=quiet,
                )
                outputs = web.batch
    except EchoAssessError as err:
        fail(err, EXIT_USAGE)  # per-file problems never raise: this is usage
    except KeyboardInterrupt:
        _interrupted()
    if not quiet:
        _print_summary(outputs, web, store)
    raise typer.Exit(outputs.exit_code)


def _interrupted() -> NoReturn:
    """Ctrl-C: what was finished is kept (exit 130)."""
    typer.secho(
        "interrupted: finished results are kept; rerun the same command to resume",
        fg=typer.colors.YELLOW,
        err=True,
    )
    raise typer.Exit(130) from None
