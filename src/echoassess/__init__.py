"""echoassess: mitral regurgitation colour-Doppler jet area from echo DICOM clips.

The public API::

    >>> import echoassess
    >>> clip = echoassess.load_clip(path)          # doctest: +SKIP
    >>> clip.spacing_cm, clip.n_frames              # doctest: +SKIP
"""

import logging as _logging

from ._version import __version__
from .batch import BatchOutputs, BatchProgress, run_batch
from .calibration import UltrasoundRegion
from .compare import Comparison, compare
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
from .io import ClipMetadata, EchoClip, load_clip
from .pipeline import AnalysisParams, analyze_clip
from .results import ClipResult

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
