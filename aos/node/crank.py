"""The crank: a worker thread that evaluates new slots and pushes their outboxes.

`wake(pid)` queues a process (a set: a burst of messages to one process is evaluated as
one batch). The worker evaluates the process up to its head and hands every stored result
whose outbox is not delivered yet to `Messenger.push`, which schedules the pushed items
and wakes their targets, so process-to-process exchanges run to completion. Every
`scan_interval` seconds it also looks in the store for work left by other OS processes or
by a crash (unevaluated slots, undelivered outboxes) and ticks monitored processes' crons.
`drain()` blocks until the queue is empty and the worker idle (tests, shutdown).
"""

from __future__ import annotations

import logging
import threading
import time

from aos.node.cu import ComputeUnit
from aos.node.mu import Messenger
from aos.node.store import Store

log = logging.getLogger("aos.node.crank")


class Crank:
    def __init__(
        self, store: Store, cu: ComputeUnit, mu: Messenger | None = None, scan_interval: float = 1.0
    ) -> None:
        self.store = store
        self.cu = cu
        self.mu = mu
        self.scan_interval = scan_interval
        self._queue: dict[str, None] = {}  # insertion-ordered set
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._last_scan = 0.0

    def wake(self, pid: str) -> None:
        with self._cond:
            self._queue[pid] = None
            self._cond.notify_all()

    def start(self) -> None:
        if self._thread is None:
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="aos-crank", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until there is nothing queued and nothing running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def run_once(self, pid: str) -> None:
        """Evaluate `pid` to its head and deliver all its pending outboxes."""
        self.cu.evaluate_to(pid)
        if self.mu is None:
            return
        while True:
            rows = self.store.pending_pushes(pid)
            if not rows:
                break
            for row in rows:
                self.mu.push(row)

    def scan(self) -> None:
        """Queue the work other OS processes or a crash left behind; tick monitors."""
        for pid in self.store.processes_needing_work():
            self.wake(pid)
        self.store.index_pending()
        for pid in self.store.monitored():
            try:
                if self.cu.tick(pid):
                    self.wake(pid)
            except Exception as err:  # a broken process must not stop the others
                log.warning("cron tick of %s failed: %s", pid, err)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stop:
                    wait = self._last_scan + self.scan_interval - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                if self._stop:
                    return
                pid = next(iter(self._queue), None)
                if pid is not None:
                    del self._queue[pid]
                self._busy = True
            try:
                if pid is None:
                    self._last_scan = time.monotonic()
                    self.scan()
                else:
                    self.run_once(pid)
            except Exception as err:
                log.warning("crank of %s failed: %s", pid or "scan", err)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
