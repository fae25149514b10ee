"""The node's authorisation rules (aos.node.units.authority), through the embedded node's HTTP.

Issue 12, point 1: a process put a spawn in its outbox whose first From-Process named another
process's owner, with Action=Eval; the messenger kept the tag and signed the spawn with the node
wallet; an unsigned assignment then made the victim run the Data as its owner's Eval. Every
step of that is refused here, with its variations.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from aos.dataitem import DataItem, create
from aos.protocol import AOS_LEGACY_SCHEDULER, AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao, ao_tags

# Put a spawn in the outbox whose From-Process names `victim_owner`, as in the issue.
FORGED_SPAWN = """
local s = ao.spawn(ao.env.Module.Id, {{ Data = "Pwned = true", Action = "Eval",
  Authority = "{node}", ["from-process"] = "{owner}", FORWARDED_BY = "{owner}" }})
table.insert(ao.outbox.Spawns[#ao.outbox.Spawns].Tags, 1,
  {{ name = "From-Process", value = "{owner}" }})
"""


def _tags(item: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["name"], t["value"]) for t in item["tags"]]


def _child_of(ao: Ao, parent: str) -> str:
    ao.drain()
    # (the notice carries the spawn's own tags first, so only the root has Action=Spawned)
    code = (
        "local m = Inbox[#Inbox]"
        " return require('json').encode({Action = m.Action, Process = m.Process})"
    )
    tags = json.loads(ao.value(parent, code))
    assert tags["Action"] == "Spawned", tags
    child: str = tags["Process"]
    return child


@pytest.fixture
def attacker(ao: Ao) -> Ao:
    return Ao(ao.http, Ed25519Signer.generate())


def test_the_forged_spawn_is_owned_by_its_parent_and_cannot_be_assigned(
    ao: Ao, attacker: Ao
) -> None:
    victim = ao.spawn()
    mine = attacker.spawn()
    code = FORGED_SPAWN.format(node=ao.node_address, owner=ao.signer.address)
    res = attacker.eval(mine, code)
    assert "Error" not in res and len(res["Spawns"]) == 1, res
    child = _child_of(attacker, mine)
    spawn = ao.http.get(f"/su/processes/{child}").json()
    tags = _tags(spawn)
    # Every copy of a node tag the outbox wrote is gone; the node wrote its own.
    assert [v for n, v in tags if n.lower().replace("_", "-") == "from-process"] == [mine]
    assert not any(n.lower().replace("_", "-") == "forwarded-by" for n, _ in tags)
    assert spawn["owner"]["address"] == ao.node_address
    # The child's Owner (the process library's global) is its parent, not a tag it wrote.
    assert ao.peek(child, "return Owner", owner=mine) == mine
    # The unsigned assignment of the issue, and one signed by a stranger, are refused.
    r = ao.http.post("/mu", params={"process-id": victim, "assign": child})
    assert r.status_code == 403 and "spawn" in r.json()["error"], r.text
    body = create(signer=attacker.signer, data=" ", target=victim, tags=[("Assign", child)])
    r = ao.http.post("/mu", params={"process-id": victim, "assign": child}, content=body.to_bytes())
    assert r.status_code == 403 and "only the owner" in r.json()["error"], r.text
    r = ao.http.post("/su", params={"process-id": victim, "assign": child})
    assert r.status_code == 403
    assert ao.value(victim, "return tostring(Pwned)") == "nil"
    assert len(ao.http.get(f"/su/{victim}").json()["edges"]) == 2  # spawn + that Eval


def test_even_the_owners_assignment_of_it_runs_no_eval(ao: Ao, attacker: Ao) -> None:
    """Assigned by the victim's owner by mistake, the spawn still comes from its parent."""
    victim = ao.spawn()
    mine = attacker.spawn()
    attacker.eval(mine, FORGED_SPAWN.format(node=ao.node_address, owner=ao.signer.address))
    child = _child_of(attacker, mine)
    body = create(signer=ao.signer, data=" ", target=victim, tags=[("Assign", child)])
    r = ao.http.post("/mu", params={"process-id": victim, "assign": child}, content=body.to_bytes())
    assert r.status_code == 202, r.text
    assert "Error" not in ao.result(victim, r.json()["id"])
    assert ao.value(victim, "return tostring(Pwned)") == "nil"


@pytest.mark.parametrize(
    "name",
    [
        "From-Process",
        "from-process",
        "FROM-PROCESS",
        "from_process",
        "Forwarded-By",
        "forwarded-by",
        "Pushed-For",
        "From-Module",
        "fRoM-mOdUlE",
    ],  # fmt: skip
)
def test_a_signed_item_carrying_a_node_tag_is_refused(ao: Ao, name: str) -> None:
    victim = ao.spawn()
    stranger = Ed25519Signer.generate()
    tags = ao_tags("Message", [("Action", "Eval"), (name, ao.signer.address)])
    item = create(signer=stranger, data="Pwned = true", target=victim, tags=tags)
    for route in ("/mu", "/su"):
        r = ao.http.post(route, content=item.to_bytes())
        assert r.status_code == 400 and repr(name) in r.json()["error"], (route, r.text)
    spawn = create(
        signer=stranger,
        tags=ao_tags(
            "Process",
            [("Module", AOS_MODULE_ID), ("Scheduler", ao.su_address), (name, ao.signer.address)],
        ),  # fmt: skip
    )
    r = ao.http.post("/mu", content=spawn.to_bytes())
    assert r.status_code == 400 and repr(name) in r.json()["error"]
    assert len(ao.http.get(f"/su/{victim}").json()["edges"]) == 1  # nothing was scheduled


def test_an_outbox_message_gets_the_node_tags_and_only_them(ao: Ao, attacker: Ao) -> None:
    victim = ao.spawn(tags=[("Authority", ao.node_address)])
    ao.value(
        victim,
        "Handlers.add('note', function(m) return m.Action == 'Note' end, function(m)"
        " Seen = require('json').encode({From = m.From, FP = m.Tags['From-Process'],"
        " FB = m['Forwarded-By'], PF = m['Pushed-For']}) end)",
    )
    mine = attacker.spawn()
    owner = ao.signer.address
    code = (
        f"Send({{ Target = '{victim}', Action = 'Note', ['from-process'] = '{owner}',"
        f" ['FROM-PROCESS'] = '{owner}', ['Forwarded-By'] = '{owner}',"
        f" ['pushed_for'] = 'x', ['From-Module'] = 'y' }})"
    )
    mid = attacker.send(mine, code)
    assert "Error" not in attacker.result(mine, mid)
    ao.drain()
    seen = json.loads(ao.value(victim, "return Seen"))
    assert seen == {"From": mine, "FP": mine, "FB": ao.node_address, "PF": mid}
    edges = ao.http.get(f"/su/{victim}").json()["edges"]
    (pushed,) = [e["node"]["message"] for e in edges
                 if e["node"]["message"]["owner"]["address"] == ao.node_address]  # fmt: skip
    node_tags = [(n, v) for n, v in _tags(pushed) if n.lower().replace("_", "-") in
                 ("from-process", "from-module", "pushed-for", "forwarded-by")]  # fmt: skip
    assert node_tags == [
        ("From-Process", mine),
        ("From-Module", AOS_MODULE_ID),
        ("Pushed-For", mid),
    ]


def test_anyone_may_assign_a_message_scheduled_on_its_own_target(ao: Ao, attacker: Ao) -> None:
    """The reference rule: an assigned message stands on its own signature and target."""
    target = ao.spawn()
    other = ao.spawn(tags=[("Role", "other")])
    sent = attacker.send(target, "", action="Note")
    r = ao.http.post("/mu", params={"process-id": other, "assign": sent})
    assert r.status_code == 202, r.text
    entry = ao.http.get(f"/su/{r.json()['id']}", params={"process-id": other}).json()
    assert entry["message"] is None  # an assignment: the message stays in its target's log
    # ... but an item that is not scheduled anywhere here only by the owner
    loose = create(signer=attacker.signer, data="x", target=target, tags=ao_tags("Message"))
    assert ao.http.post("/tx/arweave", content=loose.to_bytes()).status_code == 200
    r = ao.http.post("/mu", params={"process-id": other, "assign": loose.id})
    assert r.status_code == 403 and "not scheduled" in r.json()["error"]
    r = ao.http.post("/mu", params={"process-id": other, "assign": "Q" * 43})
    assert r.status_code == 404


def test_outbox_assignments_follow_the_same_rule(ao: Ao, attacker: Ao) -> None:
    victim = ao.spawn()
    mine = attacker.spawn()
    attacker.eval(mine, FORGED_SPAWN.format(node=ao.node_address, owner=ao.signer.address))
    child = _child_of(attacker, mine)
    res = attacker.eval(mine, f"Assign({{ Processes = {{ '{victim}' }}, Message = '{child}' }})")
    assert res["Assignments"], res
    ao.drain()
    assert len(ao.http.get(f"/su/{victim}").json()["edges"]) == 1  # refused: only the spawn


def _control(signer: Ed25519Signer, pid: str, anchor: str = "0" * 32) -> bytes:
    item: DataItem = create(signer=signer, data=" ", target=pid, anchor=anchor)
    return item.to_bytes()


def test_monitor_and_unmonitor_need_the_owners_signature_once(ao: Ao) -> None:
    pid = ao.spawn()
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    stranger = Ed25519Signer.generate()
    url = f"/mu/monitor/{pid}"
    for method in ("POST", "DELETE"):
        r = ao.http.request(method, url)
        assert r.status_code == 400 and "signed by the process owner" in r.json()["error"]
        r = ao.http.request(method, url, content=b"junk")
        assert r.status_code == 400
        r = ao.http.request(method, url, content=_control(stranger, pid))
        assert r.status_code == 403 and "only the owner" in r.json()["error"]
        r = ao.http.request(method, url, content=_control(ao.signer, "W" * 43))
        assert r.status_code == 400 and "target" in r.json()["error"]
    assert node.store.monitored() == []
    first = _control(ao.signer, pid)
    assert ao.http.post(url, content=first).text == "Monitoring process"
    assert node.store.monitored() == [pid]
    r = ao.http.request("DELETE", url, content=first)  # the same item again: a replay
    assert r.status_code == 409 and "already used" in r.json()["error"]
    assert node.store.monitored() == [pid]
    gone = ao.http.request("DELETE", url, content=_control(ao.signer, pid, "1" * 32))
    assert gone.text == "Process deleted" and node.store.monitored() == []
    r = ao.http.post(f"/mu/monitor/{'Z' * 43}", content=_control(ao.signer, "Z" * 43))
    assert r.status_code == 404


def test_a_spawn_names_a_module_and_a_scheduler_of_this_node(ao: Ao) -> None:
    def spawn(module: str, scheduler: str) -> Any:
        tags = ao_tags("Process", [("Module", module), ("Scheduler", scheduler)])
        return ao.http.post("/mu", content=create(signer=ao.signer, tags=tags).to_bytes())

    r = spawn("M" * 43, ao.su_address)
    assert r.status_code == 400 and "tag Module" in r.json()["error"]
    r = spawn(ao.su_address, ao.su_address)  # an item that is no module
    assert r.status_code == 400 and "tag Module" in r.json()["error"]
    r = spawn(AOS_MODULE_ID, "S" * 43)
    assert r.status_code == 400 and "tag Scheduler" in r.json()["error"]
    assert ao.su_address in r.json()["error"]
    assert spawn(AOS_MODULE_ID, AOS_LEGACY_SCHEDULER).status_code == 202  # routed here
    assert spawn(AOS_MODULE_ID, ao.su_address).status_code == 202
    # from an outbox: logged and skipped, the parent goes on
    parent = ao.spawn()
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    before = len(node.store.process_ids())
    res = ao.eval(parent, "ao.spawn('" + "M" * 43 + "', {}) return 1")
    assert res["Spawns"]
    ao.drain()
    assert ao.value(parent, "return 1 + 1") == "2"
    assert len(node.store.process_ids()) == before
