"""HTML report and the output folder: embedded figures, numbers, caveats, no identity."""

from __future__ import annotations

import base64
import html
import json
import re

import pandas as pd
import pytest
from _clip_results import make_clip

from echoassess import compare, report
from echoassess.errors import InvalidParameterError
from echoassess.report import CAVEATS, render_html, summary_table, write_report
from echoassess.workflows import compare_files

PNG = b"\x89PNG\r\n\x1a\n" + b"fake-png-bytes"


def _pair(**post_kw):
    pre = make_clip(name="pre.dcm", peak_scale=1.5, n_frames=10, size=(60, 80), systole=(2, 8))
    post = make_clip(
        name="post.dcm", n_jets=2, peak_scale=0.5, n_frames=10, size=(60, 80), systole=(2, 8), **post_kw
    )
    return pre, post, compare(pre.result, post.result)


def test_html_embeds_figures_and_loads_nothing():
    _, _, c = _pair()
    page = render_html(c, figures={"comparison": PNG}, animations={"pre": b"GIF89a-pre"})
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in page
    assert f'src="data:image/gif;base64,{base64.b64encode(b"GIF89a-pre").decode()}"' in page
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page
    # every src/href is a data URI or a same-folder file
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert ref.startswith("data:")


def test_html_states_numbers_settings_and_caveats():
    _, _, c = _pair(settings={"nyquist_cm_s": 40.0, "frame_rate_hz": 25.0, "depth_cm": 14.0})
    page = render_html(c, figures={"comparison": PNG})
    assert f"{c.area_reduction_pct:.0f}&nbsp;% reduction" in page
    assert f"{c.pre_max_jet_area_cm2:.1f} cm²" in page and f"{c.post_max_jet_area_cm2:.1f} cm²" in page
    assert '<span class="badge severe">severe</span>' in page
    assert '<span class="badge mild">mild</span>' in page
    assert "The Nyquist limit differs (pre 60 cm/s, post 40 cm/s)" in page
    assert '<tr class="differs"><th>Nyquist limit</th>' in page
    for caveat in CAVEATS:
        assert html.escape(caveat) in page
    assert "acoustic shadow" in page and "not a full grade" in page


def test_html_says_settings_match_when_they_do():
    _, _, c = _pair()
    page = render_html(c, figures={"comparison": PNG})
    assert "match between the two clips" in page and "Read these numbers with care" not in page


def test_html_holds_no_patient_identity():
    ids = {
        "patient_name": "SYNTHETIC^PATIENT001",
        "patient_id": "SYN001",
        "series_description": "Apical 4C colour",
    }
    pre = make_clip(name="pre.dcm")
    post = make_clip(name="post.dcm")
    pre_r = pre.result.__class__(**{**pre.result.__dict__, "identifiers": ids})
    post_r = post.result.__class__(**{**post.result.__dict__, "identifiers": ids})
    page = render_html(compare(pre_r, post_r), figures={"comparison": PNG})
    assert "SYNTHETIC" not in page and "SYN001" not in page and "PATIENT" not in page
    assert "pre.dcm · Apical 4C colour" in page
    assert "/data/study" not in page  # file names only, no directories


def test_render_needs_the_comparison_figure():
    _, _, c = _pair()
    with pytest.raises(InvalidParameterError, match="must include 'comparison'"):
        render_html(c, figures={})


def test_large_animation_is_linked_not_embedded(tmp_path, monkeypatch):
    _, _, c = _pair()
    gif = tmp_path / "pre_overlay.gif"
    gif.write_bytes(b"GIF89a" + b"x" * 100)
    monkeypatch.setattr(report.page, "MAX_EMBEDDED_ANIMATION_BYTES", 10)
    page = render_html(c, figures={"comparison": PNG}, animations={"pre": gif})
    assert '<a href="pre_overlay.gif">' in page and "data:image/gif" not in page


