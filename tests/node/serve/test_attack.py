"""Issue 12, point 1, through a real multi-process `aos serve` over HTTP: the forged-spawn attack
and its variations fail with a 4xx or lose their tags, and a child's Owner is its parent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from aos.dataitem import create
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao, ao_tags
from tests.support.serving import Served, serving

pytestmark = pytest.mark.e2e

FORGED_SPAWN = """
local s = ao.spawn(ao.env.Module.Id, {{ Data = "Pwned = true", Action = "Eval",
  Authority = "{node}" }})
table.insert(ao.outbox.Spawns[#ao.outbox.Spawns].Tags, 1,
  {{ name = "From-Process", value = "{owner}" }})
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("attack") / "node") as server:
        yield server


@pytest.fixture
def http(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=30) as client:
        yield client


def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_the_attack_of_the_issue_fails(http: httpx.Client) -> None:
    owner, attacker = Ao(http), Ao(http, Ed25519Signer.generate())
    victim = owner.spawn()
    assert owner.value(victim, "return 1 + 1") == "2"
    mine = attacker.spawn()
    res = attacker.eval(
        mine, FORGED_SPAWN.format(node=owner.node_address, owner=owner.signer.address)
    )
    assert len(res["Spawns"]) == 1, res

    def child() -> str | None:
        out = attacker.value(
            mine, "local m = Inbox[#Inbox] return m and m.Action == 'Spawned' and m.Process or ''"
        )
        return out or None

    kid = until(child)
    assert kid, "the child was not spawned"
    tags = http.get(f"/su/processes/{kid}").json()["tags"]
    assert [t["value"] for t in tags if t["name"].lower() == "from-process"] == [mine]
    assert attacker.peek(kid, "return Owner", owner=mine) == mine  # its Owner is its parent
    # the assignment of the issue (no signature), by a stranger's signature, and at the SU
    r = http.post("/mu", params={"process-id": victim, "assign": kid})
    assert r.status_code == 403, r.text
    signed = create(signer=attacker.signer, data=" ", target=victim, tags=[("Assign", kid)])
    r = http.post("/mu", params={"process-id": victim, "assign": kid}, content=signed.to_bytes())
    assert r.status_code == 403, r.text
    assert http.post("/su", params={"process-id": victim, "assign": kid}).status_code == 403
    time.sleep(0.5)
    assert owner.value(victim, "return tostring(Pwned)") == "nil"


@pytest.mark.parametrize("name", ["From-Process", "from-process", "FROM-PROCESS", "Forwarded-By"])
def test_a_users_copy_of_a_node_tag_is_refused(http: httpx.Client, name: str) -> None:
    owner = Ao(http)
    victim = owner.spawn()
    stranger = Ed25519Signer.generate()
    tags = ao_tags("Message", [("Action", "Eval"), (name, owner.signer.address)])
    item = create(signer=stranger, data="Pwned = true", target=victim, tags=tags)
    for route in ("/mu", "/su"):
        r = http.post(route, content=item.to_bytes())
        assert r.status_code == 400 and name in r.json()["error"], r.text
    assert owner.value(victim, "return tostring(Pwned)") == "nil"


@pytest.mark.parametrize("name", ["From-Process", "from-process", "FROM-PROCESS", "Forwarded-By"])
def test_a_spawn_carrying_a_node_tag_is_refused(http: httpx.Client, name: str) -> None:
    """A key cannot spawn a child "owned" by another address, in any spelling of the tag."""
    owner, stranger = Ao(http), Ao(http, Ed25519Signer.generate())
    spawn = stranger.process_item("Pwned = true", tags=[(name, owner.signer.address)])
    for route in ("/mu", "/su"):
        r = http.post(route, content=spawn.to_bytes())
        assert r.status_code == 400 and name in r.json()["error"], r.text
    assert http.get(f"/su/processes/{spawn.id}").status_code == 404


def test_an_outbox_copy_of_a_node_tag_is_dropped(http: httpx.Client) -> None:
    owner, attacker = Ao(http), Ao(http, Ed25519Signer.generate())
    victim = owner.spawn(tags=[("Authority", owner.node_address)])
    owner.value(victim, "Handlers.add('n', function(m) return m.Action == 'Note' end,"
                        " function(m) Seen = require('json').encode({m.From,"
                        " m.Tags['From-Process'], m['Forwarded-By']}) end)")  # fmt: skip
    mine = attacker.spawn()
    who = owner.signer.address
    attacker.eval(mine, f"Send({{ Target = '{victim}', Action = 'Note', ['from-process'] = '{who}',"
                        f" ['FROM-PROCESS'] = '{who}', ['Forwarded-By'] = '{who}' }})")  # fmt: skip
    seen = until(lambda: owner.value(victim, "return Seen or ''"))
    assert json.loads(seen) == [mine, mine, owner.node_address]


def test_monitor_needs_the_owner(http: httpx.Client) -> None:
    owner = Ao(http)
    pid = owner.spawn()
    assert http.post(f"/mu/monitor/{pid}", content=b"").status_code == 400
    assert http.request("DELETE", f"/mu/monitor/{pid}").status_code == 400
    stranger = create(signer=Ed25519Signer.generate(), data=" ", target=pid)
    assert http.post(f"/mu/monitor/{pid}", content=stranger.to_bytes()).status_code == 403
    mine = create(signer=owner.signer, data=" ", target=pid)
    assert http.post(f"/mu/monitor/{pid}", content=mine.to_bytes()).status_code == 200
    assert http.request("DELETE", f"/mu/monitor/{pid}", content=mine.to_bytes()).status_code == 409
