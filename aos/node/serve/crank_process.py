"""The evaluating process of `aos serve` (not --single-process): a node that only cranks.

The supervisor writes (aos.node.serve.sequencer), the workers speak HTTP, and this process
evaluates and pushes outboxes. It is its own OS process because evaluation and scheduling
in one interpreter fight over the GIL: measured on two cores, a crank thread beside the
scheduling thread raised the supervisor's CPU per message from ~440 µs to ~600-680 µs,
against ~370 + ~150 µs when the two run in separate processes. The supervisor tells it
which process got work over a pipe (`wake`, at most once per WAKE_GAP per process); the
crank's batch interval turns a stream of messages into batches (a lone message is
evaluated at once), and its poll of the heads finds what other OS processes (shells on
the same directory) scheduled.

It holds the data directory's crank lock (it starts before the workers, which never take
it); if it dies, the supervisor starts it again (CrankProcess). It exits when told to, or
when its parent is gone (a SIGKILLed `aos serve` must not leave it running).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from aos.node.serve.lifeline import CHECK_INTERVAL, parent_gone

if TYPE_CHECKING:
    from aos.node.units.crank import Crank

log = logging.getLogger("aos.node.serve.crank_process")

# A process woken less than this long ago is not woken again: the crank is evaluating it
# or about to, and a write to the pipe per message would cost the supervisor a syscall.
WAKE_GAP = 0.002
# Under a stream of messages, one evaluation (one results transaction) per this interval.
BATCH_INTERVAL = 0.01
# A child that lived at least this long ended by accident: it is started again at once.
# One that keeps ending sooner waits 1, 2, 4 … up to MAX_BACKOFF seconds between starts.
STABLE = 10.0
MAX_BACKOFF = 30.0


def _listen(wakes: Connection, crank: Crank, stopped: threading.Event) -> None:
    try:
        while True:
            crank.wake(wakes.recv_bytes().decode())
    except (EOFError, OSError):
        pass  # the supervisor closed the pipe (stop) or is gone
    stopped.set()


def _run(data_dir: str, public_url: str, wakes: Connection, ready: Connection, parent: int) -> None:
    from aos.node.units.node import Node, NodeSettings

    # Ctrl-C reaches the whole process group; the supervisor decides when this stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    node = Node(Path(data_dir), NodeSettings(public_url=public_url, check_store=False))
    node.store.leave_checkpoints()  # the supervisor's checkpointer does them
    node.crank.batch_interval = BATCH_INTERVAL
    node.start()
    stopped = threading.Event()
    threading.Thread(target=_listen, args=(wakes, node.crank, stopped), daemon=True).start()
    ready.send_bytes(b"ready")
    ready.close()
    try:
        while not stopped.wait(CHECK_INTERVAL):
            if parent_gone(parent):
                break
    finally:
        node.crank.drain(10)
        node.stop()


class CrankProcess:
    """Start with `start()` (returns once the crank lock is held), end with `stop()`.

    Only pipes pass between the two: a multiprocessing.Event left behind by a process that
    was killed while waiting on it blocks the next `set()` for ever. Closing the wake pipe
    is the stop signal, and a write to a dead crank's pipe fails at once (the supervisor
    keeps no copy of the reading end) instead of filling the pipe and blocking.

    A child that ends without being told to (a crash below Lua, a kill) is started again
    by a watcher thread: at once the first time, then after a back-off that doubles up to
    MAX_BACKOFF while it keeps ending within STABLE seconds of its start. The new child,
    taking the crank, counts the death of whatever the old one was evaluating, and
    quarantines a message that keeps doing it (aos.node.units.quarantine)."""

    def __init__(self, data_dir: Path, public_url: str) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._data_dir = data_dir
        self._public_url = public_url
        self._woken: dict[str, float] = {}
        self._wake_lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self.restarts = 0
        self._prepare()

    def _prepare(self) -> None:
        """A fresh child and its pipes (not started)."""
        self._receiver, self._wakes = self._ctx.Pipe(duplex=False)
        self._ready, self._ready_sender = self._ctx.Pipe(duplex=False)
        self._process = self._ctx.Process(
            target=_run,
            args=(
                str(self._data_dir),
                self._public_url,
                self._receiver,
                self._ready_sender,
                os.getpid(),
            ),
            name="aos-crank",
            daemon=True,
        )

    def wake(self, pid: str) -> None:
        """Tell the crank that `pid` has new work (Messenger.wake of the supervisor)."""
        now = time.monotonic()
        with self._wake_lock:
            if now - self._woken.get(pid, -1.0) < WAKE_GAP:
                return
            if len(self._woken) > 10_000:
                self._woken.clear()
            self._woken[pid] = now
            try:
                self._wakes.send_bytes(pid.encode())  # one atomic write (< PIPE_BUF)
            except OSError:
                # Full (BlockingIOError) or the crank is gone: its poll of the heads, or
                # the restarted crank's first scan, finds the work anyway.
                pass

    def start(self, timeout: float = 60.0) -> None:
        self._launch(timeout)
        self._watcher = threading.Thread(target=self._watch, name="aos-crank-watch", daemon=True)
        self._watcher.start()

    def _launch(self, timeout: float) -> None:
        self._process.start()
        # The child has its own copies now; without closing these the pipes would never
        # report the other side gone.
        self._receiver.close()
        self._ready_sender.close()
        os.set_blocking(self._wakes.fileno(), False)  # a slow crank never blocks a write
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self._ready.poll(0.1):
                    try:
                        self._ready.recv_bytes()
                        break
                    except EOFError:
                        pass  # it died before it was ready: reported below
                if not self._process.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the node's evaluating process did not start")
        finally:
            self._ready.close()

    def _watch(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            started = time.monotonic()
            self._process.join()
            if self._stopping.is_set():
                return
            log.warning(
                "the node's evaluating process ended (exit code %s); starting it again",
                self._process.exitcode,
            )
            backoff = (
                min(max(backoff * 2, 1.0), MAX_BACKOFF)
                if (time.monotonic() - started < STABLE)
                else 0.0
            )
            if self._stopping.wait(backoff):
                return
            with self._wake_lock:  # stop() closes the wake pipe under this lock too
                if self._stopping.is_set():
                    return
                old = self._wakes
                self._prepare()
                old.close()
            try:
                self._launch(60.0)
                self.restarts += 1
            except (RuntimeError, OSError) as err:
                log.error("the node's evaluating process could not be started: %s", err)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        with self._wake_lock:
            self._wakes.close()  # the crank's listener sees the end of the pipe and stops
        if self._watcher is not None:
            self._watcher.join(timeout)  # it returns once the child it watches has ended
        process = self._process
        if process.pid is not None:  # started (a restart may have been cut short)
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(5)
