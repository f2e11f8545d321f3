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

This is an output edge like :mod:`echoassess.io`: it imports pydicom and
highdicom; the outlines come from :func:`echoassess.measure.jet_outline`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import InvalidParameterError, OutputError
from .measure import jet_outline
from .results import ClipResult
from .store import atomic_path

__all__ = [
    "SR_SERIES_NUMBER",
    "build_clip_sr",
    "write_clip_sr",
    "read_clip_sr",
    "sr_uids",
    "write_comparison_srs",
]

#: The series number of echoassess's SR series in a study.
SR_SERIES_NUMBER = 9900

#: Private coding scheme for the few concepts no standard vocabulary has.
PRIVATE_SCHEME = "99ECHOASSESS"

_ALGORITHM_NAME = "echoassess-jet"
_DEVICE_NAME = "echoassess"
_MANUFACTURER = "echoassess (open source)"
_STATUSES = {
    "measured": "Jets measured",
    "no_jet": "No regurgitant jet",
    "cannot_measure": "Cannot measure",
}


# -- codes -----------------------------------------------------------------------------
def _codes() -> dict[str, Any]:
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code

    private = PRIVATE_SCHEME
    return {
        "jet_area": codes.LN.JetArea,  # 59123-0
        "vc_width": Code("80061-5", "LN", "Vena contracta width"),
        "la_area": Code("79974-2", "LN", "Left atrial area end systole 4-chamber"),
        "jet_la_ratio": Code("jet-la-ratio", private, "Jet area / left atrial area"),
        "cm2": codes.UCUM.SquareCentimeter,
        "mitral_valve": codes.SCT.MitralValve,  # 91134007
        "flow_direction": Code("260674002", "SCT", "Flow Direction"),
        "regurgitant_flow": codes.SCT.RegurgitantFlow,  # 397417004
        "planimetry": codes.DCM.Planimetry,  # 125220
        "sum": Code("255538005", "SCT", "Sum"),
        "alias_velocity": codes.LN.AliasVelocity,  # 59130-5: the colour scale's Nyquist
        "cm_s": codes.UCUM.CentimeterPerSecond,
        "hz": codes.UCUM.Hertz,
        "cm": codes.UCUM.Centimeter,
        "ms": codes.UCUM.Millisecond,
        "unity": Code("1", "UCUM", "no units"),
        "echo": codes.SCT.Echocardiography,
        "report": codes.DCM.ImagingMeasurementReport,
        "device": codes.DCM.Device,
        "comment": codes.DCM.Comment,
        "n_jets": Code("jet-count", private, "Number of regurgitant jets"),
        "frame_rate": Code("frame-rate", private, "Acquisition frame rate"),
        "depth": Code("imaging-depth", private, "Imaging depth"),
        "frame_number": Code("max-frame", private, "Frame of maximal jet area"),
        "frame_time": Code("max-frame-time", private, "Time of frame of maximal jet area"),
        "status": Code("status", private, "Measurement status"),
        **{f"status_{k}": Code(k, private, v) for k, v in _STATUSES.items()},
    }


# -- identifiers ------------------------------------------------------------------------
def _uid(*parts: Any) -> str:
    """A deterministic ``2.25.`` UID from ``parts`` (same inputs, same UID).

    A name-based (SHA-256, version-5 layout) UUID as a decimal, per DICOM PS3.5 B.2.

    >>> _uid("a", 1) == _uid("a", 1) != _uid("a", 2)
    True
    """
    import uuid

    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return f"2.25.{uuid.UUID(bytes=digest[:16], version=5).int}"


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
        "series_instance_uid": _uid("echoassess SR series", study_instance_uid, version),
        "sop_instance_uid": _uid("echoassess SR", source_sop_instance_uid, version, _params_digest(result)),
    }


# -- building ------------------------------------------------------------------------------
def _source_dataset(source: Any) -> Any:
    """A header dataset (with patient identity) from an EchoClip, a dataset or a path."""
    import pydicom

    if hasattr(source, "read_header"):  # an EchoClip
        return source.read_header(include_patient_identity=True)
    if isinstance(source, pydicom.Dataset):
        return copy.deepcopy(source)
    from .io import load_clip

    return load_clip(source).read_header(include_patient_identity=True)


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


def _check_source(header: Any, path: Any) -> None:
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


def _algorithm(result: ClipResult, *, with_parameters: bool = False) -> Any:
    """The algorithm's name and version (and its parameters, once per SR: the clip group)."""
    import highdicom as hd

    version = (result.algorithm_version or "").removeprefix(f"{_ALGORITHM_NAME} ") or __version__
    params = [f"{k}={json.dumps(v, default=str)}" for k, v in sorted(result.params.items())]
    return hd.sr.AlgorithmIdentification(
        name=_ALGORITHM_NAME, version=version, parameters=(params or None) if with_parameters else None
    )


