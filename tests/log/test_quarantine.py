"""Quarantine in the evaluator: a stopped evaluation is recorded as the fixed QUARANTINED
Error and makes the evaluator stale; a quarantined position is skipped without running, for a
message or a cron tick, so a rebuild and every replay give the same results."""

from __future__ import annotations

from typing import Any

from aos.errors import MessageStopped
from aos.log.evaluator import (
    QUARANTINE_HASH,
    QUARANTINED,
    Evaluator,
    ProcessInfo,
    quarantine_result,
)
from aos.log.records import Entry, Item
from aos.log.resulthash import result_hash
from aos.protocol import AOS_MODULE_ID
from aos.runtime import LuaProcess

PID = "P" * 42 + "A"
OWNER = "O" * 42 + "A"
T0 = 1_800_000_000_000
SPAWN_TAGS = [("Data-Protocol", "ao"), ("Type", "Process"), ("Module", AOS_MODULE_ID)]


def item(item_id: str, data: str, tags: list[tuple[str, str]]) -> Item:
    return Item(
        seq=0, id=item_id, signature_type=2, signature="sig", owner=OWNER, owner_key="key",
        target=PID, anchor=None, tags=[{"name": n, "value": v} for n, v in tags],
        data=data.encode(), created_at=0, block_height=1,
    )  # fmt: skip


def entry(nonce: int, message_id: str) -> Entry:
    return Entry(
        PID, nonce, T0 + nonce, 1_300_000, 0, f"hc{nonce}", f"as{nonce}", message_id, False
    )


def log(n: int) -> list[tuple[Entry, Item]]:
    out = [(entry(0, PID), item(PID, "", SPAWN_TAGS))]
    for k in range(1, n + 1):
        mid = f"M{k}".ljust(43, "x")
        out.append((entry(k, mid), item(mid, f"n = (n or 0) + {k}", [("Action", "Eval")])))
    return out


class Stops:
    """A runtime that the watchdog stops on messages whose Data is `stop`."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self.seen.append(str(msg.get("Data", "")))
        if msg.get("Data") == "stop":
            raise MessageStopped(10)
        return {"Output": msg.get("Data", "")}


def evaluator(runtime: Any, quarantined: frozenset[int] = frozenset()) -> Evaluator:
    spawn_entry, spawn = log(0)[0]
    return Evaluator(ProcessInfo.from_spawn(spawn, spawn_entry), runtime, quarantined=quarantined)


def test_the_quarantine_result_is_a_fixed_error_with_a_fixed_hash() -> None:
    result = quarantine_result()
    assert result["Error"] == QUARANTINED and result["Messages"] == []
    assert result_hash(result) == QUARANTINE_HASH
    assert QUARANTINED.startswith("quarantined: ")


def test_a_stopped_evaluation_is_quarantined_and_the_evaluator_goes_stale() -> None:
    runtime = Stops()
    ev = evaluator(runtime)
    records = log(0) + [(entry(1, "S".ljust(43, "x")), item("S".ljust(43, "x"), "stop", []))]
    done = list(ev.evaluate_all(records))
    assert not done[0].error
    assert done[1].result == quarantine_result() and done[1].result_hash == QUARANTINE_HASH
    assert ev.stale


def test_quarantined_positions_are_skipped_without_running() -> None:
    runtime = Stops()
    ev = evaluator(runtime, quarantined=frozenset({2}))
    done = list(ev.evaluate_all(log(3)))
    assert [d.error for d in done] == [False, False, True, False]
    assert done[2].result_hash == QUARANTINE_HASH
    assert "n = (n or 0) + 2" not in runtime.seen and len(runtime.seen) == 3
    assert not ev.stale


def test_a_rebuild_that_skips_the_position_matches_a_lua_replay_that_never_saw_it() -> None:
    # The state after quarantining message 2 is the state of the log without it: n = 1 + 3.
    ev = evaluator(LuaProcess(), quarantined=frozenset({2}))
    list(ev.evaluate_all(log(3)))
    check = ev.dry_run(
        ev.read_only_message(
            {"Data": "return n", "Tags": [{"name": "Action", "value": "Eval"}], "Owner": OWNER}
        )
    )
    assert check["Output"]["data"] == "4"


def test_a_cron_tick_can_be_quarantined_too() -> None:
    tags = [*SPAWN_TAGS, ("Cron-Interval", "1-second"), ("Cron-Tag-Action", "Tick")]
    spawn = item(PID, "", tags)
    runtime = Stops()
    ev = Evaluator(
        ProcessInfo.from_spawn(spawn, entry(0, PID)), runtime, quarantined=frozenset({1})
    )
    mid = "M".ljust(43, "x")
    later = Entry(PID, 1, T0 + 2500, 1_300_000, 0, "hc1", "as1", mid, False)
    done = list(ev.evaluate_all([(entry(0, PID), spawn), (later, item(mid, "x", []))]))
    assert [(d.cron, d.error) for d in done] == [
        ("", False),
        ("0-1-second", True),
        ("0-1-second", False),
        ("", False),
    ]
    assert len(runtime.seen) == 3
