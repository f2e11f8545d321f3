"""colourflow: colour bar location and reading, colour -> velocity lookup, flow map, colour box."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from echoassess.colourflow import (
    build_colour_lut,
    chroma,
    colour_bar_from_pixels,
    default_colour_bar,
    find_colour_bar,
    find_colour_box,
    flow_map,
    rgb_to_lab,
)

N_ROWS = 100


def _ramp(stops, t):
    xs = [s[0] for s in stops]
    return np.stack([np.interp(t, xs, [s[1][c] for s in stops]) for c in range(3)], axis=-1)


def make_bar(n_rows: int = N_ROWS, n_var: int = 1) -> np.ndarray:
    """A vendor-like legend: red->yellow on top, black band, blue->cyan below.

    Row i stands for velocity ``1 - (2 i + 1) / n``. With ``n_var > 1`` the
    columns add green (variance).
    """
    u = 1.0 - (2.0 * np.arange(n_rows) + 1.0) / n_rows
    mag = np.clip((np.abs(u) - 0.08) / 0.92, 0, 1)
    pos = _ramp(((0, (70, 0, 0)), (0.4, (200, 30, 10)), (0.75, (255, 140, 20)), (1, (255, 245, 140))), mag)
    neg = _ramp(((0, (0, 10, 80)), (0.4, (10, 60, 230)), (0.75, (40, 170, 255)), (1, (170, 245, 255))), mag)
    rgb = np.where((u >= 0)[:, None], pos, neg)
    rgb[np.abs(u) < 0.08] = 0
    out = np.repeat(rgb[:, None, :], n_var, axis=1)
    if n_var > 1:
        v = np.linspace(0, 1, n_var)
        out[..., 1] = out[..., 1] + (255 - out[..., 1]) * 0.85 * v[None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def make_screen(bar: np.ndarray, *, bar_xy=(150, 20), box=(20, 20, 99, 99)) -> np.ndarray:
    """A 140 x 180 grey screen with a legend and a grey colour box."""
    frame = np.zeros((140, 180, 3), np.uint8)
    rng = np.random.default_rng(0)
    x0, y0, x1, y1 = box
    frame[y0 : y1 + 1, x0 : x1 + 1] = rng.integers(20, 140, (y1 - y0 + 1, x1 - x0 + 1))[..., None]
    bx, by = bar_xy
    frame[by : by + bar.shape[0], bx : bx + bar.shape[1]] = bar
    return frame


def test_rgb_to_lab_and_chroma_of_grey_is_zero():
    grey = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], np.uint8)
    assert np.allclose(chroma(grey), 0, atol=0.5)
    lab = rgb_to_lab(np.array([[255, 0, 0]], np.uint8))
    assert lab[0, 0] == pytest.approx(53.2, abs=0.5)
    assert chroma(np.array([[0, 0, 255]], np.uint8))[0] > 100


def test_find_colour_bar_locates_and_reads_the_legend():
    bar = make_bar(n_var=8)[:, :1].repeat(8, axis=1)  # plain map, 8 px wide
    frame = make_screen(bar)
    cb = find_colour_bar(frame, exclude_xyxy=(20, 20, 99, 99))
    assert cb is not None
    assert cb.bbox_xyxy == (150, 20, 157, 20 + N_ROWS - 1)
    assert not cb.has_variance
    assert cb.velocities[0] == pytest.approx(1 - 1 / N_ROWS)
    assert cb.velocities[-1] == pytest.approx(-1 + 1 / N_ROWS)


def test_find_colour_bar_ignores_colour_inside_the_box_and_returns_none_without_bar():
    frame = make_screen(np.zeros((N_ROWS, 8, 3), np.uint8))
    frame[30:90, 40:46] = make_bar(60)  # a bar-like strip, but inside the colour box
    assert find_colour_bar(frame, exclude_xyxy=(20, 20, 99, 99)) is None
    assert find_colour_bar(np.full((50, 60, 3), 90, np.uint8)) is None


def test_lookup_recovers_the_velocity_of_every_bar_row():
    bar = make_bar()
    cb = colour_bar_from_pixels(bar)
    lut = build_colour_lut(cb)
    u = 1.0 - (2.0 * np.arange(N_ROWS) + 1.0) / N_ROWS
    coloured = np.abs(u) >= 0.1
    fm = flow_map(bar[coloured], lut)
    assert fm.flow.all()
    # within a few bar rows despite the 5-bit quantisation
    assert np.abs(fm.velocity[:, 0] - u[coloured]).max() < 6 * 2 / N_ROWS
    # the sign is never wrong: red/yellow toward (+), blue/cyan away (-)
    assert np.all(np.sign(fm.velocity[:, 0]) == np.sign(u[coloured]))


def test_aliasing_extremes_map_to_plus_and_minus_nyquist():
    cb = colour_bar_from_pixels(make_bar())
    lut = build_colour_lut(cb)
    top, bottom = make_bar()[0, 0], make_bar()[-1, 0]
    v = flow_map(np.array([[top, bottom]], np.uint8), lut).velocity[0]
    assert v[0] > 0.9 and v[1] < -0.9


def test_grey_and_black_are_never_flow():
    lut = build_colour_lut(colour_bar_from_pixels(make_bar()))
    greys = np.array([[[g, g, g] for g in range(0, 256, 5)]], np.uint8)
    tinted = np.array([[[100, 104, 98], [40, 36, 44]]], np.uint8)  # JPEG-like tint
    assert not flow_map(greys, lut).flow.any()
    assert not flow_map(tinted, lut).flow.any()


def test_outside_mask_is_never_flow():
    lut = build_colour_lut(colour_bar_from_pixels(make_bar()))
    box = np.zeros((4, 4, 3), np.uint8)
    box[:] = make_bar()[10, 0]
    inside = np.zeros((4, 4), bool)
    inside[1:3, 1:3] = True
    fm = flow_map(box, lut, inside=inside)
    assert fm.flow.sum() == 4 and (fm.velocity[~inside] == 0).all()


def test_variance_bar_gives_variance():
    bar = make_bar(n_var=10)
    cb = colour_bar_from_pixels(bar)
    assert cb.has_variance
    lut = build_colour_lut(cb)
    row = 20  # a red row
    fm = flow_map(bar[row : row + 1, [1, 8]], lut)
    assert fm.variance[0, 0] < 0.35 < 0.65 < fm.variance[0, 1]
    assert (fm.velocity[0] > 0).all()


def test_jpeg_chroma_blur_keeps_the_edge_within_one_pixel():
    lut = build_colour_lut(colour_bar_from_pixels(make_bar()))
    img = np.full((20, 40, 3), 60, np.uint8)
    img[5:15, 10:30] = make_bar()[75, 0]  # a blue patch on grey tissue
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    sub = ycc[:, ::2, 1:].astype(np.float32)  # 4:2:2: half horizontal chroma
    ycc[:, :, 1:] = np.clip(cv2.resize(sub, (40, 20), interpolation=cv2.INTER_LINEAR), 0, 255)
    blurred = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    flow = flow_map(blurred, lut).flow
    truth = np.zeros((20, 40), bool)
    truth[5:15, 10:30] = True
    assert (flow & ~truth).sum() <= 2 * 10  # at most one extra column each side
    assert (truth & ~flow).sum() <= 2 * 10
    assert flow[5:15, 11:29].all()


def test_default_bar_is_red_toward_blue_away():
    lut = build_colour_lut(default_colour_bar())
    v = flow_map(np.array([[[220, 40, 10], [20, 70, 240]]], np.uint8), lut).velocity[0]
    assert v[0] > 0 > v[1]


def test_find_colour_box_from_changing_colour_only():
    frames = np.zeros((4, 120, 160, 3), np.uint8)
    frames[:, 10:90, 140:148] = make_bar(80)[:, :1]  # static legend
    rng = np.random.default_rng(3)
    for t in range(4):  # flow changing inside x 40-99, y 30-79
        y, x = rng.integers(30, 70), rng.integers(40, 90)
        frames[t, y : y + 10, x : x + 10] = (0, 0, 220) if t % 2 else (220, 30, 0)
    frames[:, 30, 40] = frames[:, 79, 99] = 0
    box = find_colour_box(frames)
    assert box is not None
    x0, y0, x1, y1 = box
    assert 30 <= x0 and x1 <= 110 and 20 <= y0 and y1 <= 90
    assert x1 < 140  # the legend is not in the box
    assert find_colour_box(np.zeros((3, 50, 60, 3), np.uint8)) is None


def test_a_jpeg_smeared_single_map_bar_is_not_read_as_variance():
    """A 9-px plain velocity bar, JPEG-compressed on black and cut out one column
    too wide: its columns differ by ~15 levels (normalised) from DCT ringing and
    chroma subsampling, as measured on the world generator's JPEG clips (up to
    16); a real velocity-variance bar adds 66-83 there."""
    screen = np.zeros((N_ROWS + 16, 32, 3), np.uint8)
    screen[8:-8, 4:13] = make_bar(n_var=9)[:, :1]
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(screen, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75])
    smeared = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)[8:-8, 4:14]
    diff = np.abs(smeared[:, 2].astype(int) - smeared[:, 7].astype(int)).mean() * 9 / 5
    assert diff > 12  # the old rule (12 levels) called this a variance map
    assert not colour_bar_from_pixels(smeared).has_variance
    assert colour_bar_from_pixels(make_bar(n_var=9)).has_variance


def test_quantized_tables_and_index16_match_flow_map(rng):
    from echoassess.synthetic.colourmaps import colour_lut

    bar = colour_bar_from_pixels(colour_lut("vendor_b", 64, 8))  # a variance map's bar
    assert bar.has_variance
    lut = build_colour_lut(bar)
    rgb = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    np.testing.assert_array_equal(lut.index16(rgb), lut.index(rgb))
    flow_t, vel_t, var_t = lut.quantized()
    fm = flow_map(rgb, lut)
    idx = lut.index16(rgb)
    np.testing.assert_array_equal(flow_t[idx], fm.flow)
    np.testing.assert_array_equal(vel_t[idx], np.clip(np.rint(fm.velocity * 127), -127, 127).astype(np.int8))
    np.testing.assert_array_equal(var_t[idx], np.clip(np.rint(fm.variance * 255), 0, 255).astype(np.uint8))


def test_kd_tree_nearest_equals_brute_force_with_first_of_ties(rng):
    from echoassess import colourflow

    train = rng.integers(0, 60, (600, 3)).astype(np.float32)
    train[300:320] = train[10]  # duplicates: the first one wins
    query = rng.uniform(-5, 65, (3000, 3)).astype(np.float32)
    d_kd, i_kd = colourflow._nearest(query, train)  # > 256 rows: k-d tree
    assert len(train) > colourflow._KD_TREE_MIN_TRAIN
    dist = np.linalg.norm(query[:, None, :].astype(np.float64) - train[None], axis=-1)
    np.testing.assert_array_equal(i_kd, dist.argmin(axis=1))  # argmin: the first of ties
    np.testing.assert_allclose(d_kd, dist.min(axis=1), rtol=1e-5)
