"""Post-TEER measures on world clips with known truth: vena contracta per jet, LA
area, jet/LA ratio; their place in the result, JSON, CLI, figure, report and tables."""

from __future__ import annotations

import json

import matplotlib.figure
import numpy as np
import pytest
from typer.testing import CliRunner

from echoassess import analyze_clip, compare
from echoassess.cli import app
from echoassess.cohort import result_from_dict
from echoassess.errors import InvalidParameterError
from echoassess.plot import plot_max_frame
from echoassess.postteer import (
    MULTI_JET_VC_NOTE,
    PostTeerMeasures,
    change,
    ratio_class,
    table_row,
    vc_class,
)
from echoassess.synthetic import WorldParams, generate_world_clip

FIXED = dict(
    rows=300,
    cols=400,
    texture="fine",
    artefacts="clean",
    n_frames=14,
    frame_rate_hz=30.0,
    heart_rate_bpm=75.0,
)


def _world(tmp_path, seed, view, *, post_clip):
    p = WorldParams.random(seed, view=view, post_clip=post_clip, **FIXED)
    clip = generate_world_clip(p, rng=seed)
    return clip, clip.save(tmp_path / f"{view}{seed}.dcm")[0]


@pytest.fixture(scope="module")
def one_jet(tmp_path_factory):
    clip, path = _world(tmp_path_factory.mktemp("pt"), 40, "a4c", post_clip=True)
    return clip, path, analyze_clip(path)


@pytest.fixture(scope="module")
def two_jets(tmp_path_factory):
    clip, path = _world(tmp_path_factory.mktemp("pt2"), 42, "a2c", post_clip=False)
    return clip, path, analyze_clip(path)


def test_one_jet_against_truth(one_jet):
    clip, _, r = one_jet
    t = clip.truth
    pt = r.post_teer
    assert r.status == "measured" and pt is not None
    assert t.la_complete and pt.la_status == "measured"
    assert pt.la_area_cm2 == pytest.approx(t.la_area_cm2, rel=0.06)
    (jet,) = pt.jets
    # a small jet (10 x 10 px at 0.076 cm/px): its 0.23 cm neck is 3 px, and its
    # mask 4-5 px wide all along; within 2 px (the benchmark's worst-case target).
    # Until 2026-12-04 it passed at 0.06 cm because its tapering tip was read as the neck.
    px = r.pixel_spacing_cm[0]
    assert jet.vc_width_cm == pytest.approx(np.nanmax(t.vc_width_cm_frames[:, 0]), abs=2 * px)
    assert jet.vc_at_max_cm == pytest.approx(t.vc_width_cm_frames[r.max_frame, 0], abs=2 * px)
    assert pt.jet_la_ratio == pytest.approx(t.max_area_cm2 / t.la_area_cm2, abs=0.02)
    assert pt.jet_la_ratio == pytest.approx(r.max_jet_area_cm2 / pt.la_area_cm2, rel=1e-9)
    assert pt.vc_sum_note == "" and MULTI_JET_VC_NOTE not in r.warnings
    # every systolic frame with a jet has its vena contracta
    sys_frames = {f.index for f in r.per_frame if f.phase == "systole" and f.n_jets}
    assert sys_frames == {i for i, _ in pt.vc_by_frame}


def test_two_jets_each_measured_and_the_sum_flagged(two_jets):
    clip, _, r = two_jets
    t = clip.truth
    pt = r.post_teer
    assert len(pt.jets) == 2 == t.n_jet_sources
    truth_max = np.nanmax(t.vc_width_cm_frames, axis=0)
    for jet in pt.jets:  # each matched to the nearest true orifice
        k = int(
            np.argmin([np.hypot(ox - jet.origin_xy[0], oy - jet.origin_xy[1]) for ox, oy in t.orifices_xy])
        )
        assert jet.vc_width_cm == pytest.approx(truth_max[k], abs=0.1)
    assert pt.vc_sum_cm == pytest.approx(sum(j.vc_width_cm for j in pt.jets))
    assert pt.vc_sum_note == MULTI_JET_VC_NOTE and MULTI_JET_VC_NOTE in r.warnings
    d = r.to_dict()["post_teer"]
    assert d["vc_sum_note"] == MULTI_JET_VC_NOTE
    assert sum(j["la_ratio"] for j in d["jets"]) == pytest.approx(d["jet_la_ratio"], abs=1e-3)


