"""`echoassess compare` and `echoassess demo`: end to end, and their error paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from echoassess.cli import app
from echoassess.demo import find_pre_post
from echoassess.errors import InvalidParameterError

runner = CliRunner()


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_find_pre_post_by_name(tmp_path):
    _touch(tmp_path / "patient02_pre.dcm")
    _touch(tmp_path / "patient02_post.dcm")
    pre = _touch(tmp_path / "patient01_pre.dcm")
    post = _touch(tmp_path / "patient01_post.dcm")
    _touch(tmp_path / "patient03_pre.dcm")  # no post: ignored
    assert find_pre_post(tmp_path) == (pre, post)
    assert find_pre_post(tmp_path, patient="patient02")[0].name == "patient02_pre.dcm"


def test_find_pre_post_by_folder(tmp_path):
    pre = _touch(tmp_path / "p7" / "pre.dcm")
    post = _touch(tmp_path / "p7" / "post.dcm")
    assert find_pre_post(tmp_path) == (pre, post)


def test_find_pre_post_errors(tmp_path):
    with pytest.raises(InvalidParameterError, match="no such folder"):
        find_pre_post(tmp_path / "missing")
    _touch(tmp_path / "only_pre.dcm")
    with pytest.raises(InvalidParameterError, match="no pre/post pair of DICOM clips found"):
        find_pre_post(tmp_path)


def test_compare_missing_file_fails_cleanly(tmp_path):
    res = runner.invoke(
        app, ["compare", str(tmp_path / "nope.dcm"), str(tmp_path / "b.dcm"), "--out", str(tmp_path / "out")]
    )
    assert res.exit_code == 2  # a missing input path is a usage error
    assert "error:" in res.output and "nope.dcm" in res.output
    assert not (tmp_path / "out").exists()


def test_compare_out_must_be_a_folder(tmp_path):
    out = _touch(tmp_path / "out")
    res = runner.invoke(app, ["compare", "a.dcm", "b.dcm", "--out", str(out)])
    assert res.exit_code == 2 and "is not a folder" in res.output


def test_demo_without_data_fails_cleanly(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "none")])
    assert res.exit_code == 2 and "error:" in res.output and "no such folder" in res.output


def test_truth_notes_for_synthetic_clips(tmp_path):
    from echoassess.demo import truth_notes
    from echoassess.synthetic import SceneParams, generate_clip

    paths = []
    for name, post in (("p_pre.dcm", False), ("p_post.dcm", True)):
        clip = generate_clip(SceneParams(rows=120, cols=160, n_frames=4, post_clip=post), rng=1)
        paths.append(clip.save(tmp_path / name)[0])
        if not post:
            truth_pre = clip.truth
    (note,) = truth_notes(*paths)
    assert f"{truth_pre.max_area_cm2:.2f} cm² before" in note
    (tmp_path / "p_post.truth.npz").unlink()
    assert truth_notes(*paths) == []


# -- end to end on synthetic DICOM files ---------------------------------------------------
@pytest.fixture(scope="module")
def study_files(tmp_path_factory):
    """A synthetic patient's pre (RGB) and post (JPEG YBR_FULL_422) clips, with fake identity."""
    from echoassess.synthetic import generate_study

    d = tmp_path_factory.mktemp("study")
    pre, post = generate_study(5, rows=240, cols=320, n_frames=16)
    assert pre.study.patient_name == "SYNTHETIC^PATIENT001" and pre.study.patient_id == "SYN001"
    pre_path, _ = pre.save(d / "patient01_pre.dcm")
    post_path, _ = post.save(d / "patient01_post.dcm", encoding="jpeg")
    return pre_path, post_path


@pytest.fixture(scope="module")
def compare_run(study_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    res = runner.invoke(
        app, ["compare", str(study_files[0]), str(study_files[1]), "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    return res, out


def test_compare_json_matches_the_library(study_files, compare_run):
    import json

    from echoassess import analyze_clip, compare

    res, out = compare_run
    d = json.loads(res.stdout)
    pre, post = analyze_clip(study_files[0]), analyze_clip(study_files[1])
    expected = compare(pre, post)
    assert set(d) >= {"pre", "post", "area_reduction_pct"}
    assert d["pre"]["max_jet_area_cm2"] == pytest.approx(pre.max_jet_area_cm2, abs=1e-4)
    assert d["post"]["max_jet_area_cm2"] == pytest.approx(post.max_jet_area_cm2, abs=1e-4)
    assert d["area_reduction_pct"] == pytest.approx(expected.area_reduction_pct, abs=0.01)
    assert d["post_n_jets"] == post.n_jets_at_max
    assert json.loads((out / "comparison.json").read_text()) == d


def test_compare_writes_every_output(compare_run):
    _, out = compare_run
    names = {p.name for p in out.iterdir()}
    assert names == {
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
    }
    page = (out / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 1
    assert "patient01_pre.dcm" in page and "patient01_post.dcm" in page


def test_outputs_hold_no_patient_identity(compare_run):
    _, out = compare_run
    for name in ("report.html", "comparison.json", "comparison.csv", "frames.csv"):
        text = (out / name).read_text()
        for identity in ("SYNTHETIC^PATIENT", "SYNTHETIC PATIENT", "SYN001", "SYNACC001"):
            assert identity not in text, (name, identity)


def test_compare_prints_a_summary_table(study_files, tmp_path):
    res = runner.invoke(
        app,
        ["compare", str(study_files[0]), str(study_files[1]), "--out", str(tmp_path / "o"), "--no-animate"],
    )
    assert res.exit_code == 0, res.output
    assert "max jet area" in res.stdout and "reduction" in res.stdout
    assert f"report: {tmp_path / 'o' / 'report.html'}" in res.stdout
    assert not (tmp_path / "o" / "pre_overlay.gif").exists()


def test_demo_runs_on_a_data_folder(study_files, tmp_path):
    import json

    res = runner.invoke(
        app,
        [
            "demo",
            "--out",
            str(tmp_path / "demo"),
            "--data",
            str(study_files[0].parent),
            "--json",
            "--no-animate",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["pre"]["source"] == "patient01_pre.dcm"
    page = (tmp_path / "demo" / "report.html").read_text()
    assert "These sample clips are synthetic" in page


def test_compare_refuses_a_non_dicom_file(study_files, tmp_path):
    bad = tmp_path / "notes.dcm"
    bad.write_text("not a DICOM file")
    res = runner.invoke(app, ["compare", str(study_files[0]), str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert res.output.startswith("error: ") and "notes.dcm" in res.output
