"""Nothing acknowledged is lost: a SIGKILLed `aos serve`, and two OS processes on one directory."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aos.dataitem import b64url_decode, b64url_encode, create
from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash
from aos.node.http.embedded import open_embedded
from aos.node.store import Store
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao, ao_tags
from tests.support.serving import Served

COUNTER = (
    "Handlers.add('count', function(m) return m.Action == 'Count' end,"
    " function(m) Count = (Count or 0) + 1 end)"
)


def spawn_counter(http: httpx.Client, signer: Ed25519Signer, code: str = COUNTER) -> str:
    node_address = http.get("/cu/").json()["address"]
    su = http.get("/su/").json()["address"]
    item = create(
        signer=signer,
        data=code,
        tags=ao_tags(
            "Process",
            [
                ("On-Boot", "Data"),
                ("Authority", node_address),
                ("Module", "ISShJH1ij-hPPt9St5UFFr_8Ys3Kj5cyg7zrMGt7H9s"),
                ("Scheduler", su),
            ],
        ),
    )
    assert http.post("/mu", content=item.to_bytes()).status_code == 202
    return item.id


def log_of(store: Store, pid: str) -> list[Any]:
    entries = store.entries(pid, -1, None, 1 << 30)
    return entries


def check_log(store: Store, pid: str) -> list[str]:
    """Nonces gap-free from 0 and the hash chain (docs/protocol.md §3.2.6) intact; returns the
    message ids."""
    entries = log_of(store, pid)
    assert [e.nonce for e in entries] == list(range(len(entries)))
    assert entries[0].message_id == pid
    expect = b64url_encode(hashlib.sha256(b64url_decode(pid)).digest())
    for prev, e in zip([None, *entries], entries, strict=False):
        if prev is not None:
            data = b64url_decode(prev.assignment_id) + b64url_decode(prev.hash_chain)
            expect = b64url_encode(hashlib.sha256(data).digest())
            assert e.timestamp > prev.timestamp
        assert e.hash_chain == expect, e.nonce
    return [e.message_id for e in entries[1:]]


def check_result_chain(store: Store, pid: str) -> None:
    chain = GENESIS_CHAIN
    for row in store.results(pid):
        assert result_hash(row.result) == row.result_hash, row.position
        chain = chain_hash(chain, row.result_hash)
        assert chain == row.chain_hash, row.position


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("mode", [["--workers", "2"], ["--single-process"]])
def test_sigkill_halfway_loses_nothing_acknowledged(node_dir: Path, mode: list[str]) -> None:
    """With workers only the supervisor (the one writer) is killed; its workers and
    evaluating process must end by themselves so that the restart can take the port."""
    served = Served(node_dir, args=mode)
    served.start()
    signer = Ed25519Signer.generate()
    try:
        with httpx.Client(base_url=served.url) as http:
            pid = spawn_counter(http, signer)
        items = [
            create(
                signer=signer,
                data=str(i),
                target=pid,
                tags=ao_tags("Message", [("Action", "Count")]),
            )
            for i in range(2000)
        ]
        acked: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + 120

        def post(share: list[Any]) -> None:
            with httpx.Client(base_url=served.url, timeout=10) as http:
                for item in share:
                    while time.monotonic() < deadline:  # retry until the node takes it
                        try:
                            r = http.post("/mu", content=item.to_bytes())
                        except httpx.HTTPError:
                            time.sleep(0.05)
                            continue
                        if r.status_code == 202:
                            with lock:
                                acked.append(r.json()["id"])
                            break
                        time.sleep(0.05)

        threads = [threading.Thread(target=post, args=(items[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        while len(acked) < 1000 and time.monotonic() < deadline:
            time.sleep(0.005)
        served.kill()
        killed_at = len(acked)
        time.sleep(0.3)
        served.start()
        for t in threads:
            t.join()
        assert 0 < killed_at < 2000
        assert sorted(acked) == sorted(i.id for i in items)  # every message acknowledged once
        with httpx.Client(base_url=served.url, timeout=60) as http:
            latest = http.get(f"/su/{pid}/latest").json()["message"]["id"]
            assert (
                "Error" not in http.get(f"/cu/result/{latest}", params={"process-id": pid}).json()
            )
            count = http.post(
                "/cu/dry-run",
                params={"process-id": pid},
                json={
                    "Owner": signer.address,
                    "Target": pid,
                    "Data": "return Count",
                    "Tags": [{"name": "Action", "value": "Eval"}],
                },
            ).json()
        assert count["Output"]["data"] == "2000"
    finally:
        served.stop()
    store = Store(node_dir)
    logged = check_log(store, pid)
    assert len(logged) == len(set(logged)) == 2000
    assert set(logged) == set(acked)
    check_result_chain(store, pid)


WORKER = """
import sys
from pathlib import Path
from aos.dataitem import create
from aos.node.http.embedded import open_embedded
from aos.wallet import Ed25519Signer
data_dir, pid, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
first, count = int(sys.argv[4]), int(sys.argv[5])
signer = Ed25519Signer.from_private_bytes(key)
tags = [("Action", "Count"), ("Data-Protocol", "ao"), ("Variant", "ao.TN.1"), ("Type", "Message")]
items = [
    create(signer=signer, data=str(i), target=pid, tags=tags) for i in range(first, first + count)
]
with open_embedded(Path(data_dir)) as c:
    for item in items:
        r = c.post("/mu", content=item.to_bytes())
        assert r.status_code == 202, r.text
    assert c.app.state.node.crank.drain(120)
print("done")
"""


@pytest.mark.slow
def test_two_os_processes_share_one_directory(node_dir: Path) -> None:
    signer = Ed25519Signer.generate()
    with open_embedded(node_dir) as c:
        ao = Ao(c, signer)
        sink = ao.spawn(tags=[("Role", "sink")])
        ao.value(
            sink,
            "Handlers.add('tick', function(m) return m.Action == 'Tick' end,"
            " function(m) Ticks = (Ticks or 0) + 1 end)",
        )
        forward = (
            "Handlers.add('count', function(m) return m.Action == 'Count' end, function(m)"
            f" Count = (Count or 0) + 1; Send({{Target = '{sink}', Action = 'Tick'}}) end)"
        )
        pid = spawn_counter(c, signer, forward)
        ao.result(pid, pid)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(node_dir),
                pid,
                signer.private_bytes().hex(),
                str(first),
                "500",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for first in (0, 500)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-3000:]
    with open_embedded(node_dir) as c:
        ao = Ao(c, signer)
        ao.drain()
        assert ao.peek(pid, "return Count") == "1000"
        assert ao.peek(sink, "return Ticks") == "1000"  # every push delivered exactly once
        store: Store = c.app.state.node.store
        logged = check_log(store, pid)
        assert len(logged) == len(set(logged)) == 1000
        pushed = check_log(store, sink)[1:]  # after the Eval that added the handler
        assert len(pushed) == len(set(pushed)) == 1000
        check_result_chain(store, pid)
        check_result_chain(store, sink)
