"""The DICOM layer's boundary, proved on the source: an AST scan of every import.

* Only ``echoassess/dicom/`` imports pydicom, highdicom or dicomweb-client
  (``echoassess/synthetic/``, the test-data generator, writes its own DICOM and
  is excepted).
* The clip reader does no image analysis: the modules a clip is read with
  import nothing of echoassess outside the DICOM layer but the errors and the
  plausibility bounds.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from dicomfiles import dcm_file

import echoassess

PACKAGE = Path(echoassess.__file__).resolve().parent
DICOM_LIBRARIES = ("pydicom", "highdicom", "dicomweb_client")
#: the modules :func:`echoassess.dicom.read_clip` runs
READER = ("_elements", "calibration", "clip", "header", "jpeg", "metadata", "palette", "pixels", "regions")


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (top level or inside functions), relative imports resolved."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                found |= {module} if node.module else {f"{base}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module or "")
    return found


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_scan_sees_function_level_and_relative_imports():
    found = _imports(PACKAGE / "dicom" / "clip.py")
    assert "echoassess.dicom.header" in found and "echoassess.errors" in found
    assert "pydicom" in _imports(PACKAGE / "dicom" / "header.py")  # imported inside read_header


def test_only_the_dicom_package_imports_dicom_libraries():
    offenders = []
    for path in _modules(PACKAGE):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("dicom", "synthetic"):
            continue
        for module in _imports(path):
            if module.split(".")[0] in DICOM_LIBRARIES:
                offenders.append(f"{rel} imports {module}")
    assert offenders == []


def test_the_dicom_package_is_where_pydicom_is_used():
    users = {
        p.stem for p in _modules(PACKAGE / "dicom") if any(m.split(".")[0] == "pydicom" for m in _imports(p))
    }
    assert {"header", "pixels", "metadata", "sniff", "sr", "web"} <= users


@pytest.mark.parametrize("name", READER)
def test_the_reader_imports_no_image_analysis(name):
    outside = {
        m
        for m in _imports(PACKAGE / "dicom" / f"{name}.py")
        if m.startswith("echoassess.") and not m.startswith("echoassess.dicom")
    }
    assert outside <= {"echoassess.errors", "echoassess.bounds"}


def test_reading_a_clip_with_a_depth_loads_no_fan_detection():
    """read_clip records the depth; only echoassess.load_clip looks for the fan."""
    code = (
        "import sys\n"
        "from echoassess.dicom import read_clip\n"
        f"clip = read_clip({dcm_file('US1_UNCR.dcm')!r}, depth_cm=16.0)\n"
        "print(clip.spacing_cm, clip.user_calibration.depth_cm, 'echoassess.fan' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["None", "16.0", "False"], out.stderr
