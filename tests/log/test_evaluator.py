"""The pure evaluator (msg/env of docs/protocol.md §4.1, crons, hashes) and the result hash
chain."""

from __future__ import annotations

from typing import Any

import pytest

from aos.cron import parse_crons, parse_interval
from aos.log.evaluator import Evaluator, ProcessInfo, normalise
from aos.log.records import Entry, Item
from aos.log.resulthash import GENESIS_CHAIN, canonical_result, chain, chain_hash, result_hash
from aos.protocol import AOS_MODULE_ID
from aos.runtime import LuaProcess

PID = "P" * 42 + "A"
OWNER = "O" * 42 + "A"
T0 = 1_800_000_000_000


def item(item_id: str, data: str, tags: list[tuple[str, str]], target: str | None = None) -> Item:
    return Item(
        seq=0, id=item_id, signature_type=2, signature="sig", owner=OWNER, owner_key="key",
        target=target, anchor=None, tags=[{"name": n, "value": v} for n, v in tags],
        data=data.encode(), created_at=0, block_height=1,
    )  # fmt: skip


def entry(nonce: int, ts: int, message_id: str) -> Entry:
    return Entry(
        PID, nonce, ts, 1_300_000 + nonce, 0, f"hc{nonce}", f"as{nonce}", message_id, False
    )


CRON_CODE = (
    "Handlers.add('cron', function(m) return m.Action == 'Tick' end,"
    " function(m) Ticks = (Ticks or 0) + 1; Last = m.Timestamp end)"
)
SPAWN_TAGS = [
    ("Data-Protocol", "ao"), ("Type", "Process"), ("Module", AOS_MODULE_ID), ("Scheduler", "s"),
    ("On-Boot", "Data"), ("Cron-Interval", "1-second"), ("Cron-Tag-Action", "Tick"),
]  # fmt: skip


def run_log() -> list[Any]:
    spawn = item(PID, CRON_CODE, SPAWN_TAGS)
    first = entry(0, T0, PID)
    ev = Evaluator(ProcessInfo.from_spawn(spawn, first), LuaProcess())
    log = [
        (first, spawn),
        (entry(1, T0 + 3500, "M1" + "x" * 41), item("M1" + "x" * 41, "return Ticks",
                                                    [("Action", "Eval")], PID)),
        (entry(2, T0 + 3600, "M2" + "x" * 41), item("M2" + "x" * 41, "return Last",
                                                    [("Action", "Eval")], PID)),
    ]  # fmt: skip
    return list(ev.evaluate_all(log))


def test_crons_are_generated_between_messages_from_scheduler_time() -> None:
    done = run_log()
    kinds = [(e.ordinate, e.cron, e.timestamp) for e in done]
    assert kinds == [
        (0, "", T0),
        (0, "0-1-second", T0 + 1000),
        (0, "0-1-second", T0 + 2000),
        (0, "0-1-second", T0 + 3000),
        (1, "", T0 + 3500),
        (2, "", T0 + 3600),
    ]
    assert [e.position for e in done] == list(range(6))
    assert done[4].result["Output"]["data"] == "3"
    assert done[5].result["Output"]["data"] == str(T0 + 3000)


def test_replay_is_deterministic_and_chained() -> None:
    first, second = run_log(), run_log()
    assert [e.result_hash for e in first] == [e.result_hash for e in second]
    assert first[-1].chain_hash == chain(e.result_hash for e in first)
    for e in first:
        assert e.result_hash == result_hash(e.result)


def test_msg_and_env_follow_the_spec() -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    class Recorder:
        def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
            seen.append((msg, env))
            return {"Output": 5}

    spawn = item(PID, "boot", SPAWN_TAGS[:4])
    ev = Evaluator(ProcessInfo.from_spawn(spawn, entry(0, T0, PID)), Recorder())
    ev.step(entry(0, T0, PID), spawn)
    pushed = item("M" * 43, "hello", [("Action", "Ping"), ("From-Process", "Q" * 43),
                                      ("From", "x"), ("Owner", "y")], PID)  # fmt: skip
    (done,) = ev.step(entry(1, T0 + 5, "M" * 43), pushed)
    first_msg, env = seen[0]
    assert first_msg["Module"] == AOS_MODULE_ID and first_msg["Nonce"] == 0
    msg = seen[1][0]
    assert msg["From"] == "Q" * 43 and msg["Owner"] == OWNER and msg["Forwarded-By"] == OWNER
    assert msg["Target"] == PID and msg["Data"] == "hello" and msg["Cron"] is False
    assert msg["Read-Only"] is False and msg["Block-Height"] == 1_300_001
    assert {t["name"] for t in msg["Tags"]} == {"Action", "From-Process"}
    assert msg["Timestamp"] == T0 + 5 and msg["Hash-Chain"] == "hc1" and "Module" not in msg
    assert env["Process"]["Id"] == PID and env["Process"]["Owner"] == OWNER
    assert env["Module"]["Id"] == AOS_MODULE_ID
    assert done.result == {"Output": "5", "Messages": [], "Spawns": [], "Assignments": []}


