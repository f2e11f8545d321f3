"""Synthetic colour-Doppler echo clips with exact ground truth.

The project's ruler: every accuracy number comes from clips whose truth is
known by construction. A clip looks like an echo machine's screen (apical
4-chamber B-mode fan, colour box over the mitral valve and left atrium,
colour-bar legend, ECG, text and logo) and carries every confounder a naive
colour threshold falls for (diastolic inflow, PISA, pulmonary-vein flow,
colour noise, aliasing mosaic, a MitraClip artefact with its shadow).

A second, independent renderer (:func:`generate_world_clip`,
:class:`WorldParams`) randomises the view (apical, parasternal, TEE), the jet's
colour texture and the screen artefacts, for view-agnostic work.

    >>> from echoassess.synthetic import SceneParams, generate_clip
    >>> clip = generate_clip(SceneParams(rows=120, cols=160, n_frames=3), rng=0)
    >>> clip.truth.masks.dtype, clip.truth.spacing_cm[0] > 0
    (dtype('bool'), True)
"""

from .clip import StudyInfo, SyntheticClip, generate_clip, generate_study
from .colourmaps import COLOUR_MAPS, colour_lut
from .params import SceneParams
from .truth import ClipTruth, load_truth, truth_path_for
from .world import generate_world_clip, generate_world_study
from .world_params import ARTEFACT_SETS, TEXTURES, VIEWS, WorldParams, family_of

__all__ = [
    "SceneParams",
    "SyntheticClip",
    "ClipTruth",
    "StudyInfo",
    "generate_clip",
    "generate_study",
    "load_truth",
    "truth_path_for",
    "make_cohort",
    "COLOUR_MAPS",
    "colour_lut",
    "WorldParams",
    "generate_world_clip",
    "generate_world_study",
    "VIEWS",
    "TEXTURES",
    "ARTEFACT_SETS",
    "family_of",
]


def __getattr__(name: str):
    if name == "make_cohort":
        from .cohort import make_cohort

        return make_cohort
    raise AttributeError(name)
