"""The house rules of issue 14, checked on every run: ruff (lint and format),
mypy (strict on the typed core), module and function sizes, and the one-way
import rule that keeps pydicom inside ``echoassess.dicom``."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "echoassess"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: functions allowed to be longer (issue 14 excepted the synthetic scene
#: renderers; they have since been split, so none is)
EXCEPTED_FUNCTIONS: set[tuple[str, str]] = set()


def _modules():
    return sorted(p for p in SRC.rglob("*.py"))


def _tool(name: str) -> list[str]:
    exe = shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return [exe]


def test_ruff_lint_is_clean():
    out = subprocess.run([*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_is_clean():
    out = subprocess.run([*_tool("ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_is_clean():
    out = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr


def test_no_module_is_longer_than_600_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_function_is_longer_than_80_lines():
    long = {}
    for p in _modules():
        rel = str(p.relative_to(SRC))
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and (rel, node.name) not in EXCEPTED_FUNCTIONS:
                    long[f"{rel}:{node.name}"] = n
    assert not long, long


@pytest.mark.parametrize("library", ["pydicom", "highdicom", "dicomweb_client"])
def test_only_the_dicom_package_imports_dicom_libraries(library):
    offenders = []
    for p in _modules():
        rel = p.relative_to(SRC)
        if rel.parts[0] in ("dicom", "synthetic"):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(n == library or n.startswith(library + ".") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders
