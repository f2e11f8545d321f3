"""Animated overlays: frame count, timing, and outlines where the masks are."""

from __future__ import annotations

import numpy as np
import pytest
from _clip_results import make_clip
from PIL import Image

from echoassess.animate import animate_overlay, overlay_frames
from echoassess.errors import InvalidParameterError


def test_overlay_frames_outline_the_mask():
    s = make_clip(n_frames=6, systole=(1, 5), size=(60, 80))
    images = overlay_frames(s.frames, s.result.masks, per_frame=s.result.per_frame, title="pre.dcm")
    assert len(images) == 6
    banner = images[0].shape[0] - 60
    assert banner > 0 and images[0].shape[1:] == (80, 3)
    m = s.result.masks[s.max_frame]
    img = images[s.max_frame][banner:]
    ys, xs = np.nonzero(m)
    # topmost jet pixel is on the outline (white), the pixel above it is the black ring
    top = ys.argmin()
    assert tuple(img[ys[top], xs[top]]) == (255, 255, 255)
    assert tuple(img[ys[top] - 1, xs[top]]) == (0, 0, 0)
    # the centre of the jet keeps its colour
    cy, cx = int(ys.mean()), int(xs.mean())
    assert tuple(img[cy, cx]) == (30, 60, 220)
    # a frame without jet is the frame itself below the banner
    np.testing.assert_array_equal(images[0][banner:], s.frames[0])


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animate_writes_every_frame(tmp_path, suffix):
    s = make_clip(n_frames=5, systole=(1, 4), size=(50, 70), frame_time_ms=33.3)
    path = animate_overlay(
        s.frames,
        s.result.masks,
        tmp_path / f"clip{suffix}",
        per_frame=s.result.per_frame,
        max_frame=s.max_frame,
        slowdown=2,
    )
    with Image.open(path) as im:
        assert im.n_frames == 5
        im.seek(1)
        im.load()
        assert im.info["duration"] == 70  # 2 x 33.3 ms, in 10 ms steps


def test_animate_errors(tmp_path):
    s = make_clip(n_frames=4, systole=(1, 3), size=(30, 30))
    with pytest.raises(InvalidParameterError, match="use a .gif or .webp"):
        animate_overlay(s.frames, s.result.masks, tmp_path / "clip.mp4")
    with pytest.raises(InvalidParameterError, match="4 frames but masks of shape"):
        animate_overlay(s.frames, s.result.masks[:2], tmp_path / "clip.gif")
