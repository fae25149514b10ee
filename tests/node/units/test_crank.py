"""Process to process: spawns, pushed messages, replies, Spawned notices, exactly once."""

from __future__ import annotations

import json
from typing import Any

from tests.support.ao import Ao

CHILD = """
Handlers.add("ping", function(m) return m.Action == "Ping" end, function(m)
  Pings = (Pings or 0) + 1
  m.reply({ Data = "pong " .. m.Data })
end)
"""


def _spawn_child(ao: Ao, parent: str) -> str:
    code = (
        f"ao.spawn(ao.env.Module.Id, {{ Data = [[{CHILD}]], Tags = {{ ['On-Boot'] = 'Data',"
        f" Authority = '{ao.node_address}', Name = 'child' }} }})"
    )
    res = ao.eval(parent, code)
    assert "Error" not in res and len(res["Spawns"]) == 1, res
    ao.drain()
    # the Spawned notice lands in the parent's Inbox and names the child
    notice = ao.value(parent, "return require('json').encode(Inbox[#Inbox].Tags)")
    tags = json.loads(notice)
    assert tags["Action"] == "Spawned"
    child: str = tags["Process"]
    return child


def test_a_spawns_b_b_replies_into_a_inbox(ao: Ao) -> None:
    a = ao.spawn()
    b = _spawn_child(ao, a)
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    assert b in node.store.process_ids()
    child_tags = {t["name"]: t["value"] for t in ao.http.get(f"/su/processes/{b}").json()["tags"]}
    assert child_tags["From-Process"] == a and child_tags["Type"] == "Process"
    assert child_tags["Scheduler"] == ao.su_address  # inherited from the parent

    res = ao.eval(a, f"Send({{ Target = '{b}', Action = 'Ping', Data = 'hi' }})")
    assert len(res["Messages"]) == 1, res
    ao.drain()
    inbox_last = json.loads(
        ao.value(
            a,
            "return require('json').encode({Data = Inbox[#Inbox].Data, From = Inbox[#Inbox].From})",
        )
    )
    assert inbox_last == {"Data": "pong hi", "From": b}

    # the exchange is visible in both /results
    b_results = ao.http.get(f"/cu/results/{b}").json()["edges"]
    assert any(
        any(m["Target"] == a and m["Data"] == "pong hi" for m in e["node"]["Messages"])
        for e in b_results
    )
    a_results = ao.http.get(f"/cu/results/{a}").json()["edges"]
    assert any(any(m["Target"] == b for m in e["node"]["Messages"]) for e in a_results)
    # the pushed message carries the tags of docs/protocol.md §2.3
    page = ao.http.get(f"/su/{b}").json()["edges"]
    pushed = page[-1]["node"]["message"]
    tags = {t["name"]: t["value"] for t in pushed["tags"]}
    assert tags["From-Process"] == a and tags["Type"] == "Message" and tags["Data-Protocol"] == "ao"
    assert tags["Pushed-For"] and tags["From-Module"]
    assert pushed["owner"]["address"] == ao.node_address


def test_every_push_happens_once_even_when_cranked_again(ao: Ao) -> None:
    a = ao.spawn()
    b = _spawn_child(ao, a)
    for i in range(3):
        ao.eval(a, f"Send({{ Target = '{b}', Action = 'Ping', Data = '{i}' }})")
    ao.drain()
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    # pretend every result was never cranked, and crank everything again
    with node.store.write() as tx:
        tx.conn.execute("UPDATE results SET cranked = 0 WHERE has_outbox = 1")
    for pid in (a, b):
        node.crank.wake(pid)
    ao.drain()
    assert ao.peek(b, "return Pings", owner=a) == "3"  # a child is owned by its parent (aos)
    assert len(ao.http.get(f"/su/{b}").json()["edges"]) == 1 + 3  # spawn + 3 pings
    replies = ao.value(
        a,
        "local n = 0 for _, m in ipairs(Inbox) do"
        " if m.Data and m.Data:sub(1, 4) == 'pong' then n = n + 1 end end return n",
    )
    assert replies == "3"


def test_messages_to_unknown_targets_are_stored_not_scheduled(ao: Ao) -> None:
    a = ao.spawn()
    wallet = "A" * 43  # a canonical id (32 zero bytes) that is no process here
    ao.eval(a, f"Send({{ Target = '{wallet}', Action = 'Hello', Data = 'x' }})")
    ao.drain()
    found = ao.http.post(
        "/graphql",
        json={
            "query": f'{{ transactions(recipients: ["{wallet}"]) {{ edges {{ node {{ id'
            " tags { name value } } } } }"
        },
    ).json()
    edges = found["data"]["transactions"]["edges"]
    assert len(edges) == 1
    assert {"name": "From-Process", "value": a} in edges[0]["node"]["tags"]


def test_a_malformed_outbox_entry_is_skipped_and_the_rest_delivered(ao: Ao) -> None:
    a = ao.spawn()
    b = ao.spawn(tags=[("Role", "b")])
    ao.value(b, "Handlers.add('hi', function(m) return m.Action == 'Hi' end,"
                " function(m) Hi = (Hi or 0) + 1 end)")  # fmt: skip
    # a message with a tag too long to sign, then a good one, from the same result
    code = (
        f"Send({{ Target = '{b}', Action = 'Hi', Huge = string.rep('x', 5000) }})"
        f" Send({{ Target = '{b}', Action = 'Hi' }})"
    )
    ao.eval(a, code)
    ao.drain()
    assert ao.peek(b, "return Hi") == "1"
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    assert node.store.pending_pushes(a) == []  # the result is done, not retried forever
