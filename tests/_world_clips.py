"""Patients of ``benchmarks/accuracy_world.py``, drawn as the benchmark draws them,
for tests that pin a seen clip's behaviour."""

from __future__ import annotations

import numpy as np

from echoassess.synthetic import generate_world_study


def benchmark_study(seed: int, view: str, texture: str, artefacts: str) -> tuple[list, str]:
    """The pre and post clips of patient ``seed`` (its family given), and the
    encoding the benchmark saves them with (frame size and encoding rotate with
    the seed)."""
    rows, cols = [(600, 800), (480, 640), (768, 1024), (420, 560)][seed % 4]
    clips = generate_world_study(
        np.random.default_rng([seed, 11]),
        patient=seed % 999 + 1,
        view=view,
        texture=texture,
        artefacts=artefacts,
        rows=rows,
        cols=cols,
    )
    return clips, ["jpeg", "rgb"][(seed // 4) % 2]
