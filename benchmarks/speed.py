"""Speed of analyze_clip against the loader alone, on the same JPEG clip.

Run by hand::

    python benchmarks/speed.py                 # 40 frames, 800 x 600, JPEG
    python benchmarks/speed.py --frames 60 --rows 480 --cols 640 --repeat 3

Prints frames/s of decoding only (``clip.iter_frames()``), of the whole
analysis (``analyze_clip``, which decodes too) and of the whole
``echoassess check`` command (in-process), and the ratio analysis / load-only
(target: at most 2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--cols", type=int, default=800)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from typer.testing import CliRunner

    from echoassess import analyze_clip, load_clip
    from echoassess.cli import app
    from echoassess.synthetic import SceneParams, generate_clip

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speed.dcm"
        params = SceneParams.random(args.seed, rows=args.rows, cols=args.cols, n_frames=args.frames)
        generate_clip(params, rng=args.seed).save(path, encoding="jpeg")
        clip = load_clip(path)
        n = clip.n_frames

        def load_only():
            for _ in load_clip(path).iter_frames():
                pass

        t_load = best_of(args.repeat, load_only)
        t_analyse = best_of(args.repeat, lambda: analyze_clip(path))
        runner = CliRunner()
        t_check = best_of(args.repeat, lambda: runner.invoke(app, ["check", str(path)]))
    print(f"clip: {n} frames, {args.rows} x {args.cols}, JPEG Baseline YBR_FULL_422")
    print("| step | seconds | frames/s |")
    print("| --- | --- | --- |")
    print(f"| load only (decode every frame) | {t_load:.3f} | {n / t_load:.1f} |")
    print(f"| analyze_clip (decode + analysis) | {t_analyse:.3f} | {n / t_analyse:.1f} |")
    print(f"| echoassess check (in-process) | {t_check:.3f} | {n / t_check:.1f} |")
    ratio = t_analyse / t_load
    print(f"\nanalysis / load-only time: {ratio:.2f} (target <= 2: {'met' if ratio <= 2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
