"""Quarantine through the embedded node: a message the watchdog stops (or one recorded by
`quarantine_next`, for a message that kills its evaluator) ends as the QUARANTINED Error, has
no effect on the process, does not wedge it, and `aos verify` still verifies the process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aos.log.evaluator import QUARANTINED
from aos.node.http.embedded import EmbeddedClient
from aos.node.units.node import Node
from aos.verify.verifier import verify_store
from tests.support.ao import Ao

# A loop of `..` on a growing string: one VM instruction per step, each copying the whole
# string, which no instruction count can weigh; only the watchdog stops it.
GROWTH = "Marked = true local s = '' for i = 1, 1e9 do s = s .. 'x' end"


def node_of(ao: Ao) -> Node:
    assert isinstance(ao.http, EmbeddedClient)
    node: Node = ao.http.app.node
    return node


@pytest.fixture(autouse=True)
def short_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOS_WATCHDOG", "1")


def test_a_message_the_watchdog_stops_is_quarantined_and_rolled_back(
    ao: Ao, node_dir: Path
) -> None:
    pid = ao.spawn()
    assert ao.value(pid, "Before = 41 return Before + 1") == "42"
    start = time.monotonic()
    result = ao.eval(pid, GROWTH)
    assert time.monotonic() - start < 10
    assert result["Error"] == QUARANTINED and result["Messages"] == []
    # The process was rebuilt from its log without the stopped message: what it did before
    # the watchdog fired (a timing-dependent point) is gone, everything else is there.
    assert ao.value(pid, "return tostring(Marked)") == "nil"
    assert ao.value(pid, "return Before") == "41"
    assert ao.value(pid, "return 1 + 1") == "2"

    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
    assert report.quarantined == 1


def test_quarantine_next_records_a_message_without_running_it(ao: Ao, node_dir: Path) -> None:
    pid = ao.spawn()
    assert ao.value(pid, "Count = 1 return Count") == "1"
    node = node_of(ao)
    node.crank.stop()
    killer = ao.send(pid, "Count = 100")  # stands for a message that kills its evaluator
    position = node.cu.quarantine_next(pid)
    assert node.store.last_result(pid) is not None
    assert ao.result(pid, killer)["Error"] == QUARANTINED
    assert ao.value(pid, "return Count + 1") == "2"
    assert position == node.store.result_at_nonce(pid, 2).position  # type: ignore[union-attr]

    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
    assert report.quarantined == 1
