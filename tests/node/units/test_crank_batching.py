"""The crank's batching: a stream of messages is evaluated in batches, a lone one at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from aos.node.store import Store
from aos.node.units.crank import Crank


class CountingCU:
    """Stands in for the compute unit: records when each evaluation ran and reports
    `found` messages evaluated each time."""

    def __init__(self, found: int) -> None:
        self.found = found
        self.runs: list[float] = []
        self.ran = threading.Event()

    def evaluate_to(self, pid: str, nonce: int | None = None) -> int:
        self.runs.append(time.monotonic())
        self.ran.set()
        return self.found

    def tick(self, pid: str) -> int:
        return 0

    def __getattr__(self, name: str) -> Any:  # nothing else is used by the crank here
        raise AttributeError(name)


def gaps_between_runs(tmp_path: Path, found: int, batch_interval: float) -> list[float]:
    cu = CountingCU(found)
    crank = Crank(Store(tmp_path), cu, batch_interval=batch_interval)  # type: ignore[arg-type]
    crank.start()
    try:
        assert crank.leader
        for _ in range(4):
            cu.ran.clear()
            crank.wake("p" * 43)
            assert cu.ran.wait(5)
            assert crank.drain(5)
    finally:
        crank.stop()
    return [b - a for a, b in zip(cu.runs, cu.runs[1:], strict=False)]


def test_a_process_that_had_one_message_is_evaluated_again_at_once(tmp_path: Path) -> None:
    # a shell's line after line: each result is awaited, so no batching delay
    assert all(gap < 0.2 for gap in gaps_between_runs(tmp_path, found=1, batch_interval=0.5))


def test_a_process_that_had_a_batch_waits_out_the_interval(tmp_path: Path) -> None:
    gaps = gaps_between_runs(tmp_path, found=5, batch_interval=0.3)
    assert len(gaps) == 3 and all(gap >= 0.29 for gap in gaps)
