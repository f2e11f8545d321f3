"""The batch's executors: one contract, three implementations (Dask's in test_batch_dask.py).

The serial executor carries most batch tests (tests/batch/test_batch.py); here the
process pool proves it gives the same tables and isolates a crashing file.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from _batch_workers import crashy, echo
from batchfiles import read_table, small_cohort

from echoassess import InvalidParameterError, run_batch
from echoassess.batch import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    get_executor,
)
from echoassess.batch.executors import default_workers

SALT = "executor-salt"
ITEMS = [(f"k{i}", f"/x/file{i}.dcm") for i in range(5)]


def _collect(executor, fn=echo, items=ITEMS, options="opts") -> dict[str, dict]:
    got: dict[str, dict] = {}

    def on_record(key: str, rec: dict) -> None:
        assert key not in got, f"{key} recorded twice"
        got[key] = rec

    executor.run(items, fn, options, on_record)
    return got


# -- the contract, per implementation ------------------------------------------------------
def test_serial_executor_runs_every_item_in_order_in_this_process():
    order: list[tuple[str, dict]] = []
    SerialExecutor().run(ITEMS, echo, "opts", lambda key, rec: order.append((key, rec)))
    assert [key for key, _ in order] == [key for key, _ in ITEMS]
    assert [rec["path"] for _, rec in order] == [path for _, path in ITEMS]
    assert {rec["pid"] for _, rec in order} == {os.getpid()}
    assert {rec["options"] for _, rec in order} == {"opts"}


def test_process_executor_runs_every_item_once_in_worker_processes():
    got = _collect(ProcessExecutor(2))
    assert set(got) == {key for key, _ in ITEMS}
    assert all(got[key]["path"] == path and got[key]["options"] == "opts" for key, path in ITEMS)
    assert os.getpid() not in {rec["pid"] for rec in got.values()}


def test_process_executor_isolates_a_worker_crash_to_its_file():
    items = [*ITEMS[:3], ("kc", "/x/crash.dcm"), *ITEMS[3:]]
    got = _collect(ProcessExecutor(2), crashy, items, None)
    assert set(got) == {key for key, _ in items}
    assert got["kc"]["status"] == "failed" and got["kc"]["error_type"] == "WorkerCrash"
    assert got["kc"]["stage"] == "worker" and "died" in got["kc"]["reason"]
    assert all(got[key]["status"] == "ok" for key, _ in items if key != "kc")


class _DiesOnSubmit:
    """A process pool (in this process) whose worker dies on a ``crash`` file, so
    that the next ``submit`` already finds the pool broken: the race a crash
    under load runs into (a new pool is whole again)."""

    def __init__(self, n, mp_context=None):
        self.broken = False

    def submit(self, fn, *args):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if self.broken:
            raise BrokenProcessPool("a child process terminated abruptly")
        future = Future()
        if args and "crash" in str(args[0]):
            self.broken = True
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        else:
            future.set_result(fn(*args))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_a_pool_broken_between_two_submissions_still_reports_every_file(monkeypatch):
    from echoassess.batch import executors

    monkeypatch.setattr(executors, "_Pool", _DiesOnSubmit)
    items = [ITEMS[0], ("kc", "/x/crash.dcm"), *ITEMS[1:]]
    got = _collect(ProcessExecutor(2), echo, items, "opts")
    assert set(got) == {key for key, _ in items}
    assert got["kc"]["error_type"] == "WorkerCrash"
    assert all(got[key]["status"] == "ok" for key, _ in ITEMS)


@pytest.mark.parametrize(
    "executor, description",
    [
        (SerialExecutor(), "serial"),
        (ProcessExecutor(3), "local x3"),
        (DaskExecutor("tcp://10.0.0.5:8786"), "dask tcp://10.0.0.5:8786"),
    ],
)
def test_every_executor_has_the_protocol_and_describes_itself(executor, description):
    assert isinstance(executor, Executor)
    assert executor.description == description


# -- choosing one ---------------------------------------------------------------------------
class _Counting:
    """A user's executor: serial, counting the files it was given."""

    description = "counting"

    def __init__(self) -> None:
        self.n = 0

    def run(self, items, fn, options, on_record) -> None:
        self.n += len(items)
        SerialExecutor().run(items, fn, options, on_record)


