"""The HyperBEAM routes through the real ASGI app (embedded node): what the aos console and
aoconnect's mainnet mode send, one log shared with the legacy routes, and the worst inputs."""

from __future__ import annotations

import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aos.dataitem import create
from aos.node.units.node import Node
from tests.support.ao import Ao
from tests.support.hyperbeam import HEADERS, Hb, hb_tags


@pytest.fixture
def hb(client: httpx.Client) -> Hb:
    return Hb(client)


def _node(client: httpx.Client) -> Node:
    node: Node = client.app.state.node  # type: ignore[attr-defined]
    return node


def test_meta_info_address_is_the_node_wallet_as_text(hb: Hb, ao: Ao) -> None:
    r = hb.http.get("/~meta@1.0/info/address")
    assert r.status_code == 200 and r.text == ao.node_address
    assert r.headers["content-type"].startswith("text/plain")
    signed = hb.http.post(
        "/~meta@1.0/info/address", content=hb.read_item().to_bytes(), headers=HEADERS
    )
    assert signed.text == ao.node_address
    info = hb.http.get("/~meta@1.0/info").json()
    assert (info["address"], info["scheduler"]) == (ao.node_address, ao.su_address)


def test_spawn_message_compute_and_slots(hb: Hb) -> None:
    item = hb.process_item("demo")
    r = hb.http.post("/push", content=item.to_bytes(), headers=HEADERS)
    assert r.status_code == 200 and r.headers["process"] == item.id
    assert r.json() == {"process": item.id, "slot": 0, "id": item.id}
    pid = item.id
    boot = hb.compute(pid, 0)
    assert "prompt" in boot["Output"] and "Error" not in boot
    assert hb.push(pid, "x = 41") == 1
    slot = hb.push(pid, "return x + 1")
    assert slot == 2 and hb.current(pid) == 2
    assert hb.compute(pid, slot)["Output"]["data"] == "42"
    # every spelling of "the result of slot 2": results=<slot>, results=<id>, compute&slot=
    mid = _node(hb.http).store.entries(pid, 1, 2, 1)[0].message_id
    for path in (
        f"/{pid}/compute/results=2",
        f"/{pid}~process@1.0/compute/results={mid}",
        f"/{pid}~process@1.0/compute&slot=2",
        f"/{pid}~process@1.0/compute=2",
        f"/{pid}~process@1.0/compute?slot=2",
    ):
        got = hb.http.get(path)
        assert got.status_code == 200, (path, got.text)
        assert got.json()["slot"] == 2 and got.json()["raw"]["Output"]["data"] == "42"
    assert hb.http.get(f"/{pid}~process@1.0/slot").json() == {"process": pid, "current": 2}
    now = hb.http.get(f"/{pid}~process@1.0/now").json()
    assert now["slot"] == 2 and now["raw"]["Output"]["data"] == "42"


def test_one_log_for_both_protocols(hb: Hb, client: httpx.Client) -> None:
    ao = Ao(client, hb.signer)
    pid = hb.spawn()
    assert hb.push(pid, "n = 1") == 1
    legacy = ao.send(pid, "n = n + 1; return n")  # slot 2, through POST /mu
    assert hb.push(pid, "n = n * 10; return n") == 3
    assert ao.result(pid, legacy) == hb.compute(pid, 2)
    assert ao.value(pid, "return n") == "20"  # slot 4, legacy again
    page = client.get(f"/su/{pid}").json()["edges"]
    nonces = [int(next(t["value"] for t in e["node"]["assignment"]["tags"] if t["name"] == "Nonce"))
              for e in page]  # fmt: skip
    assert nonces == [0, 1, 2, 3, 4]
    # the legacy client sees the HyperBEAM spawn like any other process
    assert client.get(f"/su/processes/{pid}").json()["process_id"] == pid


def test_a_duplicate_push_gets_the_same_slot(hb: Hb) -> None:
    pid = hb.spawn()
    item = hb.message_item(pid, "return 1")
    slots = [
        hb.http.post(f"/{pid}/push", content=item.to_bytes(), headers=HEADERS).json()["slot"]
        for _ in range(3)
    ]
    assert slots == [1, 1, 1] and hb.current(pid) == 1


