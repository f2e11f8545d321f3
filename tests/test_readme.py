"""The README tells a newcomer what works: a venv first, the hints by name, every
error, the exit-status table (issue 13, item 4)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

import echoassess.errors as errors
from echoassess.cli import EXIT_INPUT_FAILED, EXIT_USAGE, app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def _blocks(section: str) -> list[str]:
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", body, re.S)


def test_quick_start_makes_a_venv_before_any_pip_install():
    blocks = _blocks("Quick start")
    assert blocks[0].strip() == "python3 -m venv .venv && . .venv/bin/activate"
    assert blocks[1].strip() == "pip install -e . && echoassess demo --out demo-out"
    assert blocks[2].strip() == 'pip install -e ".[test]" && python -m pytest'
    assert README.index("python3 -m venv .venv") < README.index("```bash\npip install")


def test_every_error_is_listed_with_its_exit_status():
    for name in errors.__all__:
        obj = getattr(errors, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, errors.EchoAssessError)
            and obj is not errors.EchoAssessError
        ):
            row = re.search(rf"^\| `{name}` \|.*\| (\d) \|$", README, re.M)
            assert row, f"{name} is not in the README's error table"
            want = (
                EXIT_USAGE
                if name in ("InvalidParameterError", "OutputError", "DicomWebError")
                else EXIT_INPUT_FAILED
            )
            assert int(row.group(1)) == want, name


def test_exit_status_table_matches_the_cli():
    table = README.split("### Exit status (every command)", 1)[1].split("\n\n", 2)[1]
    codes = re.findall(r"^\| (\d) \|", table, re.M)
    assert codes == ["0", "1", "2"]


def test_the_hints_named_in_the_readme_exist_in_the_cli():
    runner = CliRunner()
    helps = {cmd: runner.invoke(app, [cmd, "--help"]).output for cmd in ("check", "compare")}
    for opt in (
        "--nyquist-cm-s",
        "--spacing-cm",
        "--depth-cm",
        "--view",
        "--annulus",
        "--valve",
        "--roi",
        "--pre-annulus",
        "--post-annulus",
    ):
        assert f"`{opt}" in README, opt
        assert any(opt in h for h in helps.values()), opt
    for line in re.findall(r"^echoassess check .*$", README, re.M):
        for opt in re.findall(r"(--[a-z-]+)", line):
            assert opt in helps["check"], (opt, line)
