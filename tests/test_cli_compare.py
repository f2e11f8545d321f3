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
    res = runner.invoke(app, ["compare", str(tmp_path / "nope.dcm"), str(tmp_path / "b.dcm"),
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "error:" in res.output and "nope.dcm" in res.output
    assert not (tmp_path / "out").exists()


def test_compare_out_must_be_a_folder(tmp_path):
    out = _touch(tmp_path / "out")
    res = runner.invoke(app, ["compare", "a.dcm", "b.dcm", "--out", str(out)])
    assert res.exit_code == 1 and "is not a folder" in res.output


def test_demo_without_data_fails_cleanly(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--data",
                              str(tmp_path / "none")])
    assert res.exit_code == 1 and "error:" in res.output and "no such folder" in res.output


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
