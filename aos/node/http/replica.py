"""Dry-runs of `aos serve` in an OS process of their own, at a lower priority.

A dry-run restores the process's nearest snapshot and replays the log after it (the whole
log when there is none yet): up to seconds of work that anyone may ask for without a
signature. Run in a thread of the HTTP worker it holds
the worker's GIL for much of that time, and every other request of the worker waits for it
in 5 ms slices; run here, in a child the worker starts (one per worker, niced, evaluating
one dry-run at a time), it competes only for a core, and the OS gives the worker, the
scheduler and the evaluating process that core first. A dry-run that ends this child (a
crash below Lua) ends only it: the worker answers 503 and starts another.

The child opens the data directory like any reader (its own Store and ComputeUnit, no
crank) and ends with the worker that started it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aos.errors import AosError, Busy, NodeError, NotFound, StoreError

if TYPE_CHECKING:  # (imported when the first dry-run starts the child: an embedded node,
    # which never does, saves their import at every start)
    from concurrent.futures import Future, ProcessPoolExecutor

NICE = 10
T = TypeVar("T")
_cu: Any = None  # the child's ComputeUnit


def _broken_pool() -> type[Exception]:
    from concurrent.futures.process import BrokenProcessPool

    return BrokenProcessPool


def _start(data_dir: str, parent: int) -> None:
    """The child's initializer: lower priority, a reader over the data directory, and an
    end when the worker is gone (a SIGKILLed worker runs no shutdown code)."""
    global _cu
    # Ctrl-C reaches the whole process group; the worker decides when this one ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        os.nice(NICE)
    except OSError:
        pass
    from aos.log.runtimes import default_runtime, restore_runtime
    from aos.log.snapshots import snapshot_key
    from aos.node.store import Store
    from aos.node.units.cu import ComputeUnit

    store = Store(Path(data_dir), check=False)
    store.leave_checkpoints()
    # Never a live state here (on_demand False: a dry-run runs on a throw-away state from
    # the nearest snapshot the evaluating process saved, then the log after it).
    _cu = ComputeUnit(
        store,
        default_runtime,
        restorer=restore_runtime,
        snapshot_key=snapshot_key(Path(data_dir), create=False),
    )
    _cu.on_demand = False

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="aos-replica-lifeline", daemon=True).start()


def _dry_run(pid: str, body: dict[str, Any], nonce: int | None) -> tuple[str, Any, int]:
    """In the child: ("ok", result, 0) or ("NotFound" | "NodeError" | "StoreError",
    message, status); errors travel as values (an exception's own attributes would not
    survive pickling)."""
    try:
        if nonce is None:
            return "ok", _cu.dry_run(pid, body), 0
        return "ok", _cu.dry_run_at(pid, body, nonce), 0
    except NotFound as err:
        return "NotFound", str(err), 404
    except NodeError as err:
        return "NodeError", str(err), err.status
    except AosError as err:
        return "StoreError", str(err), 503


def _ping() -> bool:
    return _cu is not None


class Replica:
    """The worker's side: `run` hands a dry-run to the child and waits for it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(str(self.data_dir), os.getpid()),
            )
        return self._pool

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        # The child is started inside submit: with SIGINT blocked here it starts with it
        # blocked, until its initializer ignores it (a Ctrl-C to the process group while
        # it imports would otherwise print its KeyboardInterrupt).
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return self._executor().submit(fn, *args)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def warm(self) -> None:
        """Start the child now (its imports take a second), without waiting for it."""
        self._submit(_ping)

    async def run(self, pid: str, body: dict[str, Any], nonce: int | None) -> dict[str, Any]:
        try:
            kind, value, status = await asyncio.wrap_future(
                self._submit(_dry_run, pid, body, nonce)
            )
        except _broken_pool():
            self.close()
            raise Busy(
                "the process that evaluates dry-runs ended during this one; it is being "
                "started again: retry in a moment"
            ) from None
        if kind == "ok":
            result: dict[str, Any] = value
            return result
        if kind == "NotFound":
            raise NotFound(value)
        if kind == "NodeError":
            raise NodeError(value, status=status)
        raise StoreError(value)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
