"""Synthetic clips and their ground truth: :func:`generate_clip`, :func:`generate_study`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from ..errors import InvalidParameterError
from .params import SceneParams
from .scene import render
from .world_params import WorldParams

__all__ = [
    "ClipTruth",
    "StudyInfo",
    "SyntheticClip",
    "generate_clip",
    "generate_study",
    "load_truth",
    "truth_path_for",
]

TRUTH_SUFFIX = ".truth.npz"
_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True, eq=False)
class ClipTruth:
    """The exact answer for one synthetic clip.

    Pixel coordinates: x = column, y = row; boxes are inclusive
    ``(x0, y0, x1, y1)``.

    Attributes
    ----------
    jet_labels : (T, H, W) uint8
        0 where no regurgitant colour is shown, ``k`` where jet ``k`` (1-based)
        coloured the pixel.
    masks : (T, H, W) bool
        Exactly the pixels coloured by the regurgitant jet(s) in the rendered
        frame (before any JPEG coding): ``jet_labels > 0``.
    confounder_masks : (T, H, W) bool
        Coloured pixels inside the colour box that are *not* jet: diastolic
        inflow, PISA convergence, pulmonary-vein flow and noise specks.
    areas_cm2 : (T,) float64
        Jet area per frame (all jets together).
    jet_areas_cm2 : (T, J) float64
        Area of each jet per frame.
    n_jets : (T,) int
        Jets with at least one coloured pixel on the frame. The generator
        shows each jet as one 8-connected region touching no other jet, so
        this equals ``n_components``.
    n_components : (T,) int
        8-connected regions of the mask.
    phase : (T,) str
        ``"systole"`` or ``"diastole"``.
    max_frame : int
        The frame with the largest jet area (the first one on ties).
    valve_xy : (float, float)
        Mitral coaptation point (pixels).
    orifices_xy : tuple of (float, float)
        Where each jet leaves the valve (pixels).
    colour_box_xyxy, colour_bar_xyxy, tissue_region_xyxy : (int, int, int, int)
        The colour-flow box (outline included), the colour-bar legend (bar
        pixels only, top row = +Nyquist) and the fan's bounding box.
    sector : dict
        ``apex_x``, ``apex_y``, ``radius_px``, ``half_angle_deg``.
    spacing_cm : (float, float)
        ``(dx, dy)`` cm per pixel, as in the DICOM regions.
    nyquist_cm_s, frame_time_ms, heart_rate_bpm : float
    colour_map : str
    post_clip : bool
    clip_xy : (float, float) or None
        Centre of the MitraClip artefact.
    la_area_cm2 : float
        Left-atrial blood area shown in the fan.
    params : dict
        The :class:`SceneParams` (or :class:`WorldParams`) used, as a dict.
    view, texture, artefacts : str
        The clip's family (``"a4c"``, ``"fine"``, ``"clean"`` for
        :func:`generate_clip` clips); see :mod:`echoassess.synthetic.world_params`.
    mirrored : bool
        Anatomy and flow mirrored left-right.
    annulus_xy : ((float, float), (float, float)) or None
        The two mitral annulus hinge points (pixels); ``valve_xy`` is their
        midpoint for world clips.
    la_mask : (H, W) bool or None
        The left-atrial blood pool shown on the max-jet frame.
    vc_width_cm : tuple of float
        Each jet's vena contracta: the width of its neck (the first 0.25 cm
        past the orifice, across the jet axis) at peak
        systole; the drawn neck is this width times ``0.6 + 0.4 g`` on a frame
        of strength ``g`` (1 at peak).
    vc_width_cm_frames : (T, n_jet_sources) float or None
        The neck width each jet is drawn with on each frame (``NaN`` where the
        jet is not drawn): exactly ``vc_width_cm`` times ``0.6 + 0.4 g``, where
        the frame's strength ``g`` includes the beat's gain (0.85-1.15), so the
        largest drawn neck can differ from ``vc_width_cm`` by a few per cent.
        It is the width across the jet's centreline; where an oblique jet's
        neck is cut by the annulus line, less of it shows.
    la_complete : bool or None
        The whole left-atrial pool lies inside the imaging fan and the screen
        (at least 98 % of it; ``la_mask`` is always the part inside the fan).
    ai_masks : (T, H, W) bool or None
        Pixels coloured by a diastolic aortic-regurgitation jet (a confounder,
        also in ``confounder_masks``).
    overlay_mask : (H, W) bool or None
        Static coloured overlay pixels inside the colour box (identical on
        every frame; also in ``confounder_masks``).
    ecg_xyxy : (int, int, int, int) or None
        The ECG strip, when one is drawn.
    calibrated : bool
        Whether the DICOM carries the Sequence of Ultrasound Regions (the
        truth spacing is known either way).
    """

    jet_labels: np.ndarray
    confounder_masks: np.ndarray
    phase: np.ndarray
    valve_xy: tuple[float, float]
    orifices_xy: tuple[tuple[float, float], ...]
    colour_box_xyxy: tuple[int, int, int, int]
    colour_bar_xyxy: tuple[int, int, int, int]
    tissue_region_xyxy: tuple[int, int, int, int]
    sector: dict[str, float]
    spacing_cm: tuple[float, float]
    nyquist_cm_s: float
    frame_time_ms: float
    heart_rate_bpm: float
    colour_map: str
    post_clip: bool
    clip_xy: tuple[float, float] | None
    la_area_cm2: float
    params: dict[str, Any]
    n_jet_sources: int
    view: str = "a4c"
    mirrored: bool = False
    texture: str = "fine"
    artefacts: str = "clean"
    annulus_xy: tuple[tuple[float, float], tuple[float, float]] | None = None
    la_mask: np.ndarray | None = field(default=None, repr=False)
    vc_width_cm: tuple[float, ...] = ()
    vc_width_cm_frames: np.ndarray | None = field(default=None, repr=False)
    la_complete: bool | None = None
    ai_masks: np.ndarray | None = field(default=None, repr=False)
    overlay_mask: np.ndarray | None = field(default=None, repr=False)
    ecg_xyxy: tuple[int, int, int, int] | None = None
    calibrated: bool = True
    masks: np.ndarray = field(init=False, repr=False)
    areas_cm2: np.ndarray = field(init=False)
    jet_areas_cm2: np.ndarray = field(init=False)
    n_jets: np.ndarray = field(init=False)
    n_components: np.ndarray = field(init=False)
    max_frame: int = field(init=False)

    def __post_init__(self) -> None:
        labels = self.jet_labels
        masks = labels > 0
        px = self.spacing_cm[0] * self.spacing_cm[1]
        J = self.n_jet_sources
        per_jet = np.zeros((len(labels), J), np.int64)
        for j in range(J):
            per_jet[:, j] = (labels == j + 1).sum(axis=(1, 2))
        counts = masks.sum(axis=(1, 2))
        comps = np.array([ndi.label(m, structure=_EIGHT)[1] if m.any() else 0 for m in masks])
        object.__setattr__(self, "masks", masks)
        object.__setattr__(self, "areas_cm2", counts * px)
        object.__setattr__(self, "jet_areas_cm2", per_jet * px)
        object.__setattr__(self, "n_jets", (per_jet > 0).sum(axis=1))
        object.__setattr__(self, "n_components", comps)
        object.__setattr__(self, "max_frame", int(np.argmax(counts)) if len(counts) else 0)

    @property
    def n_frames(self) -> int:
        return int(self.jet_labels.shape[0])

    @property
    def max_area_cm2(self) -> float:
        return float(self.areas_cm2[self.max_frame])

    @property
    def max_jet_areas_cm2(self) -> np.ndarray:
        """Each jet's area on the max-area frame."""
        return self.jet_areas_cm2[self.max_frame]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (per-frame lists, no masks)."""
        out = {
            "n_frames": self.n_frames,
            "max_frame": self.max_frame,
            "max_area_cm2": self.max_area_cm2,
            "max_jet_areas_cm2": [float(a) for a in self.max_jet_areas_cm2],
            "areas_cm2": [float(a) for a in self.areas_cm2],
            "jet_areas_cm2": self.jet_areas_cm2.tolist(),
            "n_jets": [int(n) for n in self.n_jets],
            "n_components": [int(n) for n in self.n_components],
            "phase": [str(x) for x in self.phase],
            "valve_xy": list(self.valve_xy),
            "orifices_xy": [list(o) for o in self.orifices_xy],
            "colour_box_xyxy": list(self.colour_box_xyxy),
            "colour_bar_xyxy": list(self.colour_bar_xyxy),
            "tissue_region_xyxy": list(self.tissue_region_xyxy),
            "sector": dict(self.sector),
            "spacing_cm": list(self.spacing_cm),
            "nyquist_cm_s": self.nyquist_cm_s,
            "frame_time_ms": self.frame_time_ms,
            "heart_rate_bpm": self.heart_rate_bpm,
            "colour_map": self.colour_map,
            "post_clip": self.post_clip,
            "clip_xy": None if self.clip_xy is None else list(self.clip_xy),
            "la_area_cm2": self.la_area_cm2,
            "n_jet_sources": self.n_jet_sources,
            "params": dict(self.params),
        }
        if self._is_world():
            out.update(
                view=self.view,
                mirrored=bool(self.mirrored),
                texture=self.texture,
                artefacts=self.artefacts,
                annulus_xy=None if self.annulus_xy is None else [list(a) for a in self.annulus_xy],
                vc_width_cm=[float(w) for w in self.vc_width_cm],
                vc_width_cm_frames=(
                    None
                    if self.vc_width_cm_frames is None
                    else [
                        [None if not np.isfinite(w) else round(float(w), 5) for w in row]
                        for row in self.vc_width_cm_frames
                    ]
                ),
                la_complete=self.la_complete,
                ecg_xyxy=None if self.ecg_xyxy is None else list(self.ecg_xyxy),
                calibrated=bool(self.calibrated),
                la_area_frac_max=self.la_fraction_max,
            )
        return out

    def _is_world(self) -> bool:
        """Whether any field beyond the original set is used (older files stay identical)."""
        return (
            self.annulus_xy is not None
            or self.la_mask is not None
            or bool(self.vc_width_cm)
            or self.ai_masks is not None
            or self.overlay_mask is not None
            or self.ecg_xyxy is not None
            or not self.calibrated
            or self.mirrored
            or (self.view, self.texture, self.artefacts) != ("a4c", "fine", "clean")
        )

    @property
    def la_fraction_max(self) -> float | None:
        """Max-frame jet area / LA area (``None`` without an LA area)."""
        if not self.la_area_cm2:
            return None
        return float(self.max_area_cm2 / self.la_area_cm2)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``path`` (``.truth.npz``): labels, confounders and the JSON summary."""
        path = Path(path)
        arrays = dict(
            jet_labels=self.jet_labels,
            confounders=np.packbits(self.confounder_masks, axis=-1),
            meta=np.array(json.dumps(self.to_dict(), sort_keys=True)),
        )
        if self.la_mask is not None:
            arrays["la_mask"] = np.packbits(self.la_mask, axis=-1)
        if self.ai_masks is not None:
            arrays["ai_masks"] = np.packbits(self.ai_masks, axis=-1)
        if self.overlay_mask is not None:
            arrays["overlay_mask"] = np.packbits(self.overlay_mask, axis=-1)
        _savez_reproducible(path, **arrays)
        return path


