"""Parameters of a "world" synthetic clip: random view, colour style and artefacts.

:class:`WorldParams` drives :func:`echoassess.synthetic.generate_world_clip`, a
renderer independent of :mod:`echoassess.synthetic.scene`. Three named axes
define a clip's *family*:

``view``
    ``"a4c"``, ``"a2c"``, ``"a3c"`` (TTE apical: probe at the top, LV in the
    near field, mitral annulus 9-12 cm deep, LA in the far field; a3c adds the
    LVOT and aortic valve), ``"plax"`` (TTE parasternal long axis: RV in the
    near field, aortic root beside the LV, LA behind the root, strongly tilted
    annulus, MR running posteriorly, diastolic AI in about half the clips),
    ``"tee_me4c"``, ``"tee_comm"``, ``"tee_lvot"`` (TEE mid-oesophageal: LA in
    the near field right under the apex, MR flowing toward the probe).
    Any view may be ``mirrored`` left-right.
``texture``
    How the regurgitant jet's colour looks: ``"fine"`` (fine aliasing mosaic,
    slower unaliased rim), ``"coarse"`` (large single-colour patches, dark
    near-zero streaks and holes), ``"edge_aliased"`` (aliased to the edge, no
    slow shell), ``"variance"`` (variance map: turbulence adds green).
``artefacts``
    ``"clean"`` (white ECG cursor), ``"cursor_colour"`` (non-white cursor),
    ``"frozen_ecg"`` (the same trace on every frame, no cursor), ``"no_ecg"``,
    ``"overlays"`` (static coloured marks inside the colour box), ``"zoom"``
    (zoomed display: the fan's apex above the image) and ``"frozen_overlays"``.

Everything else (colour map, Nyquist, gains, size, timing, PISA, eccentric
jets, inflow, pulmonary-vein flow, flashes, DICOM header details) is drawn
independently by :meth:`WorldParams.random`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from ..errors import InvalidParameterError

__all__ = [
    "WorldParams",
    "VIEWS",
    "TEXTURES",
    "ARTEFACT_SETS",
    "WORLD_COLOUR_MAPS",
    "TEE_VIEWS",
    "family_of",
]

#: The view axis.
VIEWS = ("a4c", "a2c", "a3c", "plax", "tee_me4c", "tee_comm", "tee_lvot")
#: TEE views (MR flows toward the probe).
TEE_VIEWS = ("tee_me4c", "tee_comm", "tee_lvot")
#: The jet-texture axis.
TEXTURES = ("fine", "coarse", "edge_aliased", "variance")
#: The artefact axis.
ARTEFACT_SETS = (
    "clean",
    "cursor_colour",
    "frozen_ecg",
    "no_ecg",
    "overlays",
    "zoom",
    "frozen_overlays",
)
#: Vendor-like colour maps of the world renderer (velocity part; a variance
#: version of each adds green for turbulence).
WORLD_COLOUR_MAPS = ("vendor_a", "vendor_b", "ge_like", "philips_like", "siemens_like")
_MOSAICS = ("fine", "coarse")
_BAR_SIDES = ("left", "right")


#: (field, allowed values) of the named fields.
_CHOICES = (
    ("view", VIEWS),
    ("texture", TEXTURES),
    ("artefacts", ARTEFACT_SETS),
    ("colour_map", WORLD_COLOUR_MAPS),
    ("mosaic", _MOSAICS),
    ("bar_side", _BAR_SIDES),
)
#: (field, lowest, highest, integer) of the numeric fields.
_RANGES = (
    ("rows", 240, 1200, True),
    ("cols", 320, 2048, True),
    ("n_frames", 1, 400, True),
    ("depth_cm", 8, 24, False),
    ("sector_angle_deg", 40, 100, False),
    ("annulus_depth_cm", 3, 14, False),
    ("annulus_tilt_deg", -70, 70, False),
    ("heart_scale", 0.7, 1.3, False),
    ("nyquist_cm_s", 20, 120, False),
    ("frame_rate_hz", 5, 200, False),
    ("heart_rate_bpm", 30, 200, False),
    ("start_phase", 0, 1, False),
    ("mosaic_cell_px", 0.5, 16, False),
    ("gain", 0.3, 3, False),
    ("tissue_gain", 0.3, 3, False),
    ("noise_level", 0, 1, False),
    ("n_jets", 0, 4, True),
    ("jet_length_cm", 0.3, 10, False),
    ("jet_width_cm", 0.2, 5, False),
    ("vc_width_cm", 0.05, 1.5, False),
    ("jet_angle_deg", -80, 80, False),
    ("jet_velocity_cm_s", 100, 1000, False),
    ("turbulence", 0, 1, False),
    ("pisa_radius_cm", 0.1, 2, False),
    ("zoom_factor", 1, 3, False),
)
#: The True/False fields.
_FLAGS = (
    "mirrored",
    "wall_hugging",
    "touching",
    "pisa",
    "pisa_rings",
    "inflow",
    "pulmonary_vein_flow",
    "lvot_flow",
    "ai_jet",
    "wall_flash",
    "post_clip",
    "frame_counter",
    "calibrated",
    "dicom_view_code",
    "series_names_view",
)


def _in_range(value: Any, lo: float, hi: float, *, integer: bool) -> bool:
    """A finite real number (an integral one when ``integer``) in ``[lo, hi]``; not a bool."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok and integer:
        ok = float(value) == int(value)
    return bool(ok and math.isfinite(float(value)) and lo <= float(value) <= hi)


