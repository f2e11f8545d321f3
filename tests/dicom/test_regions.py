"""Choosing the right ultrasound region, on hand-made region lists."""

from __future__ import annotations

import pytest

from echoassess.dicom.regions import (
    UltrasoundRegion,
    colour_flow_region,
    region_containing,
    regions_containing,
    spatial_region_for,
)


def region(x0, y0, x1, y1, *, fmt=1, data_type=1, units=3, delta=0.05):
    return UltrasoundRegion(fmt, data_type, x0, y0, x1, y1, units, units, delta, delta)


def test_bounds_are_inclusive():
    r = region(10, 20, 19, 29)
    assert r.width == 10 and r.height == 10
    assert r.contains(10, 20) and r.contains(19, 29)
    assert not r.contains(20, 29) and not r.contains(19, 30)
    rows, cols = r.slices()
    assert (rows.start, rows.stop, cols.start, cols.stop) == (20, 30, 10, 20)


def test_names_and_spacing():
    r = region(0, 0, 9, 9, delta=0.04)
    assert r.spatial_format_name == "2D" and r.data_type_name == "tissue"
    assert r.units_x_name == "cm" and r.spacing_cm == (0.04, 0.04)
    doppler = region(0, 0, 9, 9, fmt=3, data_type=3, units=7, delta=2.0)
    assert doppler.spacing_cm is None and doppler.units_y_name == "cm/s"
    assert "PW spectral Doppler" in doppler.describe()
    assert region(0, 0, 9, 9, delta=0.0).spacing_cm is None
    assert UltrasoundRegion(1, 0x99, 0, 0, 1, 1, 3, 3, 1, 1).data_type_name == "unknown (0x99)"


def test_smallest_containing_region_wins():
    outer = region(0, 0, 99, 99, delta=0.05)
    inner = region(20, 20, 60, 60, delta=0.02)
    assert regions_containing([outer, inner], 30, 30) == [inner, outer]
    assert region_containing([outer, inner], 30, 30) is inner
    assert region_containing([outer, inner], 80, 80) is outer
    assert region_containing([outer, inner], 10, 10, 70, 70) is outer
    assert region_containing([outer, inner], 150, 10) is None


def test_spatial_only_skips_non_cm_regions():
    spectral = region(0, 0, 99, 49, fmt=3, data_type=3, units=7, delta=2.0)
    assert region_containing([spectral], 5, 5) is None
    assert region_containing([spectral], 5, 5, spatial_only=False) is spectral


def test_colour_flow_box_chooses_the_scale():
    left = region(0, 0, 99, 99, delta=0.08)
    right = region(100, 0, 199, 99, delta=0.03)
    box = region(120, 10, 180, 60, data_type=2, delta=0.03)
    assert colour_flow_region([left, right, box]) is box
    assert spatial_region_for([left, right, box]) is right
    assert spatial_region_for([box, left, right]) is right


def test_colour_flow_region_alone_calibrates():
    box = region(120, 10, 180, 60, data_type=2, delta=0.03)
    assert spatial_region_for([box]) is box


def test_single_2d_region_without_colour_box():
    ecg = region(0, 100, 199, 120, fmt=4, data_type=0x0A, units=4, delta=0.01)
    tissue = region(0, 0, 199, 99, delta=0.05)
    assert spatial_region_for([ecg, tissue]) is tissue
    assert colour_flow_region([ecg, tissue]) is None


def test_ambiguous_panes_give_no_scale():
    a = region(0, 0, 99, 99, delta=0.08)
    b = region(100, 0, 199, 99, delta=0.03)
    assert spatial_region_for([a, b]) is None
    same = region(100, 0, 199, 99, delta=0.08)
    assert spatial_region_for([a, same]) in (a, same)
    assert spatial_region_for([]) is None


@pytest.mark.parametrize("units", [0, 4, 7])
def test_non_cm_2d_region_is_not_a_scale(units):
    assert spatial_region_for([region(0, 0, 99, 99, units=units)]) is None


def test_depth_from_the_reference_pixel():
    r = UltrasoundRegion(
        1,
        1,
        10,
        20,
        209,
        419,
        3,
        3,
        0.04,
        0.04,
        reference_pixel_x0=100,
        reference_pixel_y0=0,
        reference_physical_x=0.0,
        reference_physical_y=0.0,
    )
    assert r.depth_cm == pytest.approx(399 * 0.04)
    shifted = UltrasoundRegion(
        1, 1, 10, 20, 209, 419, 3, 3, 0.04, 0.04, reference_pixel_y0=-25, reference_physical_y=0.0
    )
    assert shifted.depth_cm == pytest.approx((419 - (20 - 25)) * 0.04)
    assert region(0, 0, 9, 9).depth_cm is None  # no reference pixel


def test_nyquist_from_prf_and_transducer_frequency():
    r = UltrasoundRegion(
        1, 2, 0, 0, 9, 9, 3, 3, 0.04, 0.04, transducer_frequency_khz=2500, pulse_repetition_frequency_hz=4026
    )
    # v = PRF * c / (4 f0) = 4026 * 154000 / (4 * 2.5e6)
    assert r.nyquist_cm_s == pytest.approx(62.0, abs=0.01)
    assert region(0, 0, 9, 9).nyquist_cm_s is None
