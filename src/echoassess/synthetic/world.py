"""World clips: random view, jet texture and screen artefacts, with exact truth.

A second renderer, independent of :func:`echoassess.synthetic.generate_clip`,
for developing and honestly evaluating view-agnostic jet measurement. See
:mod:`echoassess.synthetic.world_params` for the three named axes
(:data:`VIEWS`, :data:`TEXTURES`, :data:`ARTEFACT_SETS`).

    >>> from echoassess.synthetic import WorldParams, generate_world_clip
    >>> p = WorldParams.random(0, view="tee_me4c", rows=240, cols=320, n_frames=4)
    >>> clip = generate_world_clip(p, rng=0)
    >>> clip.frames.shape, clip.truth.view
    ((4, 240, 320, 3), 'tee_me4c')
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .clip import StudyInfo, SyntheticClip, check_patient, default_study, study_pair
from .truth import ClipTruth
from .world_params import ARTEFACT_SETS, TEXTURES, VIEWS, WorldParams, family_of
from .world_render import WorldScene, render_world

__all__ = [
    "WorldParams",
    "VIEWS",
    "TEXTURES",
    "ARTEFACT_SETS",
    "family_of",
    "generate_world_clip",
    "generate_world_study",
]

_SERIES_VIEW = {
    "a4c": "A4C",
    "a2c": "A2C",
    "a3c": "A3C",
    "plax": "PLAX",
    "tee_me4c": "TEE ME 4C",
    "tee_comm": "TEE ME commissural",
    "tee_lvot": "TEE ME LAX",
}


def generate_world_clip(
    params: WorldParams,
    *,
    rng: int | np.random.Generator | None = None,
    study: StudyInfo | None = None,
) -> SyntheticClip:
    """Render one world clip with its truth.

    Parameters
    ----------
    params : WorldParams
    rng : int or numpy.random.Generator, optional
        Seed or generator: the same seed gives the same clip, bit for bit.
    study : StudyInfo, optional
        DICOM identity; a fake one drawn from ``rng`` when omitted (its
        SeriesDescription names the view when ``params.series_names_view``).

    Returns
    -------
    SyntheticClip
        ``.save(path, encoding="rgb" | "jpeg" | "jpeg420")`` writes the DICOM and its
        ``.truth.npz``; ``.truth`` carries the world fields (``view``,
        ``mirrored``, ``texture``, ``artefacts``, ``annulus_xy``, ``la_mask``,
        ``vc_width_cm``, ``ai_masks``, ``overlay_mask``, ``ecg_xyxy``).

    Raises
    ------
    InvalidParameterError
        ``params`` is not a :class:`WorldParams`.
    """
    if not isinstance(params, WorldParams):
        raise InvalidParameterError(
            None,
            f"params must be a WorldParams, got {type(params).__name__} "
            "(use WorldParams.random(rng) to draw one)",
        )
    g = np.random.default_rng(rng)
    if study is None:
        when = "post" if params.post_clip else "pre"
        study = replace(default_study(g), series_description=_series_description(params, when))
    scene = render_world(params, g)
    return SyntheticClip(scene.frames, _world_truth(params, scene), params, study, scene.lut)


def _world_truth(params: WorldParams, scene: WorldScene) -> ClipTruth:
    """The truth of a rendered world scene."""
    lay = scene.layout
    return ClipTruth(
        jet_labels=scene.jet_labels,
        confounder_masks=scene.confounders,
        phase=scene.phase,
        valve_xy=scene.valve_xy,
        orifices_xy=scene.orifices_xy,
        colour_box_xyxy=scene.colour_box_xyxy,
        colour_bar_xyxy=lay.bar_xyxy,
        tissue_region_xyxy=scene.tissue_xyxy,
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
        colour_map=scene.colour_map,
        post_clip=bool(params.post_clip),
        clip_xy=scene.clip_xy,
        la_area_cm2=scene.la_area_cm2,
        params=params.to_dict(),
        n_jet_sources=len(scene.orifices_xy),
        view=params.view,
        mirrored=bool(params.mirrored),
        texture=params.texture,
        artefacts=params.artefacts,
        annulus_xy=scene.annulus_xy,
        la_mask=scene.la_mask,
        vc_width_cm=scene.vc_width_cm,
        vc_width_cm_frames=scene.vc_width_cm_frames,
        la_complete=scene.la_complete,
        ai_masks=scene.ai_masks,
        overlay_mask=scene.overlay_mask,
        ecg_xyxy=scene.ecg_xyxy,
        calibrated=bool(params.calibrated),
    )


def _series_description(p: WorldParams, when: str) -> str:
    if p.series_names_view:
        return f"{_SERIES_VIEW[p.view]} colour Doppler {when}-clip"
    return "Colour Doppler" if when == "pre" else "Colour Doppler 2"


# fields a second acquisition of the same patient on the same machine keeps
_SHARED = (
    "view",
    "texture",
    "artefacts",
    "mirrored",
    "rows",
    "cols",
    "depth_cm",
    "sector_angle_deg",
    "annulus_depth_cm",
    "annulus_tilt_deg",
    "heart_scale",
    "nyquist_cm_s",
    "colour_map",
    "mosaic",
    "mosaic_cell_px",
    "tissue_gain",
    "gain",
    "cursor_rgb",
    "ecg_rgb",
    "bar_side",
    "zoom_factor",
    "frame_counter",
    "calibrated",
    "dicom_view_code",
    "series_names_view",
    "anatomy_seed",
    "frame_rate_hz",
    "pisa_rings",
    "ai_jet",
    "lvot_flow",
)


def generate_world_study(
    rng: int | np.random.Generator | None = None,
    *,
    patient: int = 1,
    view: str | None = None,
    texture: str | None = None,
    artefacts: str | None = None,
    **overrides: Any,
) -> tuple[SyntheticClip, SyntheticClip]:
    """One patient's pre-clip and post-clip world clips (two series of one study).

    Same anatomy, view and machine settings; the post clip shows the clip
    device with 1-3 smaller jets.

    Parameters
    ----------
    rng : int or numpy.random.Generator, optional
    patient : int
        Number in the fake name and ID (``SYNTHETIC^PATIENT007``).
    view, texture, artefacts : str, optional
        Fix an axis for both clips (drawn when omitted).
    **overrides
        :class:`WorldParams` fields for both clips.

    Returns
    -------
    (pre, post) : SyntheticClip
    """
    check_patient(patient)
    g = np.random.default_rng(rng)
    base = default_study(g, int(patient))
    seed = int(g.integers(0, 2**31))
    pre_p = WorldParams.random(
        g, view=view, texture=texture, artefacts=artefacts, **{"anatomy_seed": seed, **overrides}
    )
    shared = {name: getattr(pre_p, name) for name in _SHARED}
    shared.update(overrides)
    post_p = WorldParams.random(g, post_clip=True, **shared)
    pre_study, post_study = study_pair(
        base, g, _series_description(pre_p, "pre"), _series_description(post_p, "post")
    )
    pre = generate_world_clip(pre_p, rng=g, study=pre_study)
    post = generate_world_clip(post_p, rng=g, study=post_study)
    return pre, post
