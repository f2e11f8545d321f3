"""Speed-ups that must not change a number (issue 15): each fast path equals the
plain definition it replaced, bit for bit, on random inputs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from echoassess import atrium, colourflow, vena
from echoassess.vena import _sample_slices


# -- the vena contracta's slices: array code against the per-slice loop ----------
def _runs(row: np.ndarray) -> np.ndarray:
    """1-based labels of the runs of ``True`` in a 1D bool array (0 elsewhere)."""
    starts = row & ~np.r_[False, row[:-1]]
    return np.cumsum(starts) * row


def _slices_loop(
    sub: np.ndarray,
    o: np.ndarray,
    ax: np.ndarray,
    normal_xy: tuple[float, float],
    dmin: float,
    spacing_cm: tuple[float, float],
    search_cm: float,
    step_px: float,
    cut_margin_px: float,
):
    """The slice-by-slice loop :func:`echoassess.vena._slices` replaced (the
    reference), on the same samples."""
    nx, ny = normal_xy
    s, p, perp, vals = _sample_slices(sub, o, ax, spacing_cm, search_cm, step_px)
    n_s = len(s)
    inside = vals >= 0.5
    zero = int(np.argmin(np.abs(p)))
    perp_cm = float(np.hypot(perp[0] * spacing_cm[0], perp[1] * spacing_cm[1]))
    widths = np.full(n_s, np.nan)
    halves = np.full(n_s, np.nan)
    ends: list[tuple[float, float] | None] = [None] * n_s
    for i in range(n_s):
        row = inside[i]
        if not row.any():
            continue
        lab = _runs(row)
        k = lab[zero]
        if k == 0:  # nearest run to the axis, within 0.1 cm
            idx = np.flatnonzero(row)
            j = idx[np.argmin(np.abs(idx - zero))]
            if abs(p[j]) * perp_cm > 0.1:
                continue
            k = lab[j]
        run = np.flatnonzero(lab == k)
        a, b = run[0], run[-1]
        if a == 0 or b == len(p) - 1:
            continue

        def edge(i_in: int, i_out: int, i: int = i) -> float:
            v_in, v_out = float(vals[i, i_in]), float(vals[i, i_out])
            f = (v_in - 0.5) / max(v_in - v_out, 1e-6)
            return float(p[i_in] + f * (p[i_out] - p[i_in]))

        pa, pb = edge(a, a - 1), edge(b, b + 1)
        # both ends must lie past the jet's upstream cut; with one end on the
        # cut (an oblique jet near its orifice) the other end gives the half-width
        ea = o + s[i] * ax + pa * perp
        eb = o + s[i] * ax + pb * perp
        cut_a = ea @ (nx, ny) < dmin + cut_margin_px
        cut_b = eb @ (nx, ny) < dmin + cut_margin_px
        if cut_a and cut_b:
            continue
        if cut_a or cut_b:
            if pa < 0 < pb:
                halves[i] = 2 * (pb if cut_a else -pa) * perp_cm
            continue
        widths[i] = (pb - pa) * perp_cm
        ends[i] = (pa, pb)
    return s, widths, ends, perp, halves


def _random_jet(rng: np.random.Generator) -> np.ndarray:
    m = np.zeros((120, 140), np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        c = (int(rng.integers(20, 120)), int(rng.integers(20, 100)))
        axes = (int(rng.integers(2, 25)), int(rng.integers(2, 40)))
        cv2.ellipse(m, c, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    if rng.random() < 0.5:
        m[rng.random(m.shape) < 0.05] = 0  # holes: several runs per slice
    return m.astype(bool)


@pytest.mark.parametrize("seed", range(4))
def test_slices_equal_the_per_slice_loop(seed):
    rng = np.random.default_rng(seed)
    n_measured = 0
    for _ in range(150):
        mask = _random_jet(rng)
        ang = rng.uniform(0, 2 * np.pi)
        normal = (float(np.cos(ang)), float(np.sin(ang)))
        sp = tuple(float(v) for v in rng.uniform(0.02, 0.08, 2))
        sub = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.5)
        o = np.array([rng.uniform(10, 130), rng.uniform(10, 110)])
        tilt = ang + rng.uniform(-1, 1)
        ax = np.array([np.cos(tilt), np.sin(tilt)])
        kw = dict(
            normal_xy=normal,
            dmin=float(o @ normal) - rng.uniform(0, 5),
            spacing_cm=sp,
            search_cm=1.0,
            step_px=0.5,
            cut_margin_px=1.5,
        )
        s1, w1, e1, p1, h1 = _slices_loop(sub, o, ax, **kw)
        s2, w2, e2, p2, h2 = vena._slices(sub, o, ax, **kw)
        np.testing.assert_array_equal(s2, s1)
        np.testing.assert_array_equal(w2, w1)  # NaN where NaN, else the same bits
        np.testing.assert_array_equal(h2, h1)
        np.testing.assert_array_equal(p2, p1)
        e1a = np.array([(np.nan, np.nan) if e is None else e for e in e1], float).reshape(-1, 2)
        np.testing.assert_array_equal(e2, e1a)  # ends: NaN for incomplete slices
        n_measured += int(np.isfinite(w1).any())
    assert n_measured > 30  # the comparison covered measured slices, not only empty ones


# -- per-channel reductions ----------------------------------------------------------
def test_grey_and_colour_equal_the_channel_mean_and_spread():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    frame[:8] = 255  # saturated and grey rows
    frame[8:16] = frame[8:16, :, :1]
    grey, colour = atrium.grey_and_colour(frame, min_chroma=24)
    np.testing.assert_array_equal(grey, frame.astype(np.float32).mean(axis=2))
    spread = frame.max(axis=2).astype(np.int16) - frame.min(axis=2)
    np.testing.assert_array_equal(colour, spread > 24)
    assert grey.dtype == np.float32


def test_channel_max_and_min_equal_the_axis_reductions():
    rng = np.random.default_rng(2)
    frames = rng.integers(0, 256, (3, 20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(colourflow.channel_max(frames), frames.max(axis=-1))
    np.testing.assert_array_equal(colourflow.channel_min(frames), frames.min(axis=-1))


# -- the colour lookup table, built once per bar ------------------------------------
def test_lut_of_a_bar_seen_before_is_the_same_read_only_table():
    bar = colourflow.default_colour_bar()
    first = colourflow.build_colour_lut(bar)
    again = colourflow.build_colour_lut(colourflow.default_colour_bar())  # equal contents, new object
    assert again.velocity is first.velocity and again.is_flow is first.is_flow
    with pytest.raises(ValueError):
        first.velocity[0] = 1.0  # nobody can corrupt the cached table
    stricter = colourflow.build_colour_lut(bar, min_chroma=60.0)
    assert stricter.is_flow.sum() < first.is_flow.sum()  # other options: another table
    flipped = colourflow.ColourBar(
        bar.bbox_xyxy, bar.colours, -bar.velocities, bar.variances, False, "detected"
    )
    np.testing.assert_array_equal(colourflow.build_colour_lut(flipped).velocity, -first.velocity)
