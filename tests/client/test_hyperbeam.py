"""HyperBeamClient against httpx.MockTransport handlers: the requests it sends (as aoconnect's
mainnet mode sends them), how it reads slots and results, its live-feed paging, its errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
import pytest

from aos import dataitem
from aos.client import HyperBeamClient
from aos.client.hyperbeam import slot_after
from aos.errors import ClientError, NodeRejected
from aos.wallet import Wallet

Handler = Callable[[httpx.Request], httpx.Response]
PID = dataitem.b64url_encode(bytes(range(32)))
NODE = dataitem.b64url_encode(bytes(range(1, 33)))
URL = "http://hb.test"


@pytest.fixture(scope="session")
def wallet() -> Wallet:
    return Wallet.generate()


def make(handler: Handler, wallet: Wallet, **kw: object) -> HyperBeamClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HyperBeamClient(http, url=URL + "/", wallet=wallet, retry_delay=0, **kw)  # type: ignore[arg-type]


def result(data: str, print_: bool = False) -> dict[str, object]:
    return {"Output": {"data": data, "prompt": "p> ", "print": print_}, "Messages": []}


def test_spawn_is_a_signed_process_item_posted_to_push(wallet: Wallet) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/~meta@1.0/info/address":
            return httpx.Response(200, text=NODE)
        return httpx.Response(200, json={}, headers={"process": PID})

    client = make(handler, wallet)
    assert client.cu_address() == client.scheduler_address() == NODE
    tags = [("Name", "demo"), ("Authority", NODE), ("Authority", "L" * 43)]
    assert client.spawn(module="M" * 43, scheduler=NODE, tags=tags, data="boot") == PID
    post = seen[-1]
    assert (post.method, str(post.url)) == ("POST", f"{URL}/push")
    assert post.headers["content-type"] == "application/ans104"
    assert post.headers["codec-device"] == "ans104@1.0"
    item = dataitem.parse(post.content)
    assert item.verify() and item.target is None and item.data == b"boot"
    got = dict(item.tags)
    assert got["Authority"] == f"{NODE},{'L' * 43}"  # one tag: a node reads a map
    assert [n for n, _ in item.tags].count("Authority") == 1
    assert got["device"] == "process@1.0" and got["execution-device"] == "genesis-wasm@1.0"
    assert (got["Module"], got["Scheduler"]) == ("M" * 43, NODE)
    assert [n for n, _ in item.tags][-3:] == ["Data-Protocol", "Type", "Variant"]
    assert (got["Type"], got["Variant"]) == ("Process", "ao.N.1")
    assert len([r for r in seen if r.url.path.startswith("/~meta")]) == 1  # asked once


def test_flags_override_the_node_address_and_a_bad_address_is_refused(wallet: Wallet) -> None:
    client = make(lambda r: httpx.Response(200, text="<html>"), wallet, authority="A" * 43)
    assert client.cu_address() == "A" * 43
    with pytest.raises(NodeRejected, match="not an address"):
        client.scheduler_address()


def test_eval_pushes_then_reads_the_result_of_its_slot_unsigned(wallet: Wallet) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/push"):
            return httpx.Response(200, json={"slot": "7", "process": PID})
        return httpx.Response(200, json={"slot": 7, "raw": result("42")})

    client = make(handler, wallet)
    message, res = client.eval(PID, "1 + 41")
    push, read = seen
    assert str(push.url) == f"{URL}/{PID}~process@1.0/push"
    item = dataitem.parse(push.content)
    assert item.id == message and item.target_id == PID and item.data == b"1 + 41"
    assert dict(item.tags)["Action"] == "Eval" and dict(item.tags)["Type"] == "Message"
    assert dict(item.tags)["require-codec"] == "application/json"
    assert (read.method, str(read.url)) == ("GET", f"{URL}/{PID}~process@1.0/compute/results=7")
    assert read.content == b""  # reads are not signed
    assert res.data == "42" and res.prompt == "p> "


def test_a_result_of_an_unknown_message_is_read_by_its_id(wallet: Wallet) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"raw": result("x")})

    make(handler, wallet).result("I" * 43, PID)
    assert paths == [f"/{PID}~process@1.0/compute/results={'I' * 43}"]


def test_an_empty_result_is_read_again(wallet: Wallet) -> None:
    answers = [{"raw": {}}, {"raw": {}}, {"raw": result("late")}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    assert make(handler, wallet).result("I" * 43, PID).data == "late"


def test_answers_without_a_slot_or_a_process_are_clear_errors(wallet: Wallet) -> None:
    client = make(lambda r: httpx.Response(200, json={"ok": True}), wallet)
    with pytest.raises(NodeRejected, match="without a slot"):
        client.message(PID, data="1")
    with pytest.raises(NodeRejected, match="without a process id"):
        client.spawn(module="M" * 43, scheduler=NODE, tags=[])
    failing = make(lambda r: httpx.Response(404, json={"error": "no such process"}), wallet)
    with pytest.raises(NodeRejected, match="answered 404: no such process"):
        failing.message(PID, data="1")
    with pytest.raises(ClientError, match="not part of the HyperBEAM"):
        client.assign(PID, "I" * 43)


def test_identical_messages_and_spawns_are_distinct_items() -> None:
    # Ed25519 signatures are deterministic, so identical items would have one id; a fresh
    # 32-byte anchor on each makes the second message a message of its own.
    from aos.wallet import Ed25519Signer

    pushed: list[dataitem.DataItem] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/push"):
            pushed.append(dataitem.parse(request.content))
            return httpx.Response(200, json={"slot": "7", "process": PID}, headers={"process": PID})
        return httpx.Response(200, text=NODE)

    client = make(handler, Ed25519Signer.generate())  # type: ignore[arg-type]
    client.message(PID, data="same", tags=[("Action", "Inc")])
    client.message(PID, data="same", tags=[("Action", "Inc")])
    for _ in range(2):
        client.spawn(module="M" * 43, scheduler=NODE, tags=[("Name", "twin")], data="boot")
    assert len({item.id for item in pushed}) == 4
    assert all(item.anchor is not None and len(item.anchor) == 32 for item in pushed)


def test_results_read_every_slot_after_the_cursor(wallet: Wallet) -> None:
    reads: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/slot/current"):
            return httpx.Response(200, text="12")
        slot = request.url.path.rsplit("=", 1)[1]
        reads.append(slot)
        return httpx.Response(200, json={"raw": result(f"s{slot}", print_=True)})

    client = make(handler, wallet, page=5)
    assert client.latest_cursor(PID) == "12"
    edges = list(client.iter_results(PID, after="3"))
    assert [e.cursor for e in edges] == [str(s) for s in range(4, 13)]  # a burst, all of it
    assert [e.result.data for e in edges][:2] == ["s4", "s5"]
    reads.clear()
    newest = client.results(PID, sort="DESC", limit=1)
    assert [e.cursor for e in newest.edges] == ["12"] and reads == ["12"]
    assert client.results(PID, after="12").edges == []
    legacy = base64.b64encode(json.dumps({"timestamp": 1, "ordinate": "10"}).encode()).decode()
    assert [e.cursor for e in client.results(PID, after=legacy).edges] == ["11", "12"]


def test_slot_after_reads_slots_and_legacy_cursors() -> None:
    assert slot_after("5") == 5
    cursor = base64.b64encode(json.dumps({"ordinate": "3", "sort": "ASC"}).encode()).decode()
    assert slot_after(cursor) == 3
    with pytest.raises(ClientError, match="neither a slot"):
        slot_after("garbage!")


def test_dryrun_puts_the_tags_in_the_path_and_signs_the_message(wallet: Wallet) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"raw": result("1000")})

    tags = [("Action", "Eval"), ("Odd", "a/b&c")]
    res = make(handler, wallet).dryrun(PID, data="return x", tags=tags, to_nonce=3)
    request = seen[0]
    assert request.method == "POST"
    assert request.url.raw_path.decode().startswith(
        f"/{PID}~process@1.0/as=execution/compute&Action=Eval&Odd=a%2Fb%26c"
    )
    assert request.url.params["to-nonce"] == "3"
    item = dataitem.parse(request.content)
    assert item.verify() and item.data == b"return x" and item.target_id == PID
    assert res.data == "1000"


def test_monitor_and_unmonitor_use_the_cron_device(wallet: Wallet) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="task-1" if request.url.path.endswith("every") else "")

    client = make(handler, wallet)
    client.monitor(PID)
    client.unmonitor(PID)
    every, stop = seen
    assert every.url.path == "/~cron@1.0/every"
    assert every.url.params["cron-path"] == f"/{PID}~process@1.0/now"
    assert stop.url.path == "/~cron@1.0/stop" and stop.url.params["task"] == "task-1"
    assert dataitem.parse(every.content).verify()


def test_a_node_without_graphql_finds_no_process_by_name(wallet: Wallet) -> None:
    client = make(lambda r: httpx.Response(404, text="not found"), wallet)
    assert client.find_processes("demo") == []
    assert client.process_known(PID) is False
