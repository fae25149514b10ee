"""Quarantine (aos.node.units.quarantine, aos.log.verdicts): a message that keeps ending its
evaluating OS process, or that the watchdog stops, is recorded as a verdict with an Error
instead of being retried for ever; every replay adopts it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from aos.commands.verify import main as verify_main
from aos.dataitem import create
from aos.log.evaluator import Evaluator, ProcessInfo
from aos.log.records import Entry, Item
from aos.log.verdicts import QUARANTINE_DEATHS, STOPPED_ERROR, quarantine_error
from aos.node.units.node import Node
from aos.node.units.quarantine import FlightRecorder, count_deaths
from aos.protocol import AOS_MODULE_ID
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao, ao_tags

PID = "P" * 43


def test_a_verdict_is_the_result_and_the_runtime_never_runs_it() -> None:
    calls: list[Any] = []

    class Recorder:
        def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
            calls.append(msg.get("Nonce"))
            return {"Output": "ran"}

    info = ProcessInfo(PID, "O" * 43, AOS_MODULE_ID, [], 1000, 1)
    ev = Evaluator(info, Recorder(), verdicts={(1005, 1, ""): quarantine_error(3)})

    def item(mid: str) -> Item:
        return Item(0, mid, 2, "s", "O" * 43, "k", PID, None, [], b"", 0, 0)

    ev.step(Entry(PID, 0, 1000, 1, 0, "h", "a0", PID, False), item(PID))
    (quarantined,) = ev.step(Entry(PID, 1, 1005, 1, 0, "h", "a1", "M" * 43, False), item("M" * 43))
    (after,) = ev.step(Entry(PID, 2, 1006, 1, 0, "h", "a2", "N" * 43, False), item("N" * 43))
    assert calls == [0, 2]
    assert quarantined.result["Error"] == "quarantined: this message ended its evaluator 3 times"
    assert quarantined.result["Messages"] == [] and after.result["Output"] == "ran"


def test_the_flight_file_outlives_the_os_process_that_wrote_it(tmp_path: Path) -> None:
    code = (
        "import os, sys; from aos.node.units.quarantine import FlightRecorder;"
        " r = FlightRecorder(sys.argv[1]); r.begin('Q' * 43, (7, 3, '')); os._exit(9)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert done.returncode == 9
    recorder = FlightRecorder(tmp_path)
    assert recorder.left_running() == [("Q" * 43, (7, 3, ""))]
    assert recorder.left_running() == []  # read once: cleared
    recorder.begin("R" * 43, (1, 1, "0-5-seconds"))
    recorder.end()
    assert recorder.left_running() == []
    recorder.close()


def _spawn_and_message(data: Path, owner: Ed25519Signer) -> tuple[str, str, int]:
    """A process and one Eval, scheduled but not evaluated (the crank never started)."""
    node = Node(data)
    try:
        tags = ao_tags("Process", [("Module", AOS_MODULE_ID), ("Scheduler", node.su.address)])
        spawn = create(signer=owner, data=" ", tags=tags)
        node.mu.accept(spawn.to_bytes())
        msg = create(signer=owner, data="Hit = true", target=spawn.id,
                     tags=ao_tags("Message", [("Action", "Eval")]))  # fmt: skip
        entry = node.mu.accept(msg.to_bytes()).entry
        return spawn.id, msg.id, entry.timestamp
    finally:
        node.stop()


def test_three_deaths_quarantine_the_message_and_the_process_goes_on(
    node_dir: Path, capsys: Any
) -> None:
    owner = Ed25519Signer.generate()
    pid, mid, timestamp = _spawn_and_message(node_dir, owner)
    key = (timestamp, 1, "")
    node = Node(node_dir)
    try:
        for death in range(1, QUARANTINE_DEATHS + 1):
            # What an evaluator that ended while running the message leaves behind, and
            # what the next crank holder does with it.
            node.recorder.begin(pid, key)
            assert count_deaths(node.store, node.recorder) == [pid]
            assert bool(node.store.verdicts(pid)) == (death == QUARANTINE_DEATHS)
        node.start()
        node.cu.evaluate_to(pid)
        result = node.cu.result(pid, mid)
        assert (
            result["Error"]
            == f"quarantined: this message ended its evaluator {QUARANTINE_DEATHS} times"
        )
        assert result["Messages"] == []
        # The process goes on, without the message's effect; a dry-run replays past it.
        ok = create(signer=owner, data="return tostring(Hit) .. (1 + 1)", target=pid,
                    tags=ao_tags("Message", [("Action", "Eval")]))  # fmt: skip
        node.mu.accept(ok.to_bytes())
        node.cu.evaluate_to(pid)
        assert node.cu.result(pid, ok.id)["Output"]["data"] == "nil2"
        dry = node.cu.dry_run(pid, {"Owner": owner.address, "Data": "return tostring(Hit)",
                                    "Tags": [{"name": "Action", "value": "Eval"}]})  # fmt: skip
        assert dry["Output"]["data"] == "nil"
        # More deaths change nothing: the first verdict stands.
        node.recorder.begin(pid, key)
        count_deaths(node.store, node.recorder)
        assert len(node.store.verdicts(pid)) == 1
    finally:
        node.stop()
    # aos verify adopts the verdict, says so, and passes.
    assert verify_main([pid, "--data-dir", str(node_dir)]) == 0
    out = capsys.readouterr().out
    assert "nonce 1: not replayed, the node's verdict stands: quarantined" in out
    assert "verified" in out


def test_a_stored_result_is_never_quarantined(node_dir: Path) -> None:
    owner = Ed25519Signer.generate()
    pid, mid, timestamp = _spawn_and_message(node_dir, owner)
    node = Node(node_dir)
    try:
        node.start()
        node.cu.evaluate_to(pid)
        for _ in range(QUARANTINE_DEATHS + 1):  # deaths while replaying a stored message
            node.recorder.begin(pid, (timestamp, 1, ""))
            count_deaths(node.store, node.recorder)
        assert node.store.verdicts(pid) == {}
        assert "Error" not in node.cu.result(pid, mid)
    finally:
        node.stop()


# -- the watchdog's stop, recorded as the same verdict (from branch i12r) ----------------------
# A loop of `..` on a growing string: one VM instruction per step, each copying the whole
# string, which no instruction count can weigh; only the watchdog stops it.
GROWTH = "Marked = true local s = '' for i = 1, 1e9 do s = s .. 'x' end"


@pytest.fixture
def short_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOS_WATCHDOG", "1")


def test_a_message_the_watchdog_stops_is_a_verdict_and_rolled_back(
    short_watchdog: None, ao: Ao, node_dir: Path
) -> None:
    pid = ao.spawn()
    assert ao.value(pid, "Before = 41 return Before + 1") == "42"
    start = time.monotonic()
    mid = ao.send(pid, GROWTH)
    result = ao.result(pid, mid)
    assert time.monotonic() - start < 10
    assert result["Error"] == STOPPED_ERROR and result["Messages"] == []
    # What it did before the watchdog fired (a timing-dependent point) is gone.
    assert ao.value(pid, "return tostring(Marked)") == "nil"
    assert ao.value(pid, "return Before") == "41"
    assert ao.value(pid, "return 1 + 1") == "2"
    # One record for every quarantine: the verdict is in the store, keyed like the result.
    node: Node = ao.http.app.node  # type: ignore[attr-defined]
    entry = node.store.entry_by_id(pid, mid)
    assert entry is not None
    assert node.store.verdicts(pid) == {(entry.timestamp, entry.nonce, ""): STOPPED_ERROR}
    # A state made live again (from the log) adopts it instead of running the loop again.
    node.cu.drop(pid)
    assert ao.value(pid, "return tostring(Marked) .. Before") == "nil41"

    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
    assert list(report.verdicts.values()) == [STOPPED_ERROR]
