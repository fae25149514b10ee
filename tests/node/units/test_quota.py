"""The admission quota (aos.node.units.quota): strangers are refused before a process fills
up, its owner never is (issue 12, point 2)."""

from __future__ import annotations

from typing import Any

from aos.wallet import Ed25519Signer
from tests.support.ao import Ao

MIB = 2**20


def test_a_stranger_is_refused_once_the_share_of_memory_is_full(ao: Ao) -> None:
    pid = ao.spawn(tags=[("Memory-Limit", "32-mb")])  # a budget of 16 MiB for strangers
    stranger = Ao(ao.http, Ed25519Signer.generate())
    blob = "x" * MIB
    answers = []
    for _ in range(40):
        item = stranger.message_item(pid, blob, action="Junk")
        r = ao.http.post("/mu", content=item.to_bytes())
        answers.append(r)
        if r.status_code != 202:
            break
    accepted = [r for r in answers if r.status_code == 202]
    refused = answers[-1]
    assert refused.status_code == 429, refused.text
    assert "its owner" in refused.json()["error"] and "MiB" in refused.json()["error"]
    assert 4 <= len(accepted) <= 16, len(accepted)
    # The owner is never refused, and the process still answers.
    assert ao.value(pid, "return 1 + 1") == "2"
    assert int(ao.value(pid, "return #Inbox")) == len(accepted) + 1  # + its own spawn
    # Once the owner frees the memory, strangers get in again.
    ao.value(pid, "Inbox = {} collectgarbage() return 1")
    ao.value(pid, "return 1")  # a result after the collection reports the memory
    again = stranger.message_item(pid, blob, action="Junk")
    assert ao.http.post("/mu", content=again.to_bytes()).status_code == 202


def test_a_stranger_cannot_queue_a_backlog_ahead_of_the_owner(ao: Ao) -> None:
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    pid = ao.spawn()
    ao.value(pid, "return 1")
    node.su.quota.max_pending = 3
    node.crank.stop()  # nothing is evaluated now: every message waits
    try:
        stranger = Ao(ao.http, Ed25519Signer.generate())
        statuses = []
        for _ in range(5):
            item = stranger.message_item(pid, "hi", action="Note")
            statuses.append(ao.http.post("/mu", content=item.to_bytes()).status_code)
        assert statuses == [202, 202, 202, 429, 429]
        mine = ao.message_item(pid, "return 2")
        assert ao.http.post("/mu", content=mine.to_bytes()).status_code == 202
    finally:
        node.crank.start()


def test_messages_pushed_for_a_stranger_process_count_too(ao: Ao) -> None:
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    victim = ao.spawn(tags=[("Memory-Limit", "32-mb")])
    ao.value(victim, "return 1")
    stranger = Ao(ao.http, Ed25519Signer.generate())
    sender = stranger.spawn()
    code = (
        "local d = string.rep('y', 1024 * 1024) "
        f"for i = 1, 24 do Send({{ Target = '{victim}', Action = 'Junk', Data = d }}) end"
    )
    stranger.eval(sender, code)
    assert node.crank.drain(60)
    got = int(ao.value(victim, "return #Inbox"))
    # (24 sends: the budget charges each 1 MiB Send a few million instructions)
    assert 4 <= got <= 17, got  # the rest of the 24 were refused and skipped
    assert ao.value(victim, "return 1 + 1") == "2"


def test_a_parent_is_its_childs_owner_for_the_quota(ao: Ao) -> None:
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    parent = ao.spawn()
    child_code = "Handlers.add('n', function(m) return m.Action == 'N' end, function(m) end)"
    ao.eval(
        parent, f"ao.spawn(ao.env.Module.Id, {{ Data = [[{child_code}]], ['On-Boot'] = 'Data' }})"
    )
    assert node.crank.drain(30)
    child = ao.value(parent, "local m = Inbox[#Inbox] return m.Process")
    node.su.quota.max_pending = 0  # strangers: none at all
    item = ao.message_item(child, "x", action="N")
    r = ao.http.post("/mu", content=item.to_bytes())
    assert r.status_code == 429 and parent in r.json()["error"]  # the owner is the parent
    before = len(ao.http.get(f"/su/{child}").json()["edges"])
    ao.eval(parent, f"Send({{ Target = '{child}', Action = 'N' }})")
    assert node.crank.drain(30)
    assert len(ao.http.get(f"/su/{child}").json()["edges"]) == before + 1
