"""The batch's output folder: its lock, the patient-hash salt and the JSON event log.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> salt = load_salt(out, None)  # created once, owner-only
>>> load_salt(out, None) == salt, len(salt), oct((out / SALT_FILE).stat().st_mode & 0o777)
(True, 64, '0o600')
>>> load_salt(out, "given") == b"given"
True
>>> with OutputLock(out):
...     (out / LOCK_FILE).exists()
True
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidParameterError
from ..store import PRIVATE_MODE, atomic_write

__all__ = ["SALT_FILE", "LOCK_FILE", "OutputLock", "JsonLog", "load_salt"]

#: The salt of the patient hash, created in the output folder on first use.
SALT_FILE = "salt.key"
#: Held while a batch writes the folder.
LOCK_FILE = ".batch.lock"


def load_salt(out: Path, salt: str | bytes | None) -> bytes:
    """The given salt, else ``out/salt.key`` (created with a random salt on first use).

    Raises
    ------
    InvalidParameterError
        An empty ``salt``.
    """
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
    atomic_write(path, value + b"\n", mode=PRIVATE_MODE)
    return value


class OutputLock:
    """An exclusive lock on the output folder, so two batches never write it at once.

    Raises
    ------
    InvalidParameterError
        On entry, when another batch holds the lock.
    """

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK_FILE
        self._f: IO[str] | None = None

    def __enter__(self) -> OutputLock:
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
        if self._f is not None:
            self._f.close()


class JsonLog:
    """Appends one JSON object per event to a file (nothing when the path is ``None``).

    Raises
    ------
    InvalidParameterError
        The file cannot be opened for appending.
    """

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