def test_write_report_writes_every_output(tmp_path):
    pre, post, c = _pair()
    out = write_report(c, tmp_path / "out", pre_frames=pre.frames, post_frames=post.frames)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        [
            "comparison.json",
            "comparison.csv",
            "frames.csv",
            "comparison.png",
            "pre_max_frame.png",
            "post_max_frame.png",
            "jet_area_time.png",
            "area_change.png",
            "pre_overlay.gif",
            "post_overlay.gif",
            "report.html",
        ]
    )
    for p in out.files.values():
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d = json.loads(out.files["json"].read_text())
    assert d["area_reduction_pct"] == pytest.approx(c.area_reduction_pct, abs=0.01)
    assert d["pre"]["max_frame"] == pre.max_frame and d["post"]["n_jets_at_max"] == 2
    row = pd.read_csv(out.files["csv"]).iloc[0]
    assert row["area_reduction"] == pytest.approx(
        pre.areas_cm2.max() - post.areas_cm2.max(), abs=5e-4
    )  # 0.001 cm² precision
    frames = pd.read_csv(out.files["frames_csv"])
    assert list(frames["clip"]) == ["pre"] * 10 + ["post"] * 10
    assert frames.loc[frames["clip"] == "post", "jet_area_cm2"].to_numpy() == pytest.approx(
        post.areas_cm2, abs=5e-4
    )
    assert set(frames["source"]) == {"pre.dcm", "post.dcm"}
    page = out.report.read_text()
    png = out.files["comparison_png"].read_bytes()
    assert base64.b64encode(png).decode() in page  # the figure is embedded, not linked
    # the page plays a WebP of each clip and steps through one JPEG per frame
    assert page.count('src="data:image/webp;base64,') == 2
    assert page.count('type="radio" name="pre-frame"') == 10
    assert page.count('type="radio" name="post-frame"') == 10
    assert f'id="pre-frame-{pre.max_frame}" checked' in page


def test_write_report_needs_masks(tmp_path):
    pre = make_clip(keep_masks=False)
    post = make_clip()
    with pytest.raises(InvalidParameterError, match="pre-clip result kept no jet masks"):
        write_report(
            compare(pre.result, post.result),
            tmp_path,
            pre_frames=pre.frames,
            post_frames=post.frames,
            animate=False,
        )


def test_summary_table_lists_both_clips():
    _, _, c = _pair()
    text = summary_table(c)
    assert "max jet area" in text and f"{c.pre_max_jet_area_cm2:.2f} cm²" in text
    assert f"({c.area_reduction_pct:.1f} %)" in text
    assert "severe" in text and "mild" in text


def _green_pixels(img) -> int:
    import numpy as np

    a = np.asarray(img.convert("RGB")).astype(int)
    return int(((a[..., 1] > 200) & (a[..., 0] < 60) & (a[..., 2] < 60)).sum())


def test_images_never_show_beyond_the_imaging_region(tmp_path):
    from PIL import Image, ImageSequence

    pre, post, c = _pair()
    box = (10, 5, 69, 54)  # the frames are 80 x 60
    for frames in (pre.frames, post.frames):  # paint everything outside the box green
        frames[:, :5] = frames[:, 55:] = (0, 255, 0)
        frames[:, :, :10] = frames[:, :, 70:] = (0, 255, 0)
    out = write_report(
        c,
        tmp_path,
        pre_frames=pre.frames,
        post_frames=post.frames,
        pre_bounds_xyxy=box,
        post_bounds_xyxy=box,
        notes=("a note",),
    )
    for key in ("pre_overlay_gif", "post_overlay_gif"):
        with Image.open(out.files[key]) as im:
            assert all(_green_pixels(f) == 0 for f in ImageSequence.Iterator(im))
    for key in ("pre_max_frame_png", "post_max_frame_png", "comparison_png"):
        with Image.open(out.files[key]) as im:
            assert _green_pixels(im) == 0, key
    page = out.report.read_text()
    assert "a note" in page


def test_report_warns_when_no_imaging_region(tmp_path):
    pre, post, c = _pair()
    out = write_report(c, tmp_path, pre_frames=pre.frames, post_frames=post.frames, animate=False)
    assert "defines no imaging region" in out.report.read_text()
    assert not (tmp_path / "pre_overlay.gif").exists()


def test_imaging_box_takes_the_2d_region_holding_the_colour_box():
    from types import SimpleNamespace as NS

    from echoassess.report import imaging_box

    small = NS(spatial_format=1, x0=0, y0=0, x1=50, y1=40)
    tissue = NS(spatial_format=1, x0=60, y0=42, x1=670, y1=510)
    colour = NS(spatial_format=1, x0=300, y0=230, x1=520, y1=460)
    ecg = NS(spatial_format=4, x0=0, y0=520, x1=799, y1=599)
    clip = NS(regions=(small, tissue, colour, ecg), colour_flow_region=colour)
    assert imaging_box(clip) == (60, 42, 670, 510)
    assert imaging_box(NS(regions=(), colour_flow_region=None)) is None


