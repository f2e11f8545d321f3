"""The exact answer of a synthetic clip (:class:`ClipTruth`) and its file.

A truth file ``<stem>.truth.npz`` sits beside each generated ``<stem>.dcm``:
the jet labels, packed confounder (and world) masks and a JSON summary,
written byte-reproducibly (fixed zip timestamps).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from ..errors import InvalidParameterError

__all__ = ["ClipTruth", "TRUTH_SUFFIX", "load_truth", "truth_path_for"]

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
        annulus_xy=None if meta.get("annulus_xy") is None else _hinges(meta["annulus_xy"]),
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


def _hinges(values: list[list[float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two annulus hinge points of a truth file's JSON."""
    (x0, y0), (x1, y1) = values
    return (x0, y0), (x1, y1)