def _savez_reproducible(path: Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez_compressed`` but byte-reproducible (fixed zip timestamps)."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=6)


def load_truth(path: str | os.PathLike[str]) -> ClipTruth:
    """Read a truth file written by :meth:`SyntheticClip.save` (or :meth:`ClipTruth.save`).

    ``path`` may be the ``.truth.npz`` file or the ``.dcm`` beside it.
    """
    path = Path(path)
    if path.suffix.lower() == ".dcm":
        path = truth_path_for(path)
    if not path.is_file():
        raise InvalidParameterError(path, "no such truth file")
    with np.load(path, allow_pickle=False) as z:
        labels = z["jet_labels"]
        meta = json.loads(str(z["meta"]))
        width = labels.shape[-1]
        conf = np.unpackbits(z["confounders"], axis=-1, count=width).astype(bool)
        extra = {
            name: np.unpackbits(z[name], axis=-1, count=width).astype(bool)
            for name in ("la_mask", "ai_masks", "overlay_mask")
            if name in z.files
        }
    return ClipTruth(
        jet_labels=labels,
        confounder_masks=conf,
        phase=np.array(meta["phase"]),
        valve_xy=tuple(meta["valve_xy"]),
        orifices_xy=tuple(tuple(o) for o in meta["orifices_xy"]),
        colour_box_xyxy=tuple(meta["colour_box_xyxy"]),
        colour_bar_xyxy=tuple(meta["colour_bar_xyxy"]),
        tissue_region_xyxy=tuple(meta["tissue_region_xyxy"]),
        sector=dict(meta["sector"]),
        spacing_cm=tuple(meta["spacing_cm"]),
        nyquist_cm_s=meta["nyquist_cm_s"],
        frame_time_ms=meta["frame_time_ms"],
        heart_rate_bpm=meta["heart_rate_bpm"],
        colour_map=meta["colour_map"],
        post_clip=meta["post_clip"],
        clip_xy=None if meta["clip_xy"] is None else tuple(meta["clip_xy"]),
        la_area_cm2=meta["la_area_cm2"],
        params=meta["params"],
        n_jet_sources=meta["n_jet_sources"],
        view=meta.get("view", "a4c"),
        mirrored=bool(meta.get("mirrored", False)),
        texture=meta.get("texture", "fine"),
        artefacts=meta.get("artefacts", "clean"),
        annulus_xy=(None if meta.get("annulus_xy") is None else tuple(tuple(a) for a in meta["annulus_xy"])),
        vc_width_cm=tuple(meta.get("vc_width_cm", ())),
        vc_width_cm_frames=(
            None
            if meta.get("vc_width_cm_frames") is None
            else np.array(
                [[np.nan if w is None else w for w in row] for row in meta["vc_width_cm_frames"]], float
            ).reshape(len(meta["vc_width_cm_frames"]), -1)
        ),
        la_complete=meta.get("la_complete"),
        ecg_xyxy=None if meta.get("ecg_xyxy") is None else tuple(meta["ecg_xyxy"]),
        calibrated=bool(meta.get("calibrated", True)),
        la_mask=extra.get("la_mask"),
        ai_masks=extra.get("ai_masks"),
        overlay_mask=extra.get("overlay_mask"),
    )


def truth_path_for(dcm_path: str | os.PathLike[str]) -> Path:
    """``x/name.dcm`` -> ``x/name.truth.npz``."""
    p = Path(dcm_path)
    return p.with_name(p.stem + TRUTH_SUFFIX)


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

    def with_study(self, study: StudyInfo) -> SyntheticClip:
        return replace(self, study=study)

    def to_dataset(self, *, encoding: str = "rgb", jpeg_quality: int = 90) -> Any:
        """The clip as a pydicom ``FileDataset`` (Ultrasound Multi-frame Image Storage).

        Parameters
        ----------
        encoding : {"rgb", "jpeg"}
            Uncompressed RGB (explicit VR little endian) or JPEG Baseline with
            YBR_FULL_422 (each frame a JPEG, 4:2:2 chroma subsampling).
        jpeg_quality : int
            1..100, for ``"jpeg"``.
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
        study = _default_study(g)
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


def _default_study(g: np.random.Generator, patient: int = 1) -> StudyInfo:
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
    if not isinstance(patient, (int, np.integer)) or not 0 < int(patient) < 1_000_000:
        raise InvalidParameterError(None, f"patient must be a positive integer, got {patient!r}")
    g = np.random.default_rng(rng)
    base = _default_study(g, int(patient))
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
    later = base.acquisition_datetime + timedelta(minutes=int(g.integers(30, 121)))
    pre_study = replace(
        base, series_number=1, instance_number=1, series_description="A4C colour Doppler pre-clip"
    )
    post_study = replace(
        base,
        series_instance_uid=StudyInfo.random_uid(g),
        sop_instance_uid=StudyInfo.random_uid(g),
        series_number=2,
        instance_number=1,
        series_description="A4C colour Doppler post-clip",
        acquisition_datetime=later,
    )
    pre = generate_clip(pre_params, rng=g, study=pre_study)
    post = generate_clip(post_params, rng=g, study=post_study)
    return pre, post
