"""The compute unit's replay reads: `/dry-run?to-nonce=N|to=ID` and cheap cold rebuilds.

A counter process (n = 1, 2, 3 at nonces 1, 2, 3) is read at earlier nonces over HTTP and
through AoClient; nothing may be stored and the cached runtime must not move. A cold
rebuild must not write stored results again, and must say so loudly when a stored hash
differs from the replayed one.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from aos.client import AoClient
from aos.errors import ClientError, NodeRejected
from aos.node.http.embedded import EmbeddedClient
from aos.node.units.node import Node
from tests.support.ao import Ao
from tests.support.serving import Served

BASE = "http://aos.local"
COUNT = "n = (n or 0) + 1; return n"


def node_of(ao: Ao) -> Node:
    assert isinstance(ao.http, EmbeddedClient)
    node: Node = ao.http.app.node
    return node


def counter(ao: Ao) -> tuple[str, list[str]]:
    """A process whose n is k right after the message at nonce k (k = 1..3)."""
    pid = ao.spawn()
    ids = []
    for k in (1, 2, 3):
        mid = ao.send(pid, COUNT)
        assert ao.result(pid, mid)["Output"]["data"] == str(k)
        ids.append(mid)
    return pid, ids


def read_at(ao: Ao, pid: str, code: str, **params: str) -> httpx.Response:
    body = {
        "Owner": ao.signer.address,
        "Target": pid,
        "Data": code,
        "Tags": [{"name": "Action", "value": "Eval"}],
    }
    return ao.http.post("/cu/dry-run", params={"process-id": pid, **params}, json=body)


def test_dry_run_at_a_nonce_sees_the_state_after_that_message(ao: Ao) -> None:
    pid, ids = counter(ao)
    node = node_of(ao)
    cached = node.cu.states.live(pid)
    assert cached is not None
    stored = len(node.store.results(pid))

    for nonce in (1, 3, 2):
        r = read_at(ao, pid, "return n", **{"to-nonce": str(nonce)})
        assert r.status_code == 200, r.text
        assert r.json()["Output"]["data"] == str(nonce)
    # `to` is a message id, meaning that message's nonce (the reference CU's `to`)
    r = read_at(ao, pid, "return n", to=ids[0])
    assert r.status_code == 200 and r.json()["Output"]["data"] == "1"
    # at nonce 0 (the spawn) n was never set
    r = read_at(ao, pid, "return type(n)", **{"to-nonce": "0"})
    assert r.status_code == 200 and r.json()["Output"]["data"] == "nil"
    # a read that changes state changes nothing that is kept
    r = read_at(ao, pid, "n = 100; return n", **{"to-nonce": "1"})
    assert r.json()["Output"]["data"] == "100"

    assert len(node.store.results(pid)) == stored  # nothing stored
    assert node.cu.states.live(pid) is cached  # the live runtime was not touched
    assert ao.value(pid, "return n") == "3"  # a later Eval sees the latest state


def test_bad_replay_points_are_4xx_naming_the_problem(ao: Ao) -> None:
    pid, _ = counter(ao)
    cases: list[tuple[dict[str, str], int, str]] = [
        ({"to-nonce": "-1"}, 400, "0 or more"),
        ({"to-nonce": "one"}, 400, "must be an integer"),
        ({"to-nonce": "99"}, 400, "last nonce is 3"),
        ({"to": "short"}, 400, "43-character"),
        ({"to": "A" * 43}, 404, "not scheduled"),
        ({"to-nonce": "1", "to": "A" * 43}, 400, "either"),
    ]
    for params, status, words in cases:
        r = read_at(ao, pid, "return n", **params)
        assert r.status_code == status, (params, r.text)
        assert words in r.json()["error"], (params, r.text)
    r = ao.http.post(
        "/cu/dry-run", params={"process-id": "B" * 43, "to-nonce": "1"}, json={"Tags": []}
    )
    assert r.status_code == 404 and "not on this node" in r.json()["error"]
    assert ao.value(pid, "return n") == "3"


def test_client_reads_at_a_nonce_with_the_usual_error_mapping(ao: Ao) -> None:
    pid, _ = counter(ao)
    client = AoClient(
        ao.http,
        mu_url=f"{BASE}/mu",
        cu_url=f"{BASE}/cu",
        gateway_url=BASE,
        wallet=ao.signer,
    )
    assert client.dry_eval(pid, "return n", to_nonce=2).data == "2"
    assert client.dry_eval(pid, "return n").data == "3"
    failed = client.dry_eval(pid, "error('boom')", to_nonce=1)
    assert failed.error is not None and "boom" in failed.error
    with pytest.raises(NodeRejected) as err:
        client.dry_eval(pid, "return n", to_nonce=7)
    assert err.value.status == 400 and "last nonce is 3" in str(err.value)
    with pytest.raises(ClientError, match="0 or more"):
        client.dryrun(pid, data="return n", to_nonce=-1)


def test_a_cold_rebuild_compares_stored_results_instead_of_writing_them(
    ao: Ao, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pid, _ = counter(ao)
    ao.drain()
    node = node_of(ao)
    writes: list[int] = []
    real_put = node.store.put_results

    def counting_put(results: Any, *rest: Any) -> None:
        writes.append(len(results))
        real_put(results, *rest)

    monkeypatch.setattr(node.store, "put_results", counting_put)
    node.cu.drop(pid)
    # (a dry-run replays on a throw-away evaluator; the live one is rebuilt by a tick)
    assert node.cu.tick(pid) == 4  # rebuilt by replay from nonce 0
    assert ao.peek(pid, "return n") == "3"
    assert writes == []

    # A stored hash that differs from the replay is reported, and the row is kept.
    conn = sqlite3.connect(node.store.path)
    with conn:
        conn.execute(
            "UPDATE results SET result_hash = 'tampered' WHERE process = ? AND ordinate = 2",
            (pid,),
        )
    conn.close()
    node.cu.drop(pid)
    with caplog.at_level(logging.ERROR, logger="aos.node.units.cu"):
        assert node.cu.tick(pid) == 4
    assert writes == []
    mismatch = [r.getMessage() for r in caplog.records if "MISMATCH" in r.getMessage()]
    assert len(mismatch) == 1 and "nonce 2" in mismatch[0] and "tampered" in mismatch[0]

    # Evaluations past the stored head are still written after a cold rebuild.
    node.cu.drop(pid)
    assert ao.value(pid, "return n") == "3"
    assert sum(writes) >= 1
    assert node.store.result_at_nonce(pid, 4) is not None


@pytest.mark.slow
def test_replay_reads_work_against_aos_serve(node_dir: Path) -> None:
    served = Served(node_dir)
    served.start()
    try:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            ao = Ao(http)
            pid, _ = counter(ao)
            client = AoClient(
                http,
                mu_url=f"{served.url}/mu",
                cu_url=f"{served.url}/cu",
                gateway_url=served.url,
                wallet=ao.signer,
            )
            assert client.dry_eval(pid, "return n", to_nonce=1).data == "1"
            with pytest.raises(NodeRejected) as err:
                client.dry_eval(pid, "return n", to_nonce=4)
            assert err.value.status == 400
            assert ao.value(pid, "return n") == "3"
    finally:
        served.stop()


def test_a_dry_run_on_the_live_state_is_undone_by_the_crank_or_the_next_message(
    ao: Ao,
) -> None:
    pid, _ = counter(ao)
    node = node_of(ao)
    # A dry-run that writes: answered at once, its changes undone later (aos.log.keeper).
    wrote = read_at(ao, pid, "n = 100; Seen = true; return n")
    assert wrote.status_code == 200 and wrote.json()["Output"]["data"] == "100"
    assert node.crank.drain()
    live = node.cu.states.live(pid)
    assert live is not None and not live.keeper._unsettled  # the crank settled it
    assert (
        read_at(ao, pid, "return tostring(n) .. tostring(Seen)").json()["Output"]["data"] == "3nil"
    )
    # Without the crank's help: the next message undoes it before it runs.
    node.cu.on_unsettled = None
    read_at(ao, pid, "n = 200")
    assert node.cu.states.live(pid).keeper._unsettled  # type: ignore[union-attr]
    mid = ao.send(pid, COUNT)
    assert ao.result(pid, mid)["Output"]["data"] == "4"
