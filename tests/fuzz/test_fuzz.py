"""Hostile input: a few hundred seeded mutants of small clips, each in its own forked
child with a memory and time limit (see fuzzlib). Every mutant must succeed or
raise an EchoAssessError naming the file; never crash, die by a signal, hang,
run out of memory, print a traceback, write NaN/Infinity into JSON or let a
planted patient identity reach any output.

``benchmarks/fuzz.py`` runs the same harness on thousands of mutants.
"""

from __future__ import annotations

import os
import sys

import fuzzlib
import pytest

N_MUTANTS = int(os.environ.get("ECHOASSESS_FUZZ_N", "320"))

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform != "linux", reason="the fuzz runner forks and uses Linux rlimits"
)


def test_mutants_fail_cleanly_and_never_leak_identity(tmp_path):
    import echoassess.cli  # noqa: F401 - imported once, before forking

    bases = fuzzlib.base_clips(tmp_path)
    outcomes = fuzzlib.run_mutants(
        fuzzlib.generate(bases, N_MUTANTS, seed=20240611), tmp_path, jobs=2, timeout_s=30, mem_mb=1024
    )
    assert len(outcomes) == N_MUTANTS
    bad = [f"{o.name} ({o.mutation}): {o.label}" for o in outcomes if o.kind not in ("ok", "error")]
    leaks = [f"{o.name} ({o.mutation}): {o.leak[0]}" for o in outcomes if o.leak]
    assert not bad, "\n".join(bad)
    assert not leaks, "\n".join(leaks)
    assert all(o.seconds < 30 for o in outcomes)
    kinds = {o.kind for o in outcomes}
    assert kinds == {"ok", "error"}, kinds  # the mutator reaches both outcomes


def test_mutator_is_deterministic(tmp_path):
    bases = fuzzlib.base_clips(tmp_path)
    a = [(m, d) for _, m, d in fuzzlib.generate(bases, 40, seed=7)]
    b = [(m, d) for _, m, d in fuzzlib.generate(bases, 40, seed=7)]
    assert a == b
    assert len({m.split()[0] for m, _ in a}) >= 5  # several kinds of mutation


def test_the_runner_reports_signals_hangs_and_leaks(tmp_path, monkeypatch):
    """The harness itself: a child that segfaults, hangs or prints identity is caught."""
    import signal

    def child(path, mem_bytes, timeout_s, out_dir):
        import faulthandler

        faulthandler.disable()  # pytest's, which would print the child's stack
        signal.alarm(timeout_s)
        if "segv" in path:
            os.kill(os.getpid(), signal.SIGSEGV)
        if "hang" in path:
            while True:
                pass
        return {"kind": "ok", "detail": "", "texts": [fuzzlib.IDENTITY["PatientID"]], "cli": {"code": 0}}

    monkeypatch.setattr(fuzzlib, "_child", child)
    (tmp_path / "x").mkdir()
    outs = fuzzlib.run_mutants(
        [("segv", "t", b""), ("hang", "t", b""), ("leak", "t", b"")], tmp_path / "x", jobs=2, timeout_s=1
    )
    by_name = {o.name: o for o in outs}
    assert by_name["segv"].kind == "signal"
    assert by_name["hang"].kind == "hang"
    assert by_name["leak"].leak
