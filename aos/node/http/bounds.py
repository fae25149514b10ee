"""How much evaluation requests may start in an HTTP process: the gate of the routes that
evaluate (dry-runs, `/cu/state`, `/cu/cron`).

These routes need no signature and can cost a whole replay of a process's log (1.7 s at
20,000 messages, issue 12 point 5): some 45 of them used to take every thread of the
worker's pool, and `/cu/result`, `/graphql` and `/su` then timed out for everyone. So they
run on their own small set of threads, at a lower OS priority (the default pool that the
other routes use is never theirs), and a request is admitted only while fewer than
`per_process` such requests for its process, and fewer than `total` in all, are running or
waiting; beyond that it is answered at once with 503 and `Retry-After`.

The counts live on the event loop's thread (every admission and release happens there), so
they need no lock.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from aos.errors import Busy

T = TypeVar("T")
NICE = 10


class EvaluationGate:
    def __init__(self, threads: int = 1, per_process: int = 2, total: int = 8) -> None:
        self.threads = threads
        self.per_process = per_process
        self.total = total
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[str, int] = {}
        self._count = 0

    @contextmanager
    def admitted(self, pid: str, what: str) -> Iterator[None]:
        """Count one evaluating request of `pid` while the block runs, or raise Busy."""
        mine = self._running.get(pid, 0)
        if mine >= self.per_process:
            raise Busy(
                f"{mine} {what}s of process {pid} are already running or waiting (the most "
                f"this node runs at once); retry in a moment"
            )
        if self._count >= self.total:
            raise Busy(
                f"{self._count} evaluating requests are already running or waiting (the "
                f"most this node runs at once); retry in a moment"
            )
        self._running[pid] = mine + 1
        self._count += 1
        try:
            yield
        finally:
            self._count -= 1
            left = self._running[pid] - 1
            if left:
                self._running[pid] = left
            else:
                del self._running[pid]

    async def run(self, pid: str, what: str, work: Callable[[], T]) -> T:
        """Run `work` in a thread of this gate for process `pid`, or raise Busy."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.threads, thread_name_prefix="aos-evaluating", initializer=_lower_priority
            )
        with self.admitted(pid, what):
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _lower_priority() -> None:
    """These threads replay whole logs for requests nobody signed: the OS should run the
    evaluating process, the scheduler and the other requests first. (On Linux a thread has
    its own nice value; elsewhere this does nothing.)"""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):
        pass
