"""Start-up: `echoassess --help` and `echoassess check` import only what they need.

Asserted on the modules a fresh interpreter holds afterwards (never on seconds:
timings live in README via benchmarks/speed.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "patient01_pre.dcm"

_RUN = """
import json, sys
from echoassess.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
heavy = ("numpy", "pydicom", "cv2", "scipy", "pandas", "matplotlib", "distributed", "dask",
         "skimage", "PIL", "pyarrow", "rich.progress", "pydantic")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.__stderr__)
"""


def _modules_after(*args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, timeout=120)
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_help_imports_no_scientific_stack():
    assert _modules_after("--help") == []


def test_import_echoassess_is_light_and_names_resolve_on_use():
    code = (
        "import sys, echoassess; light = 'numpy' not in sys.modules; "
        "f = echoassess.load_clip; import echoassess.compare; "
        "print(light, callable(echoassess.compare), echoassess.ClipResult.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "True", "ClipResult"], out.stderr


@pytest.mark.slow
def test_check_does_not_import_plotting_tables_or_distributed():
    loaded = _modules_after("check", str(SAMPLE))
    assert {"numpy", "pydicom", "cv2"} <= set(loaded)
    assert not {"scipy", "pandas", "matplotlib", "distributed", "dask", "skimage", "pyarrow"} & set(loaded)
    # typer 0.29 and later validate every parameter with pydantic (0.1 s per command)
    assert "pydantic" not in loaded
