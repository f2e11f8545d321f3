"""A batch over studies on a PACS: fetch them over DICOMweb, run the batch,
send the SRs back (``echoassess batch --dicomweb URL``).

The DICOMweb conversation itself lives in :mod:`echoassess.dicom.web`; this
module only orchestrates it around :func:`echoassess.run_batch`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dicom.web import _Server, check_uid, connect, find_studies, retrieve_study, store_srs
from ..errors import DicomWebError, InvalidParameterError
from .run import run_batch

__all__ = ["DicomWebOutputs", "default_cache_dir", "run_dicomweb_batch"]


@dataclass(frozen=True)
class DicomWebOutputs:
    """What :func:`run_dicomweb_batch` did: the studies, the batch and the stored SRs."""

    studies: tuple[str, ...]
    cache_dir: Path
    batch: Any
    stored: tuple[str, ...] = ()
    url: str = ""
    files: tuple[Path, ...] = field(default=(), repr=False)

    @property
    def exit_code(self) -> int:
        code: int = self.batch.exit_code
        return code


def default_cache_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The default cache beside the output folder: ``OUT.dicomweb-cache``.

    Not inside OUT, which a batch never reads from.
    """
    out = Path(out_dir).resolve()
    return out.with_name(out.name + ".dicomweb-cache")


def _query_studies(server: _Server, accession_number: str | None, study_date: str | None) -> list[str]:
    """The studies a query finds (QIDO-RS); a DicomWebError when there is none."""
    uids = find_studies(server, accession_number=accession_number, study_date=study_date)
    if not uids:
        raise DicomWebError(server.url, "no study matches the query", hint="check --accession / --study-date")
    return uids


def run_dicomweb_batch(
    url: str,
    out_dir: str | os.PathLike[str],
    *,
    studies: Sequence[str] = (),
    accession_number: str | None = None,
    study_date: str | None = None,
    sr: bool = False,
    store: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    session: Any = None,
    timeout_s: float = 30.0,
    progress_message: Callable[[str], None] | None = None,
    **batch_kwargs: Any,
) -> DicomWebOutputs:
    """Fetch studies from a DICOMweb server, run the batch on them, store the SRs back.

    Parameters
    ----------
    url : str
        The DICOMweb root, e.g. ``http://127.0.0.1:8042/dicom-web``.
    out_dir : path
        The batch's output folder (:func:`echoassess.run_batch`).
    studies : sequence of str
        Study Instance UIDs; or, when empty, ``accession_number`` and/or
        ``study_date`` select the studies (QIDO-RS).
    sr : bool
        Write one SR per analysed clip (``OUT/sr/``).
    store : bool
        Send each SR to the server (STOW-RS); needs ``sr``.
    cache_dir : path, optional
        Where retrieved instances are kept (they carry patient identity);
        default :func:`default_cache_dir`. Reruns reuse it.
    session : requests.Session, optional
        Default :func:`session_from_environment`.
    **batch_kwargs
        Passed to :func:`echoassess.run_batch` (``workers``, ``pairs``,
        ``pair_by``, ``hints``, ``progress``, ...).

    Raises
    ------
    DicomWebError
        Unreachable server, refused credentials, unknown study, refused store.
    InvalidParameterError
        A malformed URL, UID or date range, or ``store`` without ``sr``.
    """
    if store and not sr:
        raise InvalidParameterError(None, "--store sends the SRs, so it needs --sr", hint="add --sr")
    uids = [check_uid(s, "study") for s in studies]
    if not uids and not (accession_number or study_date):
        raise InvalidParameterError(
            None, "no study given", hint="give --study UID (repeatable), --accession or --study-date"
        )
    server = connect(url, session=session, timeout_s=timeout_s)
    say = progress_message or (lambda msg: None)
    uids = uids or _query_studies(server, accession_number, study_date)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(out_dir)
    files: list[Path] = []
    for uid in uids:
        say(f"retrieving study {uid}")
        files += retrieve_study(server, uid, cache, progress=say)
    outputs = run_batch([cache / uid for uid in uids], out_dir, sr=sr, **batch_kwargs)
    stored: list[str] = []
    if store and outputs.srs is not None and len(outputs.srs):
        say(f"storing {len(outputs.srs)} structured report(s)")
        stored = store_srs(server, [Path(out_dir) / f for f in outputs.srs["sr_file"]])
    return DicomWebOutputs(
        studies=tuple(uids),
        cache_dir=cache,
        batch=outputs,
        stored=tuple(stored),
        url=server.url,
        files=tuple(files),
    )
