"""Batch benchmark: clips per minute serially, with 1 and 2 local workers (and Dask), peak memory.

Run by hand (not part of the test suite), on a quiet machine::

    python benchmarks/batch.py                      # 20 patients x pre/post = 40 clips
    python benchmarks/batch.py --patients 30 --dask # also on a 2-process LocalCluster

Generates a synthetic cohort with :func:`echoassess.synthetic.make_cohort`
(JPEG YBR_FULL_422 clips, 480 x 640 by default, 1.1-1.7 heartbeats each) plus
a few bad files (a text file, a truncated clip), then times
:func:`echoassess.run_batch` end to end (pool start-up included) on the serial
executor and with 1 and 2 local worker processes, each into a fresh output folder. Prints clips/min,
the 2-worker scaling, the peak resident memory of a worker process (from the
records' ``peak_rss_mb``), the load average before and after, and checks that
every run wrote the same tables.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path


def _tables_equal(a: Path, b: Path) -> bool:
    import pandas as pd

    from echoassess.batch import TIMING_COLUMNS

    for name in ("clips.csv", "errors.csv", "skipped.csv"):
        x, y = pd.read_csv(a / name), pd.read_csv(b / name)
        x = x.drop(columns=[c for c in TIMING_COLUMNS if c in x])
        y = y.drop(columns=[c for c in TIMING_COLUMNS if c in y])
        if not x.equals(y):
            return False
    return True


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i % 7
    return time.perf_counter() - t0


def cpu_ceiling(n: int = 20_000_000) -> float:
    """The machine's own 2-process scaling on pure CPU work (2.0 on two idle, real cores).

    Shared or hyper-threaded vCPUs and other users' load show up here first.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # start-up out of the timing
        t0 = time.perf_counter()
        pool.map(_spin, [n])
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        pool.map(_spin, [n, n], chunksize=1)
        two = time.perf_counter() - t0
    return round(2 * one / two, 2)


def _run(data: Path, out: Path, **kwargs) -> dict:
    from echoassess import run_batch

    t0 = time.perf_counter()
    res = run_batch([data], out, salt="benchmark", **kwargs)
    seconds = time.perf_counter() - t0
    clips = res.clips
    analysed = clips[clips["status"] != "skipped"]
    return {
        "seconds": round(seconds, 2),
        "clips": int(len(analysed)),
        "ok": res.n_ok,
        "failed": res.n_failed,
        "clips_per_min": round(60.0 * len(analysed) / seconds, 1),
        "worker_peak_rss_mb_max": float(clips["peak_rss_mb"].max()),
        "worker_peak_rss_mb_median": float(clips["peak_rss_mb"].median()),
        "mean_seconds_per_clip_in_worker": round(float(analysed["seconds"].mean()), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=20)
    ap.add_argument("--rows", type=int, default=480)
    ap.add_argument("--cols", type=int, default=640)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--dask", action="store_true", help="also run on a 2-process LocalCluster")
    ap.add_argument(
        "--keep", type=Path, help="write the cohort and outputs here (kept; a cohort already there is reused)"
    )
    ap.add_argument(
        "--generate-only",
        action="store_true",
        help="only write the cohort (with --keep), to time it later on a quiet machine",
    )
    args = ap.parse_args()

    from echoassess.synthetic import make_cohort

    base = args.keep or Path(tempfile.mkdtemp(prefix="echoassess-bench-"))
    data = base / "cohort"
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    if not (data / "manifest.csv").exists():
        make_cohort(data, args.patients, seed=args.seed, encoding="jpeg", rows=args.rows, cols=args.cols)
        (data / "README.txt").write_text("not an image\n")
        good = (data / "patient001" / "pre.dcm").read_bytes()
        (data / "broken.dcm").write_bytes(good[: len(good) // 2])
    gen_s = time.perf_counter() - t0
    if args.generate_only:
        print(f"cohort written to {data} in {gen_s:.0f} s")
        return

    report: dict = {
        "patients": args.patients,
        "frame": f"{args.rows}x{args.cols}",
        "cpus": os.cpu_count(),
        "generate_seconds": round(gen_s, 1),
        "load_before": [round(v, 2) for v in load_before],
    }
    report["cpu_ceiling_2_vs_1"] = cpu_ceiling()
    runs = {}
    out = base / "out-serial"  # in this process: no pool start-up, no crash isolation
    runs["serial"] = (_run(data, out, executor="serial", force=True), out)
    for workers in (1, 2):
        out = base / f"out-{workers}w"
        runs[f"local-{workers}"] = (_run(data, out, workers=workers, force=True), out)
    if args.dask:
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster:
            out = base / "out-dask2"
            runs["dask-2"] = (_run(data, out, scheduler=cluster.scheduler_address, force=True), out)
    report["load_after"] = [round(v, 2) for v in os.getloadavg()]
    report["runs"] = {k: v for k, (v, _) in runs.items()}
    one, two = runs["local-1"][0], runs["local-2"][0]
    report["scaling_2_vs_1"] = round(one["seconds"] / two["seconds"], 2)
    first = runs["local-1"][1]
    report["identical_tables"] = all(_tables_equal(first, out) for _, out in runs.values())
    print(json.dumps(report, indent=2))
    print()
    for name, (r, _) in runs.items():
        print(
            f"{name:>8}: {r['clips']} clips in {r['seconds']:.1f} s = {r['clips_per_min']:.0f} "
            f"clips/min, worker peak RSS {r['worker_peak_rss_mb_max']:.0f} MB"
        )
    print(
        f"scaling 2 vs 1 worker: {report['scaling_2_vs_1']:.2f}x (pure-CPU ceiling of this "
        f"machine right now: {report['cpu_ceiling_2_vs_1']:.2f}x); load average before "
        f"{load_before[0]:.2f}, after {report['load_after'][0]:.2f}; identical tables: "
        f"{report['identical_tables']}"
    )
    if not args.keep:
        print(f"(cohort and outputs in {base})")


if __name__ == "__main__":
    main()
