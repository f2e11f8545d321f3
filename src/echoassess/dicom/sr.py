"""DICOM Structured Reports of a clip's colour-jet measurements (TID 1500).

One Comprehensive SR per analysed clip, built with highdicom: a TID 1500
Imaging Measurement Report in the source's study (same Study Instance UID and
patient module), in a new series, referencing the source SOP instance and the
frame the jets were measured on.

What it holds:

* per jet on the maximal frame, a Planar ROI measurement group (TID 1410): the
  jet's outline as a SCOORD POLYLINE on that frame, "Jet Area" (LOINC 59123-0)
  in cm2 (UCUM) with finding site Mitral valve (SCT 91134007), flow direction
  Regurgitant Flow (SCT 397417004) and method Planimetry (DCM 125220), and a
  tracking identifier of its own; after TEER also the jet's vena contracta
  width (LOINC 80061-5, cm);
* one clip group (TID 1501) on that frame: the summed jet area, the number of
  jets, the frame number and time, the acquisition settings the result
  records (Nyquist as alias velocity, frame rate, depth) and the measurement
  status (``measured``, ``no_jet`` or ``cannot_measure`` with its reason; no
  area at all when the clip cannot be measured); after TEER also the left
  atrial area on that frame (LOINC 79974-2, cm2, when measured or given) and
  the jet/LA area ratio (private code);
* the algorithm (name, version, parameters) as the observer device and on
  every measurement, so the SR says which software measured it.

It reports a colour-jet area only, never an MR grade. Uncalibrated clips get
outlines but no area (an SR carries physical units). Masks are not written as
DICOM SEG (highdicom's SEG needs a frame of reference, which multi-frame
ultrasound lacks); the polylines carry the outlines.

**Identity**: an SR is a DICOM object for the patient's record, so it
carries the source's patient module (name, ID, birth date, sex) and study
module. It is written only when asked (``--sr``); nothing else echoassess
writes copies patient identity.

An output edge of the DICOM layer: it imports pydicom and highdicom (the
content items are built in :mod:`echoassess.dicom.sr_content`); the outlines
come from :func:`echoassess.measure.jet_outline`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..errors import InvalidParameterError, OutputError
from ..measure import jet_outline
from ..results import ClipResult
from ..store import atomic_path
from .clip import read_clip
from .sr_content import (
    MANUFACTURER,
    PRIVATE_SCHEME,
    SrSource,
    clip_group,
    concept_codes,
    jet_group,
    observer,
    uid,
)

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = [
    "SR_SERIES_NUMBER",
    "build_clip_sr",
    "write_clip_sr",
    "read_clip_sr",
    "sr_uids",
]

#: The series number of echoassess's SR series in a study.
SR_SERIES_NUMBER = 9900


# -- identifiers ------------------------------------------------------------------------
def _params_digest(result: ClipResult) -> str:
    return hashlib.sha256(json.dumps(result.params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def sr_uids(source_sop_instance_uid: str, study_instance_uid: str, result: ClipResult) -> dict[str, str]:
    """The SR's series and SOP Instance UIDs, derived from the source and the analysis.

    The same clip analysed by the same algorithm version with the same
    parameters always gets the same SR UIDs, so a second store to a PACS
    replaces the SR instead of adding a copy; a new version or new parameters
    give a new SR. All of a study's SRs from one algorithm version share one
    series.

    >>> from echoassess.results import ClipResult
    >>> r = ClipResult("a.dcm", 1, None, None, None, (), None, 0, None, (), None,
    ...                algorithm_version="echoassess-jet 1")
    >>> sr_uids("1.2.3", "1.2", r) == sr_uids("1.2.3", "1.2", r)
    True
    """
    version = result.algorithm_version or __version__
    return {
        "series_instance_uid": uid("echoassess SR series", study_instance_uid, version),
        "sop_instance_uid": uid("echoassess SR", source_sop_instance_uid, version, _params_digest(result)),
    }


# -- building ------------------------------------------------------------------------------
def _source_dataset(source: Any) -> Dataset:
    """A header dataset (with patient identity) from an EchoClip, a dataset or a path."""
    import pydicom

    if hasattr(source, "read_header"):  # an EchoClip
        header: Dataset = source.read_header(include_patient_identity=True)
        return header
    if isinstance(source, pydicom.Dataset):
        return copy.deepcopy(source)
    return read_clip(source).read_header(include_patient_identity=True)


# the Patient, General Study and equipment attributes highdicom copies from the source
_TYPE2 = (
    "PatientID",
    "PatientName",
    "PatientBirthDate",
    "PatientSex",
    "StudyID",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ReferringPhysicianName",
)


def _check_source(header: Dataset, path: Any) -> None:
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID"):
        if not str(header.get(keyword, "") or "").strip():
            raise InvalidParameterError(
                path,
                f"the source has no {keyword}, so an SR cannot reference it",
                hint="SRs are made for DICOM clips with complete UIDs",
            )
    for keyword in _TYPE2:  # type 2: present, possibly empty
        if keyword not in header:
            setattr(header, keyword, "")


def _instance_number(header: Dataset) -> int:
    """Source series number x 1000 + instance number (1 when unknown), within IS range."""
    try:
        series = int(header.get("SeriesNumber") or 0)
        instance = int(header.get("InstanceNumber") or 0)
    except (TypeError, ValueError):
        return 1
    number = series * 1000 + instance
    return number if 0 < number < 2**31 else 1


def _reference(result: ClipResult, header: Dataset) -> SrSource:
    """The source instance and the measured frame (none when the clip cannot be measured)."""
    frame = result.max_frame if result.status != "cannot_measure" else None
    multi = "NumberOfFrames" in header
    n_frames = int(header.get("NumberOfFrames", 1) or 1)
    return SrSource(
        str(header.SOPClassUID),
        str(header.SOPInstanceUID),
        frame,
        [frame + 1] if frame is not None and multi and frame < n_frames else None,
    )


def build_clip_sr(
    result: ClipResult,
    source: Any,
    *,
    series_number: int = SR_SERIES_NUMBER,
    instance_number: int | None = None,
) -> Any:
    """A TID 1500 Comprehensive SR of one clip's colour-jet measurements.

    Parameters
    ----------
    result : ClipResult
        From :func:`echoassess.analyze_clip`; its ``jet_labels_at_max`` (kept
        by every analysis) gives the outlines.
    source : EchoClip, pydicom.Dataset or path
        The analysed clip: the SR copies its patient and study modules and
        references its SOP instance.
    series_number, instance_number : int
        Of the SR. The instance number defaults to the source's series number
        x 1000 + its instance number (distinct for a study's clips in the one
        SR series), or 1 when the source has neither.

    Returns
    -------
    highdicom.sr.ComprehensiveSR
        A pydicom dataset; ``.save_as(path)`` or :func:`write_clip_sr`.

    Raises
    ------
    InvalidParameterError
        The source lacks the UIDs an SR must reference, or the result's jet
        labels do not match the frame size.
    """
    import highdicom as hd
    from highdicom.coding_schemes import CodingSchemeIdentificationItem

    c = concept_codes()
    header = _source_dataset(source)
    where = getattr(source, "path", None) or (source if isinstance(source, (str, os.PathLike)) else None)
    _check_source(header, where)
    ref = _reference(result, header)
    groups = [clip_group(result, ref, c)]
    if ref.frame is not None and result.jets_at_max:
        labels = _checked_labels(result, header, where)
        groups += [
            jet_group(result, jet, jet_outline(labels == jet.label), ref, c) for jet in result.jets_at_max
        ]
    report = hd.sr.MeasurementReport(
        observation_context=observer(result),
        procedure_reported=c["echo"],
        imaging_measurements=groups,
        title=c["report"],
    )
    uids = sr_uids(ref.sop_instance_uid, str(header.StudyInstanceUID), result)
    sr = hd.sr.ComprehensiveSR(
        evidence=[header],
        content=report,
        series_instance_uid=uids["series_instance_uid"],
        series_number=series_number,
        sop_instance_uid=uids["sop_instance_uid"],
        instance_number=_instance_number(header) if instance_number is None else instance_number,
        manufacturer=MANUFACTURER,
        series_description="echoassess MR colour-jet area",
        is_complete=True,
    )
    sr.SoftwareVersions = __version__
    sr.CodingSchemeIdentificationSequence = [
        CodingSchemeIdentificationItem(
            designator=PRIVATE_SCHEME,
            name="echoassess private codes",
            responsible_organization="echoassess developers",
        )
    ]
    return sr


def _checked_labels(result: ClipResult, header: Dataset, where: Any) -> np.ndarray:
    labels = result.jet_labels_at_max
    if labels is None:
        raise InvalidParameterError(
            where,
            "the result has jets but no jet labels to outline",
            hint="use a ClipResult from analyze_clip (or a batch worker), not one rebuilt from JSON",
        )
    rows, cols = int(header.get("Rows", 0) or 0), int(header.get("Columns", 0) or 0)
    if rows and cols and labels.shape != (rows, cols):
        raise InvalidParameterError(
            where,
            f"jet labels are {labels.shape[0]} x {labels.shape[1]} px but the source "
            f"frames are {rows} x {cols}",
        )
    return labels


def write_clip_sr(
    result: ClipResult,
    source: Any,
    path: str | os.PathLike[str],
    **kwargs: Any,
) -> Path:
    """Build the clip's SR (:func:`build_clip_sr`) and write it to ``path`` (atomically).

    Raises
    ------
    OutputError
        ``path`` cannot be written.
    """
    sr = build_clip_sr(result, source, **kwargs)
    out = Path(path)
    if out.is_dir():
        raise InvalidParameterError(
            out,
            "the SR path is an existing folder, not a file name",
            hint=f"give a file, e.g. {out / 'clip_sr.dcm'}",
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            sr.save_as(tmp, enforce_file_format=True)
    except OSError as exc:
        raise OutputError(out, f"cannot write the SR: {exc.strerror or type(exc).__name__}") from None
    return out


# -- reading back ----------------------------------------------------------------------------
def _walk(items: Any) -> Iterator[Any]:
    for item in items or ():
        yield item
        yield from _walk(item.get("ContentSequence"))


def _meaning(item: Any) -> tuple[str, str]:
    name = item.ConceptNameCodeSequence[0]
    value = name.get("CodeValue") or name.get("LongCodeValue") or name.get("URNCodeValue")
    return str(value), str(name.CodingSchemeDesignator)


def read_clip_sr(sr: Any) -> dict[str, Any]:
    """The numbers of an echoassess SR, as a flat dict (for tables and tests).

    Parameters
    ----------
    sr : path or pydicom.Dataset

    Returns
    -------
    dict
        ``sop_instance_uid``, ``study_instance_uid``, ``source_sop_instance_uid``,
        ``frame_number`` (1-based, or ``None``), ``status``, ``n_jets``,
        ``max_jet_area_cm2`` (summed), ``jet_areas_cm2`` (list, per jet),
        ``jet_outlines`` (list of ``(N, 2)`` arrays), ``nyquist_cm_s``,
        ``frame_rate_hz``, ``depth_cm``, ``frame_time_ms``, ``algorithm``
        (name and version) and ``comments``; after TEER also ``vc_widths_cm``
        (per jet, LOINC 80061-5), ``la_area_cm2`` (LOINC 79974-2) and
        ``jet_la_ratio``.
    """
    import pydicom

    ds = sr if isinstance(sr, pydicom.Dataset) else pydicom.dcmread(sr)
    out: dict[str, Any] = {
        "sop_instance_uid": str(ds.SOPInstanceUID),
        "study_instance_uid": str(ds.StudyInstanceUID),
        "source_sop_instance_uid": None,
        "frame_number": None,
        "status": None,
        "n_jets": None,
        "max_jet_area_cm2": None,
        "jet_areas_cm2": [],
        "jet_outlines": [],
        "nyquist_cm_s": None,
        "frame_rate_hz": None,
        "depth_cm": None,
        "frame_time_ms": None,
        "algorithm": None,
        "comments": [],
        "vc_widths_cm": [],
        "la_area_cm2": None,
        "jet_la_ratio": None,
    }
    evidence = ds.get("CurrentRequestedProcedureEvidenceSequence") or []
    for study in evidence:
        for series in study.get("ReferencedSeriesSequence") or []:
            for inst in series.get("ReferencedSOPSequence") or []:
                out["source_sop_instance_uid"] = str(inst.ReferencedSOPInstanceUID)
    key = {name: (code.value, code.scheme_designator) for name, code in concept_codes().items()}
    for item in _walk(ds.get("ContentSequence")):
        if "ConceptNameCodeSequence" in item:
            _read_item(item, key, out)
    return out


_SCALARS = {
    "n_jets": "n_jets",
    "alias_velocity": "nyquist_cm_s",
    "frame_rate": "frame_rate_hz",
    "depth": "depth_cm",
    "frame_number": "frame_number",
    "frame_time": "frame_time_ms",
    "la_area": "la_area_cm2",
    "jet_la_ratio": "jet_la_ratio",
}


def _read_item(item: Any, key: dict[str, tuple[str, str]], out: dict[str, Any]) -> None:
    """Put what one content item says into ``out``."""
    vt = item.get("ValueType")
    concept = _meaning(item)
    scalar = {key[code]: field for code, field in _SCALARS.items()}
    if vt == "NUM":
        value = float(item.MeasuredValueSequence[0].NumericValue)
        if concept == key["jet_area"]:
            mods = {_meaning(m) for m in _walk(item.get("ContentSequence")) if "ConceptNameCodeSequence" in m}
            derivation = any(
                _meaning(m) == ("121401", "DCM") and m.ConceptCodeSequence[0].CodeValue == "255538005"
                for m in _walk(item.get("ContentSequence"))
                if "ConceptCodeSequence" in m
            )
            if derivation:
                out["max_jet_area_cm2"] = value
            elif key["flow_direction"] in mods:
                out["jet_areas_cm2"].append(value)
        elif concept == key["vc_width"]:
            out["vc_widths_cm"].append(value)
        elif concept in scalar:
            out[scalar[concept]] = int(value) if scalar[concept] in ("n_jets", "frame_number") else value
    elif vt == "SCOORD" and item.get("GraphicType") == "POLYLINE":
        out["jet_outlines"].append(np.asarray(item.GraphicData, float).reshape(-1, 2))
    elif vt == "CODE" and concept == key["status"]:
        out["status"] = str(item.ConceptCodeSequence[0].CodeValue)
    elif vt == "TEXT" and concept == key["comment"]:
        out["comments"].append(str(item.TextValue))
    elif vt == "TEXT" and concept == ("111001", "DCM"):
        out["algorithm"] = str(item.TextValue)
    elif vt == "TEXT" and concept == ("111003", "DCM") and out["algorithm"]:
        if not out["algorithm"].endswith(str(item.TextValue)):
            out["algorithm"] += f" {item.TextValue}"