def test_json_round_trip_and_table_row(one_jet):
    _, _, r = one_jet
    d = json.loads(json.dumps(r.to_dict()))
    pt = PostTeerMeasures.from_dict(d["post_teer"])
    assert pt.la_area_cm2 == pytest.approx(r.post_teer.la_area_cm2, abs=1e-4)
    assert pt.jets[0].vc_width_cm == pytest.approx(r.post_teer.jets[0].vc_width_cm, abs=1e-4)
    back = result_from_dict(d, source="x.dcm")
    assert back.post_teer is not None and back.post_teer.jet_la_ratio_class == pt.jet_la_ratio_class
    row = table_row(d)
    assert row["la_area_cm2"] == pytest.approx(r.post_teer.la_area_cm2, abs=1e-4)
    assert row["la_status"] == "measured" and row["vc_sum_cm"] is None  # one jet: no sum
    assert table_row({"status": "cannot_measure"})["vc_max_cm"] is None


def test_user_la_polygon_overrides(one_jet):
    clip, path, _ = one_jet
    poly = [(100, 100), (200, 100), (200, 180), (100, 180)]
    r = analyze_clip(path, la_polygon=poly)
    pt = r.post_teer
    sx, sy = clip.truth.spacing_cm
    assert pt.la_status == "user"
    assert pt.la_area_cm2 == pytest.approx(100 * 80 * sx * sy)
    assert pt.jet_la_ratio == pytest.approx(r.max_jet_area_px / (100 * 80))
    # the same as text, as the CLI gives it
    r2 = analyze_clip(path, la_polygon="100,100,200,100,200,180,100,180")
    assert r2.post_teer.la_area_cm2 == pytest.approx(pt.la_area_cm2)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("1,2,3", "list of x,y pixel points"),
        ("10,10,20,20", "at least 3 points"),
        ("10,10,20,20,5000,30", "outside"),
        ("10,10,20,20,30,30", "no area"),
        ("a,b,c,d,e,f", "list of x,y pixel points"),
    ],
)
def test_malformed_la_polygon_is_refused(one_jet, bad, match):
    _, path, _ = one_jet
    with pytest.raises(InvalidParameterError, match=match):
        analyze_clip(path, la_polygon=bad)


def test_cli_check_prints_the_measures_and_refuses_a_bad_polygon(one_jet):
    _, path, r = one_jet
    runner = CliRunner()
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert "vena contracta" in res.output and "LA area" in res.output and "jet/LA area" in res.output
    assert f"{r.post_teer.la_area_cm2:.1f} cm²" in res.output
    res = runner.invoke(app, ["check", str(path), "--la-polygon", "1,2,3"])
    assert res.exit_code != 0 and "la_polygon" in res.output


def test_max_frame_figure_draws_the_outline_and_the_segment(one_jet):
    clip, _, r = one_jet
    ax = matplotlib.figure.Figure().add_subplot()
    art = plot_max_frame(clip.frames[r.max_frame], r, ax=ax)
    seg = r.post_teer.jets[0].vc_segment_xy
    xs, ys = art["vc_segment_1"].get_data()
    assert np.allclose(xs, [seg[0][0], seg[1][0]]) and np.allclose(ys, [seg[0][1], seg[1][1]])
    lx, _ = art["la_outline"].get_data()
    assert len(lx) == len(r.post_teer.la_outline_xy) + 1  # closed


