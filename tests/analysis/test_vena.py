"""Vena contracta width from a jet mask (echoassess.vena): shapes with a known neck."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from echoassess.vena import jet_origin_axis, vena_contracta


def _jet(
    neck_px: float,
    *,
    angle_deg: float = 0.0,
    shape=(240, 240),
    origin=(120, 40),
    neck_len_px: float = 8,
    width_px: float = 60,
    length_px: float = 150,
):
    """A jet leaving ``origin`` downward (+y) turned by ``angle_deg``: a neck of
    ``neck_px`` for ``neck_len_px``, widening to ``width_px``; nothing above y = origin."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    a = math.radians(angle_deg)
    ax = np.array([math.sin(a), math.cos(a)])
    rx, ry = xx - origin[0], yy - origin[1]
    s = rx * ax[0] + ry * ax[1]
    d = np.abs(-rx * ax[1] + ry * ax[0])
    half = np.where(
        s <= neck_len_px,
        neck_px / 2,
        neck_px / 2 + (width_px - neck_px) / 2 * np.clip((s - neck_len_px) / 40, 0, 1),
    )
    return (s >= 0) & (s <= length_px) & (d <= half) & (yy >= origin[1])


@pytest.mark.parametrize("neck_px", [6, 10, 16])
def test_straight_jet_neck_is_its_width(neck_px):
    m = _jet(neck_px)
    vc = vena_contracta(m, (0.0, 1.0), spacing_cm=(0.04, 0.04))
    assert vc is not None
    # pixel edges: the drawn neck covers neck_px +- 1 pixels
    assert vc.width_cm == pytest.approx(neck_px * 0.04, abs=0.045)
    assert vc.distance_cm < 0.5
    (x1, y1), (x2, y2) = vc.segment_xy
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(vc.width_px, abs=1.0)


@pytest.mark.parametrize("angle", [-35.0, 20.0])
def test_oblique_jet_is_measured_across_its_axis(angle):
    """A jet leaving at an angle to the annulus normal: its axis is found and the
    slices cut short by the annulus line (narrower than the neck) are skipped."""
    m = _jet(12, angle_deg=angle, neck_len_px=14)
    first = jet_origin_axis(m, (0.0, 1.0), spacing_cm=(0.04, 0.04))
    assert first is not None and first[1][1] > 0  # a first guess, into the atrium
    vc = vena_contracta(m, (0.0, 1.0), spacing_cm=(0.04, 0.04))
    (ox, oy), (ex, ey) = vc.origin_xy, vc.axis_end_xy
    assert math.degrees(math.atan2(ex - ox, ey - oy)) == pytest.approx(angle, abs=4)
    assert vc.width_cm == pytest.approx(12 * 0.04, abs=0.05)


def test_anisotropic_pixels_give_cm():
    """Rows twice as tall as columns: a jet 10 columns wide is 0.5 cm wide."""
    m = _jet(10, shape=(240, 240))
    tall = m[::2]  # dy = 2 dx
    vc = vena_contracta(tall, (0.0, 1.0), spacing_cm=(0.05, 0.10))
    assert vc.width_cm == pytest.approx(0.5, abs=0.06)


def test_neck_found_with_noisy_edges():
    rng = np.random.default_rng(0)
    m = _jet(14)
    noise = cv2.GaussianBlur(rng.standard_normal(m.shape), (0, 0), 1.0) > 1.2
    edge = m ^ cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    m2 = m & ~(edge & noise)
    vc = vena_contracta(m2, (0.0, 1.0), spacing_cm=(0.04, 0.04))
    assert vc.width_cm == pytest.approx(14 * 0.04, abs=0.06)


def test_empty_or_tiny_mask_gives_none():
    assert vena_contracta(np.zeros((50, 50), bool), (0.0, 1.0), spacing_cm=(0.05, 0.05)) is None
    m = np.zeros((50, 50), bool)
    m[10, 10] = True
    assert vena_contracta(m, (0.0, 1.0), spacing_cm=(0.05, 0.05)) is None


