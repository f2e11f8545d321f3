"""Plots: check the artists' data (not pixels) against the synthetic truth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _clip_results import make_clip
from matplotlib.figure import Figure

from echoassess import compare
from echoassess.errors import InvalidParameterError
from echoassess.plot import (
    JET_COLOURS,
    POST_COLOUR,
    PRE_COLOUR,
    plot_area_change,
    plot_cohort,
    plot_comparison,
    plot_jet_area_time,
    plot_max_frame,
    plot_overlay,
    save_figure,
)


def _ax():
    return Figure().add_subplot()


def test_overlay_outlines_follow_the_mask():
    frame = np.zeros((40, 60, 3), np.uint8)
    mask = np.zeros((40, 60), bool)
    mask[10:20, 10:30] = True
    mask[25:35, 40:50] = True
    art = plot_overlay(frame, mask, spacing_cm=(0.1, 0.1), ax=_ax(), title="pre.dcm")
    assert len(art["contours"]) == 2 and len(art["labels"]) == 2
    x, y = art["contours"][0].get_data()
    # the outline runs half a pixel outside the first rectangle
    assert (x.min(), x.max(), y.min(), y.max()) == pytest.approx((9.5, 29.5, 9.5, 19.5))
    assert [t.get_text() for t in art["labels"]] == ["1: 2.00 cm²", "2: 1.00 cm²"]
    assert art["total"].get_text() == "total 3.00 cm² (2 jets)"
    # a number tag sits just above each jet's top edge, keyed to the list
    assert [t.get_text() for t in art["tags"]] == ["1", "2"]
    assert art["tags"][1].xy == (40, 25)
    assert art["title"].get_text() == "pre.dcm"
    # each jet has its own outline colour from the colour-blind-safe palette
    colours = [c.get_color() for c in art["contours"]]
    assert colours == [JET_COLOURS[0], JET_COLOURS[1]]
    assert art["image"].get_array().shape == (40, 60, 3)
    # 0.1 cm/px over a 6 cm wide view: a 1 cm scale bar, 10 px long
    bar, label = art["scale_bar"]
    assert np.ptp(bar.get_xdata()) == pytest.approx(10.0) and label.get_text() == "1 cm"


def test_overlay_label_image_and_pixel_units():
    labels = np.zeros((30, 30), np.int32)
    labels[2:6, 2:6] = 3
    art = plot_overlay(np.zeros((30, 30), np.uint8), labels, ax=_ax())
    assert [t.get_text() for t in art["labels"]] == ["16 px"]
    assert art["contours"][0].get_gid() == "jet-3"


def test_overlay_measured_jets_are_authoritative():
    from echoassess.results import JetMeasurement

    mask = np.zeros((50, 50), bool)
    mask[10:20, 10:20] = True
    mask[10:12, 22:24] = True  # a speck beside the jet belongs to it
    mask[35:45, 30:40] = True
    jets = [
        JetMeasurement(7, 104, 1.04, (15.0, 15.0), (10, 10, 24, 20)),
        JetMeasurement(9, 100, 1.0, (35.0, 40.0), (30, 35, 40, 45)),
    ]
    art = plot_overlay(np.zeros((50, 50, 3), np.uint8), mask, jets=jets, ax=_ax(), zoom_xyxy=(5, 5, 44, 44))
    assert [t.get_text() for t in art["labels"]] == ["1: 1.04 cm²", "2: 1.00 cm²"]
    assert [c.get_gid() for c in art["contours"]] == ["jet-7", "jet-7", "jet-9"]
    assert art["contours"][1].get_color() == art["contours"][0].get_color()
    ax = art["image"].axes
    assert ax.get_xlim() == (4.5, 44.5) and ax.get_ylim() == (44.5, 4.5)


def test_zoom_box_keeps_aspect_and_stays_inside():
    from echoassess.plot import jet_zoom_box

    m = np.zeros((300, 400), bool)
    m[280:295, 380:398] = True  # in the corner
    x0, y0, x1, y1 = jet_zoom_box(m)
    assert 0 <= x0 and x1 <= 399 and 0 <= y0 and y1 <= 299
    assert (x1 - x0 + 1) / (y1 - y0 + 1) == pytest.approx(400 / 300, rel=0.02)
    assert x0 <= 380 and x1 >= 397 and y0 <= 280 and y1 >= 294
    assert jet_zoom_box(np.zeros((5, 5), bool)) is None


def test_overlay_no_jet_says_so():
    art = plot_overlay(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), bool), ax=_ax())
    assert art["contours"] == [] and art["total"].get_text() == "no jet detected"


def test_overlay_rejects_mismatched_shapes():
    with pytest.raises(InvalidParameterError, match="does not match mask shape"):
        plot_overlay(np.zeros((10, 12, 3), np.uint8), np.zeros((10, 10), bool))


def test_max_frame_uses_measured_jets():
    s = make_clip(n_jets=2)
    art = plot_max_frame(s.frames[s.max_frame], s.result, ax=_ax())
    expected = [f"{k + 1}: {j.area_cm2:.2f} cm²" for k, j in enumerate(s.result.jets_at_max)]
    assert [t.get_text() for t in art["labels"]] == expected
    assert f"frame {s.max_frame}" in art["title"].get_text()
    assert "/data" not in art["title"].get_text()


def test_max_frame_without_masks_needs_a_mask():
    s = make_clip(keep_masks=False)
    with pytest.raises(InvalidParameterError, match="kept no masks"):
        plot_max_frame(s.frames[s.max_frame], s.result, ax=_ax())
    mask = make_clip().result.masks[s.max_frame]
    art = plot_max_frame(s.frames[s.max_frame], s.result, mask=mask, ax=_ax())
    assert len(art["contours"]) == 1


def test_area_time_series_matches_truth():
    pre = make_clip(peak_scale=1.5, systole=(3, 9), frame_time_ms=40.0)
    post = make_clip(peak_scale=0.5, systole=(2, 10), frame_time_ms=30.0)
    ax = _ax()
    art = plot_jet_area_time([pre.result, post.result], ax=ax)
    for line, s, onset, dt in zip(art["lines"], (pre, post), (3, 2), (40.0, 30.0)):
        x, y = line.get_data()
        np.testing.assert_allclose(x, (np.arange(12) - onset) * dt)  # ms from systole onset
        np.testing.assert_allclose(y, s.areas_cm2)
    for mk, s, onset, dt in zip(art["maxima"], (pre, post), (3, 2), (40.0, 30.0)):
        mx, my = mk.get_data()
        assert mx[0] == pytest.approx((s.max_frame - onset) * dt)
        assert my[0] == pytest.approx(s.areas_cm2.max())
    assert art["max_labels"][0].get_text() == f"max {pre.areas_cm2.max():.1f} cm²"
    # one shaded span per systolic run, covering exactly the systolic frames
    (span,) = art["systole"][0]
    assert (span.get_x(), span.get_x() + span.get_width()) == pytest.approx((-20.0, 5 * 40.0 + 20.0))
    assert [ln.get_color() for ln in art["lines"]] == [PRE_COLOUR, POST_COLOUR]
    assert ax.get_xlabel() == "time from systole onset (ms)"
    assert ax.get_ylabel() == "jet area (cm²)"
    assert [t.get_text() for t in art["legend"].get_texts()].count("pre-clip") == 1


def test_area_time_aligns_at_the_systole_of_the_maximum():
    # two beats: the second systole (frames 12-17) holds the maximum
    pre = make_clip(n_frames=24, systole=(12, 18), frame_time_ms=40.0)
    phases = ["systole" if (0 <= i < 3) or (12 <= i < 18) else "diastole" for i in range(24)]
    from dataclasses import replace

    result = replace(
        pre.result, per_frame=tuple(replace(f, phase=p) for f, p in zip(pre.result.per_frame, phases))
    )
    art = plot_jet_area_time(result, ax=_ax())
    x = art["lines"][0].get_xdata()
    assert x[12] == 0.0 and x[0] == -480.0
    assert len(art["systole"][0]) == 2


def test_area_time_without_timing_uses_frames():
    s = make_clip(frame_time_ms=None, spacing_cm=None)
    ax = _ax()
    art = plot_jet_area_time(s.result, ax=ax)
    assert ax.get_xlabel() == "frames from systole onset"
    assert ax.get_ylabel() == "jet area (px)"
    np.testing.assert_allclose(art["lines"][0].get_ydata(), s.areas_cm2)  # px here


def test_area_change_bars_and_ase_bands():
    ax = _ax()
    art = plot_area_change(12.0, 3.0, ax=ax)
    assert [b.get_height() for b in art["bars"]] == [12.0, 3.0]
    assert [t.get_text() for t in art["values"]] == ["12.0 cm²", "3.0 cm²"]
    assert art["change"].get_text() == "75 % reduction"
    bands = [(p.get_y(), p.get_y() + p.get_height()) for p in art["bands"]["spans"]]
    assert bands[0] == pytest.approx((0, 4)) and bands[1] == pytest.approx((4, 10))
    assert bands[2][0] == pytest.approx(10)
    assert [t.get_text() for t in art["bands"]["labels"]] == ["mild", "moderate", "severe"]
    assert "cm²" in ax.get_ylabel()


def test_area_change_increase_and_missing():
    art = plot_area_change(2.0, 3.0, ax=_ax())
    assert art["change"].get_text() == "50 % increase"
    art = plot_area_change(500, None, unit="px", ax=_ax())
    assert art["values"][1].get_text() == "n/a" and art["bands"]["spans"] == []
    assert art["change"] is None


def test_cohort_paired_lines():
    pre, post = [12.0, 8.0, 15.0], [3.0, 2.0, 5.0]
    art = plot_cohort(pre, post, ids=["P01", "P02", "P03"], ax=_ax())
    assert [tuple(ln.get_ydata()) for ln in art["lines"]] == list(zip(pre, post))
    assert all(tuple(ln.get_xdata()) == (0, 1) for ln in art["lines"])
    assert tuple(art["median"].get_ydata()) == (12.0, 3.0)
    assert [t.get_text() for t in art["labels"]] == ["P01", "P02", "P03"]
    with pytest.raises(InvalidParameterError, match="pre has shape"):
        plot_cohort([1.0, 2.0], [1.0])


def test_comparison_figure_composes_everything(tmp_path):
    pre = make_clip(name="pre.dcm", peak_scale=1.5)
    post = make_clip(name="post.dcm", n_jets=2, peak_scale=0.5)
    c = compare(pre.result, post.result)
    art = plot_comparison(c, pre.frames[pre.max_frame], post.frames[post.max_frame])
    fig = art["figure"]
    assert len(fig.axes) == 5
    assert art["pre_frame"]["title"].get_text().startswith("PRE-CLIP · pre.dcm")
    assert art["post_frame"]["title"].get_text().startswith("POST-CLIP · post.dcm")
    assert len(art["post_frame"]["labels"]) == 2
    assert [b.get_height() for b in art["area_change"]["bars"]] == pytest.approx(
        [c.pre_max_jet_area_cm2, c.post_max_jet_area_cm2]
    )
    path = save_figure(fig, tmp_path / "cmp.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_never_imports_pyplot():
    code = (
        "import sys, numpy as np; from echoassess.plot import plot_overlay, save_figure;"
        "a = plot_overlay(np.zeros((8, 8, 3), np.uint8), np.eye(8, dtype=bool));"
        "save_figure(a['image'].figure, sys.argv[1]);"
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, "-c", code, f"{d}/x.png"], check=True)


def test_zoom_box_stays_within_bounds():
    from echoassess.plot import jet_zoom_box

    m = np.zeros((300, 400), bool)
    m[100:120, 200:230] = True
    m[5:8, 5:8] = True  # outside the bounds: ignored
    x0, y0, x1, y1 = jet_zoom_box(m, bounds_xyxy=(50, 40, 349, 279))
    assert x0 >= 50 and y0 >= 40 and x1 <= 349 and y1 <= 279
    assert x0 <= 200 and x1 >= 229 and y0 <= 100 and y1 >= 119
    assert jet_zoom_box(np.zeros((300, 400), bool), bounds_xyxy=(50, 40, 349, 279)) == (50, 40, 349, 279)


def test_max_frame_prefers_the_analysis_label_image():
    from dataclasses import replace

    from echoassess.results import JetMeasurement

    s = make_clip(keep_masks=False)
    lab = np.zeros(s.frames.shape[1:3], np.int32)
    lab[10:20, 10:30] = 1  # value k is jets_at_max[k - 1]
    lab[40:50, 100:120] = 2
    jets = (
        JetMeasurement(5, 200, 1.28, (19.5, 14.5), (10, 10, 30, 20)),
        JetMeasurement(9, 200, 1.28, (109.5, 44.5), (100, 40, 120, 50)),
    )
    result = replace(s.result, jets_at_max=jets, jet_labels_at_max=lab)
    art = plot_max_frame(s.frames[s.max_frame], result, ax=_ax(), zoom=False)
    assert [c.get_gid() for c in art["contours"]] == ["jet-5", "jet-9"]
    x, y = art["contours"][1].get_data()
    assert (x.min(), x.max(), y.min(), y.max()) == pytest.approx((99.5, 119.5, 39.5, 49.5))
    assert [t.get_text() for t in art["labels"]] == ["1: 1.28 cm²", "2: 1.28 cm²"]


def test_cohort_labels_do_not_overlap():
    from matplotlib.figure import Figure

    from echoassess.plot import plot_cohort

    ax = Figure().add_subplot()
    post = [1.0, 1.1, 1.15, 5.0, 1.05]
    art = plot_cohort([6, 7, 8, 9, 10], post, ids=list("ABCDE"), ax=ax)
    ys = sorted(t.get_position()[1] for t in art["labels"])
    gap = 0.035 * ax.get_ylim()[1]
    assert all(b - a >= gap - 1e-9 for a, b in zip(ys, ys[1:]))
    # each label stays near its own line end, in the same order
    by_id = {t.get_text(): t.get_position()[1] for t in art["labels"]}
    assert by_id["D"] == 5.0 and abs(by_id["A"] - 1.0) < 0.6
    assert by_id["A"] < by_id["E"] < by_id["B"] < by_id["C"]


def test_max_frame_draws_the_annulus_the_jets_were_measured_against():
    from matplotlib.figure import Figure

    import echoassess
    from echoassess.plot import plot_max_frame

    path = Path(__file__).resolve().parents[2] / "sample_data" / "patient01_post.dcm"
    r = echoassess.analyze_clip(path)
    frame = echoassess.load_clip(path).frame(r.max_frame)
    ax = Figure().add_subplot()
    art = plot_max_frame(frame, r, ax=ax)
    (x1, y1), (x2, y2) = r.diagnostics.annulus_xy
    np.testing.assert_allclose(art["annulus"].get_xydata(), [[x1, y1], [x2, y2]])
