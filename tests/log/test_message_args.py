"""The evaluator's flattened message (the replay's fast path) equals the generic one."""

from __future__ import annotations

from typing import Any

import pytest

from aos.log.evaluator import Evaluator, ProcessInfo
from aos.log.records import Entry, Item
from aos.runtime import LuaProcess
from aos.runtime.convert import flatten_message

PID = "P" * 43
OWNER = "O" * 43


def item(tags: list[dict[str, Any]], **fields: Any) -> Item:
    base: dict[str, Any] = dict(
        seq=0, id="M" * 43, signature_type=1, signature="S" * 86, owner=OWNER,
        owner_key="K" * 683, target=PID, anchor=None, tags=tags, data=b"hello \xff",
        created_at=0, block_height=0,
    )  # fmt: skip
    base.update(fields)
    return Item(**base)


def entry(nonce: int = 3, assigned: bool = False) -> Entry:
    return Entry(PID, nonce, 1_700_000_000_000, 1234, 0, "H" * 43, "A" * 43, "M" * 43, assigned)


def evaluator() -> Evaluator:
    info = ProcessInfo(PID, OWNER, "MOD", [{"name": "Name", "value": "x"}], 1, 1)
    return Evaluator(info, LuaProcess())


T = [{"name": "Action", "value": "Inc"}, {"name": "Data-Protocol", "value": "ao"}]
CASES = {
    "plain": (entry(), item(T)),
    "from-process twice, From and Owner tags": (
        entry(),
        item(
            [
                *T,
                {"name": "From-Process", "value": "X" * 43},
                {"name": "From", "value": "f"},
                {"name": "Owner", "value": "o"},
                {"name": "From-Process", "value": "Y" * 43},
            ]
        ),
    ),  # fmt: skip
    "empty From-Process": (entry(), item([{"name": "From-Process", "value": ""}])),
    "node tags in other spellings": (
        entry(),
        item(
            [
                {"name": "from-process", "value": "X" * 43},
                {"name": "FORWARDED_BY", "value": "f"},
                *T,
                {"name": "From-Process", "value": "Y" * 43},
                {"name": "Pushed-For", "value": "p"},
            ]
        ),
    ),
    "assigned, no target": (entry(assigned=True), item(T, target=None, anchor="a" * 32)),
    "assigned elsewhere": (entry(assigned=True), item(T, target="Z" * 43)),
    "the spawn": (entry(nonce=0), item(T, id=PID)),
    "nonce 0, not the spawn": (entry(nonce=0), item(T)),
    "no tags": (entry(), item([])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_args_is_the_flattened_message(name: str) -> None:
    ev = evaluator()
    e, i = CASES[name]
    assert ev.message_args(e, i) == flatten_message(ev.message(e, i))


def test_a_tag_that_is_not_a_string_takes_the_generic_path() -> None:
    ev = evaluator()
    odd = item([{"name": "Count", "value": 3}])
    assert ev.message_args(entry(), odd) is None
    assert ev.message_args(entry(), item(T, signature=None)) is None


def test_both_paths_give_the_same_result_hash() -> None:
    fast, slow = evaluator(), evaluator()
    slow._handle_flat = None  # the generic path: runtime.handle(message dict)
    spawn = (entry(nonce=0), item([{"name": "Name", "value": "x"}], id=PID, owner=OWNER))
    run = [
        spawn,
        (entry(nonce=1), item([{"name": "Action", "value": "Eval"}], data=b"return Owner")),
        (entry(nonce=2), item([{"name": "From-Process", "value": "Q" * 43}])),
    ]
    hashes = [[ev.step(e, i)[-1].chain_hash for e, i in run] for ev in (fast, slow)]
    assert hashes[0] == hashes[1]
