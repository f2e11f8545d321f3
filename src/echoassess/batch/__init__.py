"""Batch analysis of study folders: resumable, error-isolated, here, local or on Dask.

:func:`run_batch` walks the inputs (:func:`echoassess.discover.find_files`),
sends each file's *path* to an executor running :func:`process_file`, and
writes one JSON record per file, atomically, under ``OUT/results/<key>.json``
as soon as it comes back. The tables are rebuilt from those records at the
end:

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

The modules, along the data's path:

:mod:`~echoassess.batch.run`
    :func:`run_batch`: checks the arguments, plans, runs, writes the outputs;
:mod:`~echoassess.batch.records`
    :class:`FileRecord` (one input file and its record), keys, the run's
    fingerprint (what makes an earlier record reusable);
:mod:`~echoassess.batch.executors`
    the :class:`Executor` protocol: :class:`SerialExecutor`,
    :class:`ProcessExecutor`, :class:`DaskExecutor`;
:mod:`~echoassess.batch.worker`
    :func:`process_file`, what runs on each file;
:mod:`~echoassess.batch.tables`
    the tables' columns and rows;
:mod:`~echoassess.batch.outdir`
    the output folder's lock, salt and JSON log.

Every file is written through :mod:`echoassess.store` (atomic writes).
"""

from __future__ import annotations

from .executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, get_executor
from .records import FileRecord, file_key
from .run import BatchOutputs, BatchProgress, run_batch
from .tables import CLIP_COLUMNS, ERROR_COLUMNS, TIMING_COLUMNS
from .worker import WorkerOptions, process_file

__all__ = [
    "BatchOutputs",
    "BatchProgress",
    "WorkerOptions",
    "FileRecord",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "get_executor",
    "CLIP_COLUMNS",
    "ERROR_COLUMNS",
    "TIMING_COLUMNS",
    "process_file",
    "run_batch",
    "file_key",
]
