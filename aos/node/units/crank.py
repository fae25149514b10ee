"""The crank: one worker per data directory that evaluates new slots and pushes outboxes.

Every OS process that opens a data directory (an `aos serve` worker, a shell in embedded
mode) runs a Crank thread, but only the one holding the directory's `crank.lock` (an
exclusive flock, released by the kernel when its holder dies) does the work; the others
retry the lock every `scan_interval`. So a message is evaluated eagerly once, not once per
OS process, and a crashed leader is replaced within a scan.

The leader works from a queue of process ids (a set, so a burst of messages to one process
is evaluated as one batch): it evaluates the process up to its head and hands each stored
result whose outbox is not delivered yet to `Messenger.push`. Work scheduled by other OS
processes is found by a cheap poll of the processes' heads every `poll_interval`, and
anything left by a crash (unevaluated slots, undelivered outboxes) by a full scan every
`scan_interval`, which also ticks the crons of monitored processes.
`drain()` blocks until the queue is empty and the worker idle (tests, shutdown).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from aos.node.store import Store
from aos.node.units.cu import ComputeUnit
from aos.node.units.mu import Messenger

log = logging.getLogger("aos.node.units.crank")
LOCK_FILE = "crank.lock"


class Crank:
    def __init__(
        self,
        store: Store,
        cu: ComputeUnit,
        mu: Messenger | None = None,
        scan_interval: float = 1.0,
        poll_interval: float = 0.02,
        batch_interval: float = 0.005,
    ) -> None:
        self.store = store
        self.cu = cu
        self.mu = mu
        self.scan_interval = scan_interval
        self.poll_interval = poll_interval
        self.batch_interval = batch_interval
        # When each process may be evaluated again (see _next).
        self._ready_at: dict[str, float] = {}
        self._queue: dict[str, None] = {}  # insertion-ordered set
        self._cond = threading.Condition()
        self._busy = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._last_scan = 0.0
        self._last_poll = 0.0
        self._lock_fd: int | None = None
        self._heads: dict[str, int] = {}
        # False in the HTTP workers of `aos serve`: the supervisor keeps an evaluating
        # process alive, and a worker must never evaluate what just ended that process.
        self.may_lead = True
        # Called once each time this OS process takes the crank, before any work (the
        # quarantine counts what the previous holder left running when it ended).
        self.on_lead: Callable[[], None] | None = None

    # -- leadership ------------------------------------------------------------------------
    @property
    def leader(self) -> bool:
        return self._lock_fd is not None

    def _try_lead(self) -> bool:
        if self._lock_fd is not None:
            return True
        if not self.may_lead:
            return False
        fd = os.open(Path(self.store.data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        self._last_scan = 0.0  # a new leader first looks for everything left undone
        if self.on_lead is not None:
            try:
                self.on_lead()
            except Exception as err:  # counting deaths must never keep the crank from work
                log.warning("taking the crank: %s", err)
        return True

    def _resign(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- queue -----------------------------------------------------------------------------
    def wake(self, pid: str) -> None:
        if self._lock_fd is None:
            return  # not the leader: the leader's poll finds this work
        with self._cond:
            if pid in self._queue:
                return  # already due: no need to wake the worker again
            idle = not self._queue and not self._busy
            self._queue[pid] = None
            if idle:
                # Waking the worker costs a GIL hand-off; a busy worker loops by itself.
                self._cond.notify_all()

    def start(self) -> None:
        if self._thread is None:
            self._stop = False
            self._try_lead()
            self._thread = threading.Thread(target=self._run, name="aos-crank", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._resign()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until there is nothing queued and nothing running; False on timeout.
        (In a process that is not the leader the queue is dropped, so this returns at once.)"""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # -- work ------------------------------------------------------------------------------
    def run_once(self, pid: str) -> int:
        """Evaluate `pid` to its head and deliver all its pending outboxes; returns how many
        evaluations ran."""
        count = self.cu.evaluate_to(pid)
        if self.mu is None:
            return count
        while True:
            rows = self.store.pending_pushes(pid)
            if not rows:
                break
            for row in rows:
                self.mu.push(row)
        return count

    def poll(self) -> None:
        """Queue processes whose head moved since the last look (other OS processes' work)."""
        for pid, head in self.store.heads():
            if self._heads.get(pid) != head:
                self._heads[pid] = head
                self.wake(pid)

    def scan(self) -> None:
        """Queue the work a crash left behind; tick monitors; index pending tags."""
        for pid in self.store.processes_needing_work():
            self.wake(pid)
        self.store.index_pending()
        for pid in self.store.monitored():
            try:
                if self.cu.tick(pid):
                    self.wake(pid)
            except Exception as err:  # a broken process must not stop the others
                log.warning("cron tick of %s failed: %s", pid, err)

    def _next(self) -> str | None:
        """The next queued process, or None when a poll or scan is due (holding _cond)."""
        while not self._stop:
            now = time.monotonic()
            if self.leader and self._queue:
                # A process whose last evaluation found several messages waiting is a
                # stream: it waits out the rest of batch_interval, so that each evaluation
                # takes a batch (one results transaction, one GIL hand-off) instead of one
                # message. One that found a single message (a shell's line after line) is
                # evaluated again at once: its sender is waiting for the result.
                ready = min(self._queue, key=lambda p: self._ready_at.get(p, 0.0))
                ready_at = self._ready_at.get(ready, 0.0)
                if ready_at <= now:
                    del self._queue[ready]
                    return ready
                self._cond.wait(ready_at - now)
                continue
            if not self.leader:
                self._queue.clear()  # the leader does this work
                self._cond.notify_all()
            due = self._last_scan + self.scan_interval  # a follower retries the lock
            if self.leader:
                due = min(due, self._last_poll + self.poll_interval)
            if now >= due:
                return None
            self._cond.wait(due - now)
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                pid = self._next()
                if self._stop:
                    return
                self._busy = True
            try:
                if pid is not None:
                    if self.run_once(pid) > 1:
                        self._ready_at[pid] = time.monotonic() + self.batch_interval
                    else:
                        self._ready_at.pop(pid, None)
                elif self._try_lead():
                    now = time.monotonic()
                    if now >= self._last_scan + self.scan_interval:
                        self._last_scan = self._last_poll = now
                        self.scan()
                    else:
                        self._last_poll = now
                        self.poll()
                else:
                    self._last_poll = self._last_scan = time.monotonic()
            except Exception as err:
                log.warning("crank of %s failed: %s", pid or "scan", err)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
