"""The content items of echoassess's SRs: codes, identifiers and measurement groups.

:mod:`echoassess.dicom.sr` assembles them into a TID 1500 report; this module
builds the parts with highdicom: the coded concepts (:func:`concept_codes`),
the deterministic UIDs (:func:`uid`), the observer device, one TID 1410 group
per jet (:func:`jet_group`) and the TID 1501 group of the clip (:func:`clip_group`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._version import __version__
from ..results import ClipResult

__all__ = [
    "PRIVATE_SCHEME",
    "MANUFACTURER",
    "STATUSES",
    "SrSource",
    "concept_codes",
    "uid",
    "observer",
    "jet_group",
    "clip_group",
]

#: Private coding scheme for the few concepts no standard vocabulary has.
PRIVATE_SCHEME = "99ECHOASSESS"
#: The SR's manufacturer (and the observer device's).
MANUFACTURER = "echoassess (open source)"
#: Measurement status -> its code meaning.
STATUSES = {
    "measured": "Jets measured",
    "no_jet": "No regurgitant jet",
    "cannot_measure": "Cannot measure",
}

_ALGORITHM_NAME = "echoassess-jet"
_DEVICE_NAME = "echoassess"


def concept_codes() -> dict[str, Any]:
    """Every coded concept an echoassess SR uses, by short name."""
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
        **{f"status_{k}": Code(k, private, v) for k, v in STATUSES.items()},
    }


def uid(*parts: Any) -> str:
    """A deterministic ``2.25.`` UID from ``parts`` (same inputs, same UID).

    A name-based (SHA-256, version-5 layout) UUID as a decimal, per DICOM PS3.5 B.2.

    >>> uid("a", 1) == uid("a", 1) != uid("a", 2)
    True
    """
    import uuid

    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return f"2.25.{uuid.UUID(bytes=digest[:16], version=5).int}"


def _algorithm(result: ClipResult, *, with_parameters: bool = False) -> Any:
    """The algorithm's name and version (and its parameters, once per SR: the clip group)."""
    import highdicom as hd

    version = (result.algorithm_version or "").removeprefix(f"{_ALGORITHM_NAME} ") or __version__
    params = [f"{k}={json.dumps(v, default=str)}" for k, v in sorted(result.params.items())]
    return hd.sr.AlgorithmIdentification(
        name=_ALGORITHM_NAME, version=version, parameters=(params or None) if with_parameters else None
    )


def observer(result: ClipResult) -> Any:
    """The observation context: echoassess (this version) as the observer device."""
    import highdicom as hd

    c = concept_codes()
    version = result.algorithm_version or __version__
    device = hd.sr.ObserverContext(
        observer_type=c["device"],
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=uid("echoassess device", version),
            name=_DEVICE_NAME,
            manufacturer_name=MANUFACTURER,
            model_name=version,
        ),
    )
    return hd.sr.ObservationContext(observer_device_context=device)


def _num(name: Any, value: float, unit: Any, **kwargs: Any) -> Any:
    import highdicom as hd

    return hd.sr.Measurement(name=name, value=float(value), unit=unit, **kwargs)


@dataclass(frozen=True)
class SrSource:
    """What every group of an SR references: the source instance and the measured frame."""

    sop_class_uid: str
    sop_instance_uid: str
    frame: int | None  # 0-based max frame, None when there is none
    frame_numbers: list[int] | None  # DICOM's 1-based ReferencedFrameNumber, multi-frame only


def jet_group(result: ClipResult, jet: Any, outline: np.ndarray, ref: SrSource, c: dict[str, Any]) -> Any:
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
    frame_label = "?" if ref.frame is None else ref.frame + 1
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=uid("echoassess jet", ref.sop_instance_uid, result.algorithm_version, jet.label),
            identifier=f"MR jet {jet.label} (frame {frame_label})",
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


def clip_group(result: ClipResult, ref: SrSource, c: dict[str, Any]) -> Any:
    """TID 1501 for the clip: summed area, jets, frame, settings, status and notes."""
    import highdicom as hd

    status = result.status if result.status in STATUSES else "measured"
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=uid("echoassess clip", ref.sop_instance_uid, result.algorithm_version),
            identifier="MR colour-jet area (clip)",
        ),
        finding_type=c["regurgitant_flow"],
        finding_sites=[hd.sr.FindingSite(c["mitral_valve"])],
        algorithm_id=_algorithm(result, with_parameters=True),
        measurements=_clip_measurements(result, ref, c) or None,
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(c["status"], c[f"status_{status}"])],
        source_images=[
            hd.sr.SourceImageForMeasurementGroup(
                referenced_sop_class_uid=ref.sop_class_uid,
                referenced_sop_instance_uid=ref.sop_instance_uid,
                referenced_frame_numbers=ref.frame_numbers,
            )
        ],
    )
    for text in _clip_notes(result, status):
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(
                name=c["comment"], value=text[:1024], relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
            )
        )
    return group


def _clip_measurements(result: ClipResult, ref: SrSource, c: dict[str, Any]) -> list[Any]:
    """The clip group's numbers: summed area, jets, frame, post-TEER LA and settings."""
    import highdicom as hd

    algorithm = _algorithm(result)
    summary: list[Any] = []
    if result.status != "cannot_measure":
        if result.max_jet_area_cm2 is not None:
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
    return summary


def _clip_notes(result: ClipResult, status: str) -> list[str]:
    """The clip group's comments: what the area is, the status reason, warnings."""
    notes = ["Colour-Doppler jet area only, not an MR grade: it depends on machine settings."]
    if result.status_reason:
        notes.append(f"{STATUSES.get(status, status)}: {result.status_reason}")
    if result.max_jet_area_cm2 is None and result.status == "measured":
        notes.append("The clip is uncalibrated: outlines only, no area in cm2.")
    pt = result.post_teer
    if pt is not None and pt.la_area_cm2 is not None:
        notes.append(
            "Left atrial area: on the frame of maximal jet area of this view "
            f"({'outline given by the user' if pt.la_status == 'user' else 'automatic'})."
        )
    notes += list(result.warnings)
    return notes
