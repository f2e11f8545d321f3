#!/usr/bin/env python
"""Time the synthetic clip generator and its DICOM encoders.

python benchmarks/synthetic_speed.py [--frames 40] [--rows 600] [--cols 800]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from echoassess import load_clip
from echoassess.synthetic import SceneParams, generate_clip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--cols", type=int, default=800)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for post in (False, True):
        p = SceneParams(
            rows=args.rows, cols=args.cols, n_frames=args.frames, post_clip=post, n_jets=2 if post else 1
        )
        times = []
        for seed in range(args.repeats):
            t0 = time.perf_counter()
            clip = generate_clip(p, rng=seed)
            times.append(time.perf_counter() - t0)
        print(
            f"generate {'post' if post else 'pre '} {args.frames} x {args.rows}x{args.cols}: "
            f"best {min(times):.2f} s, median {np.median(times):.2f} s"
        )
    with tempfile.TemporaryDirectory() as tmp:
        for enc in ("rgb", "jpeg"):
            t0 = time.perf_counter()
            path, _ = clip.save(Path(tmp) / f"c_{enc}.dcm", encoding=enc)
            t_save = time.perf_counter() - t0
            frames = load_clip(path).read_frames()
            err = np.abs(frames.astype(np.int16) - clip.frames)
            print(
                f"save {enc:4s}: {t_save:.2f} s, {path.stat().st_size / 1024**2:.1f} MiB, "
                f"round-trip mean abs error {err.mean():.3f} (jet pixels "
                f"{err[clip.truth.masks].mean():.1f})"
            )


if __name__ == "__main__":
    main()
