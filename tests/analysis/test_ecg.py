"""Reading the burned-in ECG: trace, cursor, R waves and the phase per frame."""

from __future__ import annotations

import numpy as np
import pytest

import echoassess
from echoassess.ecg import find_cursor, find_trace, mask_columns, read_ecg
from echoassess.synthetic import SceneParams, generate_clip


def _screen(r_columns, cursor_x=None):
    img = np.zeros((200, 400, 3), np.uint8)
    ys = np.full(400, 170)
    for x in r_columns:
        ys[x - 2 : x + 3] = [160, 140, 130, 140, 160]
    for x in range(20, 380):
        img[ys[x], x] = (40, 220, 70)
        img[min(ys[x], ys[x + 1]) : max(ys[x], ys[x + 1]) + 1, x] = (40, 220, 70)
    img[120:130, 330:370] = (40, 220, 70)  # a green "HR 70" label above the trace
    if cursor_x is not None:
        img[125:195, cursor_x] = (235, 235, 235)
    return img


def test_trace_ignores_green_labels_and_finds_r_waves():
    xs, ys = find_trace(_screen([100, 300]))
    assert xs.min() == 20 and xs.max() >= 370
    assert ys.min() == pytest.approx(130, abs=1)  # the R wave tip, not the label at 120
    assert find_cursor(_screen([100, 300], cursor_x=222), xs, ys) == 222
    assert find_cursor(_screen([100, 300]), xs, ys) is None


def test_no_trace_on_a_plain_screen():
    assert find_trace(np.zeros((200, 400, 3), np.uint8)) is None


def test_phase_from_cursor_sweep_and_r_waves():
    xs, ys = find_trace(_screen([100, 300]))
    cursor = np.linspace(40, 360, 17)
    times = np.arange(17) * 40.0  # 2 ms per px: RR = 200 px = 400 ms
    ph = read_ecg(cursor, times, (xs, ys))
    assert ph.rr_ms == pytest.approx(400, abs=5)
    assert ph.r_times_ms == pytest.approx([120, 520], abs=5)
    qt = 400 * np.sqrt(0.4)
    since = ph.time_since_r_ms
    np.testing.assert_array_equal(ph.systolic, (since >= 50) & (since <= qt + 50))
    assert read_ecg(np.full(17, 200.0), times, (xs, ys)) is None  # cursor does not move


def test_single_r_wave_uses_the_heart_rate():
    xs, ys = find_trace(_screen([150]))
    cursor = np.linspace(40, 360, 9)
    times = np.arange(9) * 80.0
    assert read_ecg(cursor, times, (xs, ys)) is None
    ph = read_ecg(cursor, times, (xs, ys), heart_rate_bpm=75)
    assert ph.rr_ms == pytest.approx(800)


@pytest.mark.parametrize("seed", [3, 11])
def test_pipeline_phase_from_the_ecg_without_a_jet(tmp_path, seed):
    params = SceneParams(rows=360, cols=480, n_frames=30, n_jets=0)
    clip = generate_clip(params, rng=seed)
    path = tmp_path / "nojet.dcm"
    clip.save(path)
    r = echoassess.analyze_clip(path)
    assert r.max_jet_area_px == 0
    # no jet, or (turbulent flow elsewhere, e.g. in the inflow) cannot measure:
    # never an area; the phases come from the ECG either way
    assert r.status in ("no_jet", "cannot_measure")
    assert r.diagnostics.systole_source.startswith("ECG")
    phases = np.array([f.phase == "systole" for f in r.per_frame])
    truth = np.asarray(clip.truth.phase) == "systole"
    assert phases.any() and np.mean(phases == truth) >= 0.85


def test_pipeline_checks_the_flow_against_the_ecg(tmp_path):
    clip = generate_clip(SceneParams(rows=360, cols=480, n_frames=30), rng=5)
    path = tmp_path / "jet.dcm"
    clip.save(path)
    r = echoassess.analyze_clip(path)
    assert r.diagnostics.systole_source.startswith("flow (the ECG agrees on")
    assert r.diagnostics.ecg_rr_ms == pytest.approx(60000 / clip.params.heart_rate_bpm, rel=0.05)