def test_a_tampered_body_is_refused_and_nothing_is_stored(hb: Hb, client: httpx.Client) -> None:
    pid = hb.spawn()
    item = hb.message_item(pid, "x = 'evil'")
    raw = bytearray(item.to_bytes())
    raw[-1] ^= 0x01  # one bit of the data
    r = hb.http.post(f"/{pid}~process@1.0/push", content=bytes(raw), headers=HEADERS)
    assert r.status_code == 400 and "does not verify" in r.json()["error"]
    spawn = hb.process_item("evil").to_bytes()
    spawn = spawn.replace(b"evil", b"evim")  # a tag value (the data is empty)
    r = hb.http.post("/push", content=spawn, headers=HEADERS)
    assert r.status_code == 400 and "does not verify" in r.json()["error"]
    store = _node(client).store
    assert hb.current(pid) == 0 and store.item(item.id) is None
    assert len(store.process_ids()) == 1
    bad_read = bytearray(hb.read_item(pid).to_bytes())
    bad_read[-1] ^= 0x01
    r = hb.http.post(f"/{pid}/compute/results=0", content=bytes(bad_read), headers=HEADERS)
    assert r.status_code == 400 and "does not verify" in r.json()["error"]


def test_pushes_that_do_not_fit_their_path_are_refused(hb: Hb) -> None:
    pid = hb.spawn()
    other = hb.spawn("other")
    cases = [
        (f"/{pid}/push", hb.process_item("x").to_bytes(), 400, "only a Type=Message"),
        (f"/{pid}/push", hb.message_item(other, "1").to_bytes(), 400, "not the process"),
        (f"/{pid}/push", b"", 400, "it is empty"),
        (f"/{pid}/push", b"not an item", 400, "not an ANS-104"),
        ("/push", b"", 400, "it is empty"),
    ]
    no_target = create(signer=hb.signer, data="1", tags=hb_tags("Message", []))
    cases.append(("/push", no_target.to_bytes(), 400, "no target"))
    untyped = create(signer=hb.signer, data="1", target=pid, tags=[("Data-Protocol", "ao")])
    cases.append((f"/{pid}/push", untyped.to_bytes(), 400, "Type tag"))
    for path, body, status, words in cases:
        r = hb.http.post(path, content=body, headers=HEADERS)
        assert r.status_code == status and words in r.json()["error"], (path, r.text)
    assert hb.current(pid) == 0 and hb.current(other) == 0
    assert hb.http.get(f"/{pid}/push").status_code == 405
    json_body = hb.http.post(
        f"/{pid}/push", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert json_body.status_code == 415 and "ANS-104" in json_body.json()["error"]


def test_bad_paths_are_clear_4xx(hb: Hb) -> None:
    pid = hb.spawn()
    unknown = "A" * 43
    cases = [
        (f"/{pid}~wasm64@1.0/now", 404, "device 'wasm64@1.0'"),
        (f"/{pid}~process@1.0/snapshot", 404, "no such key snapshot"),
        (f"/{unknown}/slot/current", 404, "not on this node"),
        (f"/{unknown}~process@1.0/compute/results=0", 404, "not on this node"),
        (f"/{pid}/compute/results=9", 404, "slot 9 is not scheduled"),
        (f"/{pid}/compute/results=-1", 400, "a slot is a number"),
        (f"/{pid}/compute/results=99999999999999999999", 400, "out of range"),
        (f"/{pid}/compute/results={unknown}", 404, "is not scheduled"),
        (f"/{pid}/compute", 400, "compute needs a slot"),
        (f"/{pid}/compute/foo=1", 404, "compute takes /results"),
        ("/~meta@1.0/routes", 404, "no such path"),
        ("/~cron@1.0/every", 405, "POST it"),
        ("/nothing~x@1.0/now", 404, "not a 43-character"),
        ("/push/more", 404, "not a 43-character"),
        (f"/{pid}/" + "/".join(["k"] * 20), 400, "segments"),
        (f"/{pid}/now?" + "&".join(f"k{i}=1" for i in range(100)), 400, "parameters"),
        (f"/{pid}/" + "x" * 9000, 414, "over 8192 bytes"),
    ]
    for path, status, words in cases:
        r = hb.http.get(path)
        assert r.status_code == status and words in r.json()["error"], (path, r.text)
    assert hb.http.request("PUT", f"/{pid}/now").status_code == 405
    too_big = hb.http.post(
        f"/{pid}/push", content=b"x" * 100, headers={"Content-Length": str(1 << 40)}
    )
    assert too_big.status_code == 413


def test_the_legacy_routes_and_the_gateway_are_untouched(hb: Hb) -> None:
    pid = hb.spawn()
    ao = Ao(hb.http, hb.signer)
    assert ao.http.get("/info").status_code == 200
    assert ao.http.get(f"/raw/{pid}").status_code == 200  # the gateway's data route
    assert ao.http.get(f"/{pid}").status_code == 200  # one segment: still the gateway
    assert ao.value(pid, "return 1 + 1") == "2"


COLOR_HANDLER = """Handlers.add("color", function(m) return m.Action == "Color" end,
  function(m) print(m.Color .. (m.From == Owner and " from the owner" or " from " .. m.From))
end)"""


def test_dry_run_takes_tags_from_the_path_and_the_signer_as_owner(hb: Hb) -> None:
    pid = hb.spawn()
    hb.push(pid, "x = 5")
    r = hb.dry_run(pid, "x = 1000; return x")
    assert r.status_code == 200 and r.json()["raw"]["Output"]["data"] == "1000"
    assert hb.compute(pid, hb.push(pid, "return x"))["Output"]["data"] == "5"
    hb.push(pid, COLOR_HANDLER)
    who = hb.dry_run(pid, "", "&Action=Color&Color=bl%2Fue&From-Process=" + "B" * 43)
    assert who.json()["raw"]["Output"]["data"] == "bl/ue from the owner"
    before = hb.dry_run(pid, "return x", query="?to-nonce=0").json()["raw"]
    assert before["Output"]["data"] == ""  # before slot 1 ran, x was nil
    stranger = Hb(hb.http)
    refused = stranger.dry_run(pid, "return x").json()["raw"]  # Eval only trusts the owner
    assert "Output" not in refused or refused["Output"].get("data") != "5"
    assert hb.current(pid) == 3  # nothing was scheduled
    unsigned = hb.http.post(f"/{pid}~process@1.0/as=execution/compute&Action=Eval")
    assert unsigned.status_code == 400 and "signed" in unsigned.json()["error"]
    bad = hb.dry_run(pid, "return 1", query="?to-nonce=x")
    assert bad.status_code == 400 and "to-nonce" in bad.json()["error"]


def _control(who: Hb, pid: str) -> bytes:
    """A monitor request signed for `pid` (a fresh anchor: each item is taken once)."""
    return create(
        signer=who.signer, data=" ", target=pid, anchor=os.urandom(16).hex(),
        tags=hb_tags("Message", []),
    ).to_bytes()  # fmt: skip


def test_cron_every_and_stop_are_the_monitor(hb: Hb, client: httpx.Client) -> None:
    pid = hb.spawn()
    store = _node(client).store
    every = f"/~cron@1.0/every?cron-path=/{pid}~process@1.0/now&interval=1-minute"
    stranger = Hb(hb.http)
    # Only the owner starts and stops a process's crons (docs/threat-model.md).
    r = hb.http.post(every, content=_control(stranger, pid), headers=HEADERS)
    assert r.status_code == 403 and store.monitored() == []
    body = _control(hb, pid)
    r = hb.http.post(every, content=body, headers=HEADERS)
    assert r.status_code == 200 and r.text == pid and store.monitored() == [pid]
    stop = f"/~cron@1.0/stop?task={pid}"
    r = hb.http.post(stop, content=_control(stranger, pid), headers=HEADERS)
    assert r.status_code == 403 and store.monitored() == [pid]
    r = hb.http.post(stop, content=body, headers=HEADERS)
    assert r.status_code == 409 and store.monitored() == [pid]  # a used item is not taken again
    r = hb.http.post(stop, content=hb.read_item(hb.spawn("other")).to_bytes(), headers=HEADERS)
    assert r.status_code == 400 and "target" in r.json()["error"]  # signed for another process
    assert hb.http.post(stop, content=_control(hb, pid), headers=HEADERS).status_code == 200
    assert store.monitored() == []
    wrong = f"/~cron@1.0/every?cron-path=/{pid}~process@1.0/push&interval=1-minute"
    r = hb.http.post(wrong, content=_control(hb, pid), headers=HEADERS)
    assert r.status_code == 400 and "cron-path" in r.json()["error"]
    r = hb.http.post(
        f"/~cron@1.0/every?cron-path=/{pid}/now", content=_control(hb, pid), headers=HEADERS
    )
    assert r.status_code == 400 and "interval" in r.json()["error"]
    assert hb.http.post(every).status_code == 400  # unsigned
    assert store.monitored() == []


TOKENS = ["/", "~", "process@1.0", "meta@1.0", "cron@1.0", "info", "address", "compute",
          "results=", "now", "slot", "current", "push", "schedule", "as=execution", "&", "=",
          "?", "%", "%2F", "%zz", "0", "9", "-1", "x", "A" * 43, "\u00e9", ""]  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.sampled_from(TOKENS), max_size=14),
    method=st.sampled_from(["GET", "POST"]),
    body=st.sampled_from([b"", b"junk", b"\x01\x00" + b"\x00" * 100]),
)
def test_no_path_is_a_500(hb: Hb, parts: list[str], method: str, body: bytes) -> None:
    path = "/" + "".join(parts).lstrip("/")  # httpx refuses a relative "//…"
    r = hb.http.request(method, path, content=body, headers=HEADERS)
    assert r.status_code < 500, (path, r.text)
