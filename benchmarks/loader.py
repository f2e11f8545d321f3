"""Loader benchmark: streaming speed against pydicom, and peak memory.

Run by hand (not part of the test suite)::

    python benchmarks/loader.py            # default: 3 repeats

Prints
  1. frames/s of ``EchoClip.iter_frames()`` and of pydicom's own
     ``pydicom.pixels.iter_pixels`` (+ its YBR -> RGB conversion) on the same
     multi-frame JPEG Baseline clip, and their ratio;
  2. peak resident memory of a process that streams every frame of a short
     and of a 10x longer clip (streaming must keep it about flat), next to
     what decoding the whole clip at once would need.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _clip_path() -> str:
    from pydicom.data import get_testdata_file

    return get_testdata_file("color3d_jpeg_baseline.dcm", download=False)


def _time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def speed(repeats: int) -> dict:
    from pydicom.pixels import iter_pixels

    import echoassess

    path = _clip_path()
    clip = echoassess.load_clip(path)
    n = clip.n_frames

    def ours():
        for _frame in echoassess.load_clip(path).iter_frames():
            pass

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _frame in iter_pixels(path, raw=False):  # raw=False: YBR -> RGB
                pass

    t_ours = _time(ours, repeats)
    t_theirs = _time(theirs, repeats)
    return {
        "clip": Path(path).name,
        "frames": n,
        "shape": list(clip.shape),
        "echoassess_fps": n / t_ours,
        "pydicom_fps": n / t_theirs,
        "ratio": (n / t_ours) / (n / t_theirs),
    }


def _make_long_clip(src: str, factor: int, out: Path) -> Path:
    import pydicom
    from pydicom.encaps import encapsulate, generate_frames

    ds = pydicom.dcmread(src)
    frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
    ds.PixelData = encapsulate(frames * factor)
    ds.NumberOfFrames = len(frames) * factor
    ds.save_as(out)
    return out


_PEAK = r"""
import json, resource, sys, tracemalloc
import echoassess
mode, path = sys.argv[1], sys.argv[2]
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
clip = echoassess.load_clip(path)
n = 0
if mode == "stream":
    for f in clip.iter_frames():
        n += 1
else:
    n = len(clip.read_frames())
traced_peak = tracemalloc.get_traced_memory()[1]
rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"frames": n, "traced_peak_mib": traced_peak / 2**20,
                  "rss_added_mib": (rss_peak - rss_before) / 1024}))
"""


def memory() -> list[dict]:
    src = _clip_path()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        long_path = _make_long_clip(src, 10, Path(tmp) / "long.dcm")
        for label, path in (("short", src), ("long (10x)", str(long_path))):
            for mode in ("stream", "all"):
                out = subprocess.run(
                    [sys.executable, "-c", _PEAK, mode, path], capture_output=True, text=True, check=True
                )
                r = json.loads(out.stdout)
                r.update(clip=label, mode=mode, file_mib=Path(path).stat().st_size / 2**20)
                rows.append(r)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    s = speed(args.repeats)
    print(
        f"Streaming speed on {s['clip']} ({s['frames']} frames, {s['shape'][0]}x{s['shape'][1]}, "
        "JPEG Baseline YBR_FULL_422), best of",
        args.repeats,
    )
    print(f"  echoassess iter_frames()          {s['echoassess_fps']:8.1f} frames/s")
    print(f"  pydicom iter_pixels(raw=False)    {s['pydicom_fps']:8.1f} frames/s")
    print(f"  ratio echoassess / pydicom        {s['ratio']:8.2f}")
    print()
    print("Peak memory while loading (MiB): Python/numpy allocations traced by tracemalloc,")
    print("and the growth of the process's peak resident set over the import baseline")
    print(f"  {'clip':<12} {'file MiB':>8} {'frames':>7} {'mode':<8} {'traced peak':>11} {'RSS added':>10}")
    for r in memory():
        print(
            f"  {r['clip']:<12} {r['file_mib']:8.1f} {r['frames']:7d} {r['mode']:<8} "
            f"{r['traced_peak_mib']:11.1f} {r['rss_added_mib']:10.1f}"
        )


if __name__ == "__main__":
    main()