def test_the_neck_is_the_narrowest_chord_through_its_middle():
    """A slice tilted off the jet's axis (the axis read from a ragged jet's first
    millimetres) is a slanted, longer chord: the neck's width is the shortest chord
    through the slice's middle, up to 30 degrees either way."""
    import cv2

    from echoassess.vena import _narrowest_chord

    m = np.zeros((120, 120), np.float32)
    m[10:110, 50:70] = 1.0  # a vertical jet 20 px = 1.0 cm wide
    sub = cv2.GaussianBlur(m, (0, 0), 0.5)
    tilt = np.radians(25)
    half = 10 / np.cos(tilt)  # the slanted chord across the band: 1.10 cm
    c = (60.0, 60.0)
    seg = (
        (c[0] - half * np.cos(tilt), c[1] - half * np.sin(tilt)),
        (c[0] + half * np.cos(tilt), c[1] + half * np.sin(tilt)),
    )
    width, (a, b) = _narrowest_chord(sub, seg, (0.0, 1.0), 5.0, (0.05, 0.05), max_deg=30.0)
    assert width == pytest.approx(1.0, abs=0.02)
    assert abs(a[1] - b[1]) < 1.0  # drawn across the jet, not along the slant
    # turned at most 10 degrees, the chord stays 15 degrees off: 1 / cos 15 = 1.035 cm
    width10, _ = _narrowest_chord(sub, seg, (0.0, 1.0), 5.0, (0.05, 0.05), max_deg=10.0)
    assert width10 == pytest.approx(1 / np.cos(np.radians(15)), abs=0.01)


def test_a_chord_ending_on_the_upstream_cut_does_not_count():
    import cv2

    from echoassess.vena import _narrowest_chord

    m = np.zeros((120, 120), np.float32)
    m[60:110, 40:80] = 1.0  # a jet cut flat by the annulus at row 60
    sub = cv2.GaussianBlur(m, (0, 0), 0.5)
    seg = ((40.0, 62.0), (80.0, 62.0))  # a slice just past the cut
    found = _narrowest_chord(sub, seg, (0.0, 1.0), 60.0 + 1.5, (0.05, 0.05), max_deg=30.0)
    # every turned chord through (60, 62) ends on the cut within 2 px: only the
    # ones that stay past it count, none shorter than the jet's width
    assert found is None or found[0] >= 2.0 - 0.05


def test_a_short_jet_tapering_to_its_tip_is_not_measured_at_the_tip():
    """A jet shorter than the search (0.8 cm of 1 cm): a 10 px neck widening to
    24 px, then tapering to a point. The tip is narrower than the neck but comes
    after the jet's widest slice; the neck is before it."""
    h, w = 80, 80
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    s = yy - 10
    half = np.interp(s, [0, 4, 10, 14, 20], [5, 5, 12, 12, 0.5])
    m = (s >= 0) & (s <= 20) & (np.abs(xx - 40) <= half)
    vc = vena_contracta(m, (0.0, 1.0), spacing_cm=(0.04, 0.04))
    assert vc is not None
    assert vc.width_cm == pytest.approx(11 * 0.04, abs=0.045)
    assert vc.distance_cm < 0.3


@pytest.mark.parametrize("angle", [-35.0, 0.0, 25.0])
@pytest.mark.parametrize(
    "shape_kw",
    [
        {"neck_len_px": 12},  # widening well past the first centimetre
        {"neck_len_px": 4, "width_px": 90, "length_px": 30},  # stubby: widest within 1 cm
    ],
)
def test_result_does_not_depend_on_the_empty_margin_around_the_jet(angle, shape_kw):
    """The slices are sampled only where they come near the mask's box: the same
    jet cut out with the 4 px margin the per-frame measure uses, or in a wide
    empty canvas, measures the same."""
    m = _jet(10, angle_deg=angle, **shape_kw)
    ys, xs = np.nonzero(m)
    tight = np.pad(m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], 4)
    wide = np.zeros((tight.shape[0] + 300, tight.shape[1] + 400), bool)
    wide[100 : 100 + tight.shape[0], 250 : 250 + tight.shape[1]] = tight
    a, b = (vena_contracta(x, (0.0, 1.0), spacing_cm=(0.04, 0.04)) for x in (tight, wide))
    assert a is not None and b is not None
    # (float32 sample positions round a little differently at another offset)
    assert a.width_cm == pytest.approx(b.width_cm, abs=2e-3)
    assert a.distance_cm == pytest.approx(b.distance_cm, abs=1e-3)
    for (ax_, ay), (bx, by) in zip(a.segment_xy, b.segment_xy, strict=True):
        assert (bx - 250, by - 100) == pytest.approx((ax_, ay), abs=0.25)
