"""What a header says about a clip besides its pixels: identity-free metadata and timing.

The one list of ultrasound SOP classes (:data:`ULTRASOUND_SOP_CLASSES`) lives
here; the batch's header sniffing and the DICOMweb retrieval use it too.

Examples
--------
>>> is_ultrasound("US", None), is_ultrasound(None, "1.2.840.10008.5.1.4.1.1.3.1")
(True, True)
>>> is_ultrasound("CT", "1.2.840.10008.5.1.4.1.1.2")
False
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import bounds
from ._elements import int_value, text_value

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = ["ULTRASOUND_SOP_CLASSES", "ClipMetadata", "is_ultrasound", "read_metadata", "frame_times"]

logger = logging.getLogger("echoassess")

#: Ultrasound Image Storage and Ultrasound Multi-frame Image Storage (current
#: and retired) SOP class UIDs, with their names.
ULTRASOUND_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.6.1": "Ultrasound Image Storage",
    "1.2.840.10008.5.1.4.1.1.3.1": "Ultrasound Multi-frame Image Storage",
    "1.2.840.10008.5.1.4.1.1.6": "Ultrasound Image Storage (Retired)",
    "1.2.840.10008.5.1.4.1.1.3": "Ultrasound Multi-frame Image Storage (Retired)",
}


def is_ultrasound(modality: str | None, sop_class_uid: str | None) -> bool:
    """Modality US or an ultrasound image SOP class."""
    return modality == "US" or sop_class_uid in ULTRASOUND_SOP_CLASSES


@dataclass(frozen=True)
class ClipMetadata:
    """Descriptive header fields of a clip, without patient identity.

    Patient name, ID and birth date are deliberately absent: read them with
    :meth:`EchoClip.read_header` if you really need them.
    """

    sop_class_uid: str | None
    modality: str | None
    manufacturer: str | None
    model: str | None
    study_instance_uid: str | None
    series_instance_uid: str | None
    sop_instance_uid: str | None
    acquisition_datetime: datetime | None
    heart_rate_bpm: float | None
    series_description: str | None
    study_description: str | None
    series_number: int | None
    instance_number: int | None
    transfer_syntax_uid: str
    transfer_syntax: str
    photometric_interpretation: str
    #: "tee", "tte" or "parasternal" (a transthoracic parasternal view) when the
    #: header names the probe or view
    #: (ViewCodeSequence, TransducerData, series description), else ``None``.
    view: str | None = None

    @property
    def is_ultrasound(self) -> bool:
        return is_ultrasound(self.modality, self.sop_class_uid)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if self.acquisition_datetime is not None:
            out["acquisition_datetime"] = self.acquisition_datetime.isoformat()
        return out


def read_metadata(header: Dataset) -> ClipMetadata:
    """The :class:`ClipMetadata` of a header (implausible heart rates dropped)."""
    ts = header.file_meta.get("TransferSyntaxUID")
    heart_rate = header.get("HeartRate")
    return ClipMetadata(
        sop_class_uid=text_value(header, "SOPClassUID"),
        modality=text_value(header, "Modality"),
        manufacturer=text_value(header, "Manufacturer"),
        model=text_value(header, "ManufacturerModelName"),
        study_instance_uid=text_value(header, "StudyInstanceUID"),
        series_instance_uid=text_value(header, "SeriesInstanceUID"),
        sop_instance_uid=text_value(header, "SOPInstanceUID"),
        acquisition_datetime=_acquisition_datetime(header),
        heart_rate_bpm=float(heart_rate) if bounds.within(heart_rate, bounds.HEART_RATE_BPM) else None,
        series_description=text_value(header, "SeriesDescription"),
        study_description=text_value(header, "StudyDescription"),
        series_number=int_value(header, "SeriesNumber"),
        instance_number=int_value(header, "InstanceNumber"),
        transfer_syntax_uid=str(ts),
        transfer_syntax=str(getattr(ts, "name", str(ts))),
        photometric_interpretation=str(header.get("PhotometricInterpretation", "")).strip(),
        view=view_from_header(header),
    )


def frame_times(header: Dataset, n_frames: int) -> tuple[np.ndarray | None, str | None]:
    """Start time of each frame from the first (ms) and the attribute it came from.

    FrameTimeVector when it lists every frame plausibly, else FrameTime,
    CineRate or RecommendedDisplayFrameRate; ``(None, None)`` without timing.
    """
    ftv: Any = header.get("FrameTimeVector")
    if ftv is not None:
        values: list[Any] = [ftv] if np.isscalar(ftv) else list(ftv)
        try:
            inc = np.asarray([float(v) for v in values], dtype=np.float64)
        except (TypeError, ValueError):
            inc = np.empty(0)
        if len(inc) == n_frames and all(bounds.plausible_frame_time_ms(v) for v in inc[1:]):
            inc[0] = 0.0
            return np.cumsum(inc), "FrameTimeVector"
        logger.debug("ignoring FrameTimeVector of length %d for %d frames", len(inc), n_frames)
    for keyword, per_second in (
        ("FrameTime", False),
        ("CineRate", True),
        ("RecommendedDisplayFrameRate", True),
    ):
        value = header.get(keyword)
        if bounds.finite(value) and float(value) > 0:
            dt = 1000.0 / float(value) if per_second else float(value)
            if not bounds.plausible_frame_time_ms(dt):
                logger.debug("ignoring implausible %s", keyword)
                continue
            return np.arange(n_frames, dtype=np.float64) * dt, keyword
    return None, None


_TEE_WORDS = (
    "transesophageal",
    "transoesophageal",
    "trans-esophageal",
    "tee",
    "toe",
    "mid-esophageal",
    "mid esophageal",
    "midesophageal",
    "mid-oesophageal",
    "me 4c",
    "me4c",
    "me lax",
    "me commissural",
)
_TTE_WORDS = (
    "transthoracic",
    "tte",
    "apical",
    "parasternal",
    "subcostal",
    "a4c",
    "a2c",
    "a3c",
    "plax",
    "psax",
    "aplax",
)


def view_from_header(header: Any) -> str | None:
    """``"tee"`` / ``"tte"`` / ``"parasternal"`` from the words a header uses for
    its probe or view, else ``None``.

    >>> view_from_header({"SeriesDescription": "TEE ME 4C colour"})
    'tee'
    >>> view_from_header({"SeriesDescription": "PLAX"}), view_from_header({})
    ('parasternal', None)
    """
    texts = _view_texts(header)
    if texts is None:
        return None
    words = " ".join(texts).lower()
    tokens = set(re.findall(r"[a-z0-9-]+", words))

    def hit(vocab: tuple[str, ...]) -> bool:
        return any(
            (w in tokens) if " " not in w else re.search(r"\b" + re.escape(w) + r"\b", words) is not None
            for w in vocab
        )

    tee, tte = hit(_TEE_WORDS), hit(_TTE_WORDS)
    if tee and not tte:
        return "tee"
    if tte and not tee:
        return "parasternal" if hit(("parasternal", "plax", "psax")) else "tte"
    return None


def _view_texts(header: Any) -> list[str] | None:
    """The view codes' meanings, TransducerData, SeriesDescription and
    ProtocolName; ``None`` when an element is damaged."""
    texts: list[str] = []
    try:
        for item in header.get("ViewCodeSequence") or []:
            texts.append(str(item.get("CodeMeaning", "")))
            for mod in item.get("ViewModifierCodeSequence") or []:
                texts.append(str(mod.get("CodeMeaning", "")))
        for kw in ("TransducerData", "SeriesDescription", "ProtocolName"):
            value = header.get(kw)
            if value:
                texts.append(
                    " ".join(map(str, value))
                    if not isinstance(value, str) and hasattr(value, "__iter__")
                    else str(value)
                )
    except Exception:  # a damaged element says nothing about the view
        return None
    return texts


def _acquisition_datetime(header: Dataset) -> datetime | None:
    """AcquisitionDateTime, else the first of the acquisition, content, series
    and study date (with its time) that parses."""
    from pydicom.valuerep import DA, DT, TM

    dt = header.get("AcquisitionDateTime")
    if dt:
        try:
            return DT(str(dt))
        except ValueError:
            pass
    for date_kw, time_kw in (
        ("AcquisitionDate", "AcquisitionTime"),
        ("ContentDate", "ContentTime"),
        ("SeriesDate", "SeriesTime"),
        ("StudyDate", "StudyTime"),
    ):
        date = header.get(date_kw)
        if not date:
            continue
        try:
            d = DA(str(date))
            time = header.get(time_kw)
            t = TM(str(time)) if time else None
        except ValueError:
            continue
        if d is None:
            continue
        if t is None:
            return datetime(d.year, d.month, d.day)
        return datetime.combine(d, t)
    return None
