"""One input file of a batch and its record: keys, the run's fingerprint, resume.

Each file a batch finds becomes a :class:`FileRecord`: its path, its key (a
hash of the path, the name of its record file ``results/<key>.json``), the
name shown in the tables, its size and modification time, and, once a worker
has answered or an earlier run's record is reused, that JSON record. A record
is reused on a rerun when it was made from the same file (size and mtime) by
the same run settings (:func:`fingerprint`: record schema, algorithm and
version, :class:`~echoassess.pipeline.AnalysisParams`, salt, hints) and did
not fail.

Examples
--------
>>> len(file_key("/data/study/clip.dcm"))
24
>>> rec = FileRecord(path=Path("/data/a.dcm"), key="k", display="data/a.dcm")
>>> rec.status is None, rec.with_data({"status": "ok"}).status
(True, 'ok')
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..discover import FoundFile
from ..errors import printable
from ..pipeline import ALGORITHM, AnalysisParams
from ..store import atomic_write

__all__ = ["RECORD_SCHEMA", "FileRecord", "file_key", "fingerprint", "params_hash", "read_record"]

#: Version of the JSON record layout; a change redoes every file.
RECORD_SCHEMA = 1


def file_key(path: str | os.PathLike[str]) -> str:
    """The result key of a file: a hash of its absolute path (no names leak into file names).

    >>> file_key("/data/study/clip.dcm") == file_key("/data/study/../study/clip.dcm")
    True
    """
    return hashlib.sha256(os.fsencode(Path(path).resolve())).hexdigest()[:24]


def missing_key(path: Path) -> str:
    """The key of a file a DICOMDIR lists but the disk lacks (never resolved: it is not there)."""
    return "missing-" + hashlib.sha256(os.fsencode(path)).hexdigest()[:24]


def params_hash(params: AnalysisParams) -> str:
    """A short hash of the analysis parameters (the ``params_hash`` column).

    >>> params_hash(AnalysisParams()) == params_hash(AnalysisParams())
    True
    """
    text = json.dumps(params.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def fingerprint(params: AnalysisParams, salt: bytes, hints_digest: str = "") -> str:
    """Everything besides the file that decides a record: a change redoes the file."""
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


def read_record(path: Path) -> dict[str, Any] | None:
    """A record file's JSON object, or ``None`` when it is missing or damaged."""
    try:
        rec = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


@dataclass(frozen=True)
class FileRecord:
    """One input file of a batch and what is known of it.

    Attributes
    ----------
    path : pathlib.Path
        Absolute path (what the workers open).
    key : str
        :func:`file_key` of the path (``missing-...`` for a file a DICOMDIR
        lists but the disk lacks); names ``results/<key>.json``.
    display : str
        The name in the tables (printable; see :class:`~echoassess.discover.FoundFile`).
    missing : bool
        Listed in a DICOMDIR but not on disk.
    size, mtime_ns : int or None
        The file's size and modification time when the batch started
        (``None`` when it cannot be read); a record is reused only for the same.
    data : dict or None
        The JSON record (see :func:`echoassess.batch.process_file`, plus the
        run's ``fingerprint``, ``key``, ``file``, ``size`` and ``mtime_ns``);
        ``None`` until a worker answered or an earlier record is reused.
    """

    path: Path
    key: str
    display: str
    missing: bool = False
    size: int | None = None
    mtime_ns: int | None = None
    data: dict[str, Any] | None = None

    @classmethod
    def from_found(cls, found: FoundFile) -> FileRecord:
        """The record of a found file, with its size and mtime (no record data yet)."""
        display = printable(found.display)
        if found.missing:
            return cls(found.path, missing_key(found.path), display, missing=True)
        try:
            st = found.path.stat()
        except OSError:
            return cls(found.path, file_key(found.path), display)
        return cls(found.path, file_key(found.path), display, size=st.st_size, mtime_ns=st.st_mtime_ns)

    def with_data(self, data: dict[str, Any] | None) -> FileRecord:
        """This file with its record."""
        return replace(self, data=data)

    def _get(self, name: str) -> Any:
        return (self.data or {}).get(name)

    def _text(self, name: str) -> str | None:
        value = self._get(name)
        return None if value is None else str(value)

    @property
    def status(self) -> str | None:
        """``"ok"``, ``"failed"``, ``"skipped"``, or ``None`` before any record."""
        return self._text("status")

    @property
    def is_clip(self) -> bool:
        """An ultrasound clip or a file that claims to be one (it has a row in clips.csv)."""
        return bool(self._get("kind") == "clip")

    @property
    def reason(self) -> str | None:
        return self._text("reason")

    @property
    def identifiers(self) -> dict[str, Any]:
        """The anonymised keys the worker read (UIDs, salted patient hash, ...)."""
        return self._get("identifiers") or {}

    @property
    def sop_instance_uid(self) -> str | None:
        return self.identifiers.get("sop_instance_uid")

    @property
    def result(self) -> dict[str, Any]:
        """:meth:`ClipResult.to_dict` of an analysed clip, else ``{}``."""
        return self._get("result") or {}

    def error_row(self) -> dict[str, Any]:
        """This failed file's row of errors.csv."""
        return {
            "file": self.display,
            "stage": self._get("stage"),
            "error_type": self._get("error_type"),
            "reason": self.reason,
            "hint": self._get("hint"),
            "sop_instance_uid": self.sop_instance_uid,
        }

    def skipped_row(self, reason: str | None = None) -> dict[str, Any]:
        """This file's row of skipped.csv (``reason`` overrides the record's)."""
        return {
            "file": self.display,
            "reason": self.reason if reason is None else reason,
            "modality": self._get("modality"),
            "sop_class": self._get("sop_class"),
        }

    def reusable(self, fingerprint: str) -> bool:
        """Whether the record was made from this file, as it is, by the same run settings.

        Failed files are always redone.
        """
        rec = self.data
        return (
            rec is not None
            and self.size is not None
            and rec.get("fingerprint") == fingerprint
            and rec.get("size") == self.size
            and rec.get("mtime_ns") == self.mtime_ns
            and rec.get("status") in ("ok", "skipped")
        )

    def write(self, results_dir: Path) -> None:
        """Write the record to ``results_dir/<key>.json`` (atomically)."""
        atomic_write(results_dir / f"{self.key}.json", json.dumps(self.data, indent=1, default=str))