def test_vena_contracta_labels_of_two_jets_are_numbered_and_apart(two_jets):
    """Two jets' necks side by side at the valve: their labels name the jet (as
    the panel numbers them) and never overlap (they once printed over each other)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    clip, _, r = two_jets
    fig = matplotlib.figure.Figure(figsize=(6, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    plot_max_frame(clip.frames[r.max_frame], r, ax=ax)
    fig.canvas.draw()
    labels = [t for t in ax.texts if t.get_text().startswith("VC")]
    assert sorted(t.get_text().split()[0] for t in labels) == ["VC1", "VC2"]
    boxes = [t.get_window_extent() for t in labels]
    assert not boxes[0].overlaps(boxes[1])


def test_comparison_reports_the_change(one_jet, two_jets):
    c = compare(two_jets[2], one_jet[2])
    d = c.to_dict()["post_teer_change"]
    assert d["change_vc_max_cm"] == pytest.approx(
        one_jet[2].post_teer.vc_max_cm - two_jets[2].post_teer.vc_max_cm, abs=1e-3
    )
    row = c.to_frame().iloc[0]
    assert row["post_la_area_cm2"] == pytest.approx(one_jet[2].post_teer.la_area_cm2, abs=1e-3)
    assert change(None, None)["change_jet_la_ratio"] is None


def test_cannot_measure_clips_get_no_post_teer(tmp_path):
    """A PLAX clip the analysis cannot place the valve in: no VC, no LA, no ratio."""
    p = WorldParams.random(0, view="plax", **FIXED)
    path = generate_world_clip(p, rng=0).save(tmp_path / "plax.dcm")[0]
    r = analyze_clip(path)
    assert r.status == "cannot_measure"
    assert r.post_teer is None and r.to_dict()["post_teer"] is None


def test_bands():
    assert [vc_class(w) for w in (0.29, 0.3, 0.69, 0.7)] == ["mild", "moderate", "moderate", "severe"]
    assert [ratio_class(x) for x in (0.19, 0.2, 0.4, 0.41)] == ["mild", "moderate", "moderate", "severe"]


def test_sr_carries_vena_contracta_and_la_area(one_jet, tmp_path):
    """LOINC 80061-5 per jet and 79974-2 for the LA, read back from the written SR."""
    pytest.importorskip("highdicom")
    from echoassess import load_clip
    from echoassess.dicom.sr import read_clip_sr, write_clip_sr

    _, path, r = one_jet
    out = write_clip_sr(r, load_clip(path), tmp_path / "sr.dcm")
    back = read_clip_sr(out)
    assert back["vc_widths_cm"] == pytest.approx([j.vc_width_cm for j in r.post_teer.jets], abs=1e-6)
    assert back["la_area_cm2"] == pytest.approx(r.post_teer.la_area_cm2, abs=1e-6)
    assert back["jet_la_ratio"] == pytest.approx(r.post_teer.jet_la_ratio, abs=1e-6)
    import pydicom

    codes = {str(i.ConceptNameCodeSequence[0].CodeValue) for i in _walk(pydicom.dcmread(out))}
    assert {"80061-5", "79974-2", "59123-0"} <= codes


def _walk(ds):
    for item in ds.get("ContentSequence") or ():
        if "ConceptNameCodeSequence" in item:
            yield item
        yield from _walk(item)


def test_a_frame_where_two_touching_jets_merge_is_not_their_neck(tmp_path):
    """Two jets 0.8 cm apart with 0.7 cm necks (parasternal, annulus hint; seed
    13007 of the world benchmark). On two systolic frames the split fails and one
    flow 1.8 cm wide is followed as the first jet: its largest neck read 1.81 cm
    (true 0.72). Such a frame, more than 1.6x the jet's median neck, is left out."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_jets_world import _benchmark_clip

    pre, path = _benchmark_clip(tmp_path, 13007, "plax", "fine", "overlays", post=False)
    r = analyze_clip(path, annulus=pre.truth.annulus_xy, view="tte")
    pt = r.post_teer
    assert r.status == "measured" and len(pt.jets) == 2
    widest = max(w for _, ws in pt.vc_by_frame for w in ws if w is not None)
    assert widest > 1.5  # the merged frames are still in the per-frame table
    truth = np.nanmax(pre.truth.vc_width_cm_frames, axis=0)
    for jet in pt.jets:
        k = int(
            np.argmin(
                [np.hypot(x - jet.origin_xy[0], y - jet.origin_xy[1]) for x, y in pre.truth.orifices_xy]
            )
        )
        assert jet.vc_width_cm < 1.6 * truth[k]


def test_widest_neck_leaves_out_a_neck_twice_the_jets_own():
    from echoassess.postteer import _widest_neck
    from echoassess.vena import VenaContracta

    def neck(w):
        return VenaContracta(w * 0.05, w, ((0, 0), (w, 0)), (10.0, 10.0), (10.0, 30.0), 0.3)

    widths = {0: 10.0, 1: 12.0, 2: 25.0, 3: 12.5, 4: 26.0, 5: 11.0}
    vcs = {i: {1: neck(w)} for i, w in widths.items()}
    along = lambda p: p[0] * 0.05  # noqa: E731
    best, frame = _widest_neck(vcs[3][1], 3, vcs, along, track_cm=0.5)
    assert (best.width_px, frame) == (12.0, 1)  # the second widest of 12.5, 12, 11, 10
    best, _ = _widest_neck(vcs[3][1], 3, vcs, along, track_cm=0.5, max_ratio=10)
    assert best.width_px == 25.0  # without the rule: a merged frame


def test_text_says_which_vena_contracta_the_figure_draws(one_jet):
    """The reported width is each jet's largest over systole, the drawn one is on
    the max-jet frame: when they differ, the text names the drawn widths."""
    from dataclasses import replace

    from echoassess.postteer import at_max_note, summary_lines

    _, _, r = one_jet
    pt = r.post_teer
    (jet,) = pt.jets
    same = replace(pt, jets=(replace(jet, vc_at_max_cm=jet.vc_width_cm),))
    assert at_max_note(same) == "" and len(summary_lines(same)) == len(summary_lines(pt)) - bool(
        at_max_note(pt)
    )
    other = replace(pt, jets=(replace(jet, vc_width_cm=0.78, vc_at_max_cm=0.64),))
    note = at_max_note(other)
    assert "largest over systole" in note and "0.64 cm" in note
    assert any(note in line for line in summary_lines(other))
    assert at_max_note(replace(pt, jets=(replace(jet, vc_at_max_cm=None),))) == ""