def family_of(params: WorldParams) -> tuple[str, str, str]:
    """``(view, texture, artefacts)`` of a clip's parameters."""
    return params.view, params.texture, params.artefacts


@dataclass(frozen=True)
class WorldParams:
    """Everything that defines one world clip.

    Lengths in cm, velocities in cm/s, angles in degrees, colours RGB.

    Attributes
    ----------
    view, texture, artefacts : str
        The three named axes (see the module docstring).
    mirrored : bool
        Anatomy and flow mirrored left-right (text, bar and ECG are not).
    rows, cols : int
        Frame size (landscape; 240..1200 rows).
    n_frames : int
    depth_cm, sector_angle_deg : float
        Imaging depth and fan opening.
    annulus_depth_cm : float
        Depth of the mitral annulus centre.
    annulus_tilt_deg : float
        Tilt of the annulus line (for plax: angle of the LV->LA axis from vertical).
    heart_scale : float
        Heart size relative to the reference.
    nyquist_cm_s, frame_rate_hz, heart_rate_bpm, start_phase : float
    colour_map : str
        One of :data:`WORLD_COLOUR_MAPS`.
    mosaic : {"fine", "coarse"}
        Mosaic cell size for the ``"variance"`` texture (others imply it).
    mosaic_cell_px : float
        Mosaic cell size in pixels (1-3 fine, 4-12 coarse).
    gain, tissue_gain, noise_level : float
        Colour gain, B-mode gain, 0..1 colour specks and clutter.
    n_jets : int
        0..4 regurgitant jets.
    jet_length_cm, jet_width_cm, vc_width_cm : float
        Length, greatest width and vena-contracta (neck) width at peak systole.
    jet_angle_deg : float
        Jet direction from the valve axis (positive toward +v, the first hinge
        to the second).
    wall_hugging : bool
        Eccentric jet turning along the LA wall (Coanda).
    touching : bool
        Post-clip: two jets merge downstream (origins separate).
    jet_velocity_cm_s, turbulence : float
    pisa : bool
    pisa_radius_cm : float
    pisa_rings : bool
        Tight, many-ringed aliasing of the PISA (clean convergence).
    inflow, pulmonary_vein_flow, lvot_flow, ai_jet, wall_flash : bool
        Confounder flows (diastolic inflow, PV flow, systolic LVOT outflow,
        diastolic aortic regurgitation, wall-motion flashes).
    post_clip : bool
        MitraClip device (bright echo + shadow) with smaller jets beside it.
    cursor_rgb, ecg_rgb : (int, int, int)
        ECG cursor and trace colours.
    bar_side : {"left", "right"}
    zoom_factor : float
        1 = no zoom; > 1 for the ``"zoom"`` artefact sets.
    frame_counter : bool
        Draw a per-frame counter text.
    calibrated : bool
        Write the DICOM Sequence of Ultrasound Regions.
    dicom_view_code : bool
        Write a ViewCodeSequence (and TEE transducer data for TEE views).
    series_names_view : bool
        The SeriesDescription names the view.
    anatomy_seed : int or None
        Seed of the heart's shape (same value: same heart, as pre and post).
    """

    view: str = "a4c"
    texture: str = "fine"
    artefacts: str = "clean"
    mirrored: bool = False
    rows: int = 600
    cols: int = 800
    n_frames: int = 40
    depth_cm: float = 16.0
    sector_angle_deg: float = 75.0
    annulus_depth_cm: float = 10.5
    annulus_tilt_deg: float = 0.0
    heart_scale: float = 1.0
    nyquist_cm_s: float = 60.0
    frame_rate_hz: float = 30.0
    heart_rate_bpm: float = 72.0
    start_phase: float = 0.9
    colour_map: str = "vendor_a"
    mosaic: str = "fine"
    mosaic_cell_px: float = 2.0
    gain: float = 1.0
    tissue_gain: float = 1.0
    noise_level: float = 0.5
    n_jets: int = 1
    jet_length_cm: float = 4.0
    jet_width_cm: float = 2.0
    vc_width_cm: float = 0.5
    jet_angle_deg: float = 0.0
    wall_hugging: bool = False
    touching: bool = False
    jet_velocity_cm_s: float = 480.0
    turbulence: float = 0.5
    pisa: bool = True
    pisa_radius_cm: float = 0.7
    pisa_rings: bool = False
    inflow: bool = True
    pulmonary_vein_flow: bool = True
    lvot_flow: bool = True
    ai_jet: bool = False
    wall_flash: bool = True
    post_clip: bool = False
    cursor_rgb: tuple[int, int, int] = (235, 235, 235)
    ecg_rgb: tuple[int, int, int] = (40, 220, 70)
    bar_side: str = "right"
    zoom_factor: float = 1.0
    frame_counter: bool = True
    calibrated: bool = True
    dicom_view_code: bool = True
    series_names_view: bool = True
    anatomy_seed: int | None = None

    def __post_init__(self) -> None:
        for name, choices in _CHOICES:
            if getattr(self, name) not in choices:
                raise self._bad(name, f"one of {', '.join(choices)}")
        for name, lo, hi, integer in _RANGES:
            if not _in_range(getattr(self, name), lo, hi, integer=integer):
                raise self._bad(name, f"{'an integer' if integer else 'a number'} in [{lo:g}, {hi:g}]")
        for name in _FLAGS:
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise self._bad(name, "True or False")
        for name in ("cursor_rgb", "ecg_rgb"):
            value = getattr(self, name)
            if not (
                isinstance(value, (tuple, list))
                and len(value) == 3
                and all(isinstance(c, (int, np.integer)) and 0 <= int(c) <= 255 for c in value)
            ):
                raise self._bad(name, "three integers in 0..255")
            object.__setattr__(self, name, tuple(int(c) for c in value))
        if self.artefacts == "cursor_colour" and len(set(self.cursor_rgb)) == 1:
            raise self._bad("cursor_rgb", "a non-grey colour with artefacts='cursor_colour'")
        if self.cols < self.rows * 1.05:
            raise self._bad("cols", f"at least 1.05 x rows ({self.rows}): an echo screen is landscape")
        seed = self.anatomy_seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63
        ):
            raise self._bad("anatomy_seed", "None or a non-negative integer")

    def _bad(self, name: str, what: str) -> InvalidParameterError:
        return InvalidParameterError(None, f"WorldParams.{name} must be {what}, got {getattr(self, name)!r}")

    # -- derived -----------------------------------------------------------------
    @property
    def frame_time_ms(self) -> float:
        return 1000.0 / self.frame_rate_hz

    @property
    def rr_ms(self) -> float:
        return 60000.0 / self.heart_rate_bpm

    @property
    def systole_ms(self) -> float:
        """Duration of the regurgitant (systolic) period."""
        return min(0.55 * self.rr_ms, max(200.0, 520.0 - 2.0 * self.heart_rate_bpm))

    @property
    def is_tee(self) -> bool:
        return self.view in TEE_VIEWS

    @property
    def effective_mosaic(self) -> str:
        """``"fine"`` or ``"coarse"``: the mosaic the texture implies."""
        if self.texture in ("fine", "coarse"):
            return self.texture
        return self.mosaic

    @property
    def ecg_mode(self) -> str:
        """``"cursor"``, ``"frozen"`` or ``"none"``."""
        if self.artefacts in ("frozen_ecg", "frozen_overlays"):
            return "frozen"
        if self.artefacts == "no_ecg":
            return "none"
        return "cursor"

    @property
    def has_overlays(self) -> bool:
        return self.artefacts in ("overlays", "frozen_overlays")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        out = {}
        for k, v in asdict(self).items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, tuple):
                v = list(v)
            out[k] = v
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> WorldParams:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InvalidParameterError(None, f"unknown WorldParams field(s): {', '.join(unknown)}")
        values = dict(values)
        for name in ("cursor_rgb", "ecg_rgb"):
            if isinstance(values.get(name), list):
                values[name] = tuple(values[name])
        return cls(**values)

    def replace(self, **changes: Any) -> WorldParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def random(
        cls,
        rng: int | np.random.Generator | None = None,
        *,
        view: str | None = None,
        texture: str | None = None,
        artefacts: str | None = None,
        post_clip: bool = False,
        **overrides: Any,
    ) -> WorldParams:
        """Draw a plausible clip of a family; ``None`` axes are drawn too.

        Parameters
        ----------
        rng : int or numpy.random.Generator or None
        view, texture, artefacts : str, optional
            Fix an axis (one of :data:`VIEWS`, :data:`TEXTURES`, :data:`ARTEFACT_SETS`).
        post_clip : bool
            After MitraClip: device, 1-3 smaller jets.
        **overrides
            Fields to fix instead of drawing them.

        Examples
        --------
        >>> p = WorldParams.random(3, view="tee_me4c", rows=240, cols=320)
        >>> p.view, p == WorldParams.random(3, view="tee_me4c", rows=240, cols=320)
        ('tee_me4c', True)
        """
        g = np.random.default_rng(rng)
        overrides = dict(overrides)
        view, texture, artefacts = _draw_axes(g, (view, texture, artefacts), overrides)
        values = _draw_values(g, view, texture, artefacts, post_clip, overrides)
        values.update(overrides)
        return cls.from_dict(values)


