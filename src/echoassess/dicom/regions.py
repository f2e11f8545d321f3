"""The Sequence of Ultrasound Regions: where each kind of data lies on the screen, at what scale.

An ultrasound DICOM image may carry a *Sequence of Ultrasound Regions*
(0018,6011): rectangles of the image, each with its own kind of data (tissue,
colour flow, spectral Doppler, ECG...) and its own physical scale. A file can
hold several regions with different scales, so a measurement must use the
region that contains the pixels being measured, never blindly the first one.

:func:`parse_regions` turns the DICOM items into :class:`UltrasoundRegion`
objects (an unusable item is reported, not fatal); the other functions are
pure Python and choose among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..bounds import finite_or_none
from ._elements import int_value

__all__ = [
    "SPATIAL_FORMATS",
    "DATA_TYPES",
    "PHYSICAL_UNITS",
    "UltrasoundRegion",
    "regions_containing",
    "region_containing",
    "colour_flow_region",
    "spatial_region_for",
    "parse_regions",
]

#: RegionSpatialFormat (0018,6012) values.
SPATIAL_FORMATS: dict[int, str] = {
    0: "none",
    1: "2D",
    2: "M-mode",
    3: "spectral",
    4: "waveform",
    5: "graphics",
}

#: RegionDataType (0018,6014) values.
DATA_TYPES: dict[int, str] = {
    0x00: "none",
    0x01: "tissue",
    0x02: "colour flow",
    0x03: "PW spectral Doppler",
    0x04: "CW spectral Doppler",
    0x05: "Doppler mean trace",
    0x06: "Doppler mode trace",
    0x07: "Doppler max trace",
    0x08: "volume trace",
    0x09: "Doppler volume trace",
    0x0A: "ECG trace",
    0x0B: "pulse trace",
    0x0C: "phonocardiogram trace",
    0x0D: "grey bar",
    0x0E: "colour bar",
    0x0F: "integrated backscatter",
    0x10: "area trace",
    0x11: "d(area)/dt",
    0x12: "other physiological input",
}

#: PhysicalUnitsXDirection / YDirection (0018,6024 / 0018,6026) values.
PHYSICAL_UNITS: dict[int, str] = {
    0x0: "none",
    0x1: "percent",
    0x2: "dB",
    0x3: "cm",
    0x4: "s",
    0x5: "Hz",
    0x6: "dB/s",
    0x7: "cm/s",
    0x8: "cm²",
    0x9: "cm²/s",
    0xA: "cm^3",
    0xB: "cm^3/s",
    0xC: "degrees",
}

UNITS_CM = 0x3
#: Speed of sound in soft tissue assumed by echo machines (1540 m/s), in cm/s.
SPEED_OF_SOUND_CM_S = 154_000.0
SPATIAL_2D = 1
DATA_TISSUE = 0x01
DATA_COLOUR_FLOW = 0x02


@dataclass(frozen=True)
class UltrasoundRegion:
    """One item of the Sequence of Ultrasound Regions.

    Bounds are in pixels and inclusive, as in DICOM: the region covers columns
    ``x0 .. x1`` and rows ``y0 .. y1``.

    Attributes
    ----------
    spatial_format : int
        RegionSpatialFormat (1 = 2D, 2 = M-mode, 3 = spectral, ...).
    data_type : int
        RegionDataType (1 = tissue, 2 = colour flow, 0x0A = ECG, ...).
    flags : int
        RegionFlags (0018,6016).
    x0, y0, x1, y1 : int
        RegionLocationMinX0 / MinY0 / MaxX1 / MaxY1.
    units_x, units_y : int
        PhysicalUnitsX/YDirection (3 = cm, 4 = s, 7 = cm/s, ...).
    delta_x, delta_y : float
        PhysicalDeltaX/Y, physical units per pixel.
    reference_pixel_x0, reference_pixel_y0 : int or None
        ReferencePixelX0/Y0, relative to the region's top-left corner.
    reference_physical_x, reference_physical_y : float or None
        ReferencePixelPhysicalValueX/Y.
    transducer_frequency_khz : float or None
        TransducerFrequency (0018,6030), kHz.
    pulse_repetition_frequency_hz : float or None
        PulseRepetitionFrequency (0018,6032), Hz (Doppler regions).
    """

    spatial_format: int
    data_type: int
    x0: int
    y0: int
    x1: int
    y1: int
    units_x: int
    units_y: int
    delta_x: float
    delta_y: float
    flags: int = 0
    reference_pixel_x0: int | None = None
    reference_pixel_y0: int | None = None
    reference_physical_x: float | None = None
    reference_physical_y: float | None = None
    transducer_frequency_khz: float | None = None
    pulse_repetition_frequency_hz: float | None = None

    @property
    def spatial_format_name(self) -> str:
        return SPATIAL_FORMATS.get(self.spatial_format, f"unknown ({self.spatial_format})")

    @property
    def data_type_name(self) -> str:
        return DATA_TYPES.get(self.data_type, f"unknown (0x{self.data_type:02X})")

    @property
    def units_x_name(self) -> str:
        return PHYSICAL_UNITS.get(self.units_x, f"unknown ({self.units_x})")

    @property
    def units_y_name(self) -> str:
        return PHYSICAL_UNITS.get(self.units_y, f"unknown ({self.units_y})")

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``, inclusive pixel bounds."""
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def width(self) -> int:
        return self.x1 - self.x0 + 1

    @property
    def height(self) -> int:
        return self.y1 - self.y0 + 1

    @property
    def is_2d(self) -> bool:
        return self.spatial_format == SPATIAL_2D

    @property
    def is_spatial_cm(self) -> bool:
        """True when both axes are in centimetres with positive finite deltas."""
        return (
            self.units_x == UNITS_CM
            and self.units_y == UNITS_CM
            and _positive(self.delta_x)
            and _positive(self.delta_y)
        )

    @property
    def spacing_cm(self) -> tuple[float, float] | None:
        """``(dx, dy)`` in cm per pixel, or ``None`` when the axes are not in cm."""
        if not self.is_spatial_cm:
            return None
        return (abs(float(self.delta_x)), abs(float(self.delta_y)))

    @property
    def depth_cm(self) -> float | None:
        """Depth of the region's far edge below the transducer, in cm.

        Needs a reference pixel on the vertical axis (ReferencePixelY0 with its
        physical value, normally 0 at the transducer face) and cm units;
        ``None`` otherwise.
        """
        if self.reference_pixel_y0 is None or not self.is_spatial_cm:
            return None
        ref_row = self.y0 + self.reference_pixel_y0
        base = self.reference_physical_y or 0.0
        depth = base + (self.y1 - ref_row) * abs(self.delta_y)
        return float(depth) if depth > 0 else None

    @property
    def nyquist_cm_s(self) -> float | None:
        """Nyquist velocity from the pulse repetition frequency and the
        transducer frequency: ``PRF * c / (4 * f0)`` with c = 1540 m/s.

        ``None`` unless both frequencies are in the region.
        """
        prf, f0 = self.pulse_repetition_frequency_hz, self.transducer_frequency_khz
        if not prf or not f0 or prf <= 0 or f0 <= 0:
            return None
        return float(prf) * SPEED_OF_SOUND_CM_S / (4.0 * float(f0) * 1000.0)

    def contains(self, x: float, y: float) -> bool:
        """Whether pixel ``(x, y)`` (column, row) lies inside the region."""
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def contains_box(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the whole box ``x0..x1, y0..y1`` lies inside the region."""
        return self.contains(x0, y0) and self.contains(x1, y1)

    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices that cut the region out of a frame array."""
        return (slice(self.y0, self.y1 + 1), slice(self.x0, self.x1 + 1))

    def describe(self) -> str:
        """A one-line human description."""
        text = (
            f"{self.spatial_format_name} {self.data_type_name} x {self.x0}-{self.x1}, y {self.y0}-{self.y1}"
        )
        if self.units_x or self.units_y:
            text += f", {self.delta_x:.6g} {self.units_x_name}/px x {self.delta_y:.6g} {self.units_y_name}/px"
        return text


def _positive(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf")) and value != 0


def regions_containing(
    regions: Sequence[UltrasoundRegion],
    x0: float,
    y0: float,
    x1: float | None = None,
    y1: float | None = None,
) -> list[UltrasoundRegion]:
    """All regions that contain the pixel ``(x0, y0)`` or the box to ``(x1, y1)``.

    The smallest regions come first, so that a colour-flow box nested in a
    tissue region is listed before it.
    """
    x1 = x0 if x1 is None else x1
    y1 = y0 if y1 is None else y1
    found = [r for r in regions if r.contains_box(x0, y0, x1, y1)]
    return sorted(found, key=lambda r: r.width * r.height)


def region_containing(
    regions: Sequence[UltrasoundRegion],
    x0: float,
    y0: float,
    x1: float | None = None,
    y1: float | None = None,
    *,
    spatial_only: bool = True,
) -> UltrasoundRegion | None:
    """The smallest (2D, cm-calibrated unless ``spatial_only=False``) region
    containing the pixel or box, or ``None``.

    Examples
    --------
    >>> tissue = UltrasoundRegion(1, 1, 0, 0, 99, 99, 3, 3, 0.05, 0.05)
    >>> doppler = UltrasoundRegion(3, 3, 0, 100, 99, 199, 4, 7, 0.01, 2.0)
    >>> region_containing([doppler, tissue], 50, 20) is tissue
    True
    >>> region_containing([doppler, tissue], 50, 150) is None
    True
    """
    for region in regions_containing(regions, x0, y0, x1, y1):
        if not spatial_only or (region.is_2d and region.is_spatial_cm):
            return region
    return None


def colour_flow_region(regions: Sequence[UltrasoundRegion]) -> UltrasoundRegion | None:
    """The colour-flow region (RegionDataType 2), preferring a 2D one."""
    flow = [r for r in regions if r.data_type == DATA_COLOUR_FLOW]
    flow.sort(key=lambda r: (not r.is_2d, r.width * r.height))
    return flow[0] if flow else None


def spatial_region_for(regions: Sequence[UltrasoundRegion]) -> UltrasoundRegion | None:
    """The 2D region whose scale applies to the colour-flow image.

    The 2D, cm-calibrated region that contains the colour-flow box when there
    is one (the colour-flow region itself counts when it is calibrated in cm);
    otherwise the image's single 2D cm region. ``None`` when that choice is
    ambiguous (several 2D regions and no colour-flow box) or impossible.
    """
    flow = colour_flow_region(regions)
    if flow is not None:
        others = [r for r in regions if r is not flow]
        holder = region_containing(others, flow.x0, flow.y0, flow.x1, flow.y1)
        if holder is not None:
            return holder
        if flow.is_spatial_cm:
            return flow
        # a colour box that overlaps but sticks out of its tissue region: use
        # the cm region holding the box centre
        cx, cy = (flow.x0 + flow.x1) / 2, (flow.y0 + flow.y1) / 2
        return region_containing(others, cx, cy)
    spatial = [r for r in regions if r.is_2d and r.is_spatial_cm]
    if len(spatial) == 1:
        return spatial[0]
    if len(spatial) > 1:
        scales = {r.spacing_cm for r in spatial}
        if len(scales) == 1:  # several panes at one scale (e.g. dual view)
            return max(spatial, key=lambda r: r.width * r.height)
    return None


def parse_regions(header: Any) -> tuple[tuple[UltrasoundRegion, ...], tuple[str, ...]]:
    """Every usable item of the header's SequenceOfUltrasoundRegions, in file order,
    and one line per item that was skipped (no location, inverted bounds...)."""
    seq = header.get("SequenceOfUltrasoundRegions")
    if not seq:
        return (), ()
    regions: list[UltrasoundRegion] = []
    problems: list[str] = []
    for k, item in enumerate(seq, start=1):
        try:
            region = _region(item)
        except (AttributeError, TypeError, ValueError) as exc:
            problems.append(f"ultrasound region {k}: unusable ({type(exc).__name__})")
            continue
        if region.x1 < region.x0 or region.y1 < region.y0:
            problems.append(f"ultrasound region {k}: inverted bounds {region.bounds}")
            continue
        regions.append(region)
    return tuple(regions), tuple(problems)


def _region(item: Any) -> UltrasoundRegion:
    return UltrasoundRegion(
        spatial_format=int(item.get("RegionSpatialFormat", 0) or 0),
        data_type=int(item.get("RegionDataType", 0) or 0),
        flags=int(item.get("RegionFlags", 0) or 0),
        x0=int(item.RegionLocationMinX0),
        y0=int(item.RegionLocationMinY0),
        x1=int(item.RegionLocationMaxX1),
        y1=int(item.RegionLocationMaxY1),
        units_x=int(item.get("PhysicalUnitsXDirection", 0) or 0),
        units_y=int(item.get("PhysicalUnitsYDirection", 0) or 0),
        delta_x=float(item.get("PhysicalDeltaX", 0.0) or 0.0),
        delta_y=float(item.get("PhysicalDeltaY", 0.0) or 0.0),
        reference_pixel_x0=int_value(item, "ReferencePixelX0"),
        reference_pixel_y0=int_value(item, "ReferencePixelY0"),
        reference_physical_x=finite_or_none(item.get("ReferencePixelPhysicalValueX")),
        reference_physical_y=finite_or_none(item.get("ReferencePixelPhysicalValueY")),
        transducer_frequency_khz=finite_or_none(item.get("TransducerFrequency")),
        pulse_repetition_frequency_hz=finite_or_none(item.get("PulseRepetitionFrequency")),
    )
