"""Snapshots are exact: a state restored from one gives the same results, result hashes and
snapshot bytes as the state that never stopped, across OS processes (random logs from
tests.support.snapshot_runs: handlers, Evals, errors rolled back, Receive, spawns, crons)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from aos.errors import SnapshotRefused
from aos.runtime import LuaProcess
from tests.support.process import ENV, Proc

SEEDS = [1, 2, 3]


def _run(mode: str, seed: int, count: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.snapshot_runs", mode, str(seed), str(count)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("seed", SEEDS)
def test_restoring_at_every_boundary_changes_nothing(seed: int) -> None:
    straight = _run("straight", seed, 60)
    observed = _run("observed", seed, 60)
    restored = _run("restored", seed, 60)
    assert straight["errors"] > 0  # failures were rolled back on the way
    assert straight["hashes"] == observed["hashes"] == restored["hashes"]
    assert straight["chain"] == restored["chain"]
    # Same state, same bytes: what the uninterrupted state and the restored one write at
    # each boundary is identical (and some boundaries could not be snapshotted at all).
    assert observed["snapshots"] == restored["snapshots"]
    assert len(restored["snapshots"]) > 20


def test_a_waiting_receive_refuses_a_snapshot_until_it_is_answered() -> None:
    proc = Proc()
    proc.eval(
        "Handlers.add('ask', 'Ask', function(m) Got = Receive({ Action = 'Answer' }).Data end)"
    )
    proc.process.snapshot()
    proc.send({"Action": "Ask"})
    with pytest.raises(SnapshotRefused, match="Receive is waiting"):
        proc.process.snapshot()
    proc.send({"Action": "Answer"}, data="42")
    restored = LuaProcess(restore=proc.process.snapshot())
    assert (
        restored.handle(proc.message({"Action": "Eval"}, "return Got"), ENV)["Output"]["data"]
        == "42"
    )


def test_a_snapshot_of_another_build_or_of_garbage_is_refused() -> None:
    data = Proc().process.snapshot()
    with pytest.raises(SnapshotRefused, match="another build"):
        LuaProcess(restore=data[:8] + bytes(32) + data[40:])
    with pytest.raises(ValueError, match="not a process snapshot"):
        LuaProcess(restore=b"garbage")
    with pytest.raises(ValueError, match="cannot be restored"):
        LuaProcess(restore=data[:-10])