# -- drawing a clip (WorldParams.random), in a fixed order of draws -------------
def _draw_axes(
    g: np.random.Generator, fixed: tuple[str | None, str | None, str | None], overrides: dict[str, Any]
) -> tuple[str, str, str]:
    """The family: each axis fixed or drawn (``overrides`` may name one too and loses it)."""
    for name, value, choices in zip(
        ("view", "texture", "artefacts"), fixed, (VIEWS, TEXTURES, ARTEFACT_SETS)
    ):
        if value is not None and value not in choices:
            raise InvalidParameterError(
                None, f"{name} must be None or one of {', '.join(choices)}, got {value!r}"
            )
    # the axes are drawn first so that fixing one never changes how the others draw
    v_draw = str(g.choice(VIEWS))
    t_draw = str(g.choice(TEXTURES))
    a_draw = str(g.choice(ARTEFACT_SETS))
    view = fixed[0] or overrides.pop("view", None) or v_draw
    texture = fixed[1] or overrides.pop("texture", None) or t_draw
    artefacts = fixed[2] or overrides.pop("artefacts", None) or a_draw
    return view, texture, artefacts


def _draw_size(g: np.random.Generator, overrides: dict[str, Any]) -> dict[str, Any]:
    """Frame size, frame rate, heart rate and 1-2 beats of frames (drawn even when fixed)."""
    u = g.uniform
    rows = int(overrides.get("rows", int(g.integers(360, 801))))
    aspect = u(1.25, 1.45)
    cols = int(overrides.get("cols", int(round(rows * aspect / 2)) * 2))
    frame_rate = float(overrides.get("frame_rate_hz", round(u(15, 60), 1)))
    hr = float(overrides.get("heart_rate_bpm", round(u(50, 110))))
    beats = u(1.0, 2.0)
    n_frames = int(min(120, max(4, math.ceil(frame_rate * 60.0 / hr * beats))))
    return dict(rows=rows, cols=cols, n_frames=n_frames, frame_rate_hz=frame_rate, heart_rate_bpm=hr)