def test_normalise_drops_the_outbox_of_an_error() -> None:
    res = normalise({"Error": "boom", "Messages": [{"Target": "x"}], "Output": None})
    assert res == {"Output": "", "Messages": [], "Spawns": [], "Assignments": [], "Error": "boom"}


def test_intervals_and_cron_tags() -> None:
    assert parse_interval("10-minutes") == 600_000
    assert parse_interval("1-block") == 120_000
    assert parse_interval("250-milliseconds") == 250
    for bad in ("ten-minutes", "5-fortnights", "0-seconds", ""):
        with pytest.raises(ValueError, match="Cron-Interval"):
            parse_interval(bad)
    crons = parse_crons([{"name": "Cron-Interval", "value": "1-hour"},
                         {"name": "Cron-Tag-Action", "value": "Tick"},
                         {"name": "Cron-Interval", "value": "nonsense"},
                         {"name": "Cron-Interval", "value": "2-days"}])  # fmt: skip
    assert [(c.key_suffix, c.tags) for c in crons] == [
        ("0-1-hour", [{"name": "Action", "value": "Tick"}]),
        ("1-2-days", []),
    ]


def test_result_hash_is_over_canonical_json_without_gas() -> None:
    a = {"Output": {"b": 1, "a": "é"}, "Messages": [], "GasUsed": 5}
    b = {"Messages": [], "Output": {"a": "é", "b": 1}, "GasUsed": 9}
    assert canonical_result(a) == '{"Messages":[],"Output":{"a":"é","b":1}}'.encode()
    assert result_hash(a) == result_hash(b)
    assert chain_hash(GENESIS_CHAIN, result_hash(a)) == chain([result_hash(a)])
    assert chain([result_hash(a), result_hash(b)]) != chain([result_hash(a)])


def test_memory_limit_tag_is_honoured_within_bounds() -> None:
    from aos.limits import DEFAULT_MEMORY, MAX_MEMORY, MIN_MEMORY
    from aos.log.runtimes import memory_limit_of

    def limit(value: str | None) -> int:
        tags = [] if value is None else [{"name": "Memory-Limit", "value": value}]
        return memory_limit_of(ProcessInfo(PID, OWNER, AOS_MODULE_ID, tags, T0, 1))

    assert limit(None) == DEFAULT_MEMORY
    assert limit("512-mb") == 512 * 2**20
    assert limit("1-gb") == MAX_MEMORY and limit("64-gb") == MAX_MEMORY
    assert limit("1-kb") == MIN_MEMORY
    assert limit("lots") == DEFAULT_MEMORY and limit("5-parsecs") == DEFAULT_MEMORY


def test_node_tags_reach_the_process_only_as_the_node_wrote_them() -> None:
    """Issue 12: a sender's `from-process` must not shadow the node's `From-Process`, a
    `forwarded-by` tag must not set msg['Forwarded-By'], and of a spawn whose outbox entry
    named a first From-Process the process sees only the node's (the last)."""
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    class Recorder:
        def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
            seen.append((msg, env))
            return {"Output": ""}

    forged = [("From-Process", "V" * 43), ("Action", "Eval"), ("from_module", "m"),
              *SPAWN_TAGS[:4], ("From-Process", "Q" * 43)]  # fmt: skip
    spawn = item(PID, "boot", forged)
    ev = Evaluator(ProcessInfo.from_spawn(spawn, entry(0, T0, PID)), Recorder())
    ev.step(entry(0, T0, PID), spawn)
    boot, env = seen[0]
    assert boot["From"] == "Q" * 43
    env_tags = [(t["name"], t["value"]) for t in env["Process"]["Tags"]]
    assert ("From-Process", "Q" * 43) in env_tags and ("From-Process", "V" * 43) not in env_tags
    assert all(n != "from_module" for n, _ in env_tags)
    shadow_tags = [("from-process", "V" * 43), ("FORWARDED-BY", "V" * 43), ("Action", "Ping"),
                   ("From-Process", "Q" * 43)]  # fmt: skip
    shadow = item("M" * 43, "hi", shadow_tags, PID)
    ev.step(entry(1, T0 + 5, "M" * 43), shadow)
    msg = seen[1][0]
    assert msg["From"] == "Q" * 43 and msg["Forwarded-By"] == OWNER
    assert [t["name"] for t in msg["Tags"]] == ["Action", "From-Process"]
    plain = item("N" * 43, "hi", [("Forwarded-By", "V" * 43), ("Action", "Ping")], PID)
    ev.step(entry(2, T0 + 6, "N" * 43), plain)
    msg = seen[2][0]
    assert msg["From"] == OWNER and "Forwarded-By" not in msg
    assert [t["name"] for t in msg["Tags"]] == ["Action"]
    dry = ev.read_only_message({"Tags": [{"name": "from-process", "value": "V" * 43}]})
    assert dry["From"] == "1234" and dry["Tags"] == []
