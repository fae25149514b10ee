"""Quarantine in the evaluator (aos.log.verdicts): a watchdog stop becomes a verdict the
evaluator reports in `decided` (and goes stale when it cannot roll back); a verdict is the
result without running the runtime, for a message or a cron tick, so a rebuild and every
replay give the same results."""

from __future__ import annotations

from typing import Any

from aos.errors import MessageStopped
from aos.log.evaluator import Evaluator, ProcessInfo, normalise
from aos.log.records import Entry, Item
from aos.log.verdicts import STOPPED_ERROR, VerdictKey, verdict_result
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


def evaluator(runtime: Any, verdicts: dict[VerdictKey, str] | None = None) -> Evaluator:
    spawn_entry, spawn = log(0)[0]
    return Evaluator(
        ProcessInfo.from_spawn(spawn, spawn_entry), runtime, verdicts=dict(verdicts or {})
    )


def test_the_verdict_result_is_an_error_without_an_outbox() -> None:
    result = normalise(verdict_result(STOPPED_ERROR))
    assert result["Error"] == STOPPED_ERROR and result["Messages"] == []
    assert normalise({"Error": STOPPED_ERROR}) == result  # the same result, the same hash
    assert STOPPED_ERROR.startswith("quarantined: ")


def test_a_stopped_evaluation_becomes_a_verdict_and_the_evaluator_goes_stale() -> None:
    runtime = Stops()  # no checkpoints: the stop cannot be rolled back
    ev = evaluator(runtime)
    stop_id = "S".ljust(43, "x")
    records = log(0) + [(entry(1, stop_id), item(stop_id, "stop", []))]
    done = list(ev.evaluate_all(records))
    assert not done[0].error
    assert done[1].result == normalise(verdict_result(STOPPED_ERROR))
    assert ev.decided == [((T0 + 1, 1, ""), STOPPED_ERROR)]
    assert ev.verdicts == {(T0 + 1, 1, ""): STOPPED_ERROR}
    assert ev.stale


def test_verdicts_are_adopted_without_running() -> None:
    runtime = Stops()
    ev = evaluator(runtime, {(T0 + 2, 2, ""): STOPPED_ERROR})
    done = list(ev.evaluate_all(log(3)))
    assert [d.error for d in done] == [False, False, True, False]
    assert done[2].result["Error"] == STOPPED_ERROR
    assert "n = (n or 0) + 2" not in runtime.seen and len(runtime.seen) == 3
    assert not ev.stale and not ev.decided


def test_a_replay_that_adopts_a_verdict_matches_a_lua_replay_that_never_saw_it() -> None:
    # The state after quarantining message 2 is the state of the log without it: n = 1 + 3.
    ev = evaluator(LuaProcess(), {(T0 + 2, 2, ""): STOPPED_ERROR})
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
    # The first tick: 1 s after the spawn, after nonce 0, with the cron's key.
    ev = Evaluator(
        ProcessInfo.from_spawn(spawn, entry(0, PID)),
        runtime,
        verdicts={(T0 + 1000, 0, "0-1-second"): STOPPED_ERROR},
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
