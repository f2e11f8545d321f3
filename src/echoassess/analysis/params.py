"""Every tunable of the jet-area analysis, in one frozen :class:`AnalysisParams`.

The thresholds are grouped by the stage that uses them (:class:`ColourParams`,
:class:`TurbulenceParams`, :class:`ValveParams`, :class:`PhaseParams`,
:class:`DetectionParams`, :class:`GeometryParams`, :class:`PostTeerParams`). A parameter keeps one name
wherever it appears: the group's field, the keyword of ``AnalysisParams(...)``
and ``replace(...)``, and the key of :meth:`AnalysisParams.to_dict` (recorded in
every result and hashed by the batch, so a change invalidates cached results).

Sizes are physical (cm, cm^2) and converted to pixels with the clip's spacing,
so one set of parameters fits any frame size.

>>> p = AnalysisParams(turbulence_threshold=0.4)
>>> p.turbulence.turbulence_threshold, p.detection.min_jet_area_cm2
(0.4, 0.05)
>>> p.replace(min_jet_area_cm2=0.1).to_dict()["min_jet_area_cm2"]
0.1
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import InvalidParameterError

__all__ = [
    "AnalysisParams",
    "ColourParams",
    "DetectionParams",
    "GeometryParams",
    "PhaseParams",
    "TurbulenceParams",
    "ValveParams",
]


@dataclass(frozen=True)
class ColourParams:
    """Reading colour: the colour box, the colour bar and its lookup table.

    Attributes
    ----------
    lut_bits : int
        Bits per RGB channel of the colour lookup (5 -> 32^3 bins).
    min_chroma : float
        CIELAB chroma below which a pixel is grey (no flow).
    dark_lightness, min_chroma_dark : float
        Pixels darker than this CIELAB lightness need ``min_chroma_dark``
        chroma to be flow (JPEG chroma blur tints dark blood beside a jet).
    max_colour_distance : float
        CIELAB distance beyond which a coloured pixel matches no bar colour
        (and is not flow).
    bar_min_saturation : int
        ``max(RGB) - min(RGB)`` above which a pixel may belong to the colour bar.
    bar_min_aspect : float
        A piece of the colour bar is at least this many times taller than wide.
    bar_min_fill : float
        ... and fills at least this fraction of its box (text and traces are sparse).
    bar_min_height_to_width : float
        The joined bar is at least this many times taller than wide.
    bar_min_lab_change : float
        CIELAB distance between the bar's top and bottom quarters (a bar changes colour).
    box_probe_frames : int
        Frames sampled to find the colour box from changing colour when the file has no
        colour-flow region.
    static_max_change : int
        Coloured pixels whose RGB changes by at most this over the whole clip
        (box outline, depth marks) are overlays, never flow.
    static_halo_fraction : float
        Pixels next to such an overlay that are coloured in at least this fraction of the
        frames are its JPEG halo (overlays too).
    """

    lut_bits: int = 5
    min_chroma: float = 12.0
    dark_lightness: float = 30.0
    min_chroma_dark: float = 30.0
    max_colour_distance: float = 40.0
    bar_min_saturation: int = 40
    bar_min_aspect: float = 1.5
    bar_min_fill: float = 0.6
    bar_min_height_to_width: float = 3.0
    bar_min_lab_change: float = 30.0
    box_probe_frames: int = 8
    static_max_change: int = 48
    static_halo_fraction: float = 0.8


@dataclass(frozen=True)
class TurbulenceParams:
    """The mosaic of turbulent flow.

    Attributes
    ----------
    turbulence_window_cm : float
        Smallest side of the window of the phase-coherence (mosaic) measure;
        it grows to three colour cells on coarse mosaics.
    turbulence_threshold : float
        Incoherence 0..1 above which flow is turbulent (mosaic).
    variance_threshold : float
        Variance level 0..1 above which flow is turbulent (variance maps).
    max_cell_px : int
        Largest colour cell (pixels) looked for.
    coarse_scales : tuple of int
        Block sizes (pixels) at which a coarse mosaic is also looked for.
    min_turbulent_area_cm2 : float
        Smallest turbulent patch kept.
    cell_probe_frames : int
        The colour cell size is measured on this many frames with the most flow ...
    cell_busy_level : float
        ... where the incoherence exceeds this level ...
    cell_top_frames : int
        ... keeping the frames (at most this many) with the most such pixels.
    """

    turbulence_window_cm: float = 0.25
    turbulence_threshold: float = 0.35
    variance_threshold: float = 0.6
    max_cell_px: int = 12
    coarse_scales: tuple[int, ...] = (2, 4)
    min_turbulent_area_cm2: float = 0.015
    cell_probe_frames: int = 8
    cell_busy_level: float = 0.5
    cell_top_frames: int = 4


@dataclass(frozen=True)
class ValveParams:
    """Locating the mitral valve (the annulus) from the turbulent flow.

    Attributes
    ----------
    min_core_area_cm2 : float
        Turbulent area a region of atrial flow needs to be a jet.
    jet_frame_fraction : float
        Frames whose turbulent area reaches this fraction of the clip's
        largest take part in locating the valve.
    origin_end_cm : float
        The orifice of a turbulent core is its upstream end, this deep.
    origin_cluster_cm : float
        Orifices (over frames) closer than this belong to one valve.
    separate_flows_cm : float
        Two turbulent flows further apart than this, in different frames, are
        told apart (e.g. mitral and aortic regurgitation): the valve is then
        located only with ECG phase or a hint.
    rival_min_weight : float
        A second flow that large (relative to the main one's area) is a rival valve's ...
    rival_max_shared_frames : float
        ... when at most this fraction of their frames are shared.
    rival_min_systolic_gap : float
        The ECG tells two rival flows apart when their systolic shares differ by this.
    rival_min_direction : float
        Without an ECG, two rival flows are told apart by their direction: the
        mitral jet (and the flow converging on its orifice) runs into the
        atrium, an aortic jet the other way. Each flow's smooth (non-turbulent)
        colour within ``rival_direction_cm`` of its orifices has a mean velocity
        sign (-1..1); the flow whose sign points into the atrium by at least
        this, while the other's does not, is the mitral one.
    rival_direction_cm : float
    annulus_half_length_cm : float
        Half the annulus segment when it is found from the image.
    max_auto_tilt_deg : float
        An annulus found from the image further than this from both the
        horizontal and the beam's perpendicular is not trusted (parasternal
        views): "cannot measure".
    other_flow_min_weight : float
        Flows apart from the main one, at least this large relative to it, are tried
        in turn when it gives no annulus.
    diastolic_main_share : float
        A main flow systolic (by the ECG) on less than this fraction of its frames is
        mostly diastolic (another valve's): a systolic flow apart from it is looked for ...
    systolic_alternative_weight : float
        ... at least this large relative to it ...
    systolic_alternative_share : float
        ... and systolic on at least this fraction of its frames: it replaces the main flow.
    diastolic_reject_share : float
        Without such a flow, a main flow systolic on less than this fraction is rejected.
    merge_shared_frames : float
        A cluster of origins sharing at least this fraction of frames with the main one ...
    merge_min_weight : float
        ... at least this large relative to it ...
    merge_upstream_cm : float
        ... and this much further upstream is the valve's (a jet broken into pieces).
    neck_max_offset_cm : float
        A neck (dome to jet) further than this from its orifice is not the jet's.
    neck_max_inflow_fraction : float
        A neck past which this fraction of the flow (over 1 cm) runs smooth and against
        the jet is a jet's tip touching inflow, not a neck.
    tissue_max_tilt_deg : float
        The annulus fitted to bright tissue tilts at most this from the beam's perpendicular.
    tissue_downstream_cm, neck_downstream_cm : float
        How far downstream of the orifices (at necks: of the necks) that tissue line is sought.
    tissue_line_keep : float
        Tissue lines (through the orifices of different jets) within this share
        of the brightest one's contrast compete on the flow crossing them: the
        annulus is the one the flow crosses narrowest.
    sibling_max_offset_cm : float
        Another cluster of orifices on the main one's frames whose orifices lie
        within this of the main one's depth from the fitted annulus line is a
        second orifice of the same valve (jets either side of a clip, far apart) ...
    sibling_min_weight : float
        ... when at least this large relative to the main one ...
    annulus_max_half_length_cm : float
        ... and within this of the annulus centre: the annulus segment is stretched
        to hold it ...
    sibling_margin_cm : float
        ... with this margin past the outermost orifice.
    """

    min_core_area_cm2: float = 0.05
    jet_frame_fraction: float = 0.3
    origin_end_cm: float = 0.3
    origin_cluster_cm: float = 1.5
    separate_flows_cm: float = 1.2
    rival_min_weight: float = 0.4
    rival_max_shared_frames: float = 0.3
    rival_min_systolic_gap: float = 0.3
    rival_min_direction: float = 0.3
    rival_direction_cm: float = 1.0
    annulus_half_length_cm: float = 1.6
    max_auto_tilt_deg: float = 40.0
    other_flow_min_weight: float = 0.2
    diastolic_main_share: float = 0.5
    systolic_alternative_weight: float = 0.1
    systolic_alternative_share: float = 0.6
    diastolic_reject_share: float = 0.3
    merge_shared_frames: float = 0.5
    merge_min_weight: float = 0.15
    merge_upstream_cm: float = 0.5
    neck_max_offset_cm: float = 2.5
    neck_max_inflow_fraction: float = 0.4
    tissue_max_tilt_deg: float = 45.0
    tissue_downstream_cm: float = 1.6
    neck_downstream_cm: float = 0.5
    tissue_line_keep: float = 0.75
    sibling_max_offset_cm: float = 0.5
    sibling_min_weight: float = 0.1
    annulus_max_half_length_cm: float = 3.0
    sibling_margin_cm: float = 0.3


@dataclass(frozen=True)
class PhaseParams:
    """Systole, from the jets and the ECG.

    Attributes
    ----------
    min_systole_area_cm2 : float
        Turbulent jet area that makes a frame systolic.
    systole_max_gap_frames : int
        Gaps of at most this many frames inside a systole are filled.
    ecg_warn_agreement : float
        Below this fraction of frames on which the ECG and the flow agree, a warning.
    ecg_reject_agreement : float
        Jets found by the image alone (with a rival flow) that the ECG agrees with on
        less than this fraction of frames are another valve's: "cannot measure".
    min_turbulence_share : float
        A valve found without hints whose jets hold less than this share of the
        turbulent pixels of the systolic frames is not the valve that turbulence
        crosses (a parasternal view the file did not name): "cannot measure".
    frozen_ecg_max_change : int
        An ECG strip whose pixels change by at most this over the clip is frozen.
    cursor_min_change : int
        The ECG cursor's pixels differ from the static strip by more than this ...
    cursor_min_fraction : float
        ... along at least this fraction of the strip's height.
    trace_min_width_px : int
        The ECG trace is at least this wide.
    r_wave_fraction : float
        An R wave rises above this fraction of the trace's tallest spike (from its baseline).
    min_rr_ms, max_rr_ms : float
        An R-R interval outside this range (240 to 24 bpm) is a misread ECG: it is not used.
    trace_min_level, trace_min_chroma : int
        ECG trace pixels: the brightest RGB channel above ``trace_min_level`` and this
        much above the darkest (thin anti-aliased traces fade to half their brightness).
    fan_dark_level, fan_shown_fraction, fan_gap_rows : float
        The fan hides an ECG only where it shows the image: down to the last run of
        rows with at least ``fan_shown_fraction`` of their fan pixels brighter than
        ``fan_dark_level`` (gaps of ``fan_gap_rows`` bridged). A zoomed display cuts
        the image off above the fan's arc, and the ECG below it lies in the fan.
    min_r_spike_px : float
        A trace whose tallest spike rises less than this above its baseline shows no R wave.
    file_rr_agreement : float
        The R waves' spacing is trusted when it is within this fraction of the file's heart
        rate; otherwise the end spikes are dropped, then the file's R-R interval is used.
    frozen_rr_agreement : float
        A frozen trace mapped over the loop is accepted only when its R-R interval agrees
        with the file's heart rate within this fraction.
    """

    min_systole_area_cm2: float = 0.08
    systole_max_gap_frames: int = 1
    ecg_warn_agreement: float = 0.7
    ecg_reject_agreement: float = 0.6
    min_turbulence_share: float = 0.15
    frozen_ecg_max_change: int = 40
    cursor_min_change: int = 40
    cursor_min_fraction: float = 0.5
    trace_min_width_px: int = 80
    r_wave_fraction: float = 0.6
    min_rr_ms: float = 250.0
    max_rr_ms: float = 2500.0
    trace_min_level: int = 70
    trace_min_chroma: int = 35
    fan_dark_level: int = 12
    fan_shown_fraction: float = 0.2
    fan_gap_rows: int = 8
    min_r_spike_px: float = 8.0
    file_rr_agreement: float = 0.25
    frozen_rr_agreement: float = 0.2


@dataclass(frozen=True)
class DetectionParams:
    """The jets: atrial flow, their origins on the annulus and their count.

    Attributes
    ----------
    valve_band_cm : float
        Depth into the atrium where jet origins are looked for.
    max_jet_start_cm : float
        A jet must start within this distance of the annulus (the clip's
        shadow can hide its first millimetres).
    la_max_depth_cm, la_max_half_width_cm : float
        How far into the atrium and to either side of the annulus centre flow
        may count.
    assumed_scale_reach : float
        On an uncalibrated clip (an assumed scale, which a zoomed display makes
        too large by 2x or more) the two bounds above are this many times longer.
    origin_gap_cm : float
        Jet pixels along the annulus separated by at least this are separate
        origins.
    origin_track_cm : float
        Origins of different frames within this distance along the annulus are
        the same orifice; an orifice must be seen on two frames to count.
    orifice_apart_share : float
        Orifices seen apart (separate origins) on at least this share of the
        systolic frames with jets stay apart where their jets touch at the valve.
    min_jet_area_cm2 : float
        Smallest jet counted separately.
    weak_core_share : float
        On a systolic frame, a jet with fewer turbulent pixels than the valve's
        ``min_core_area_cm2`` (down to this share of it) still counts where it
        starts at an orifice that jets with a full core showed on two frames or
        more: a small jet whose mosaic thins out on some frames.
    fill_holes : bool
        Fill holes and dark streaks inside jets.
    min_attachment_area_cm2 : float
        Smooth patches flowing against the jet's direction this large on a
        jet's edge (venous inflow touching the jet) are cut off the jet.
    max_ring_cm : float
        ... unless they meet the jet across a velocity wrap (its own aliasing
        ring, kept) and reach no further than this from the rest of the jet.
    max_spike_ratio : float
        A systolic frame whose jet area is more than this many times both of its
        (systolic) neighbours' with a jet, or than the one with a jet when the
        other has none (a jet's first or last frame), is a one-frame artefact (a
        flow next to the valve merged in for one frame): it stays in the
        per-frame table but is left out of the maximum, with a warning.
    hint_keep_fraction : float
        Hints (annulus, valve point, roi) that keep less than this fraction of the
        jet found without them raise a warning.
    """

    valve_band_cm: float = 0.4
    max_jet_start_cm: float = 1.0
    la_max_depth_cm: float = 7.0
    la_max_half_width_cm: float = 4.5
    assumed_scale_reach: float = 2.0
    origin_gap_cm: float = 0.2
    origin_track_cm: float = 0.35
    orifice_apart_share: float = 0.33
    min_jet_area_cm2: float = 0.05
    weak_core_share: float = 0.25
    fill_holes: bool = True
    min_attachment_area_cm2: float = 0.05
    max_ring_cm: float = 0.6
    max_spike_ratio: float = 1.6
    hint_keep_fraction: float = 0.85


@dataclass(frozen=True)
class GeometryParams:
    """The imaging fan, and the scale assumed for uncalibrated clips.

    Attributes
    ----------
    sector_threshold : int
        Grey level above which a pixel is lit (inside the fan).
    sector_min_fraction : float
        Smallest fan accepted, as a fraction of the (half-size) image.
    sector_close_px, sector_open_px : int
        Square kernels that close speckle gaps and open away text and traces.
    sector_edge_top, sector_edge_bottom : float
        The fan's straight edges are fitted between these fractions of its height
        (from the top down to where it is widest).
    nominal_depth_cm : float
        Depth assumed for size thresholds when a clip has no calibration
        (areas are then reported in pixels only) ...
    nominal_depth_fraction : float
        ... over this fraction of the frame's rows.
    """

    sector_threshold: int = 12
    sector_min_fraction: float = 0.05
    sector_close_px: int = 5
    sector_open_px: int = 9
    sector_edge_top: float = 0.03
    sector_edge_bottom: float = 0.9
    nominal_depth_cm: float = 16.0
    nominal_depth_fraction: float = 0.8


@dataclass(frozen=True)
class PostTeerParams:
    """The post-TEER measures: vena contracta per jet and the LA's blood pool.

    Attributes
    ----------
    vc_search_cm : float
        The neck is looked for this far past the jet's origin.
    vc_smooth_cm : float
        Width profile median-filtered over this length.
    vc_oblique_deg : float
        A jet more than this off the annulus normal is oblique: near its orifice
        twice the uncut half-width counts.
    vc_min_length_cm : float
        A jet running less than this past its origin has no neck to measure.
    vc_max_tilt_deg : float
        The neck is the narrowest chord through its middle within this angle.
    vc_track_cm : float
        A jet is followed over frames by its origin along the annulus within this.
    vc_max_ratio : float
        A frame's neck more than this times the jet's median neck over frames is
        two jets seen as one flow, left out of the jet's largest neck.
    la_smooth_cm, la_open_cm : float
        B-mode smoothing, and the opening that keeps narrow wall gaps from joining
        another chamber to the atrium's core.
    la_margin_cm : float
        The outline lies at most this far past the core.
    la_base_cm : float
        The core starts this far past the annulus.
    la_reach_cm : float
        Rays from the core's centre end within this.
    la_max_edge_frac : float
        More rays than this fraction leaving the fan: "cannot measure".
    la_min_area_cm2 : float
        A smaller pool is no atrium.
    la_core_level : float
        The strict dark core: below this fraction between blood and tissue grey.
    """

    vc_search_cm: float = 1.0
    vc_smooth_cm: float = 0.1
    vc_oblique_deg: float = 15.0
    vc_min_length_cm: float = 0.4
    vc_max_tilt_deg: float = 30.0
    vc_track_cm: float = 0.5
    vc_max_ratio: float = 1.6
    la_smooth_cm: float = 0.12
    la_open_cm: float = 0.5
    la_margin_cm: float = 0.3
    la_base_cm: float = 0.5
    la_reach_cm: float = 9.0
    la_max_edge_frac: float = 0.08
    la_min_area_cm2: float = 2.0
    la_core_level: float = 0.25

    def vena_kwargs(self) -> dict[str, float]:
        """Keywords of :func:`echoassess.vena.vena_contracta`."""
        return {
            "search_cm": self.vc_search_cm,
            "smooth_cm": self.vc_smooth_cm,
            "oblique_deg": self.vc_oblique_deg,
            "min_length_cm": self.vc_min_length_cm,
            "max_tilt_deg": self.vc_max_tilt_deg,
        }

    def la_kwargs(self) -> dict[str, float]:
        """Keywords of :func:`echoassess.atrium.la_blood_pool`."""
        return {
            "smooth_cm": self.la_smooth_cm,
            "open_cm": self.la_open_cm,
            "margin_cm": self.la_margin_cm,
            "base_cm": self.la_base_cm,
            "reach_cm": self.la_reach_cm,
            "max_edge_frac": self.la_max_edge_frac,
            "min_area_cm2": self.la_min_area_cm2,
            "core_level": self.la_core_level,
        }


#: The groups of :class:`AnalysisParams`, by attribute name.
GROUPS: dict[str, type] = {
    "colour": ColourParams,
    "turbulence": TurbulenceParams,
    "valve": ValveParams,
    "phase": PhaseParams,
    "detection": DetectionParams,
    "geometry": GeometryParams,
    "post_teer": PostTeerParams,
}
#: Which group holds each parameter.
_GROUP_OF = {f.name: group for group, cls in GROUPS.items() for f in fields(cls)}


@dataclass(frozen=True, init=False)
class AnalysisParams:
    """Every tunable of the jet-area analysis, grouped by stage.

    Give a whole group (``AnalysisParams(colour=ColourParams(lut_bits=6))``)
    or single parameters by name (``AnalysisParams(min_jet_area_cm2=0.08)``);
    everything else keeps its default. See each group for the parameters.
    """

    colour: ColourParams
    turbulence: TurbulenceParams
    valve: ValveParams
    phase: PhaseParams
    detection: DetectionParams
    geometry: GeometryParams
    post_teer: PostTeerParams

    def __init__(
        self,
        *,
        colour: ColourParams | None = None,
        turbulence: TurbulenceParams | None = None,
        valve: ValveParams | None = None,
        phase: PhaseParams | None = None,
        detection: DetectionParams | None = None,
        geometry: GeometryParams | None = None,
        post_teer: PostTeerParams | None = None,
        **parameters: Any,
    ) -> None:
        given: dict[str, Any] = dict(
            colour=colour,
            turbulence=turbulence,
            valve=valve,
            phase=phase,
            detection=detection,
            geometry=geometry,
            post_teer=post_teer,
        )
        changes: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
        for name, value in parameters.items():
            if name not in _GROUP_OF:
                raise TypeError(f"AnalysisParams has no parameter {name!r}")
            changes[_GROUP_OF[name]][name] = value
        for group, cls in GROUPS.items():
            base = given[group] if given[group] is not None else cls()
            object.__setattr__(self, group, replace(base, **changes[group]) if changes[group] else base)

    def to_dict(self) -> dict[str, Any]:
        """Every parameter by name, JSON-ready (tuples as lists): what a result records."""
        out: dict[str, Any] = {}
        for group in GROUPS:
            for k, v in asdict(getattr(self, group)).items():
                out[k] = list(v) if isinstance(v, tuple) else v
        return out

    def replace(self, **changes: Any) -> AnalysisParams:
        """A copy with some parameters (by name) or whole groups changed."""
        current = {group: getattr(self, group) for group in GROUPS}
        groups = {k: v for k, v in changes.items() if k in GROUPS}
        single = {k: v for k, v in changes.items() if k not in GROUPS}
        return AnalysisParams(**{**current, **groups}, **single)


def check_params(params: AnalysisParams | None) -> AnalysisParams:
    """``params``, or the defaults for ``None``; anything else is an error."""
    if params is None:
        return AnalysisParams()
    if not isinstance(params, AnalysisParams):
        raise InvalidParameterError(
            None,
            f"params must be an AnalysisParams, got {type(params).__name__}",
            hint="use echoassess.AnalysisParams(...) or params=None for the defaults",
        )
    return params
