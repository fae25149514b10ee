"""The evaluating process of `aos serve --workers N`: a node whose only job is the crank.

The supervisor writes (aos.node.sequencer), the workers speak HTTP, and this process
evaluates and pushes outboxes. It is its own OS process because evaluation and scheduling
in one interpreter fight over the GIL: measured on two cores, a crank thread beside the
scheduling thread raised the supervisor's CPU per message from ~440 µs to ~600-680 µs,
against ~370 + ~150 µs when the two run in separate processes. The supervisor tells it
which process got work over a pipe (`wake`, at most once per WAKE_GAP per process); the
crank's batch interval turns a stream of messages into batches, and its poll of the
heads finds what other OS processes (shells on the same directory) scheduled.

It holds the data directory's crank lock (it starts before the workers); if it dies,
a worker's crank takes the lock within a scan. It exits when told to, or when its parent
is gone (a SIGKILLed `aos serve` must not leave it running).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING

from aos.node.lifeline import CHECK_INTERVAL, parent_gone

if TYPE_CHECKING:
    from aos.node.crank import Crank

# A process woken less than this long ago is not woken again: the crank is evaluating it
# or about to, and a write to the pipe per message would cost the supervisor a syscall.
WAKE_GAP = 0.002
# Under a stream of messages, one evaluation (one results transaction) per this interval.
BATCH_INTERVAL = 0.01


def _listen(wakes: Connection, crank: Crank) -> None:
    try:
        while True:
            crank.wake(wakes.recv_bytes().decode())
    except (EOFError, OSError):
        return  # the supervisor is gone; the lifeline ends this process


def _run(
    data_dir: str, public_url: str, stop: Event, ready: Event, wakes: Connection, parent: int
) -> None:
    from aos.node.node import Node, NodeSettings

    # Ctrl-C reaches the whole process group; the supervisor decides when this stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    node = Node(Path(data_dir), NodeSettings(public_url=public_url))
    node.store.leave_checkpoints()  # the supervisor's checkpointer does them
    node.crank.batch_interval = BATCH_INTERVAL
    node.start()
    threading.Thread(target=_listen, args=(wakes, node.crank), daemon=True).start()
    ready.set()
    try:
        while not stop.wait(CHECK_INTERVAL):
            if parent_gone(parent):
                break
    finally:
        node.crank.drain(10)
        node.stop()


class CrankProcess:
    """Start with `start()` (returns once the crank lock is held), end with `stop()`."""

    def __init__(self, data_dir: Path, public_url: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._ready = ctx.Event()
        receiver, self._wakes = ctx.Pipe(duplex=False)
        self._woken: dict[str, float] = {}
        self._wake_lock = threading.Lock()
        self._process = ctx.Process(
            target=_run,
            args=(str(data_dir), public_url, self._stop, self._ready, receiver, os.getpid()),
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
                self._wakes.send_bytes(pid.encode())
            except OSError:
                pass  # the crank is gone; its successor finds the work by polling

    def start(self, timeout: float = 60.0) -> None:
        self._process.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the node's evaluating process did not start")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wakes.close()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
