"""compare(): numbers against synthetic truth, settings warnings, exporters."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from _clip_results import make_clip

import echoassess
from echoassess.compare import Comparison, clip_label, compare
from echoassess.errors import InvalidParameterError


def test_reduction_matches_truth():
    pre = make_clip(name="pre.dcm", n_jets=1, peak_scale=1.5)
    post = make_clip(name="post.dcm", n_jets=2, peak_scale=0.5)
    c = compare(pre.result, post.result)
    truth_pre, truth_post = pre.areas_cm2.max(), post.areas_cm2.max()
    assert truth_pre > 10 and truth_post < 4  # the fixture spans the ASE classes
    assert c.area_unit == "cm2"
    assert c.pre_max_jet_area_cm2 == pytest.approx(truth_pre)
    assert c.post_max_jet_area_cm2 == pytest.approx(truth_post)
    assert c.area_reduction_cm2 == pytest.approx(truth_pre - truth_post)
    assert c.area_reduction_pct == pytest.approx(100 * (truth_pre - truth_post) / truth_pre)
    assert (c.pre_n_jets, c.post_n_jets) == (1, 2)
    assert (c.pre_class, c.post_class, c.class_change) == ("severe", "mild", "severe -> mild")
    assert c.settings_match and c.warnings == ()


def test_increase_gives_negative_reduction():
    c = compare(make_clip(peak_scale=0.5).result, make_clip(peak_scale=1.0).result)
    assert c.area_reduction_cm2 < 0 and c.area_reduction_pct < 0


@pytest.mark.parametrize(
    "key, post_value, word",
    [
        ("nyquist_cm_s", 45.0, "Nyquist limit"),
        ("frame_rate_hz", 15.0, "frame rate"),
        ("depth_cm", 18.0, "imaging depth"),
    ],
)
def test_settings_difference_warns(key, post_value, word):
    base = {"nyquist_cm_s": 60.0, "frame_rate_hz": 25.0, "depth_cm": 14.0}
    post_settings = {**base, key: post_value}
    c = compare(make_clip(settings=base).result, make_clip(settings=post_settings).result)
    assert c.setting_differences == ((key, base[key], post_value),)
    assert not c.settings_match
    assert any(word in w and "differs" in w for w in c.warnings)


def test_small_setting_jitter_does_not_warn():
    pre = {"nyquist_cm_s": 60.0, "frame_rate_hz": 25.0, "depth_cm": 14.0}
    post = {"nyquist_cm_s": 61.0, "frame_rate_hz": 25.5, "depth_cm": 14.2}
    c = compare(make_clip(settings=pre).result, make_clip(settings=post).result)
    assert c.settings_match and c.warnings == ()


def test_missing_settings_and_odd_nyquist_warn():
    c = compare(
        make_clip(settings={"nyquist_cm_s": 35.0}).result, make_clip(settings={"nyquist_cm_s": 35.0}).result
    )
    assert c.settings_match  # nothing *differs*...
    text = " ".join(c.warnings)
    assert "frame rate is not recorded for the pre and post-clip acquisitions" in text
    assert "outside the usual 50-70 cm/s" in text and "overestimated" in text


def test_uncalibrated_pair_compares_pixels():
    pre = make_clip(spacing_cm=None, peak_scale=1.2)
    post = make_clip(spacing_cm=None, peak_scale=0.6)
    c = compare(pre.result, post.result)
    assert c.area_unit == "px"
    assert c.pre_max_jet_area == pre.result.max_jet_area_px
    assert c.pre_max_jet_area_cm2 is None and c.pre_class is None
    assert c.area_reduction_pct == pytest.approx(
        100 * (1 - post.result.max_jet_area_px / pre.result.max_jet_area_px)
    )
    assert any("pixel" in w for w in c.warnings)


def test_mixed_calibration_gives_no_reduction():
    c = compare(make_clip().result, make_clip(spacing_cm=None).result)
    assert c.area_reduction_cm2 is None and c.area_reduction_pct is None
    assert c.pre_class is not None and c.post_class is None
    assert any("post-clip acquisition is not calibrated" in w for w in c.warnings)


def test_no_pre_jet_gives_no_percentage():
    pre = make_clip(systole=(3, 3))  # no systolic frames -> no jet
    c = compare(pre.result, make_clip().result)
    assert c.pre_max_jet_area_cm2 == 0.0
    assert c.area_reduction_pct is None
    assert any("No jet was found on the pre-clip" in w for w in c.warnings)


def test_rejects_non_results():
    with pytest.raises(InvalidParameterError, match="compare: post must be a ClipResult"):
        compare(make_clip().result, "post.dcm")


def test_to_dict_is_json_and_has_both_results():
    c = compare(make_clip(name="pre.dcm").result, make_clip(name="post.dcm").result)
    d = json.loads(json.dumps(c.to_dict()))
    # file names only: folder names often carry the patient's name
    assert (d["pre"]["source"], d["post"]["source"]) == ("pre.dcm", "post.dcm")
    assert "/data/study" not in json.dumps(d)
    assert d["area_reduction_pct"] == pytest.approx(0.0)
    assert d["pre"]["max_jet_area_cm2"] == pytest.approx(c.pre_max_jet_area_cm2, abs=1e-4)
    assert d["settings"]["pre"]["nyquist_cm_s"] == 60.0
    assert "masks" not in d["pre"]


def test_to_frame_one_row_per_comparison():
    comps = [compare(make_clip(peak_scale=s).result, make_clip(peak_scale=0.5).result) for s in (1.0, 1.5)]
    import pandas as pd

    df = pd.concat([c.to_frame() for c in comps], ignore_index=True)
    assert len(df) == 2
    np.testing.assert_allclose(df["area_reduction"], [c.area_reduction for c in comps], atol=5e-4)
    assert list(df["pre_class"]) == [c.pre_class for c in comps]
    assert {"pre_nyquist_cm_s", "post_depth_cm", "settings_match"} <= set(df.columns)
    assert list(df["pre_file"]) == ["pre.dcm", "pre.dcm"]


def test_comparison_is_frozen_and_exported():
    c = compare(make_clip().result, make_clip().result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.area_reduction = 1.0  # type: ignore[misc]
    assert echoassess.compare is compare and echoassess.Comparison is Comparison


def test_clip_label_has_no_directory():
    label = clip_label(make_clip(name="post.dcm").result)
    assert label.startswith("post.dcm · Apical 4C colour · UID …")
    assert "/data" not in label


def test_no_systole_means_no_maximum():
    from dataclasses import replace

    pre = make_clip().result
    no_sys = replace(pre, max_frame=None, max_jet_area_cm2=None, max_jet_area_px=0, jets_at_max=())
    c = compare(no_sys, make_clip().result)
    assert c.area_reduction_cm2 is None and c.pre_class is None
    assert any("No systolic frame was found in the pre-clip" in w for w in c.warnings)


# -- issue 13: pre/post sanity (item 5) and the Nyquist at its printed precision (item 10) --
def _with_ids(res, **ids):
    return dataclasses.replace(res, identifiers={**res.identifiers, **ids})


def test_swapped_clips_are_warned():
    pre = _with_ids(
        make_clip(name="a.dcm").result,
        acquisition_datetime="2024-05-26T15:36:00",
        series_description="A4C colour post-clip",
    )
    post = _with_ids(
        make_clip(name="b.dcm").result,
        acquisition_datetime="2024-05-26T15:04:00",
        series_description="A4C colour pre-clip",
    )
    w = " ".join(compare(pre, post).warnings)
    assert "post-clip acquisition was made 32 min before the pre-clip one" in w
    assert "calls it a post-clip acquisition" in w and "calls it a pre-clip acquisition" in w
    assert "2024" not in w  # dates are never quoted
    ok = compare(
        _with_ids(pre, acquisition_datetime="2024-05-26T15:00:00", series_description="A4C colour pre-clip"),
        _with_ids(
            post, acquisition_datetime="2024-05-26T15:40:00", series_description="A4C colour post-clip"
        ),
    )
    assert not any("swapped" in x for x in ok.warnings)


def test_the_same_instance_twice_is_warned():
    res = make_clip().result
    c = compare(res, res)
    assert any("same SOP Instance UID" in w for w in c.warnings)
    no_uid = _with_ids(res, sop_instance_uid=None)
    assert any("same file was probably given twice" in w for w in compare(no_uid, no_uid).warnings)


def test_acquisition_time_never_reaches_the_json():
    res = _with_ids(make_clip().result, acquisition_datetime="2024-05-26T15:36:00")
    assert "acquisition_datetime" not in json.dumps(res.to_dict())


@pytest.mark.parametrize(
    ("nyquist", "shown", "warned"),
    [
        (70.8, "70.8 cm/s", True),
        (70.04, "70.0 cm/s", False),
        (49.96, "50.0 cm/s", False),
        (49.9, "49.9 cm/s", True),
    ],
)
def test_nyquist_warning_agrees_with_the_printed_value(nyquist, shown, warned):
    from echoassess.report import render_html, summary_table

    s = {"nyquist_cm_s": nyquist, "frame_rate_hz": 25.0, "depth_cm": 14.0}
    c = compare(make_clip(settings=s).result, make_clip(settings=s).result)
    table = summary_table(c)
    assert f"nyquist limit       {shown}" in table
    assert any("outside the usual 50-70" in w for w in c.warnings) is warned
    if warned:
        assert f"({shown})" in " ".join(c.warnings)
    page = render_html(c, figures={"comparison": b"\x89PNG\r\n\x1a\nx"})
    assert f"{shown}</td>" in page
