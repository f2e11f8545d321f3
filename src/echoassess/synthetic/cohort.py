"""A synthetic cohort: N patients x (pre, post) clips in a folder, with a manifest."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from .clip import generate_study
from .dicom import ENCODINGS

__all__ = ["make_cohort", "MANIFEST_NAME"]

logger = logging.getLogger("echoassess")

#: File name of the cohort manifest (columns ``patient,pre,post``).
MANIFEST_NAME = "manifest.csv"


def make_cohort(
    out_dir: str | os.PathLike[str],
    n_patients: int,
    *,
    seed: int,
    encoding: str = "jpeg",
    jpeg_quality: int = 90,
    progress: Callable[[int, int], None] | None = None,
    **overrides: Any,
) -> Path:
    """Write ``n_patients`` synthetic patients, each a pre-clip and a post-clip study.

    Files: ``<out_dir>/patientNNN/pre.dcm`` and ``post.dcm``, each with its
    ``.truth.npz``, and ``<out_dir>/manifest.csv`` with the columns
    ``patient,pre,post`` (paths relative to ``out_dir``) plus the true maximal
    jet areas ``pre_max_area_cm2,post_max_area_cm2`` and jet counts.

    Patient ``k`` is drawn from ``seed`` and ``k`` alone, so a larger cohort
    with the same seed starts with the same patients.

    Parameters
    ----------
    out_dir : path
        Created when missing.
    n_patients : int
        1..100000.
    seed : int
    encoding : {"rgb", "jpeg", "jpeg420"}
    jpeg_quality : int
    progress : callable, optional
        Called as ``progress(done, total)`` after each patient.
    **overrides
        Fixed :class:`SceneParams` fields for every clip (e.g. ``rows=480, cols=640``).

    Returns
    -------
    pathlib.Path
        The manifest.
    """
    if (
        isinstance(n_patients, bool)
        or not isinstance(n_patients, (int, np.integer))
        or not (1 <= int(n_patients) <= 100_000)
    ):
        raise InvalidParameterError(None, f"n_patients must be an integer in 1..100000, got {n_patients!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or int(seed) < 0:
        raise InvalidParameterError(None, f"seed must be a non-negative integer, got {seed!r}")
    if encoding not in ENCODINGS:
        raise InvalidParameterError(None, f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST_NAME
    rows = []
    total = int(n_patients)
    for k in range(1, total + 1):
        rng = np.random.default_rng([int(seed), k])
        pre, post = generate_study(rng, patient=k, **overrides)
        folder = out / f"patient{k:03d}"
        pre_path, _ = pre.save(folder / "pre.dcm", encoding=encoding, jpeg_quality=jpeg_quality)
        post_path, _ = post.save(folder / "post.dcm", encoding=encoding, jpeg_quality=jpeg_quality)
        rows.append(
            {
                "patient": pre.study.patient_id,
                "pre": pre_path.relative_to(out).as_posix(),
                "post": post_path.relative_to(out).as_posix(),
                "pre_max_area_cm2": f"{pre.truth.max_area_cm2:.4f}",
                "post_max_area_cm2": f"{post.truth.max_area_cm2:.4f}",
                "pre_n_jets": int(pre.truth.n_jets[pre.truth.max_frame]),
                "post_n_jets": int(post.truth.n_jets[post.truth.max_frame]),
            }
        )
        logger.debug("cohort: wrote patient %d/%d to %s", k, total, folder)
        if progress is not None:
            progress(k, total)
    with open(manifest, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest
