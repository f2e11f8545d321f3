"""echoassess: mitral regurgitation colour-Doppler jet area from echo DICOM clips.

The public API::

    >>> import echoassess
    >>> clip = echoassess.load_clip(path)          # doctest: +SKIP
    >>> clip.spacing_cm, clip.n_frames              # doctest: +SKIP
"""

import logging as _logging
import sys as _sys
import types as _types
from typing import TYPE_CHECKING, Any

from ._lazy import lazy_names
from ._version import __version__
from .errors import (
    CalibrationError,
    CorruptPixelDataError,
    DicomReadError,
    DicomWebError,
    EchoAssessError,
    FrameIndexError,
    InvalidDimensionsError,
    InvalidParameterError,
    NoColourFlowError,
    NoPixelDataError,
    NotDicomError,
    TruncatedFileError,
    UnsupportedEncodingError,
)

if TYPE_CHECKING:
    from .batch import BatchOutputs, BatchProgress, run_batch
    from .compare import Comparison, compare
    from .dicom import ClipMetadata, EchoClip, UltrasoundRegion
    from .loading import load_clip
    from .pipeline import AnalysisParams, analyze_clip
    from .results import ClipResult

#: Public names imported on first use (PEP 562), so that ``import echoassess``
#: and ``echoassess --help`` load neither pydicom, OpenCV, SciPy nor pandas.
_LAZY = {
    "run_batch": "batch",
    "BatchOutputs": "batch",
    "BatchProgress": "batch",
    "UltrasoundRegion": "dicom",
    "Comparison": "compare",
    "compare": "compare",
    "ClipMetadata": "dicom",
    "EchoClip": "dicom",
    "load_clip": "loading",
    "AnalysisParams": "pipeline",
    "analyze_clip": "pipeline",
    "ClipResult": "results",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


class _Package(_types.ModuleType):
    """The package module: importing the ``echoassess.compare`` submodule must
    not replace the public ``compare()`` function (an eager import used to
    re-bind it after the submodule; a lazy one never would)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


__all__ = [
    "__version__",
    "load_clip",
    "analyze_clip",
    "AnalysisParams",
    "ClipResult",
    "run_batch",
    "BatchOutputs",
    "BatchProgress",
    "EchoClip",
    "ClipMetadata",
    "UltrasoundRegion",
    "compare",
    "Comparison",
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
    "DicomWebError",
]

# A library logs, the application decides where to: without this, Python's
# last-resort handler would print warnings (even from batch worker processes)
# to stderr, --quiet or not. The CLI attaches its own stderr handler.
_logging.getLogger("echoassess").addHandler(_logging.NullHandler())
