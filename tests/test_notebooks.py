"""The notebooks in notebooks/ run top to bottom without error, and are committed clean.

Each notebook is executed with nbclient in a ``python3`` kernel of this
interpreter (the kernelspec ipykernel installs in the environment), with the
notebook's own folder as working directory, as Jupyter would run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: Seconds any one cell may take before the notebook counts as broken.
CELL_TIMEOUT_S = 300


def _execute(nb):
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    return client.execute()


def test_the_four_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_quickstart", "02_pre_post_comparison", "03_batch_cohort", "04_validation"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs (strip them)"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


def test_notebooks_match_their_sources():
    proc = subprocess.run(
        [sys.executable, str(NOTEBOOKS_DIR / "build.py"), "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_kernel_is_this_interpreter():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    _execute(nb)
    printed = nb.cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.prefix).resolve(), (
        f"the python3 kernel runs in {printed}, not in this environment ({sys.prefix}): "
        "install ipykernel here"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path):
    repo = NOTEBOOKS_DIR.parent
    before = _files(repo)
    nb = nbformat.read(path, as_version=4)
    _execute(nb)  # raises CellExecutionError, naming the cell, on any error
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"
    ]
    assert not errors
    written = _files(repo) - before
    assert not written, f"{path.name} wrote into the repository: {sorted(written)[:5]}"


def _files(repo: Path) -> set[Path]:
    """Files under the folders a notebook could write to by mistake."""
    return {
        p
        for d in ("notebooks", "sample_data")
        for p in (repo / d).rglob("*")
        if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }
