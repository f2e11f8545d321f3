"""Classify a file from its first bytes and header, and read a DICOMDIR's file list.

The DICOM half of a batch's file discovery (:mod:`echoassess.discover` walks
the folders): :func:`sniff` reads just enough of one file's header to say
whether it is DICOM at all, a DICOMDIR, or an ultrasound object, so that files
that are not clips are skipped with a reason and never decoded;
:func:`read_dicomdir` lists the files a DICOMDIR references.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> _ = path.write_text("not an image")
>>> sniff(path).kind
'not dicom'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidParameterError
from .metadata import is_ultrasound

__all__ = ["HeaderSniff", "DICOMDIR_SOP_CLASS", "sniff", "read_dicomdir", "resolve_case"]

#: Media Storage Directory Storage: the SOP class of a DICOMDIR file.
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"


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
        """Modality US or an ultrasound image SOP class (as :class:`~echoassess.dicom.ClipMetadata`)."""
        return is_ultrasound(self.modality, self.sop_class_uid)


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
        out.append(resolve_case(base, parts))
    return out


def resolve_case(base: Path, parts: Sequence[str]) -> Path:
    """``base`` joined with ``parts``, each matched case-insensitively when the
    exact name is absent."""
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
