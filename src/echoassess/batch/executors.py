"""Where a batch's files are analysed: in this process, a local process pool, or Dask.

An :class:`Executor` runs ``fn(path, options)`` (the batch's worker,
:func:`echoassess.batch.process_file`) for every ``(key, path)`` item and
hands each record to ``on_record(key, record)`` in the calling thread as soon
as it comes back, in any order. Records are written as they arrive, so a
killed run loses only the files in flight. ``fn`` never raises for a bad
file; what an executor must survive is a worker that dies (a segfault in a
decoder, the kernel's OOM killer): it records that file as a ``WorkerCrash``
and goes on.

:class:`SerialExecutor`
    One file after another in this process: no start-up cost, nothing to
    pickle, but a file that kills its process kills the batch. For tests,
    notebooks and debugging.
:class:`ProcessExecutor`
    Local worker processes (spawned, like Dask's). The default of
    :func:`~echoassess.batch.run_batch`; a file that kills its worker is
    retried alone and then recorded as crashed.
:class:`DaskExecutor`
    An existing Dask distributed cluster (``pip install 'echoassess[distributed]'``)
    whose workers see the files at the same paths.

:func:`get_executor` turns ``run_batch``'s ``executor=``, ``workers=`` and
``scheduler=`` into one of these.

Examples
--------
>>> got = {}
>>> SerialExecutor().run([("k1", "a.dcm"), ("k2", "b.dcm")], lambda path, opts: {"path": path}, None,
...                      got.__setitem__)
>>> got
{'k1': {'path': 'a.dcm'}, 'k2': {'path': 'b.dcm'}}
>>> get_executor("process", workers=2).description
'local x2'
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import ProcessPoolExecutor as _Pool
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, runtime_checkable

from ..errors import InvalidParameterError
from .worker import crash_record

__all__ = [
    "EXECUTORS",
    "Item",
    "OnRecord",
    "WorkFn",
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "get_executor",
    "default_workers",
    "MAIN_GUARD_HINT",
]

logger = logging.getLogger("echoassess")

#: One file to analyse: ``(key, absolute path)``.
Item = tuple[str, str]
#: The work: ``fn(path, options) -> record``; must be picklable by name for the
#: process and Dask executors (a module-level function).
WorkFn = Callable[[str, Any], dict[str, Any]]
#: Called with ``(key, record)`` for every item, in the calling thread.
OnRecord = Callable[[str, dict[str, Any]], None]

#: The names ``executor=`` accepts.
EXECUTORS = ("serial", "process", "dask")

MAIN_GUARD_HINT = (
    'a script that calls run_batch must do so under `if __name__ == "__main__":`, '
    "because each worker process re-imports the script"
)


@runtime_checkable
class Executor(Protocol):
    """Runs the batch's worker on every file (see the module's description)."""

    @property
    def description(self) -> str:
        """How the work runs, for the batch's JSON log (``"serial"``, ``"local x2"``, ...)."""
        ...

    def run(self, items: Sequence[Item], fn: WorkFn, options: Any, on_record: OnRecord) -> None:
        """Call ``on_record(key, fn(path, options))`` once for every ``(key, path)`` item.

        Raises only for the executor itself (workers that cannot start, an
        unreachable cluster: :class:`~echoassess.errors.InvalidParameterError`),
        or when ``on_record`` raises.
        """
        ...


class SerialExecutor:
    """Every file in this process, one after another (no crash isolation)."""

    description = "serial"

    def run(self, items: Sequence[Item], fn: WorkFn, options: Any, on_record: OnRecord) -> None:
        for key, path in items:
            on_record(key, fn(path, options))

    def __repr__(self) -> str:
        return "SerialExecutor()"


def _ping() -> bool:
    return True


class ProcessExecutor:
    """Local worker processes (``spawn``); a file that kills its worker is retried alone.

    At most ``2 * workers`` files are in flight. When a worker dies, every
    file then in flight is retried alone in a fresh one-process pool, so only
    the file that kills its worker again is recorded as crashed.

    Parameters
    ----------
    workers : int
        Number of worker processes (at least 1).
    """

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidParameterError(None, f"workers must be a positive integer, got {workers!r}")
        self.workers = workers

    @property
    def description(self) -> str:
        return f"local x{self.workers}"

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"

    def run(self, items: Sequence[Item], fn: WorkFn, options: Any, on_record: OnRecord) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # no fork-with-threads hazards; like Dask workers
        self._check_start(ctx)
        queue: deque[Item] = deque(items)
        suspects: deque[Item] = deque()
        while queue or suspects:
            if suspects:
                self._run_alone(ctx, suspects, fn, options, on_record)
            else:
                suspects.extend(self._run_pool(ctx, queue, fn, options, on_record))

    @staticmethod
    def _check_start(ctx: Any) -> None:
        """Workers that die while starting would otherwise look like crashing files."""
        probe = _Pool(1, mp_context=ctx)
        try:
            probe.submit(_ping).result()
        except BrokenProcessPool:
            raise InvalidParameterError(
                None, "the local worker processes die while starting", hint=MAIN_GUARD_HINT
            ) from None
        finally:
            probe.shutdown(wait=True)

    def _run_pool(
        self, ctx: Any, queue: deque[Item], fn: WorkFn, options: Any, on_record: OnRecord
    ) -> list[Item]:
        """Run the queue on one pool until it is empty or a worker dies; returns the suspects."""
        n = max(1, min(self.workers, len(queue)))
        ex = _Pool(n, mp_context=ctx)
        inflight: dict[Future[dict[str, Any]], Item] = {}
        suspects: list[Item] = []
        try:
            while (queue or inflight) and not suspects:
                while queue and len(inflight) < 2 * n:
                    item = queue.popleft()
                    try:
                        inflight[ex.submit(fn, item[1], options)] = item
                    except BrokenProcessPool:  # a worker died since the last wait: its file
                        queue.appendleft(item)  # fails below; this one never ran
                        break
                if not inflight:  # (the pool broke with nothing left to report)
                    break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = inflight.pop(future)
                    try:
                        rec = future.result()
                    except BrokenProcessPool:
                        suspects.append(item)
                        continue
                    on_record(item[0], rec)
            if suspects:
                logger.warning(
                    "a worker process died; retrying the %d files it may have been reading one at a time",
                    len(suspects) + len(inflight),
                )
                suspects.extend(inflight.values())
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            ex.shutdown(wait=True)
        return suspects

    @staticmethod
    def _run_alone(ctx: Any, suspects: deque[Item], fn: WorkFn, options: Any, on_record: OnRecord) -> None:
        """Each suspect alone, in one process replaced only when it dies."""
        ex = _Pool(1, mp_context=ctx)
        try:
            while suspects:
                key, path = suspects.popleft()
                try:
                    rec = ex.submit(fn, path, options).result()
                except BrokenProcessPool:
                    rec = crash_record("the worker process died while reading this file")
                    ex.shutdown(wait=True)
                    ex = _Pool(1, mp_context=ctx)
                on_record(key, rec)
        finally:
            ex.shutdown(wait=True)


