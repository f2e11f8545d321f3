"""Parameters of a synthetic colour-Doppler echo clip."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .colourmaps import COLOUR_MAPS

__all__ = ["SceneParams"]


@dataclass(frozen=True)
class SceneParams:
    """Everything that defines a synthetic apical 4-chamber colour-Doppler clip.

    Lengths are in cm, velocities in cm/s, angles in degrees. The defaults give
    a moderate central MR jet before a clip.

    Attributes
    ----------
    rows, cols : int
        Frame size in pixels (96..2048 x 128..2048).
    n_frames : int
        Frames in the clip.
    depth_cm : float
        Imaging depth (apex of the fan to its far arc), 8..30 cm.
    sector_angle_deg : float
        Opening of the fan, 30..100 degrees.
    nyquist_cm_s : float
        Colour-Doppler aliasing velocity (the +/- values printed on the legend).
    frame_rate_hz, heart_rate_bpm : float
        Acquisition frame rate and heart rate.
    start_phase : float
        Fraction of the cardiac cycle (0 = R wave) at the first frame.
    colour_map : {"vendor_a", "vendor_b"}
        ``vendor_a``: velocity only (red-yellow / blue-cyan);
        ``vendor_b``: velocity plus variance (turbulence adds green).
    gain : float
        Colour gain (1 = nominal): larger shows bigger jets and more noise.
    tissue_gain : float
        B-mode brightness (1 = nominal).
    noise_level : float
        0..1: colour noise specks and B-mode clutter.
    n_jets : int
        Regurgitant jets (0..4); with ``post_clip`` they sit either side of the clip.
    jet_length_cm, jet_width_cm : float
        Length and greatest width of each jet at the peak of systole.
    jet_angle_deg : float
        Jet direction from the valve axis (positive toward the lateral LA wall,
        on the right of the screen).
    wall_hugging : bool
        The jet turns along the LA wall when it meets it (Coanda effect).
    jet_velocity_cm_s : float
        Peak orifice velocity (MR: 400-600 cm/s), so the core aliases.
    turbulence : float
        0..1: velocity scatter in the jet (mosaic) and its variance.
    pisa : bool
        Show the flow-convergence (PISA) shell on the LV side (not truth).
    pisa_radius_cm : float
        Aliasing radius of the PISA shell.
    inflow : bool
        Diastolic LV inflow (toward the probe; not truth).
    pulmonary_vein_flow : bool
        Low-velocity pulmonary venous flow into the LA (not truth).
    post_clip : bool
        After MitraClip: clip artefact with acoustic shadow, jets beside it.
    heart_scale : float
        Heart size relative to a 16 cm reference (shrunk to fit the depth).
    anatomy_seed : int or None
        Seed of the patient's anatomy (chamber shapes, probe position, tissue
        texture). Clips with the same value show the same heart, as the pre
        and post clips of one study do; ``None`` draws it from the clip's rng.
    """

    rows: int = 600
    cols: int = 800
    n_frames: int = 40
    depth_cm: float = 16.0
    sector_angle_deg: float = 75.0
    nyquist_cm_s: float = 62.0
    frame_rate_hz: float = 30.0
    heart_rate_bpm: float = 72.0
    start_phase: float = 0.9
    colour_map: str = "vendor_a"
    gain: float = 1.0
    tissue_gain: float = 1.0
    noise_level: float = 0.5
    n_jets: int = 1
    jet_length_cm: float = 4.0
    jet_width_cm: float = 2.0
    jet_angle_deg: float = 0.0
    wall_hugging: bool = False
    jet_velocity_cm_s: float = 480.0
    turbulence: float = 0.5
    pisa: bool = True
    pisa_radius_cm: float = 0.7
    inflow: bool = True
    pulmonary_vein_flow: bool = True
    post_clip: bool = False
    heart_scale: float = 1.0
    anatomy_seed: int | None = None

    def __post_init__(self) -> None:
        def check(name: str, lo: float, hi: float, *, integer: bool = False) -> None:
            value = getattr(self, name)
            ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            if ok and integer:
                ok = float(value) == int(value)
            if not ok or not (math.isfinite(float(value)) and lo <= float(value) <= hi):
                kind = "an integer" if integer else "a number"
                raise InvalidParameterError(
                    None, f"SceneParams.{name} must be {kind} in [{lo:g}, {hi:g}], got {value!r}"
                )

        check("rows", 96, 2048, integer=True)
        check("cols", 128, 2048, integer=True)
        check("n_frames", 1, 1000, integer=True)
        check("depth_cm", 8, 30)
        check("sector_angle_deg", 30, 100)
        check("nyquist_cm_s", 10, 200)
        check("frame_rate_hz", 5, 200)
        check("heart_rate_bpm", 30, 200)
        check("start_phase", 0, 1)
        check("gain", 0.2, 3)
        check("tissue_gain", 0.2, 3)
        check("noise_level", 0, 1)
        check("n_jets", 0, 4, integer=True)
        check("jet_length_cm", 0.3, 12)
        check("jet_width_cm", 0.2, 6)
        check("jet_angle_deg", -80, 80)
        check("jet_velocity_cm_s", 50, 1000)
        check("turbulence", 0, 1)
        check("pisa_radius_cm", 0.1, 2)
        check("heart_scale", 0.6, 1.4)
        seed = self.anatomy_seed
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63
        ):
            raise InvalidParameterError(
                None, f"SceneParams.anatomy_seed must be None or a non-negative integer, got {seed!r}"
            )
        if self.colour_map not in COLOUR_MAPS:
            raise InvalidParameterError(
                None, f"SceneParams.colour_map must be one of {sorted(COLOUR_MAPS)}, got {self.colour_map!r}"
            )
        for name in ("wall_hugging", "pisa", "inflow", "pulmonary_vein_flow", "post_clip"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InvalidParameterError(
                    None, f"SceneParams.{name} must be True or False, got {getattr(self, name)!r}"
                )
        if self.cols < self.rows * 0.9:
            raise InvalidParameterError(
                None,
                f"SceneParams.cols ({self.cols}) must be at least 0.9 x rows ({self.rows}): "
                "an echo screen is landscape",
            )

    # -- derived timing -------------------------------------------------------
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SceneParams:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InvalidParameterError(None, f"unknown SceneParams field(s): {', '.join(unknown)}")
        return cls(**values)

    def replace(self, **changes: Any) -> SceneParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def random(
        cls,
        rng: int | np.random.Generator | None = None,
        *,
        post_clip: bool = False,
        **overrides: Any,
    ) -> SceneParams:
        """Draw a varied but plausible scene.

        Parameters
        ----------
        rng : int or numpy.random.Generator or None
        post_clip : bool
            Draw an after-MitraClip scene (2-3 smaller jets, clip artefact).
        **overrides
            Fields to fix instead of drawing them (e.g. ``rows=480, cols=640``).

        Examples
        --------
        >>> p = SceneParams.random(7, rows=240, cols=320)
        >>> (p.rows, p.cols), p == SceneParams.random(7, rows=240, cols=320)
        ((240, 320), True)
        """
        g = np.random.default_rng(rng)
        u = g.uniform
        frame_rate = float(overrides.get("frame_rate_hz", round(u(18, 45), 1)))
        hr = float(overrides.get("heart_rate_bpm", round(u(55, 100))))
        beats = u(1.1, 1.7)
        n_frames = int(min(90, math.ceil(frame_rate * 60.0 / hr * beats)))
        eccentric = g.random() < (0.2 if post_clip else 0.35)
        if eccentric:
            angle = float(g.choice([-1, 1]) * u(25, 50))
        else:
            angle = float(u(-15, 15))
        if post_clip:
            n_jets = int(g.choice([1, 2, 2, 2, 3]))
            length = u(1.2, 3.2)
            width = u(0.6, 1.5)
        else:
            n_jets = int(g.choice([1, 1, 1, 1, 2]))
            length = u(2.5, 6.0)
            width = u(1.2, 3.0)
        values: dict[str, Any] = dict(
            n_frames=n_frames,
            depth_cm=round(u(13.5, 19.0), 1),
            sector_angle_deg=round(u(60, 90)),
            nyquist_cm_s=round(u(48, 75), 1),
            frame_rate_hz=frame_rate,
            heart_rate_bpm=hr,
            start_phase=round(u(0.3, 0.8), 3),
            colour_map=str(g.choice(sorted(COLOUR_MAPS))),
            gain=round(u(0.8, 1.25), 2),
            tissue_gain=round(u(0.8, 1.2), 2),
            noise_level=round(u(0.15, 0.9), 2),
            n_jets=n_jets,
            jet_length_cm=round(length, 2),
            jet_width_cm=round(width, 2),
            jet_angle_deg=round(angle, 1),
            wall_hugging=bool(eccentric),
            jet_velocity_cm_s=round(u(380, 580)),
            turbulence=round(u(0.3, 0.8), 2),
            pisa=bool(g.random() < (0.3 if post_clip else 0.7)),
            pisa_radius_cm=round(u(0.4, 0.9), 2),
            inflow=True,
            pulmonary_vein_flow=bool(g.random() < 0.7),
            post_clip=bool(post_clip),
            heart_scale=round(u(0.88, 1.1), 2),
        )
        values.update(overrides)
        return cls.from_dict(values)
