"""aos.log.outbox: the messenger's rules for what it pushes (docs/protocol.md §2.3, §2.4)."""

from __future__ import annotations

import pytest

from aos.errors import NodeError
from aos.log.outbox import assignments, pushed_message, pushed_spawn, spawned_notice

P = "P" * 43


def tags(**kw: str) -> list[dict[str, str]]:
    return [{"name": k.replace("_", "-"), "value": v} for k, v in kw.items()]


def test_a_message_loses_the_tags_the_messenger_owns_and_gets_its_own() -> None:
    msg = {
        "Target": "bob",
        "Anchor": "0" * 32,
        "Tags": tags(Action="Hi", Type="Forged", From_Process="forged", Data_Protocol="x"),
    }
    pushed = pushed_message(msg, P, "MOD", "ORIGIN")
    assert (pushed.target, pushed.data, pushed.anchor) == ("bob", " ", "0" * 32)
    assert pushed.tags == [
        ("Action", "Hi"),
        ("Data-Protocol", "ao"),
        ("Type", "Message"),
        ("From-Process", P),
        ("From-Module", "MOD"),
        ("Pushed-For", "ORIGIN"),
    ]


def test_data_and_tag_values_that_are_not_strings_travel_as_json() -> None:
    msg = {"Target": "bob", "Data": {"a": 1}, "Tags": [{"name": "N", "value": 5}]}
    pushed = pushed_message(msg, P, "MOD", "")
    assert (pushed.data, pushed.tags[0], pushed.anchor) == ('{"a": 1}', ("N", "5"), None)


@pytest.mark.parametrize("msg", [{"Tags": []}, {"Target": "bob", "Tags": "x"}, "text"])
def test_a_malformed_message_is_a_node_error(msg: object) -> None:
    with pytest.raises(NodeError, match="outbox message without Target or Tags"):
        pushed_message(msg, P, "MOD", "")


def test_a_spawn_gets_variant_module_and_scheduler_only_when_missing() -> None:
    bare = pushed_spawn({"Tags": tags(Name="child")}, P, "MOD", "SU", "O")
    assert (bare.target, bare.data) == (None, "NODATA")
    assert bare.tags == [
        ("Name", "child"),
        ("Variant", "ao.TN.1"),
        ("Module", "MOD"),
        ("Scheduler", "SU"),
        ("Data-Protocol", "ao"),
        ("Type", "Process"),
        ("From-Process", P),
        ("Pushed-For", "O"),
    ]
    given = pushed_spawn({"Tags": tags(Module="M2", Scheduler="S2", Variant="v")}, P, "M", "S", "")
    assert given.tags[:3] == [("Module", "M2"), ("Scheduler", "S2"), ("Variant", "v")]
    with pytest.raises(NodeError, match="outbox spawn without Tags"):
        pushed_spawn({"Data": "x"}, P, "M", "S", "")


def test_the_spawned_notice_keeps_the_spawns_tags_and_names_the_child() -> None:
    spawn = {"Tags": tags(Data_Protocol="ao", Variant="ao.TN.1", Type="Process", Reference="7")}
    notice = spawned_notice(spawn, "CHILD")
    assert (notice.data, notice.tags) == (
        " ",
        [
            ("Reference", "7"),
            ("Data-Protocol", "ao"),
            ("Type", "Message"),
            ("Process", "CHILD"),
            ("Action", "Spawned"),
            ("Variant", "ao.TN.1"),
        ],
    )


def test_assignments_are_listed_with_their_indices_skipping_malformed_ones() -> None:
    result = {
        "Assignments": [
            {"Processes": ["a", "b"], "Message": "m1"},
            "junk",
            {"Processes": ["c", 5], "Message": "m2"},
            {"Processes": ["d"]},
        ]
    }
    assert assignments(result) == [(0, 0, "a", "m1"), (0, 1, "b", "m1"), (2, 0, "c", "m2")]
