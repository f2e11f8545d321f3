"""The echoassess exception hierarchy.

Every error the package raises on purpose derives from :class:`EchoAssessError`,
so a batch can catch the project's errors and report them per file while real
bugs (``TypeError``, ``KeyError`` from our own code...) still surface.

Each error carries the file it concerns (``path``), a one-line ``reason`` and,
where one helps, a ``hint``::

    >>> err = NotDicomError("scan.txt", "no DICOM preamble or header",
    ...                     hint="is this an exported image rather than a DICOM file?")
    >>> print(err)
    scan.txt: no DICOM preamble or header (hint: is this an exported image rather than a DICOM file?)
"""

from __future__ import annotations

import os

__all__ = [
    "EchoAssessError",
    "DicomReadError",
    "NotDicomError",
    "TruncatedFileError",
    "NoPixelDataError",
    "UnsupportedEncodingError",
    "CorruptPixelDataError",
    "InvalidDimensionsError",
    "CalibrationError",
    "FrameIndexError",
    "InvalidParameterError",
    "NoColourFlowError",
    "OutputError",
    "DicomWebError",
    "printable",
]


def printable(text: str) -> str:
    r"""``text`` safe to print, write as UTF-8 or put in a table.

    File names that are not valid UTF-8 reach Python as lone surrogates
    (``os.fsdecode``), which no UTF-8 writer accepts; their bytes are shown as
    ``\xNN`` escapes instead.

    >>> printable("clip" + chr(0xDCFF) + ".dcm")
    'clip\\xff.dcm'
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class EchoAssessError(Exception):
    """Base class of every error echoassess raises on purpose.

    Parameters
    ----------
    path : str or os.PathLike or None
        The file the error concerns (``None`` when no file is involved).
    reason : str
        One line saying what is wrong.
    hint : str, optional
        What the user can do about it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        reason: str,
        *,
        hint: str | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.reason = reason
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        msg = self.reason if self.path is None else f"{printable(self.path)}: {self.reason}"
        if self.hint:
            msg += f" (hint: {self.hint})"
        return msg

    def __reduce__(self):  # keep errors picklable for process pools / Dask
        return (_rebuild, (type(self), self.path, self.reason, self.hint))


def _rebuild(cls, path, reason, hint):
    return cls(path, reason, hint=hint)


class DicomReadError(EchoAssessError):
    """The file could not be read as a usable DICOM ultrasound image."""


class NotDicomError(DicomReadError):
    """The file is not a DICOM file at all (no preamble, no parsable header)."""


class TruncatedFileError(DicomReadError):
    """The file ends before the data its header announces."""


class NoPixelDataError(DicomReadError):
    """The DICOM object holds no pixel data (e.g. a structured report)."""


class UnsupportedEncodingError(DicomReadError):
    """The transfer syntax or photometric interpretation cannot be decoded."""


class CorruptPixelDataError(DicomReadError):
    """The pixel data is present but cannot be decoded."""


class InvalidDimensionsError(DicomReadError):
    """Zero frames, zero or absurd rows/columns, or a size far beyond the file."""


class CalibrationError(EchoAssessError):
    """Physical calibration is missing, inconsistent or in the wrong units."""


class FrameIndexError(EchoAssessError, IndexError):
    """A frame index outside ``0 .. n_frames - 1``."""


class InvalidParameterError(EchoAssessError, ValueError):
    """A user-supplied parameter is out of range or malformed."""


class NoColourFlowError(EchoAssessError):
    """The clip shows no colour-Doppler flow to analyse (e.g. a grey B-mode clip)."""


class OutputError(EchoAssessError):
    """An output file or folder cannot be written (permissions, a full disk...)."""


class DicomWebError(EchoAssessError):
    """A DICOMweb server is unreachable, refuses the credentials, lacks a study or refuses a store.

    ``path`` is the server's URL (never with credentials in it).
    """