def _draw_placement(g: np.random.Generator, view: str) -> dict[str, Any]:
    """Depth, annulus depth and tilt, and fan opening for the view."""
    u = g.uniform
    if view in ("a4c", "a2c", "a3c"):
        depth = u(14.5, 18.5)
        ann_depth = u(9.0, min(12.0, depth - 4.6))
        tilt = u(-30, 30)
        sector = u(60, 90)
    elif view == "plax":
        depth = u(14.0, 18.0)
        ann_depth = u(8.5, min(11.0, depth - 4.8))
        tilt = u(38, 62)
        sector = u(65, 90)
    else:
        depth = u(11.0, 16.0)
        ann_depth = u(4.6, 6.6)
        tilt = u(-25, 25)
        sector = u(70, 95)
    return dict(
        depth_cm=round(depth, 1),
        sector_angle_deg=round(sector),
        annulus_depth_cm=round(ann_depth, 2),
        annulus_tilt_deg=round(tilt, 1),
    )


def _draw_jet_shape(
    g: np.random.Generator, view: str, post_clip: bool
) -> tuple[bool, float, int, float, float, float]:
    """(eccentric, angle, n_jets, length, width, vena contracta) of the jets."""
    u = g.uniform
    eccentric = g.random() < (0.25 if post_clip else (0.5 if view == "plax" else 0.35))
    # PLAX: eccentric jets mostly run posteriorly (-v), along the posterior LA wall
    side = -1.0 if (view == "plax" and g.random() < 0.75) else float(g.choice([-1, 1]))
    angle = side * u(22, 45) if eccentric else float(u(-15, 15))
    if post_clip:
        n_jets = int(g.choice([1, 2, 2, 2, 3]))
        length, width, vc = u(1.2, 3.2), u(0.6, 1.5), u(0.15, 0.45)
    else:
        n_jets = int(g.choice([1, 1, 1, 1, 2]))
        length, width, vc = u(2.5, 6.0), u(1.2, 3.0), u(0.3, 0.9)
    return bool(eccentric), angle, n_jets, length, width, vc