@pytest.mark.parametrize("colour", [(230, 220, 40), (40, 200, 230), (40, 220, 70)])
def test_trace_of_any_colour_and_a_cursor_of_any_colour(colour):
    """A yellow or cyan trace is read like a green one; the cursor is the one
    thing in the strip that moves, whatever its colour."""
    from echoassess.ecg import cursor_columns

    img = _screen([100, 300])
    img[np.all(img == (40, 220, 70), axis=-1)] = colour
    xs, ys = find_trace(img)
    assert xs.min() == 20 and xs.max() >= 370
    strips = np.stack([img[120:195].copy() for _ in range(6)])
    for i, x in enumerate(range(60, 360, 50)):
        strips[i, :, x] = (255, 120, 0)  # an orange cursor
    assert cursor_columns(strips).tolist() == [60.0, 110.0, 160.0, 210.0, 260.0, 310.0]


def test_frozen_trace_gives_the_phase_from_the_frame_times():
    """A frozen trace (no cursor) spans the loop: its R waves give the phase; with
    one R wave on screen the file's heart rate gives the R-R interval."""
    from echoassess.ecg import read_frozen_ecg

    xs, ys = find_trace(_screen([100, 300]))
    times = np.arange(18) * 40.0  # 720 ms over 360 px: 2 ms per px, RR = 400 ms
    ph = read_frozen_ecg(times, 40.0, (xs, ys), heart_rate_bpm=150)
    assert ph.rr_ms == pytest.approx(400, abs=5)
    assert read_frozen_ecg(times, 40.0, (xs, ys), heart_rate_bpm=60) is None  # disagrees
    xs1, ys1 = find_trace(_screen([200]))
    one = read_frozen_ecg(times, 40.0, (xs1, ys1), heart_rate_bpm=100)
    assert one.rr_ms == pytest.approx(600) and one.systolic.any()
    assert read_frozen_ecg(times, 40.0, (xs1, ys1)) is None  # one beat, no heart rate


def test_a_faint_anti_aliased_trace_is_read_whole():
    """A thin trace whose anti-aliased pixels fade to half brightness is one trace,
    not a piece of it (a cut trace maps a frozen ECG onto the wrong times)."""
    img = _screen([100, 300])
    on = np.all(img == (40, 220, 70), axis=-1)
    img[on] = (230, 230, 90)
    faint = on & (np.arange(400)[None, :] % 7 < 3)
    img[faint] = (110, 110, 50)  # anti-aliased pixels of a yellow trace
    xs, ys = find_trace(img)
    assert xs.min() == 20 and xs.max() >= 370


def test_a_coloured_cursor_on_the_trace_frame_is_not_an_r_wave():
    """The trace is read from one frame, cursor and all: a green cursor drawn over
    a green trace is a spike as tall as an R wave. Masked at the cursor's
    column, the one real R wave and the file's heart rate give the phase."""
    img = _screen([300])
    img[125:195, 100] = (40, 220, 70)  # the cursor, in the trace's colour
    xs, ys = find_trace(img)
    cursor = np.linspace(100, 360, 14)  # the cursor sweeps from x = 100
    times = np.arange(14) * 40.0  # 2 ms per px
    fooled = read_ecg(cursor, times, (xs, ys), heart_rate_bpm=75)
    assert fooled.rr_ms == pytest.approx(800)  # the file's RR, kept since the spacing disagreed
    assert fooled.r_times_ms[0] == pytest.approx(0, abs=5)  # but at the cursor's spike
    ph = read_ecg(cursor, times, mask_columns((xs, ys), 100), heart_rate_bpm=75)
    assert ph.r_times_ms[0] == pytest.approx(400, abs=5)  # x = 300, the R wave


def test_r_wave_spacing_that_contradicts_the_file_heart_rate_drops_a_spike_at_the_trace_end():
    xs, ys = find_trace(_screen([100, 300]))
    ys = ys.copy()
    ys[-3:] = ys.min()  # a spike cut off at the right end (x = 377-379)
    cursor = np.linspace(40, 360, 17)
    times = np.arange(17) * 40.0  # 2 ms per px: the R waves are 400 ms apart
    ph = read_ecg(cursor, times, (xs, ys), heart_rate_bpm=150)  # RR 400 ms
    assert ph.rr_ms == pytest.approx(400, abs=5)
    assert len(ph.r_times_ms) == 2
