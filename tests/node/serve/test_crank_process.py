"""The evaluating process of `aos serve`: woken over a pipe, and harmless when it dies."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from aos.node.serve.crank_process import CrankProcess
from aos.node.units.node import Node


def test_it_holds_the_crank_and_stops_when_asked(tmp_path: Path) -> None:
    Node(tmp_path).stop()  # the directory and keys exist, as under aos serve
    crank = CrankProcess(tmp_path, "http://aos.local")
    crank.start()
    follower = Node(tmp_path)
    follower.start()
    try:
        assert not follower.crank.leader  # the crank process took the lock first
        crank.wake("p" * 43)
    finally:
        t0 = time.monotonic()
        crank.stop()
        assert time.monotonic() - t0 < 10
        follower.stop()


def test_a_killed_crank_process_blocks_nothing_in_the_supervisor(tmp_path: Path) -> None:
    Node(tmp_path).stop()
    crank = CrankProcess(tmp_path, "http://aos.local")
    crank.start()
    os.kill(crank._process.pid or 0, signal.SIGKILL)
    crank._process.join(10)
    t0 = time.monotonic()
    for i in range(5000):  # far more than a pipe holds: no write may block
        crank.wake(f"{i:043d}")
    assert time.monotonic() - t0 < 5
    t0 = time.monotonic()
    crank.stop()  # no shared Event left half-signalled by the dead process
    assert time.monotonic() - t0 < 5
