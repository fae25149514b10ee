"""The evaluating process of `aos serve --workers N`: a node whose only job is the crank.

The supervisor writes (aos.node.sequencer), the workers speak HTTP, and this process
evaluates and pushes outboxes. It is its own OS process because evaluation and scheduling
in one interpreter fight over the GIL: measured on two cores, a crank thread beside the
scheduling thread raised the supervisor's CPU per message from ~440 µs to ~600-680 µs,
against ~370 + ~150 µs when the two run in separate processes. It finds new work by
polling the processes' heads (a few ms), so every evaluation takes a batch.

It holds the data directory's crank lock (it starts before the workers); if it dies,
a worker's crank takes the lock within a scan. It exits when told to, or when its parent
is gone (a SIGKILLed `aos serve` must not leave it running).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.synchronize import Event
from pathlib import Path

from aos.node.lifeline import CHECK_INTERVAL, parent_gone

# How often new slots are looked for; the crank's own default (20 ms) suits a shell
# beside other writers, a served node wants results sooner.
POLL_INTERVAL = 0.005


def _run(data_dir: str, public_url: str, stop: Event, ready: Event, parent: int) -> None:
    from aos.node.node import Node, NodeSettings

    node = Node(Path(data_dir), NodeSettings(public_url=public_url))
    node.crank.poll_interval = POLL_INTERVAL
    node.start()
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
        self._process = ctx.Process(
            target=_run,
            args=(str(data_dir), public_url, self._stop, self._ready, os.getpid()),
            name="aos-crank",
            daemon=True,
        )

    def start(self, timeout: float = 60.0) -> None:
        self._process.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the node's evaluating process did not start")

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
