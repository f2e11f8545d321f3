"""Speed of decoding and of analyze_clip against the libjpeg-turbo decode floor.

Run by hand (not part of the test suite)::

    nice python benchmarks/speed.py                     # 1024x768 and 800x600, 40 frames
    nice python benchmarks/speed.py --sizes 600x800 --frames 60 --rounds 5

For each clip (JPEG Baseline YBR_FULL_422 from the synthetic generators: an
apical clip and a world clip with a variance colour map, per size) it measures,
in alternating rounds (floor, fast decode, pydicom decode, analysis with each
decoder, then the next round), keeping the best of the rounds:

* decode floor: ``cv2.imdecode`` of every encapsulated frame, the bytes read
  beforehand (libjpeg-turbo alone);
* fast decode: ``load_clip(path).iter_frames()`` (the default, libjpeg-turbo);
* pydicom decode: ``load_clip(path, decoder="pydicom").iter_frames()`` (the
  reference: pydicom's Pillow plugin, libjpeg-turbo too, and its own float
  YCbCr -> RGB);
* ``analyze_clip`` with either decoder (imports done beforehand);

then, in fresh interpreters: ``echoassess --help`` and ``echoassess check`` on a
40-frame 800x600 clip (wall time, start-up included), and the peak resident
memory of ``analyze_clip`` against clip length. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _floor(path: Path) -> None:
    import cv2
    import numpy as np
    import pydicom
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    chunks = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    t0 = time.perf_counter()
    for c in chunks:
        cv2.imdecode(np.frombuffer(c, np.uint8), cv2.IMREAD_COLOR_RGB)
    return time.perf_counter() - t0


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _wall(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) parent
_RSS = """
import sys
from echoassess import analyze_clip, load_clip
analyze_clip(load_clip(sys.argv[1], decoder=sys.argv[2]))
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM"))
print(int(hwm.split()[1]) / 1024)
"""


def make_clips(out: Path, sizes: list[tuple[int, int]], n_frames: int) -> list[tuple[str, Path]]:
    from echoassess.synthetic import SceneParams, WorldParams, generate_clip, generate_world_clip

    clips = []
    for rows, cols in sizes:
        p = out / f"apical_{cols}x{rows}.dcm"
        generate_clip(SceneParams.random(0, rows=rows, cols=cols, n_frames=n_frames), rng=0).save(
            p, encoding="jpeg"
        )
        clips.append((f"{cols}x{rows} apical", p))
        p = out / f"variance_{cols}x{rows}.dcm"
        generate_world_clip(
            WorldParams.random(3, view="a4c", texture="variance", rows=rows, cols=cols, n_frames=n_frames),
            rng=3,
        ).save(p, encoding="jpeg")
        clips.append((f"{cols}x{rows} variance map", p))
    return clips


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="768x1024,600x800", help="ROWSxCOLS,...")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]

    from echoassess import analyze_clip, load_clip

    exe = Path(sys.executable).with_name("echoassess")
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_clips(Path(tmp), sizes, args.frames)
        analyze_clip(load_clip(clips[-1][1], decoder="pydicom"))  # imports, first-use costs out
        analyze_clip(load_clip(clips[-1][1]))
        best: dict[tuple[str, str], float] = {}
        steps = {
            "floor": _floor,
            "fast decode": lambda p: _timed(
                lambda: [None for _ in load_clip(p, decoder="libjpeg-turbo").iter_frames()]
            ),
            "pydicom decode": lambda p: _timed(
                lambda: [None for _ in load_clip(p, decoder="pydicom").iter_frames()]
            ),
            "analyze (pydicom)": lambda p: _timed(lambda: analyze_clip(load_clip(p, decoder="pydicom"))),
            "analyze (libjpeg-turbo)": lambda p: _timed(
                lambda: analyze_clip(load_clip(p, decoder="libjpeg-turbo"))
            ),
        }
        for _ in range(args.rounds):  # alternate: every step of every clip, then again
            for name, path in clips:
                for step, fn in steps.items():
                    t = fn(path)
                    best[name, step] = min(best.get((name, step), float("inf")), t)
        n = args.frames
        print(f"best of {args.rounds} alternating rounds, {n} frames per clip, frames/s:\n")
        print(
            "| clip | decode floor | fast decode | pydicom decode | analyze (pydicom) | "
            "analyze (libjpeg-turbo, default) | ratio to floor (pydicom / libjpeg-turbo) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, _ in clips:
            fps = {s: n / best[name, s] for s in steps}
            print(
                f"| {name} | {fps['floor']:.0f} | {fps['fast decode']:.0f} | "
                f"{fps['pydicom decode']:.1f} | {fps['analyze (pydicom)']:.1f} | "
                f"{fps['analyze (libjpeg-turbo)']:.1f} | "
                f"{best[name, 'analyze (pydicom)'] / best[name, 'floor']:.0f}x / "
                f"{best[name, 'analyze (libjpeg-turbo)'] / best[name, 'floor']:.0f}x |"
            )

        # -- start-up and the whole command, in fresh interpreters
        check_clip = next((p for name, p in clips if name.startswith("800x600 apical")), clips[0][1])
        t_help = _wall([str(exe), "--help"], 5)
        t_check = _wall([str(exe), "check", str(check_clip)], 3)
        print(f"\n`echoassess --help`: {t_help:.2f} s wall (best of 5)")
        print(
            f"`echoassess check` on {check_clip.name} ({n} frames): {t_check:.2f} s wall "
            "(best of 3, start-up included)"
        )

        # -- peak memory against clip length
        from echoassess.synthetic import SceneParams, generate_clip

        print("\n| frames (800x600) | peak RSS, pydicom | peak RSS, libjpeg-turbo |")
        print("| --- | --- | --- |")
        for frames in (20, 40, 80):
            p = Path(tmp) / f"rss_{frames}.dcm"
            generate_clip(SceneParams.random(1, rows=600, cols=800, n_frames=frames), rng=1).save(
                p, encoding="jpeg"
            )
            rss = [
                float(
                    subprocess.run(
                        [sys.executable, "-c", _RSS, str(p), d], check=True, capture_output=True, text=True
                    ).stdout.split()[-1]
                )
                for d in ("pydicom", "libjpeg-turbo")
            ]
            print(f"| {frames} | {rss[0]:.0f} MB | {rss[1]:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
