"""Atomic file writes: an output appears whole or not at all.

Every file the batch, the DICOMweb cache and the SR writer produce goes
through :func:`atomic_path` (for writers that want a file name: pandas,
matplotlib, pydicom) or :func:`atomic_write` (for bytes or text in hand). The
data goes to a temporary file beside the target, is flushed to disk
(``fsync``), given its mode and renamed over the target, so a killed process
leaves either the old file or the new one, never half of one. A leftover
temporary file of a killed run is named ``.<name>.<random>.tmp`` (so that a
``*.json`` pattern never finds one), or ``.<name>.<random>.tmp<suffix>`` for
writers that choose the format by the suffix (:data:`TEMP_GLOB` finds both).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = atomic_write(folder / "table.csv", "a,b\\n1,2\\n")
>>> path.read_text(), oct(path.stat().st_mode & 0o777)
('a,b\\n1,2\\n', '0o644')
>>> with atomic_path(folder / "key.txt", mode=PRIVATE_MODE) as tmp:
...     _ = tmp.write_text("secret")
...     tmp.suffix
'.tmp'
>>> oct((folder / "key.txt").stat().st_mode & 0o777), sorted(p.name for p in folder.iterdir())
('0o600', ['key.txt', 'table.csv'])
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["FILE_MODE", "PRIVATE_MODE", "TEMP_GLOB", "atomic_path", "atomic_write"]

#: Mode of every table, record and picture: rw-r--r--, like any file a user writes.
FILE_MODE = 0o644
#: Mode of files that must stay the owner's: the patient-hash salt, retrieved instances.
PRIVATE_MODE = 0o600
#: Matches the temporary files :func:`atomic_path` leaves when its process is killed.
TEMP_GLOB = ".*.tmp*"


@contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, mode: int = FILE_MODE, keep_suffix: bool = False
) -> Iterator[Path]:
    """A temporary path to write instead of ``path``, renamed over it on success.

    The temporary file lies in ``path``'s folder. When the block ends
    normally, the file is fsynced, given ``mode`` and renamed over ``path``;
    when it raises, the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : path
        The file to write; its folder must exist.
    mode : int
        Permission bits of the written file (:data:`FILE_MODE` or
        :data:`PRIVATE_MODE`).
    keep_suffix : bool
        End the temporary name with ``path``'s suffix too, for writers that
        choose the format by it (matplotlib: ``.png``).

    Yields
    ------
    pathlib.Path
        The temporary file (created empty, owner-only until the rename).
    """
    target = Path(path)
    suffix = f".tmp{target.suffix}" if keep_suffix else ".tmp"
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int = FILE_MODE) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; returns ``path``.

    See :func:`atomic_path` for what "atomically" guarantees.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(payload)
    return Path(path)
