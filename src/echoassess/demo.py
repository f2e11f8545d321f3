"""The demo: run the pre/post comparison on the repository's sample clips.

``echoassess demo --out demo-out`` finds ``sample_data/`` in the clone the
package was installed from (``pip install -e .``), picks one patient's
pre-clip and post-clip clips; :func:`echoassess.workflows.run_demo` writes
the full report from them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .errors import InvalidParameterError

__all__ = ["default_sample_dir", "find_pre_post", "truth_notes"]

_PRE = re.compile(r"(?:^|[^a-z])pre(?:[^a-z]|clip|$)", re.IGNORECASE)
_POST = re.compile(r"(?:^|[^a-z])post(?:[^a-z]|clip|$)", re.IGNORECASE)


def default_sample_dir() -> Path | None:
    """``sample_data/`` of the clone this package runs from, else of the working directory.

    ``None`` when neither exists (e.g. a wheel installed from PyPI).
    """
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "sample_data", Path.cwd() / "sample_data"]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def _role(path: Path) -> str | None:
    """ "pre" or "post" from the file name, else from its folder's name."""
    name = path.name[: -len(".dcm")] if path.name.lower().endswith(".dcm") else path.name
    for text in (name, path.parent.name):
        is_pre, is_post = bool(_PRE.search(text)), bool(_POST.search(text))
        if is_pre != is_post:
            return "pre" if is_pre else "post"
    return None


def _patient_key(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    stem = rel.name[: -len(".dcm")] if rel.name.lower().endswith(".dcm") else rel.name
    key = _POST.sub("_", stem)
    key = _PRE.sub("_", key).strip("_- .")
    parent = str(rel.parent) if str(rel.parent) != "." else ""
    parent = _PRE.sub("_", _POST.sub("_", parent)).strip("_- ./")
    return "/".join(p for p in (parent, key) if p)


def find_pre_post(data_dir: str | os.PathLike[str], *, patient: str | None = None) -> tuple[Path, Path]:
    """One patient's pre-clip and post-clip DICOM files in ``data_dir``.

    Files are recognised by ``pre`` / ``post`` in their name (or folder):
    ``patient01_pre.dcm`` + ``patient01_post.dcm``, or ``patient01/pre.dcm`` +
    ``patient01/post.dcm``. The first patient (in name order) is taken unless
    ``patient`` names one.

    Raises
    ------
    echoassess.InvalidParameterError
        When the folder is missing or holds no complete pre/post pair.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise InvalidParameterError(
            root, "no such folder", hint="pass the folder holding the pre/post clips with --data"
        )
    pairs: dict[str, dict[str, Path]] = {}
    for path in sorted(root.rglob("*.dcm")):
        role = _role(path)
        if role is None:
            continue
        pairs.setdefault(_patient_key(path, root), {}).setdefault(role, path)
    complete = {k: v for k, v in sorted(pairs.items()) if "pre" in v and "post" in v}
    if patient is not None:
        complete = {k: v for k, v in complete.items() if patient.lower() in k.lower()}
    if not complete:
        found = ", ".join(sorted(p.name for p in root.rglob("*.dcm"))[:6]) or "no .dcm files"
        raise InvalidParameterError(
            root,
            "no pre/post pair of DICOM clips found"
            + (f" for patient {patient!r}" if patient else "")
            + f" ({found})",
            hint="name them like patient01_pre.dcm and patient01_post.dcm",
        )
    first = next(iter(complete.values()))
    return first["pre"], first["post"]


def truth_notes(pre: Path, post: Path) -> list[str]:
    """For synthetic sample clips, a note giving their true maximal jet areas.

    Reads the ``<stem>.truth.npz`` files that :mod:`echoassess.synthetic`
    writes beside its clips; nothing when they are absent.
    """
    from .synthetic import load_truth, truth_path_for

    truths = []
    for path in (pre, post):
        tp = truth_path_for(path)
        if not tp.is_file():
            return []
        try:
            truths.append(load_truth(tp))
        except Exception:  # a damaged truth file must not stop the demo
            return []

    def jets(t: Any) -> str:
        n = int(t.n_jets.max())
        return f"{n} jet{'s' if n != 1 else ''}"

    pre_t, post_t = truths
    return [
        "These sample clips are synthetic, so the true answer is known: maximal jet area "
        f"{pre_t.max_area_cm2:.2f} cm² before ({jets(pre_t)}) and {post_t.max_area_cm2:.2f} cm² "
        f"after ({jets(post_t)}). Compare them with the measurements above."
    ]
