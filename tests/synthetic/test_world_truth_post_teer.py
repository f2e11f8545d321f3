"""The world generator's post-TEER truth: each jet's drawn neck width per frame and
the LA blood pool (the 50 % blood line of the drawn B-mode), checked on the pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from echoassess.fan import Sector
from echoassess.synthetic import WorldParams, generate_world_clip
from echoassess.valve import annulus_from_points
from echoassess.vena import vena_contracta

SMALL = dict(rows=300, cols=400, n_frames=12, frame_rate_hz=30.0, heart_rate_bpm=75.0)


@pytest.fixture(scope="module", params=[("a4c", 2), ("tee_me4c", 5)])
def world(request):
    view, seed = request.param
    p = WorldParams.random(
        seed, view=view, texture="fine", artefacts="no_ecg", jet_angle_deg=0.0, wall_hugging=False, **SMALL
    )
    return generate_world_clip(p, rng=seed)


def test_neck_width_per_frame_is_what_is_drawn(world):
    """Measured on the truth's own jet pixels, each drawn neck equals the per-frame
    truth (within a pixel), and the per-frame widths follow the jet's strength."""
    t = world.truth
    side = -1 if t.view.startswith("tee") else 1
    ann = annulus_from_points(*t.annulus_xy, apex_xy=(t.sector["apex_x"], t.sector["apex_y"]), side=side)
    vcf = t.vc_width_cm_frames
    assert vcf.shape == (t.n_frames, t.n_jet_sources)
    drawn = (t.jet_labels > 0).any(axis=(1, 2))
    assert np.array_equal(np.isfinite(vcf).any(axis=1), drawn)
    s = t.spacing_cm[0]
    for i in np.flatnonzero(drawn):
        for j in range(t.n_jet_sources):
            m = t.jet_labels[i] == j + 1
            if m.sum() < 40 or not np.isfinite(vcf[i, j]):
                continue
            vc = vena_contracta(m, (ann.nx, ann.ny), spacing_cm=t.spacing_cm)
            assert vc.width_cm == pytest.approx(vcf[i, j], abs=1.2 * s)
    # the nominal width scaled by 0.6 + 0.4 g, g the frame's strength (beats vary by 15 %)
    scale = vcf / np.asarray(t.vc_width_cm)[None, :]
    assert np.all((scale[np.isfinite(scale)] > 0.6) & (scale[np.isfinite(scale)] <= 1.061))


def test_la_mask_is_the_dark_pool_inside_its_walls(world):
    t = world.truth
    la = t.la_mask
    frame = world.frames[t.max_frame].astype(np.int16)
    grey = frame.mean(axis=2)
    colour = (frame.max(axis=2) - frame.min(axis=2)) > 24
    k = np.ones((5, 5), np.uint8)
    inner = cv2.erode(la.astype(np.uint8), k).astype(bool) & ~colour
    ring = cv2.dilate(la.astype(np.uint8), k).astype(bool) & ~la & ~colour
    assert np.median(grey[inner]) < 15 < np.median(grey[ring])
    assert t.la_area_cm2 == pytest.approx(la.sum() * t.spacing_cm[0] * t.spacing_cm[1])
    # "complete": (almost) none of the pool touches the fan's edge
    sec = t.sector
    fan = Sector(
        sec["apex_x"], sec["apex_y"], sec["radius_px"], -sec["half_angle_deg"], sec["half_angle_deg"]
    ).mask(la.shape)
    inner_fan = cv2.erode(fan.astype(np.uint8), k).astype(bool)
    on_edge = (la & ~inner_fan).sum() / max(1, (la & ~cv2.erode(la.astype(np.uint8), k).astype(bool)).sum())
    # complete: at most 2 % of the pool is cut away, so little of its outline runs along the fan
    assert on_edge < 0.15 if t.la_complete else on_edge > 0.02
