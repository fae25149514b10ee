"""aos.log.keeper.StateKeeper with a stand-in runtime: what a failed message leaves, and the
second run of a message that met the memory cap, on a collected heap."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aos.log.keeper import RollbackFailed, StateKeeper

CAP = 100
MEMORY_ERROR = "memory limit exceeded (100 B)"


class Heap:
    """A runtime whose allocations fail when live state plus garbage passes CAP."""

    def __init__(self, garbage: int = 0, restore_garbage: int = 0) -> None:
        self.restore_garbage = restore_garbage  # what a rollback leaves behind
        self.state: dict[str, int] = {"n": 0, "live": 0}
        self.garbage = garbage
        self.calls = 0
        self.seen: list[str] = []
        self._kept: dict[str, int] | None = None

    def checkpoint(self) -> None:
        self._kept = copy.deepcopy(self.state)

    def rollback(self) -> None:
        assert self._kept is not None
        self.state = copy.deepcopy(self._kept)
        self.garbage += self.restore_garbage

    def collect_garbage(self) -> None:
        self.garbage = 0

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        self.seen.append(msg["Data"])
        need = int(msg["Data"])
        if self.state["live"] + self.garbage + need > CAP:
            self.garbage = 0  # (the runtime collects after a memory error, as LuaProcess does)
            return {"Error": MEMORY_ERROR}
        self.state["n"] += 1
        self.garbage += need  # a temporary: garbage once the message ends
        return {"Output": {"data": str(self.state["n"])}}


def test_a_message_that_meets_the_cap_over_garbage_runs_again_on_a_collected_heap() -> None:
    vm = Heap(garbage=70)
    keeper = StateKeeper(vm)
    result = keeper.handle({"Data": "60"}, {})
    assert result == {"Output": {"data": "1"}} and vm.calls == 2
    assert vm.state["n"] == 1


def test_a_message_over_the_cap_on_any_heap_fails_once_more_and_leaves_no_trace() -> None:
    vm = Heap()
    keeper = StateKeeper(vm)
    assert keeper.handle({"Data": "10"}, {}) == {"Output": {"data": "1"}}
    result = keeper.handle({"Data": "500"}, {})
    assert result == {"Error": MEMORY_ERROR}
    assert vm.seen.count("500") == 2 and vm.state["n"] == 1
    assert keeper.handle({"Data": "10"}, {}) == {"Output": {"data": "2"}}


def test_other_errors_are_not_run_again() -> None:
    vm = Heap()

    def failing(msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        vm.calls += 1
        return {"Error": "boom"}

    vm.handle = failing  # type: ignore[method-assign]
    keeper = StateKeeper(vm)
    assert keeper.handle({"Data": "1"}, {}) == {"Error": "boom"} and vm.calls == 1


def test_a_message_that_fails_when_evaluated_again_after_a_rollback_gets_a_collected_heap() -> None:
    # The messages since the checkpoint are evaluated again after a rollback; one that
    # now meets the cap over the garbage the restore left is run again on a collected heap.
    vm = Heap(restore_garbage=80)
    keeper = StateKeeper(vm)
    assert keeper.handle({"Data": "40"}, {}) == {"Output": {"data": "1"}}
    failing = keeper.handle({"Data": "500"}, {})
    assert failing == {"Error": MEMORY_ERROR} and vm.state["n"] == 1
    assert vm.seen.count("40") == 3  # evaluated, then again after the rollback, twice


class Undoable:
    """A runtime with checkpoints whose next rollback can be made to fail."""

    def __init__(self) -> None:
        self.state = {"n": 0}
        self._kept: dict[str, int] = {}
        self.fail_rollback = False

    def checkpoint(self) -> None:
        self._kept = copy.deepcopy(self.state)

    def snapshot(self) -> bytes:
        self.checkpoint()
        return repr(self.state).encode()

    def rollback(self) -> None:
        if self.fail_rollback:
            self.fail_rollback = False
            raise MemoryError("no memory to restore the checkpoint")
        self.state = copy.deepcopy(self._kept)

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        if msg.get("Data") == "dry":
            self.state["n"] = 999  # what a dry-run may write
        else:
            self.state["n"] += 1
        return {"Output": {"data": str(self.state["n"])}}


def test_a_dry_run_left_for_later_is_undone_before_the_next_message() -> None:
    vm = Undoable()
    keeper = StateKeeper(vm)
    assert keeper.handle({"Data": "1"}, {}) == {"Output": {"data": "1"}}
    keeper.isolated(lambda: vm.handle({"Data": "dry"}, {}), later=True)
    assert keeper.unsettled and vm.state["n"] == 999
    assert keeper.handle({"Data": "1"}, {}) == {"Output": {"data": "2"}}
    assert not keeper.unsettled


def test_a_restore_that_fails_leaves_the_keeper_refusing_every_later_use() -> None:
    vm = Undoable()
    keeper = StateKeeper(vm, restored=True)
    vm.checkpoint()
    keeper.handle({"Data": "1"}, {})
    keeper.isolated(lambda: vm.handle({"Data": "dry"}, {}), later=True)
    vm.fail_rollback = True
    with pytest.raises(RollbackFailed):
        keeper.snapshot()  # e.g. a save on eviction: the dry-run is still in the state
    assert keeper.broken
    # Never a message on the dry-run's state: it must be rebuilt from the log.
    for use in (lambda: keeper.handle({"Data": "1"}, {}), keeper.snapshot, keeper.settle):
        with pytest.raises(RollbackFailed):
            use()
    assert vm.state["n"] == 999
