"""Find the files of a batch: walk folders, follow DICOMDIR indexes, sniff headers.

The DICOM parts (reading a DICOMDIR, peeking at a header's Modality before
the full loader runs) live in :mod:`echoassess.dicom.sniff`; this module walks
the inputs. :mod:`echoassess.batch` uses it in two places:

* in the main process, :func:`find_files` turns the command line's inputs
  (folders, files, DICOMDIR files) into a sorted, de-duplicated list of
  :class:`FoundFile`; nothing is opened except DICOMDIR indexes;
* in each worker, :func:`sniff` reads just enough of one file's header to
  say whether it is DICOM at all, a DICOMDIR, or an ultrasound object, so that
  files that are not clips are skipped with a reason and never decoded.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "notes.txt").write_text("not an image")
>>> [f.display for f in find_files([root])] == [f"{root.name}/notes.txt"]
True
>>> sniff(root / "notes.txt").kind
'not dicom'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .dicom.sniff import DICOMDIR_SOP_CLASS, HeaderSniff, read_dicomdir, sniff
from .errors import InvalidParameterError

__all__ = ["FoundFile", "HeaderSniff", "DICOMDIR_SOP_CLASS", "find_files", "read_dicomdir", "sniff"]

logger = logging.getLogger("echoassess")


@dataclass(frozen=True)
class FoundFile:
    """One file of a batch.

    Attributes
    ----------
    path : pathlib.Path
        Absolute, symlinks resolved (the identity used for de-duplication and
        for the result key).
    display : str
        The name shown in tables: the POSIX path below the input it was found
        in, prefixed by that input's own name (``archive/p01/pre.dcm``).
    via : {"folder", "argument", "DICOMDIR", "manifest"}
        How the file was found.
    missing : bool
        A DICOMDIR lists the file but it is not on disk.
    """

    path: Path
    display: str
    via: str
    missing: bool = False


def _is_dicomdir_name(path: Path) -> bool:
    return path.name.upper() == "DICOMDIR"


def check_inputs(inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Raise :class:`InvalidParameterError` for the first input that does not exist."""
    for raw in inputs:
        if not Path(raw).exists():
            raise InvalidParameterError(
                Path(raw), "input does not exist", hint="give folders or DICOM files that exist"
            )


def find_files(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> list[FoundFile]:
    """Every file under the inputs, once each, sorted by display name.

    Folders are walked recursively (symlinked folders are not followed;
    symlinked files are). A file named ``DICOMDIR`` adds the files it
    references (also those outside the walked folder); it is itself listed so
    the batch can record it as skipped. Files the DICOMDIR lists but the disk
    lacks come back with ``missing=True``.

    Parameters
    ----------
    inputs : iterable of path
        Folders, files or DICOMDIR files.
    exclude : iterable of path
        Folders never entered (the batch's output folder).

    Returns
    -------
    list of FoundFile

    Raises
    ------
    InvalidParameterError
        An input does not exist.
    """
    excluded = {Path(e).resolve() for e in exclude}
    found: dict[Path, FoundFile] = {}

    def add(path: Path, display: str, via: str, *, missing: bool = False) -> None:
        key = path if missing else path.resolve()
        old = found.get(key)
        if old is None or (via == "DICOMDIR" and old.via == "folder"):
            found[key] = FoundFile(key, display if old is None else old.display, via, missing)

    def expand_dicomdir(dicomdir: Path, label_root: Path, prefix: str) -> None:
        try:
            refs = read_dicomdir(dicomdir)
        except InvalidParameterError as err:
            logger.warning("%s", err)
            return
        for ref in refs:
            add(ref, _display(ref, label_root, prefix), "DICOMDIR", missing=not ref.is_file())

    check_inputs(inputs)
    for raw in inputs:
        given = Path(raw)
        root = given.resolve()
        if any(root == e or e in root.parents for e in excluded):
            logger.warning("%s: inside the output folder, not searched", given)
            continue
        if root.is_file():
            add(root, root.name, "argument")
            if _is_dicomdir_name(root):
                expand_dicomdir(root, root.parent, root.parent.name)
            continue
        prefix = root.name
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() not in excluded)
            for name in sorted(filenames):
                path = here / name
                if not path.is_file():  # broken symlink, socket...
                    continue
                add(path, _display(path, root, prefix), "folder")
                if _is_dicomdir_name(path):
                    expand_dicomdir(path, root, prefix)
    return sorted(found.values(), key=lambda f: (f.display, str(f.path)))


def _display(path: Path, root: Path, prefix: str) -> str:
    rel = os.path.relpath(path, root)
    rel_posix = Path(rel).as_posix()
    return f"{prefix}/{rel_posix}" if prefix else rel_posix