class DaskExecutor:
    """The files as tasks on an existing Dask distributed cluster.

    Parameters
    ----------
    scheduler : str
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``.
    """

    def __init__(self, scheduler: str) -> None:
        if not isinstance(scheduler, str) or not scheduler:
            raise InvalidParameterError(
                None, f"scheduler must be a Dask scheduler's address, got {scheduler!r}"
            )
        self.scheduler = scheduler

    @property
    def description(self) -> str:
        return f"dask {self.scheduler}"

    def __repr__(self) -> str:
        return f"DaskExecutor({self.scheduler!r})"

    def run(self, items: Sequence[Item], fn: WorkFn, options: Any, on_record: OnRecord) -> None:
        client, as_completed = self._connect()
        token = uuid.uuid4().hex[:8]
        try:
            futures = {
                client.submit(fn, path, options, key=f"echoassess-{key}-{token}", pure=False): key
                for key, path in items
            }
            try:
                for future in as_completed(futures, loop=client.loop):
                    key = futures.pop(future)
                    try:
                        rec = future.result()
                    except Exception as exc:  # KilledWorker, lost worker, ...
                        rec = crash_record(f"the Dask task failed: {type(exc).__name__}: {exc}")
                    on_record(key, rec)
                    future.release()
            except BaseException:
                client.cancel(list(futures))
                raise
        finally:
            client.close()

    def _connect(self) -> tuple[Any, Any]:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise InvalidParameterError(
                None,
                "scheduler= needs the 'distributed' package",
                hint="pip install 'echoassess[distributed]'",
            ) from None
        try:
            client = Client(self.scheduler, timeout="15s", set_as_default=False)
        except Exception as exc:
            raise InvalidParameterError(
                None,
                f"cannot connect to the Dask scheduler at {self.scheduler!r}: {type(exc).__name__}: {exc}",
                hint="give the address the scheduler prints, e.g. tcp://10.0.0.5:8786",
            ) from None
        return client, as_completed


def default_workers() -> int:
    """The CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def get_executor(
    executor: Executor | str | None = None, *, workers: int | None = None, scheduler: str | None = None
) -> Executor:
    """The executor ``run_batch``'s arguments ask for.

    Parameters
    ----------
    executor : Executor, {"serial", "process", "dask"} or None
        ``None``: Dask when ``scheduler`` is given, else local processes.
        An :class:`Executor` object is used as it is.
    workers : int, optional
        Local worker processes (default: the CPUs this process may use);
        validated always, used by the process executor only.
    scheduler : str, optional
        The Dask scheduler's address; with ``executor`` ``None`` or ``"dask"`` only.

    Raises
    ------
    InvalidParameterError
        An unknown executor name, ``workers < 1``, ``"dask"`` without a
        scheduler, or a scheduler with another executor.
    """
    if workers is None:
        workers = default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidParameterError(None, f"workers must be a positive integer, got {workers!r}")
    if executor is None:
        executor = "dask" if scheduler else "process"
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise InvalidParameterError(
                None, f"executor must be one of {', '.join(EXECUTORS)} or an Executor, got {executor!r}"
            )
        if executor == "dask":
            if not scheduler:
                raise InvalidParameterError(
                    None, "executor='dask' needs scheduler= (the address of a running Dask scheduler)"
                )
            return DaskExecutor(scheduler)
    elif not isinstance(executor, Executor):
        raise InvalidParameterError(
            None, f"executor must be one of {', '.join(EXECUTORS)} or an Executor, got {executor!r}"
        )
    if scheduler:
        raise InvalidParameterError(None, "scheduler= runs on Dask: give it without another executor")
    if executor == "serial":
        return SerialExecutor()
    if executor == "process":
        return ProcessExecutor(workers)
    assert not isinstance(executor, str)  # every name is handled above
    return executor