def _observer(result: ClipResult) -> Any:
    import highdicom as hd

    c = _codes()
    version = result.algorithm_version or __version__
    device = hd.sr.ObserverContext(
        observer_type=c["device"],
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=_uid("echoassess device", version),
            name=_DEVICE_NAME,
            manufacturer_name=_MANUFACTURER,
            model_name=version,
        ),
    )
    return hd.sr.ObservationContext(observer_device_context=device)


def _instance_number(header: Any) -> int:
    """Source series number x 1000 + instance number (1 when unknown), within IS range."""
    try:
        series = int(header.get("SeriesNumber") or 0)
        instance = int(header.get("InstanceNumber") or 0)
    except (TypeError, ValueError):
        return 1
    number = series * 1000 + instance
    return number if 0 < number < 2**31 else 1


def _num(name: Any, value: float, unit: Any, **kwargs: Any) -> Any:
    import highdicom as hd

    return hd.sr.Measurement(name=name, value=float(value), unit=unit, **kwargs)


@dataclass(frozen=True)
class _Source:
    """What every group of an SR references: the source instance and the measured frame."""

    sop_class_uid: str
    sop_instance_uid: str
    frame: int | None  # 0-based max frame, None when there is none
    frame_numbers: list[int] | None  # DICOM's 1-based ReferencedFrameNumber, multi-frame only


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

    c = _codes()
    header = _source_dataset(source)
    where = getattr(source, "path", None) or (source if isinstance(source, (str, os.PathLike)) else None)
    _check_source(header, where)
    frame = result.max_frame if result.status != "cannot_measure" else None
    multi = "NumberOfFrames" in header
    n_frames = int(header.get("NumberOfFrames", 1) or 1)
    ref = _Source(
        str(header.SOPClassUID),
        str(header.SOPInstanceUID),
        frame,
        [frame + 1] if frame is not None and multi and frame < n_frames else None,
    )

    groups = [_clip_group(result, ref, c)]
    if frame is not None and result.jets_at_max:
        labels = _checked_labels(result, header, where)
        groups += [
            _jet_group(result, jet, jet_outline(labels == jet.label), ref, c) for jet in result.jets_at_max
        ]
    report = hd.sr.MeasurementReport(
        observation_context=_observer(result),
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
        manufacturer=_MANUFACTURER,
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


def _checked_labels(result: ClipResult, header: Any, where: Any) -> np.ndarray:
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


def _jet_group(result: ClipResult, jet: Any, outline: np.ndarray, ref: _Source, c: dict[str, Any]) -> Any:
    """TID 1410 for one jet: its outline on the max frame and its area."""
    import highdicom as hd

    algorithm = _algorithm(result)
    site = [hd.sr.FindingSite(c["mitral_valve"])]
    measurements = []
    if jet.area_cm2 is not None:
        area = _num(
            c["jet_area"],
            jet.area_cm2,
            c["cm2"],
            method=c["planimetry"],
            finding_sites=site,
            algorithm_id=algorithm,
        )
        area[0].ContentSequence.append(
            hd.sr.CodeContentItem(
                name=c["flow_direction"],
                value=c["regurgitant_flow"],
                relationship_type=hd.sr.RelationshipTypeValues.HAS_CONCEPT_MOD,
            )
        )
        measurements.append(area)
    vc = _jet_post_teer(result, jet.label)
    if vc is not None and vc.vc_width_cm is not None:  # post-TEER: the jet's vena contracta
        measurements.append(
            _num(c["vc_width"], vc.vc_width_cm, c["cm"], finding_sites=site, algorithm_id=algorithm)
        )
    region = hd.sr.ImageRegion(
        graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
        graphic_data=outline,
        source_image=hd.sr.SourceImageForRegion(
            referenced_sop_class_uid=ref.sop_class_uid,
            referenced_sop_instance_uid=ref.sop_instance_uid,
            referenced_frame_numbers=ref.frame_numbers,
        ),
    )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=_uid("echoassess jet", ref.sop_instance_uid, result.algorithm_version, jet.label),
            identifier=f"MR jet {jet.label} (frame {ref.frame + 1})",
        ),
        referenced_region=region,
        finding_type=c["regurgitant_flow"],
        finding_sites=site,
        method=c["planimetry"],
        algorithm_id=algorithm,
        measurements=measurements or None,
    )


def _jet_post_teer(result: ClipResult, label: int) -> Any:
    pt = result.post_teer
    if pt is None:
        return None
    return next((j for j in pt.jets if j.label == label), None)