@pytest.mark.parametrize(
    "executor, kwargs, kind, description",
    [
        (None, {}, ProcessExecutor, f"local x{default_workers()}"),
        (None, {"workers": 3}, ProcessExecutor, "local x3"),
        ("process", {"workers": 2}, ProcessExecutor, "local x2"),
        ("serial", {"workers": 2}, SerialExecutor, "serial"),
        (None, {"scheduler": "tcp://h:1"}, DaskExecutor, "dask tcp://h:1"),
        ("dask", {"scheduler": "tcp://h:1"}, DaskExecutor, "dask tcp://h:1"),
    ],
)
def test_get_executor_by_name(executor, kwargs, kind, description):
    chosen = get_executor(executor, **kwargs)
    assert type(chosen) is kind and chosen.description == description


def test_get_executor_keeps_an_executor_object():
    mine = _Counting()
    assert get_executor(mine, workers=2) is mine


@pytest.mark.parametrize(
    "executor, kwargs, message",
    [
        ("threads", {}, "executor must be one of serial, process, dask or an Executor, got 'threads'"),
        (object(), {}, "executor must be one of"),
        ("dask", {}, "executor='dask' needs scheduler="),
        ("serial", {"scheduler": "tcp://h:1"}, "scheduler= runs on Dask"),
        (_Counting(), {"scheduler": "tcp://h:1"}, "scheduler= runs on Dask"),
        (None, {"workers": 0}, "workers must be a positive integer, got 0"),
        ("serial", {"workers": True}, "workers must be a positive integer, got True"),
    ],
)
def test_get_executor_refuses_bad_arguments(executor, kwargs, message):
    with pytest.raises(InvalidParameterError, match=message.replace("(", r"\(")):
        get_executor(executor, **kwargs)


def test_run_batch_runs_on_a_given_executor_object(tmp_path):
    small_cohort(tmp_path / "data", 1)
    (tmp_path / "data" / "notes.txt").write_text("x")
    mine = _Counting()
    log = tmp_path / "log.jsonl"
    out = run_batch([tmp_path / "data"], tmp_path / "out", executor=mine, salt=SALT, log_path=log)
    assert mine.n == out.n_files == out.n_analysed and out.n_ok == 2 and out.n_skipped == out.n_files - 2
    assert '"executor": "counting"' in log.read_text()


# -- the process pool gives the serial tables ----------------------------------------------
def test_process_and_serial_batches_give_identical_tables(tmp_path):
    data = tmp_path / "data"
    manifest = small_cohort(data, 2)
    (data / "notes.txt").write_text("not an image")
    good = (data / "patient001" / "pre.dcm").read_bytes()
    (data / "cut.dcm").write_bytes(good[: len(good) // 2])
    runs = {
        name: run_batch([data], tmp_path / name, salt=SALT, pairs=manifest, **kwargs)
        for name, kwargs in (("serial", {"executor": "serial"}), ("process", {"workers": 2}))
    }
    assert runs["serial"].n_ok == runs["process"].n_ok == 4
    assert runs["serial"].exit_code == runs["process"].exit_code == 1  # cut.dcm failed
    for name in ("clips.csv", "errors.csv", "skipped.csv", "comparisons.csv"):
        pd.testing.assert_frame_equal(
            read_table(tmp_path / "serial" / name), read_table(tmp_path / "process" / name)
        )


def test_script_without_main_guard_fails_fast_with_a_clear_error(tmp_path):
    """Spawned workers re-import the calling script; without a main guard they
    would call run_batch again. That must end at once with a hint, not hang."""
    small_cohort(tmp_path / "data", 1)
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import echoassess\n"
        f"echoassess.run_batch([{str(tmp_path / 'data')!r}], {str(tmp_path / 'o')!r}, workers=1)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert '__name__ == "__main__"' in done.stderr
    assert "worker processes die while starting" in done.stderr
    assert not list((tmp_path / "o" / "results").glob("*.json"))
