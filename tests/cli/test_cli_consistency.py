"""One option name per concept, one unit spelling, one exit-code table, plain
progress lines off a terminal, empty files said to be empty (issue 13, item 8)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from echoassess.cli import EXIT_INPUT_FAILED, EXIT_USAGE, app
from echoassess.synthetic import SceneParams, generate_clip

runner = CliRunner()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli13")
    return generate_clip(SceneParams(rows=240, cols=320, n_frames=12), rng=2).save(d / "small.dcm")[0]


def test_nyquist_has_one_name_in_check_and_compare_and_the_old_one_still_works(small):
    for cmd in ("check", "compare"):
        text = runner.invoke(app, [cmd, "--help"]).output
        assert "--nyquist-cm-s" in text
        assert "--nyquist " not in text  # the old name is a hidden alias
    new = json.loads(runner.invoke(app, ["check", str(small), "--json", "--nyquist-cm-s", "58"]).output)
    old = json.loads(runner.invoke(app, ["check", str(small), "--json", "--nyquist", "58"]).output)
    assert new["settings"]["nyquist_cm_s"] == old["settings"]["nyquist_cm_s"] == 58
    res = runner.invoke(app, ["check", str(small), "--nyquist", "58", "--nyquist-cm-s", "60"])
    assert res.exit_code == EXIT_USAGE and "disagree" in res.output


def test_one_unit_spelling(small):
    out = runner.invoke(app, ["check", str(small)]).output
    assert "cm²" in out and "cm^2" not in out


@pytest.mark.parametrize("cmd", [["check"], ["info"], ["compare", "--out", "OUT"]])
def test_a_missing_input_is_a_usage_error_in_every_command(cmd, tmp_path):
    missing = str(tmp_path / "nope.dcm")
    args = [
        cmd[0],
        missing,
        *([missing] if cmd[0] == "compare" else []),
        *[str(tmp_path / a) if a == "OUT" else a for a in cmd[1:]],
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == EXIT_USAGE, res.output
    assert "nope.dcm" in res.output
    res = runner.invoke(app, ["batch", missing, "--out", str(tmp_path / "b"), "-q"])
    assert res.exit_code == EXIT_USAGE


def test_a_bad_clip_is_exit_1_in_check_and_compare(small, tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"\1" * 500)
    assert runner.invoke(app, ["check", str(bad)]).exit_code == EXIT_INPUT_FAILED
    res = runner.invoke(app, ["compare", str(small), str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == EXIT_INPUT_FAILED


def test_bad_option_values_are_exit_2_everywhere(small, tmp_path):
    res = runner.invoke(app, ["check", str(small), "--annulus", "1,2"])
    assert res.exit_code == EXIT_USAGE
    res = runner.invoke(
        app, ["compare", str(small), str(small), "--out", str(tmp_path / "o"), "--pre-annulus", "1,2"]
    )
    assert res.exit_code == EXIT_USAGE
    hints = tmp_path / "h.csv"
    hints.write_text('file,annulus\nsmall.dcm,"1,2"\n')
    res = runner.invoke(app, ["batch", str(small), "--out", str(tmp_path / "b"), "--hints", str(hints), "-q"])
    assert res.exit_code == EXIT_USAGE


def test_exit_codes_are_documented_in_help():
    assert "Exit status" in runner.invoke(app, ["--help"]).output
    for cmd in ("check", "compare", "batch", "info"):
        text = " ".join(runner.invoke(app, [cmd, "--help"]).output.split())
        assert "Exit status: 0 ok; 1" in text and "2 usage" in text, cmd


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    res = runner.invoke(app, ["check", str(empty)])
    assert res.exit_code == EXIT_INPUT_FAILED and "empty.dcm: empty (0 bytes)" in res.output
    from echoassess.discover import sniff

    assert sniff(empty).detail == "empty (0 bytes)"


def test_compare_progress_says_acquisition_not_clip_clip(small, tmp_path):
    res = runner.invoke(
        app, ["compare", str(small), str(small), "--out", str(tmp_path / "o"), "--no-animate"]
    )
    assert res.exit_code == 0, res.output
    assert "analysing the pre-clip acquisition small.dcm" in res.output
    assert "clip clip" not in res.output


def test_batch_progress_is_whole_lines_off_a_terminal(small, tmp_path):
    res = runner.invoke(app, ["batch", str(small), "--out", str(tmp_path / "b"), "-j", "1"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("batch:")]
    assert lines[-1] == "batch: 1/1 files · 1 ok · 0 failed · 0 skipped"
    assert "…" not in res.output


def test_batch_executor_option_chooses_the_executor(small, tmp_path):
    log = tmp_path / "log.jsonl"
    args = ["batch", str(small), "--out", str(tmp_path / "s"), "--executor", "serial", "--log-json", str(log)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "clips.csv").exists()
    events = [json.loads(ln) for ln in log.read_text().splitlines()]
    assert [e["executor"] for e in events if "executor" in e] == ["serial"]
    bad = runner.invoke(app, ["batch", str(small), "--out", str(tmp_path / "b"), "--executor", "threads"])
    assert bad.exit_code == EXIT_USAGE and "threads" in bad.output


def test_the_cli_runs_without_click_installed(tmp_path):
    """typer >= 0.2x vendors click, so `pip install -e .` alone has no `click` module:
    the README's first command failed with ModuleNotFoundError (issue 13, item 4)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['click'] = None\n"
        "from echoassess.cli import main\n"
        f"sys.argv = ['echoassess', 'check', {str(tmp_path / 'nope.dcm')!r}]\n"
        "main()"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == EXIT_USAGE, res.stderr
    assert "nope.dcm: no such file" in res.stderr and "Traceback" not in res.stderr
