"""Synthetic clips (:class:`SyntheticClip`: frames, truth, parameters and a fake
DICOM identity) from the apical generator: :func:`generate_clip`, :func:`generate_study`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .params import SceneParams
from .scene import render
from .truth import ClipTruth, truth_path_for
from .world_params import WorldParams

__all__ = [
    "StudyInfo",
    "SyntheticClip",
    "check_patient",
    "default_study",
    "generate_clip",
    "generate_study",
    "study_pair",
]


@dataclass(frozen=True)
class StudyInfo:
    """The (fake) identity and acquisition details written to DICOM."""

    patient_name: str = "SYNTHETIC^PATIENT001"
    patient_id: str = "SYN001"
    patient_birth_date: str = "19500101"
    patient_sex: str = "O"
    study_instance_uid: str = "2.25.1"
    study_id: str = "1"
    accession_number: str = "SYNACC001"
    study_datetime: datetime = datetime(2024, 1, 1, 9, 0, 0)
    study_description: str = "Synthetic TEE/TTE MitraClip study"
    series_instance_uid: str = "2.25.2"
    series_number: int = 1
    series_description: str = "A4C colour Doppler pre-clip"
    acquisition_datetime: datetime = datetime(2024, 1, 1, 9, 5, 0)
    sop_instance_uid: str = "2.25.3"
    frame_of_reference_uid: str = "2.25.4"
    instance_number: int = 1

    @staticmethod
    def random_uid(rng: np.random.Generator) -> str:
        """A ``2.25.<128-bit integer>`` UID drawn from ``rng``."""
        return "2.25." + str(int.from_bytes(rng.bytes(16), "big"))


@dataclass(frozen=True, eq=False)
class SyntheticClip:
    """A generated clip: frames, truth, parameters and DICOM identity.

    Attributes
    ----------
    frames : (T, H, W, 3) uint8
        RGB screens as the machine would show them.
    truth : ClipTruth
    params : SceneParams
    study : StudyInfo
    lut : (N, V, 3) uint8
        The colour table drawn as the legend (rows top = +Nyquist).
    """

    frames: np.ndarray
    truth: ClipTruth
    params: SceneParams | WorldParams
    study: StudyInfo
    lut: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])

    def to_dataset(self, *, encoding: str = "rgb", jpeg_quality: int = 90) -> Any:
        """The clip as a pydicom ``FileDataset`` (Ultrasound Multi-frame Image Storage).

        Parameters
        ----------
        encoding : {"rgb", "jpeg", "jpeg420"}
            Uncompressed RGB (explicit VR little endian) or JPEG Baseline with
            YBR_FULL_422 (each frame a JPEG, 4:2:2 chroma subsampling).
        jpeg_quality : int
            1..100, for the JPEG encodings.
        """
        from .dicom import clip_to_dataset

        return clip_to_dataset(self, encoding=encoding, jpeg_quality=jpeg_quality)

    def save(
        self, path: str | os.PathLike[str], *, encoding: str = "rgb", jpeg_quality: int = 90
    ) -> tuple[Path, Path]:
        """Write ``path`` (.dcm) and its truth file ``<stem>.truth.npz`` beside it.

        Returns
        -------
        (dcm_path, truth_path)
        """
        path = Path(path)
        if path.suffix.lower() != ".dcm":
            raise InvalidParameterError(path, "the output file name must end in .dcm")
        ds = self.to_dataset(encoding=encoding, jpeg_quality=jpeg_quality)
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        truth = self.truth.save(truth_path_for(path))
        return path, truth


def generate_clip(
    params: SceneParams | None = None,
    *,
    rng: int | np.random.Generator | None = None,
    study: StudyInfo | None = None,
) -> SyntheticClip:
    """Render one synthetic apical 4-chamber colour-Doppler clip with its truth.

    Parameters
    ----------
    params : SceneParams, optional
        The scene; the defaults when omitted.
    rng : int or numpy.random.Generator, optional
        Seed or generator: the same seed gives the same clip, bit for bit.
    study : StudyInfo, optional
        DICOM identity; a fake one drawn from ``rng`` when omitted.

    Returns
    -------
    SyntheticClip

    Examples
    --------
    >>> clip = generate_clip(SceneParams(rows=120, cols=160, n_frames=4), rng=1)
    >>> clip.frames.shape, clip.truth.masks.shape
    ((4, 120, 160, 3), (4, 120, 160))
    """
    if params is None:
        params = SceneParams()
    if not isinstance(params, SceneParams):
        raise InvalidParameterError(None, f"params must be a SceneParams, got {type(params).__name__}")
    g = np.random.default_rng(rng)
    if study is None:
        study = default_study(g)
    scene = render(params, g)
    lay = scene.layout
    truth = ClipTruth(
        jet_labels=scene.jet_labels,
        confounder_masks=scene.confounders,
        phase=scene.phase,
        valve_xy=scene.valve_xy,
        orifices_xy=scene.orifices_xy,
        colour_box_xyxy=scene.colour_box_xyxy,
        colour_bar_xyxy=lay.colour_bar_xyxy,
        tissue_region_xyxy=lay.tissue_xyxy,
        sector={
            "apex_x": lay.apex_x,
            "apex_y": lay.apex_y,
            "radius_px": lay.radius_px,
            "half_angle_deg": float(np.degrees(lay.half_angle_rad)),
        },
        spacing_cm=(lay.spacing_cm, lay.spacing_cm),
        nyquist_cm_s=float(params.nyquist_cm_s),
        frame_time_ms=float(params.frame_time_ms),
        heart_rate_bpm=float(params.heart_rate_bpm),
        colour_map=params.colour_map,
        post_clip=bool(params.post_clip),
        clip_xy=scene.clip_xy,
        la_area_cm2=scene.la_area_cm2,
        params=params.to_dict(),
        n_jet_sources=len(scene.orifices_xy),
    )
    return SyntheticClip(scene.frames, truth, params, study, scene.lut)


def default_study(g: np.random.Generator, patient: int = 1) -> StudyInfo:
    """A fake identity for patient number ``patient``, its dates and UIDs drawn from ``g``."""
    day = datetime(2024, 1, 1, 8, 0, 0) + timedelta(
        days=int(g.integers(0, 700)), minutes=int(g.integers(0, 8 * 60))
    )
    return StudyInfo(
        patient_name=f"SYNTHETIC^PATIENT{patient:03d}",
        patient_id=f"SYN{patient:03d}",
        patient_birth_date=f"{int(g.integers(1930, 1965))}0101",
        study_instance_uid=StudyInfo.random_uid(g),
        study_id=str(patient),
        accession_number=f"SYNACC{patient:03d}",
        study_datetime=day,
        series_instance_uid=StudyInfo.random_uid(g),
        acquisition_datetime=day + timedelta(minutes=5),
        sop_instance_uid=StudyInfo.random_uid(g),
        frame_of_reference_uid=StudyInfo.random_uid(g),
    )


def generate_study(
    rng: int | np.random.Generator | None = None,
    *,
    patient: int = 1,
    pre_params: SceneParams | None = None,
    post_params: SceneParams | None = None,
    **overrides: Any,
) -> tuple[SyntheticClip, SyntheticClip]:
    """One patient's pre-clip and post-clip clips: two series of one study.

    Parameters
    ----------
    rng : int or numpy.random.Generator, optional
    patient : int
        Number used in the fake name and ID (``SYNTHETIC^PATIENT007``, ``SYN007``).
    pre_params, post_params : SceneParams, optional
        Scenes to use; drawn with :meth:`SceneParams.random` when omitted
        (machine settings shared, the post scene with ``post_clip=True``).
    **overrides
        Passed to :meth:`SceneParams.random` for both scenes (e.g. ``rows=480``).

    Returns
    -------
    (pre, post) : SyntheticClip
        Same patient (same heart: a shared ``anatomy_seed``) and study;
        series 1 and 2, the post clip acquired 30 to 120 minutes later.
    """
    check_patient(patient)
    g = np.random.default_rng(rng)
    base = default_study(g, int(patient))
    anatomy_seed = int(g.integers(0, 2**31))
    if pre_params is None:
        pre_params = SceneParams.random(g, **{"anatomy_seed": anatomy_seed, **overrides})
    if post_params is None:
        # same machine and patient: keep the settings and the heart
        shared = {
            k: getattr(pre_params, k)
            for k in (
                "rows",
                "cols",
                "depth_cm",
                "sector_angle_deg",
                "nyquist_cm_s",
                "colour_map",
                "heart_scale",
                "tissue_gain",
                "anatomy_seed",
            )
        }
        shared.update(overrides)
        post_params = SceneParams.random(g, post_clip=True, **shared)
    pre_study, post_study = study_pair(base, g, "A4C colour Doppler pre-clip", "A4C colour Doppler post-clip")
    pre = generate_clip(pre_params, rng=g, study=pre_study)
    post = generate_clip(post_params, rng=g, study=post_study)
    return pre, post


def check_patient(patient: Any) -> None:
    """Raise :class:`InvalidParameterError` unless ``patient`` is an integer in 1..999999."""
    if not isinstance(patient, (int, np.integer)) or not 0 < int(patient) < 1_000_000:
        raise InvalidParameterError(None, f"patient must be a positive integer, got {patient!r}")


def study_pair(
    base: StudyInfo, g: np.random.Generator, pre_description: str, post_description: str
) -> tuple[StudyInfo, StudyInfo]:
    """The pre-clip and post-clip series of one study: series 1 and 2, the
    second acquired 30 to 120 minutes later with new series and instance UIDs
    (drawn from ``g``)."""
    later = base.acquisition_datetime + timedelta(minutes=int(g.integers(30, 121)))
    pre_study = replace(base, series_number=1, instance_number=1, series_description=pre_description)
    post_study = replace(
        base,
        series_instance_uid=StudyInfo.random_uid(g),
        sop_instance_uid=StudyInfo.random_uid(g),
        series_number=2,
        instance_number=1,
        series_description=post_description,
        acquisition_datetime=later,
    )
    return pre_study, post_study
