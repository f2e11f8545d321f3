"""Build the notebooks from their percent-format sources, with no outputs.

Each ``sources/NN_name.py`` is a plain Python file in the jupytext "percent"
format: ``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose
lines are comments, and IPython magics are commented (``# %matplotlib inline``). This script writes ``NN_name.ipynb`` beside this file,
outputs stripped and execution counts empty, so the notebooks diff cleanly in
git. Edit the source, then run::

    python notebooks/build.py            # rewrite every notebook
    python notebooks/build.py --check    # exit 1 if a notebook is out of date

(``jupytext --to ipynb`` reads the same sources.) ``tests/test_notebooks.py``
runs ``--check`` and executes every notebook.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
_CELL = re.compile(r"^# %%(?P<md>\s*\[markdown\])?\s*$")
#: IPython magics are commented in the source (so it stays valid Python), as jupytext does.
_MAGIC = re.compile(r"^# (?P<magic>%[a-z]\w*.*)$")


def _strip_comment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def cells_from_source(text: str) -> list:
    """The notebook cells of one percent-format source."""
    cells, kind, lines = [], None, []

    def flush() -> None:
        if kind is None:
            return
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        body = "\n".join(lines)
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(body))
        elif body:
            cells.append(nbformat.v4.new_code_cell(body))

    for line in text.splitlines():
        m = _CELL.match(line)
        if m:
            flush()
            kind, lines = ("markdown" if m.group("md") else "code"), []
        elif kind == "markdown":
            lines.append(_strip_comment(line))
        elif kind == "code":
            m = _MAGIC.match(line)
            lines.append(m.group("magic") if m else line)
    flush()
    return cells


def build(source: Path) -> nbformat.NotebookNode:
    """A clean notebook (no outputs, stable cell ids) from ``source``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.cells = cells_from_source(source.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{k:03d}"  # stable ids: no churn in git
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report notebooks that differ from their sources; write nothing"
    )
    args = parser.parse_args(argv)
    stale = []
    for source in sorted(SOURCES.glob("[0-9][0-9]_*.py")):
        target = HERE / f"{source.stem}.ipynb"
        text = render(build(source))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            stale.append(target.name)
            if not args.check:
                target.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run python notebooks/build.py): " + ", ".join(stale))
        return 1
    if not args.check:
        print(f"wrote {', '.join(stale) or 'nothing (all up to date)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