def _draw_style(g: np.random.Generator, texture: str, artefacts: str) -> dict[str, Any]:
    """Mosaic, Nyquist (low with many-ringed PISA), cursor and ECG colours, zoom."""
    u = g.uniform
    mosaic = str(g.choice(_MOSAICS))
    eff = texture if texture in _MOSAICS else mosaic
    cell = u(1.0, 3.0) if eff == "fine" else u(4.0, 12.0)
    nyq = u(40, 80)
    rings = bool(g.random() < 0.3)
    if rings:
        nyq = u(40, 48)
    cursor = (235, 235, 235)
    if artefacts == "cursor_colour":
        cursor = [
            (255, 235, 0),
            (60, 230, 60),
            (0, 230, 255),
            (255, 150, 0),
            (255, 80, 200),
            (120, 200, 255),
        ][int(g.integers(0, 6))]
    elif g.random() < 0.3:
        cursor = (255, 255, 255)
    ecg_choices = [(40, 220, 70), (60, 255, 60), (0, 200, 120), (230, 230, 90)]
    ecg_rgb = ecg_choices[int(g.integers(0, 4))]
    zoom = u(1.4, 2.2) if artefacts == "zoom" else 1.0
    return dict(
        mosaic=mosaic,
        mosaic_cell_px=round(cell, 2),
        nyquist_cm_s=round(nyq, 1),
        pisa_rings=rings,
        cursor_rgb=cursor,
        ecg_rgb=ecg_rgb,
        zoom_factor=round(zoom, 2),
    )


def _draw_values(
    g: np.random.Generator,
    view: str,
    texture: str,
    artefacts: str,
    post_clip: bool,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    """Every field of a clip of the family, drawn in a fixed order."""
    u = g.uniform
    tee = view in TEE_VIEWS
    size = _draw_size(g, overrides)
    place = _draw_placement(g, view)
    eccentric, angle, n_jets, length, width, vc = _draw_jet_shape(g, view, post_clip)
    style = _draw_style(g, texture, artefacts)
    has_lvot = view in ("a3c", "plax", "tee_lvot")
    return dict(
        view=view,
        texture=texture,
        artefacts=artefacts,
        mirrored=bool(g.random() < 0.35),
        **size,
        **place,
        heart_scale=round(u(0.85, 1.12), 2),
        start_phase=round(u(0.0, 1.0), 3),
        colour_map=str(g.choice(WORLD_COLOUR_MAPS)),
        gain=round(u(0.75, 1.3), 2),
        tissue_gain=round(u(0.75, 1.25), 2),
        noise_level=round(u(0.1, 0.9), 2),
        n_jets=n_jets,
        jet_length_cm=round(length, 2),
        jet_width_cm=round(width, 2),
        vc_width_cm=round(vc, 2),
        jet_angle_deg=round(angle, 1),
        wall_hugging=eccentric,
        touching=bool(post_clip and n_jets >= 2 and g.random() < 0.4),
        jet_velocity_cm_s=round(u(380, 600)),
        turbulence=round(u(0.3, 0.85), 2),
        pisa=bool(g.random() < (0.35 if post_clip else 0.7)),
        pisa_radius_cm=round(u(0.4, 1.0), 2),
        inflow=bool(g.random() < 0.95),
        pulmonary_vein_flow=bool(g.random() < (0.8 if tee else 0.6)),
        lvot_flow=bool(has_lvot and g.random() < 0.85),
        ai_jet=bool(has_lvot and g.random() < (0.5 if view == "plax" else 0.3)),
        wall_flash=bool(g.random() < 0.6),
        post_clip=bool(post_clip),
        bar_side=str(g.choice(_BAR_SIDES)),
        frame_counter=bool(g.random() < 0.5),
        calibrated=bool(g.random() < 0.9),
        dicom_view_code=bool(g.random() < 0.5),
        series_names_view=bool(g.random() < 0.6),
        **style,
    )