def _clip_group(result: ClipResult, ref: _Source, c: dict[str, Any]) -> Any:
    """TID 1501 for the clip: summed area, jets, frame, settings, status and notes."""
    import highdicom as hd

    algorithm = _algorithm(result)
    calibrated = result.max_jet_area_cm2 is not None
    summary: list[Any] = []
    if result.status != "cannot_measure":
        if calibrated:
            summary.append(
                _num(
                    c["jet_area"],
                    result.max_jet_area_cm2,
                    c["cm2"],
                    derivation=c["sum"],
                    method=c["planimetry"],
                    finding_sites=[hd.sr.FindingSite(c["mitral_valve"])],
                    algorithm_id=algorithm,
                )
            )
        summary.append(_num(c["n_jets"], result.n_jets_at_max, c["unity"], algorithm_id=algorithm))
        if ref.frame is not None:
            summary.append(_num(c["frame_number"], ref.frame + 1, c["unity"]))
            t = result.per_frame[ref.frame].time_ms if ref.frame < len(result.per_frame) else None
            if t is not None and np.isfinite(t):
                summary.append(_num(c["frame_time"], t, c["ms"]))
    pt = result.post_teer
    if pt is not None and pt.la_area_cm2 is not None:  # post-TEER: LA area and jet/LA ratio
        summary.append(
            _num(c["la_area"], pt.la_area_cm2, c["cm2"], method=c["planimetry"], algorithm_id=algorithm)
        )
        if pt.jet_la_ratio is not None:
            summary.append(_num(c["jet_la_ratio"], pt.jet_la_ratio, c["unity"], algorithm_id=algorithm))
    for key, code, unit in (
        ("nyquist_cm_s", "alias_velocity", "cm_s"),
        ("frame_rate_hz", "frame_rate", "hz"),
        ("depth_cm", "depth", "cm"),
    ):
        value = result.settings.get(key)
        if value is not None and np.isfinite(float(value)):
            summary.append(_num(c[code], value, c[unit]))
    status = result.status if result.status in _STATUSES else "measured"
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=_uid("echoassess clip", ref.sop_instance_uid, result.algorithm_version),
            identifier="MR colour-jet area (clip)",
        ),
        finding_type=c["regurgitant_flow"],
        finding_sites=[hd.sr.FindingSite(c["mitral_valve"])],
        algorithm_id=_algorithm(result, with_parameters=True),
        measurements=summary or None,
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(c["status"], c[f"status_{status}"])],
        source_images=[
            hd.sr.SourceImageForMeasurementGroup(
                referenced_sop_class_uid=ref.sop_class_uid,
                referenced_sop_instance_uid=ref.sop_instance_uid,
                referenced_frame_numbers=ref.frame_numbers,
            )
        ],
    )
    notes = ["Colour-Doppler jet area only, not an MR grade: it depends on machine settings."]
    if result.status_reason:
        notes.append(f"{_STATUSES.get(status, status)}: {result.status_reason}")
    if not calibrated and result.status == "measured":
        notes.append("The clip is uncalibrated: outlines only, no area in cm2.")
    if pt is not None and pt.la_area_cm2 is not None:
        notes.append(
            "Left atrial area: on the frame of maximal jet area of this view "
            f"({'outline given by the user' if pt.la_status == 'user' else 'automatic'})."
        )
    notes += list(result.warnings)
    for text in notes:
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(
                name=c["comment"], value=text[:1024], relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
            )
        )
    return group


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
def _walk(items: Any):
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
    c = _codes()
    key = {name: (code.value, code.scheme_designator) for name, code in c.items()}
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
    scalar = {
        key["n_jets"]: "n_jets",
        key["alias_velocity"]: "nyquist_cm_s",
        key["frame_rate"]: "frame_rate_hz",
        key["depth"]: "depth_cm",
        key["frame_number"]: "frame_number",
        key["frame_time"]: "frame_time_ms",
        key["la_area"]: "la_area_cm2",
        key["jet_la_ratio"]: "jet_la_ratio",
    }
    for item in _walk(ds.get("ContentSequence")):
        vt = item.get("ValueType")
        if "ConceptNameCodeSequence" not in item:
            continue
        concept = _meaning(item)
        if vt == "NUM":
            value = float(item.MeasuredValueSequence[0].NumericValue)
            if concept == key["jet_area"]:
                mods = {
                    _meaning(m) for m in _walk(item.get("ContentSequence")) if "ConceptNameCodeSequence" in m
                }
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
    return out


def write_comparison_srs(
    comparison: Any,
    pre_path: str | os.PathLike[str],
    post_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    **load_hints: Any,
) -> dict[str, Path]:
    """One SR per clip of a comparison: ``OUT/pre_sr.dcm`` and ``OUT/post_sr.dcm``.

    ``comparison`` is :func:`echoassess.compare`'s result for the two files;
    ``load_hints`` (``spacing_cm``, ``depth_cm``) are those the clips were
    loaded with. Returns ``{"pre_sr": path, "post_sr": path}``.
    """
    from .io import load_clip

    out = Path(out_dir)
    written = {}
    for role, path, result in (("pre", pre_path, comparison.pre), ("post", post_path, comparison.post)):
        clip = load_clip(path, **load_hints)
        written[f"{role}_sr"] = write_clip_sr(result, clip, out / f"{role}_sr.dcm")
    return written
