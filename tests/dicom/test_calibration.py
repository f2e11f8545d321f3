"""choose_calibration as a pure function: every source, every refusal, and the depth's fan."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from echoassess.dicom.calibration import (
    CalibrationSource,
    UserCalibration,
    choose_calibration,
    needs_sector,
)
from echoassess.dicom.regions import UltrasoundRegion
from echoassess.errors import InvalidParameterError
from echoassess.fan import Sector

SHAPE = (480, 640)  # rows, cols


def region(x0, y0, x1, y1, *, dx=0.03, dy=0.03, data_type=1, fmt=1, units=3, ref_y=None):
    return UltrasoundRegion(fmt, data_type, x0, y0, x1, y1, units, units, dx, dy, reference_pixel_y0=ref_y)


TISSUE = region(0, 0, 639, 479, ref_y=0)


@dataclass(frozen=True)
class FakeSector:
    radius_px: float

    def spacing_from_depth(self, depth_cm: float) -> float:
        return depth_cm / self.radius_px


def test_file_region():
    cal = choose_calibration([TISSUE], UserCalibration(), image_shape=SHAPE)
    assert cal.spacing_cm == (0.03, 0.03) and cal.source == CalibrationSource.REGIONS
    assert cal.region is TISSUE and cal.file_spacing_cm is None and cal.user_depth_cm is None
    assert cal.note == f"from the {TISSUE.describe()} ultrasound region"
    assert cal.is_calibrated


def test_user_spacing_overrides_the_file_and_keeps_its_region():
    cal = choose_calibration([TISSUE], UserCalibration(spacing_cm=(0.02, 0.025)), image_shape=SHAPE)
    assert cal.spacing_cm == (0.02, 0.025) and cal.source == CalibrationSource.USER_SPACING
    assert cal.region is TISSUE and cal.file_spacing_cm == (0.03, 0.03)
    assert cal.note == "spacing 0.02 x 0.025 cm/px given by the user, overriding the file's 0.03 x 0.03 cm/px"


def test_user_spacing_without_regions():
    cal = choose_calibration([], UserCalibration(spacing_cm=(0.04, 0.04)), image_shape=SHAPE)
    assert cal.spacing_cm == (0.04, 0.04) and cal.region is None and cal.file_spacing_cm is None
    assert cal.note == "spacing 0.04 x 0.04 cm/px given by the user"


def test_user_depth_over_the_sector():
    user = UserCalibration(depth_cm=16.0)
    cal = choose_calibration([], user, FakeSector(400.0), image_shape=SHAPE)
    assert cal.spacing_cm == (0.04, 0.04) and cal.source == CalibrationSource.DEPTH_SECTOR
    assert cal.user_depth_cm == 16.0 and cal.region is None
    assert cal.note == "16 cm depth over a 400 px sector radius (the file has no SequenceOfUltrasoundRegions)"


def test_the_fans_own_sector_type_fits():
    sector = Sector(320.0, 5.0, 440.0, -38.0, 38.0)
    cal = choose_calibration([], UserCalibration(depth_cm=16.0), sector, image_shape=SHAPE)
    assert cal.spacing_cm == (16.0 / 440.0, 16.0 / 440.0)


def test_depth_without_a_sector_is_uncalibrated_and_says_why():
    cal = choose_calibration([], UserCalibration(depth_cm=16.0), image_shape=SHAPE)
    assert cal.spacing_cm is None and cal.source is None and not cal.is_calibrated
    assert cal.note == "the file has no SequenceOfUltrasoundRegions"


def test_depth_is_ignored_when_the_file_is_calibrated():
    user = UserCalibration(depth_cm=16.0)
    cal = choose_calibration([TISSUE], user, FakeSector(100.0), image_shape=SHAPE)
    assert cal.source == CalibrationSource.REGIONS and cal.user_depth_cm is None
    assert not needs_sector([TISSUE], user, image_shape=SHAPE)


def test_multiple_regions_the_one_holding_the_colour_box_is_picked():
    left = region(0, 0, 319, 479, dx=0.05, dy=0.05)
    right = region(320, 0, 639, 479, dx=0.02, dy=0.02)
    flow = region(400, 100, 500, 200, dx=0.02, dy=0.02, data_type=2)
    cal = choose_calibration([left, right, flow], UserCalibration(), image_shape=SHAPE)
    assert cal.spacing_cm == (0.02, 0.02) and cal.region is right


def test_multiple_regions_at_one_scale_pick_the_largest():
    small = region(0, 0, 99, 99)
    large = region(100, 0, 639, 479)
    cal = choose_calibration([small, large], UserCalibration(), image_shape=SHAPE)
    assert cal.region is large


def test_ambiguous_regions_are_uncalibrated_and_a_depth_needs_the_fan():
    panes = [region(0, 0, 319, 479, dx=0.05, dy=0.05), region(320, 0, 639, 479, dx=0.02, dy=0.02)]
    cal = choose_calibration(panes, UserCalibration(), image_shape=SHAPE)
    assert cal.spacing_cm is None
    assert cal.note == "several 2D regions with different scales and no colour-flow region to choose by"
    assert needs_sector(panes, UserCalibration(depth_cm=12.0), image_shape=SHAPE)


def test_none_uncalibrated():
    cal = choose_calibration([], UserCalibration(), image_shape=SHAPE)
    assert (cal.spacing_cm, cal.source, cal.region) == (None, None, None)
    assert not needs_sector([], UserCalibration(), image_shape=SHAPE)


@pytest.mark.parametrize(
    "regions,note",
    [
        ([region(0, 0, 639, 479, units=4)], "the 2D region's physical units are s/s, not cm"),
        (
            [region(0, 0, 100, 100, fmt=3, data_type=3)],
            "the file's ultrasound regions hold no 2D image region",
        ),
        (
            [region(0, 0, 999, 799)],
            "the calibration region (0, 0, 999, 799) lies outside the 640 x 480 image",
        ),
        ([region(0, 0, 639, 479, dx=5.0, dy=5.0)], "the calibration region's scale is refused for areas"),
    ],
)
def test_refusals_say_why(regions, note):
    cal = choose_calibration(regions, UserCalibration(), image_shape=SHAPE)
    assert cal.spacing_cm is None and note in cal.note


def test_a_refused_region_is_not_announced_under_a_user_spacing():
    outside = region(0, 0, 999, 799)
    cal = choose_calibration([outside], UserCalibration(spacing_cm=(0.03, 0.03)), image_shape=SHAPE)
    assert cal.region is None and cal.file_spacing_cm is None
    assert cal.note == "spacing 0.03 x 0.03 cm/px given by the user"


def test_a_refused_region_is_the_reason_under_a_depth():
    outside = region(0, 0, 999, 799)
    cal = choose_calibration([outside], UserCalibration(depth_cm=10.0), FakeSector(200.0), image_shape=SHAPE)
    assert cal.source == CalibrationSource.DEPTH_SECTOR
    assert cal.note.startswith(
        "10 cm depth over a 200 px sector radius (the calibration region (0, 0, 999, 799)"
    )


def test_a_region_one_pixel_past_the_edge_is_still_trusted():
    cal = choose_calibration([region(0, 0, 640, 480)], UserCalibration(), image_shape=SHAPE)
    assert cal.source == CalibrationSource.REGIONS


def test_the_source_is_a_string_for_tables_and_json():
    source = CalibrationSource.DEPTH_SECTOR
    assert source == "depth + sector" and f"({source})" == "(depth + sector)"
    assert json.dumps({"calibration_source": source}) == '{"calibration_source": "depth + sector"}'


def test_user_values_are_checked():
    assert UserCalibration.checked(None, 0.03) == UserCalibration((0.03, 0.03), None)
    assert UserCalibration.checked(None, (0.02, 0.03), 15) == UserCalibration((0.02, 0.03), 15.0)
    with pytest.raises(InvalidParameterError, match="spacing_cm=-1"):
        UserCalibration.checked(None, -1)
    with pytest.raises(InvalidParameterError, match="depth_cm=0 must be a positive depth"):
        UserCalibration.checked(None, depth_cm=0)
