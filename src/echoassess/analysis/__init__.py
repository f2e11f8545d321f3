"""The stages of :func:`echoassess.analyze_clip`, one module each, in the order
the data passes through them (see :mod:`echoassess.pipeline`).

Each stage takes the outputs of the earlier ones (small frozen dataclasses of
crop-sized arrays) and :class:`~echoassess.analysis.params.AnalysisParams`.
To add a stage: a module here with a function returning its own small
dataclass, called in order from :func:`echoassess.pipeline.analyze_clip`; its
thresholds go into a group of :mod:`~echoassess.analysis.params`.
"""

from .params import (
    AnalysisParams,
    ColourParams,
    DetectionParams,
    GeometryParams,
    PhaseParams,
    TurbulenceParams,
    ValveParams,
)

__all__ = [
    "AnalysisParams",
    "ColourParams",
    "DetectionParams",
    "GeometryParams",
    "PhaseParams",
    "TurbulenceParams",
    "ValveParams",
]
