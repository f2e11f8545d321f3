"""Sector (fan) detection on drawn fans."""

from __future__ import annotations

import numpy as np
import pytest

from echoassess.fan import Sector, detect_sector, sector_mask


@pytest.mark.parametrize(
    "truth",
    [
        Sector(320.0, 10.0, 420.0, -40.0, 40.0),
        Sector(300.0, -15.0, 380.0, -35.0, 35.0),  # apex above the image (truncated fan)
        Sector(200.0, 30.0, 250.0, -45.0, 45.0),
    ],
)
def test_detects_apex_radius_and_angles(truth):
    rng = np.random.default_rng(7)
    shape = (480, 640)
    mask = sector_mask(shape, truth)
    img = np.zeros((*shape, 3), np.uint8)
    # speckle: a third of the fan's pixels are dark, as in real B-mode
    speckle = rng.integers(0, 220, size=int(mask.sum()), dtype=np.uint8)
    speckle[rng.random(speckle.size) < 0.33] = 0
    img[mask] = speckle[:, None]
    img[440:470, 10:200, 1] = 200  # green ECG-like band outside the fan
    img[5:15, 500:630] = 255  # text
    found = detect_sector(img)
    assert found is not None
    assert found.apex_x == pytest.approx(truth.apex_x, abs=4)
    assert found.apex_y == pytest.approx(truth.apex_y, abs=6)
    assert found.radius_px == pytest.approx(truth.radius_px, rel=0.02)
    assert found.angle_left_deg == pytest.approx(truth.angle_left_deg, abs=2)
    assert found.angle_right_deg == pytest.approx(truth.angle_right_deg, abs=2)
    assert found.spacing_from_depth(16.0) == pytest.approx(16.0 / truth.radius_px, rel=0.02)


def test_stack_uses_max_projection():
    truth = Sector(160.0, 5.0, 200.0, -40.0, 40.0)
    mask = sector_mask((240, 320), truth)
    frames = np.zeros((4, 240, 320), np.uint8)
    for k in range(4):  # each frame lights only a quarter of the fan
        part = mask.copy()
        part[:, : 80 * k] = False
        part[:, 80 * (k + 1) :] = False
        frames[k][part] = 100
    found = detect_sector(frames)
    assert found is not None and found.radius_px == pytest.approx(200, rel=0.03)


def test_no_fan():
    assert detect_sector(np.zeros((200, 200, 3), np.uint8)) is None
    square = np.zeros((200, 200), np.uint8)
    square[50:150, 50:150] = 120  # a linear-probe rectangle: edges do not diverge
    assert detect_sector(square) is None


def test_sector_mask_geometry():
    s = Sector(50.0, 0.0, 40.0, -30.0, 30.0)
    m = s.mask((60, 100))
    assert m[20, 50] and not m[45, 50]  # inside radius / beyond it
    assert not m[5, 80]  # outside the angle
    assert s.opening_deg == 60


def test_fan_morphology_equals_scipy_ndimage(rng):
    """The OpenCV morphology gives scipy.ndimage's results exactly (zero borders,
    4-connected holes and labels), on speckled masks of many sizes."""
    from scipy import ndimage as ndi

    from echoassess import fan as g

    K5, K9 = np.ones((5, 5), np.uint8), np.ones((9, 9), np.uint8)  # detect_sector's kernels
    for _ in range(25):
        shape = (int(rng.integers(24, 160)), int(rng.integers(24, 160)))
        lit = rng.random(shape) < rng.uniform(0.2, 0.9)
        closed = g._erode(g._dilate(lit.astype(np.uint8), K5, 2), K5, 2)
        want = ndi.binary_closing(lit, structure=np.ones((5, 5)), iterations=2)
        np.testing.assert_array_equal(closed.astype(bool), want)
        filled = g._fill_holes(closed)
        want = ndi.binary_fill_holes(want)
        np.testing.assert_array_equal(filled.astype(bool), want)
        opened = g._dilate(g._erode(filled, K9), K9)
        want = ndi.binary_opening(want, structure=np.ones((9, 9)))
        np.testing.assert_array_equal(opened.astype(bool), want)
        labels, n = ndi.label(want)
        if n:
            sizes = np.bincount(labels.ravel())
            sizes[0] = 0
            np.testing.assert_array_equal(g._largest_component(opened), labels == int(np.argmax(sizes)))