def test_settings_table_keeps_screen_geometry_aside():
    s = {
        "nyquist_cm_s": 60.0,
        "frame_rate_hz": 25.0,
        "depth_cm": 14.0,
        "heart_rate_bpm": 70.0,
        "colour_box_xyxy": [1, 2, 3, 4],
    }
    pre = make_clip(settings=s)
    c = compare(pre.result, make_clip(settings=s).result)
    page = render_html(c, figures={"comparison": PNG})
    main, details = page.split("Analysis details", 1)
    assert "<th>Heart rate</th><td>70 bpm</td>" in main
    assert "colour_box_xyxy" not in main and "Colour-flow box (px)" in details
    assert "(1, 2) to (3, 4)" in details and "colour_box_xyxy" not in details  # no raw keys


def test_uncalibrated_pair_reports_pixels(tmp_path):
    pre = make_clip(
        name="pre.dcm", spacing_cm=None, peak_scale=1.2, n_frames=8, size=(50, 60), systole=(2, 6)
    )
    post = make_clip(
        name="post.dcm", spacing_cm=None, peak_scale=0.6, n_frames=8, size=(50, 60), systole=(2, 6)
    )
    c = compare(pre.result, post.result)
    out = write_report(c, tmp_path, pre_frames=pre.frames, post_frames=post.frames)
    page = out.report.read_text()
    assert f"{pre.result.max_jet_area_px} px" in page and "cm²</b> before" not in page
    assert "no class" in page and "pixel" in page


# -- issue 13, item 9: the report's tables and notes ---------------------------------------
def test_settings_table_has_no_empty_column_and_details_are_readable():
    s = {
        "nyquist_cm_s": 60.0,
        "frame_rate_hz": 25.0,
        "depth_cm": 14.0,
        "heart_rate_bpm": 70.0,
        "sector": {"apex_x": 320.0, "apex_y": 30.0, "radius_px": 380.0, "opening_deg": 80.0},
        "colour_map_variance": False,
    }
    c = compare(make_clip(settings=s).result, make_clip(settings=dict(s, depth_cm=16.0)).result)
    page = render_html(c, figures={"comparison": PNG})
    main, details = page.split("Analysis details", 1)
    assert "<th></th></tr>" not in main.split("Acquisition settings", 1)[1]
    assert "<th>Pre vs post</th>" in main and "<b>differs</b>" in main and ">match<" in main
    details = re.sub(r"<[^>]+>", " ", details.split("</details>", 1)[0])  # the text only
    assert "{" not in details and "'" not in details and "_" not in details
    assert "apex (320, 30) px, radius 380 px, opening 80°" in details


def test_spacing_in_cm_per_px_and_frame_numbering_said():
    c = compare(make_clip().result, make_clip().result)
    page = render_html(c, figures={"comparison": PNG})
    assert "0.08000 × 0.08000 cm/px" in page and "mm/px" not in page
    assert "(from 0; the screen&#x27;s counter shows" in page or "(from 0; the screen's counter shows" in page


def test_one_imaging_note_per_report(tmp_path):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_data"
    out = compare_files(sample / "patient01_pre.dcm", sample / "patient01_post.dcm", tmp_path, animate=False)
    page = out.report.read_text()
    assert page.count("Images show only the imaging fan") == 1
    assert "blacked out" in page and page.count("blacked out") == 1
    # the max-frame panels carry the clip's colour scale, labelled by echoassess
    assert out.files["pre_max_frame_png"].stat().st_size > 0


def test_max_frame_panel_has_a_colour_scale():
    import numpy as np

    from echoassess import plot

    clip = make_clip()
    bar = np.zeros((40, 6, 3), np.uint8)
    bar[:20] = (255, 80, 0)
    bar[20:] = (0, 80, 255)
    ax = plot.new_axes()
    art = plot.plot_max_frame(clip.frames[clip.max_frame], clip.result, ax=ax, colour_bar=bar)
    scale = art["colour_bar"]
    labels = [t.get_text() for t in scale.get_yticklabels()]
    assert labels == ["+60", "\u221260"] and scale.get_title() == "cm/s"
    assert np.array_equal(scale.images[0].get_array(), bar)
