"""Find the files of a batch: walk folders, follow DICOMDIR indexes, sniff headers.

An input edge like :mod:`echoassess.io`, and like it one of the few modules
that import pydicom: reading a DICOMDIR and peeking at a header's Modality
before the full loader runs are both file-format work. :mod:`echoassess.batch`
uses it in two places:

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
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidParameterError

__all__ = ["FoundFile", "HeaderSniff", "DICOMDIR_SOP_CLASS", "find_files", "read_dicomdir", "sniff"]

logger = logging.getLogger("echoassess")

#: Media Storage Directory Storage: the SOP class of a DICOMDIR file.
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"

#: Ultrasound Image Storage and Ultrasound Multi-frame Image Storage (current
#: and retired); the same set as :data:`echoassess.io.ULTRASOUND_SOP_CLASSES`.
_US_SOP_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.6.1",
        "1.2.840.10008.5.1.4.1.1.3.1",
        "1.2.840.10008.5.1.4.1.1.6",
        "1.2.840.10008.5.1.4.1.1.3",
    }
)


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


@dataclass(frozen=True)
class HeaderSniff:
    """What :func:`sniff` learned from a file's first bytes and header.

    ``kind`` is ``"not dicom"``, ``"dicomdir"``, ``"dicom"`` (header read) or
    ``"damaged"`` (DICOM preamble present but the header cannot be parsed:
    the loader will say why). ``modality`` and ``sop_class_uid`` are ``None``
    when absent.
    """

    kind: str
    modality: str | None = None
    sop_class_uid: str | None = None
    sop_class_name: str | None = None
    detail: str | None = None

    @property
    def is_ultrasound(self) -> bool:
        """Modality US or an ultrasound image SOP class (as :class:`~echoassess.io.ClipMetadata`)."""
        return self.modality == "US" or self.sop_class_uid in _US_SOP_CLASSES


def sniff(path: str | os.PathLike[str]) -> HeaderSniff:
    """Classify a file from its preamble and header, without touching pixel data.

    Never raises for a bad file: unreadable files are ``"not dicom"`` or
    ``"damaged"`` (an ``OSError`` such as a permission error also gives
    ``"damaged"`` so that the loader reports it).

    Parameters
    ----------
    path : path

    Returns
    -------
    HeaderSniff
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(132)
    except OSError as exc:
        return HeaderSniff("damaged", detail=f"cannot open: {exc.strerror or exc}")
    if not head:
        return HeaderSniff("not dicom", detail="empty (0 bytes)")
    marker = len(head) == 132 and head[128:132] == b"DICM"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(p, stop_before_pixels=True, specific_tags=["Modality", "SOPClassUID"])
    except InvalidDicomError:
        return HeaderSniff("not dicom", detail="no DICOM preamble ('DICM' marker)")
    except Exception as exc:  # pydicom raises many kinds on garbage
        if marker:
            return HeaderSniff("damaged", detail=f"{type(exc).__name__}: {exc}")
        return HeaderSniff("not dicom", detail=f"unreadable header: {type(exc).__name__}")
    media_class = str(ds.file_meta.get("MediaStorageSOPClassUID", "") or "")
    sop_class = str(ds.get("SOPClassUID", "") or "") or media_class or None
    if sop_class == DICOMDIR_SOP_CLASS or media_class == DICOMDIR_SOP_CLASS:
        return HeaderSniff(
            "dicomdir", sop_class_uid=DICOMDIR_SOP_CLASS, sop_class_name="Media Storage Directory Storage"
        )
    modality = str(ds.get("Modality", "") or "").strip() or None
    name = None
    if sop_class:
        try:
            name = pydicom.uid.UID(sop_class).name
        except Exception:  # pragma: no cover - name lookup never fails in practice
            name = None
        if name == sop_class:
            name = None
    return HeaderSniff("dicom", modality=modality, sop_class_uid=sop_class, sop_class_name=name)


def read_dicomdir(path: str | os.PathLike[str]) -> list[Path]:
    """The files a DICOMDIR references, in the order of its records.

    File IDs are resolved against the DICOMDIR's folder; each component is
    matched case-insensitively when the exact name is absent (DICOMDIR file
    IDs are upper case, copies on case-sensitive disks often are not).
    Referenced files that do not exist are returned as the path the DICOMDIR
    names.

    Raises
    ------
    InvalidParameterError
        The file is not a readable DICOMDIR.
    """
    import pydicom

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(p, force=True)
        records = ds.DirectoryRecordSequence
    except Exception as exc:
        raise InvalidParameterError(p, f"unreadable DICOMDIR: {type(exc).__name__}: {exc}") from None
    base = p.parent
    out: list[Path] = []
    for record in records:
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else [str(v) for v in file_id]
        parts = [c for part in parts for c in part.replace("\\", "/").split("/") if c]
        out.append(_resolve_case(base, parts))
    return out


def _resolve_case(base: Path, parts: Sequence[str]) -> Path:
    here = base
    for part in parts:
        candidate = here / part
        if not candidate.exists() and here.is_dir():
            lower = part.lower()
            matches = sorted(e for e in os.listdir(here) if e.lower() == lower)
            if matches:
                candidate = here / matches[0]
        here = candidate
    return here


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
