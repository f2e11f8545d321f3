"""Long fuzz run: thousands of mutated clips through the loader, the analysis and the CLI.

Run by hand::

    python benchmarks/fuzz.py                       # 2000 mutants, 2 at a time
    python benchmarks/fuzz.py --n 5000 --seed 7 --jobs 4

Uses the harness of ``tests/fuzz/fuzzlib.py`` (each mutant in a forked child
with a memory limit and an alarm) and prints a table of outcomes: ok,
EchoAssessError by type, crash (any other exception, NaN/Infinity in JSON, an
error message without the file name), cli (a traceback, an 'unexpected' line
or bad JSON from ``echoassess check --json``), signal, hang, memory, and
identity leak (a planted patient identity in any output). Exit status 1 when
anything but ok / EchoAssessError occurred.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))

import fuzzlib  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=30, help="seconds per mutant")
    ap.add_argument("--mem-mb", type=int, default=1024, help="address space per mutant")
    args = ap.parse_args(argv)

    import echoassess.cli  # noqa: F401 - imported once, before forking

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bases = fuzzlib.base_clips(work)
        done = [0]

        def tick(o):
            done[0] += 1
            if o.kind not in ("ok", "error") or o.leak:
                print(f"  {o.name} ({o.mutation}): {o.label} {o.leak[:1]}", file=sys.stderr)
            if done[0] % 250 == 0:
                print(f"  {done[0]} / {args.n}", file=sys.stderr)

        outcomes = fuzzlib.run_mutants(
            fuzzlib.generate(bases, args.n, args.seed),
            work,
            jobs=args.jobs,
            timeout_s=args.timeout,
            mem_mb=args.mem_mb,
            on_outcome=tick,
        )
    elapsed = time.perf_counter() - t0
    by_mutation: dict[str, int] = {}
    for o in outcomes:
        key = o.mutation.split()[0]
        by_mutation[key] = by_mutation.get(key, 0) + 1
    print(
        f"{len(outcomes)} mutants (seed {args.seed}) in {elapsed:.0f} s, "
        f"slowest {max(o.seconds for o in outcomes):.1f} s"
    )
    print("mutations: " + ", ".join(f"{k} {v}" for k, v in sorted(by_mutation.items())))
    print()
    print("| outcome | mutants |")
    print("| --- | --- |")
    for label, count in fuzzlib.table(outcomes):
        print(f"| {label} | {count} |")
    bad = [o for o in outcomes if o.kind not in ("ok", "error") or o.leak]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
