"""Results computed from a warm runtime (the compute unit's in-memory state, kept across
messages) and from a cold rebuild after a restart chain into hashes that a replay from
nothing reproduces exactly.

A persisted Lua-state snapshot is not implemented (see aos/verify/__init__.py): the
in-memory runtime is the compute unit's only "snapshot", and this is its check.
"""

from __future__ import annotations

from pathlib import Path

from aos.node.http.embedded import open_embedded
from aos.protocol import AOS_MODULE_ID
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer
from tests.support.nodelog import client_for, settle


def _send(client: object, pid: str, start: int, count: int) -> None:
    for i in range(start, start + count):
        client.message(  # type: ignore[attr-defined]
            pid,
            data=f"T = T or {{}}; T['k{i % 7}'] = (T['k{i % 7}'] or 0) + {i}; "
            "local s = 0 for k, v in pairs(T) do s = s + v end return s",
            tags=[("Action", "Eval"), ("Seq", str(i))],
        )


def test_warm_then_cold_then_warm_results_match_a_replay_from_nothing(tmp_path: Path) -> None:
    signer = Ed25519Signer.generate()
    with open_embedded(tmp_path) as http:
        client = client_for(http, signer)
        pid = client.spawn(module=AOS_MODULE_ID, scheduler=client.scheduler_address(), tags=[])
        _send(client, pid, 0, 120)
        _, first = client.eval(pid, "return T.k3 -- first")
        settle(tmp_path)
    # A new node on the same directory: its runtime is rebuilt from the log, then continues.
    with open_embedded(tmp_path) as http:
        client = client_for(http, signer)
        _send(client, pid, 120, 120)
        _, second = client.eval(pid, "return T.k3 -- second")
        settle(tmp_path)
    assert int(second.data) > int(first.data) > 0
    report = verify_store(tmp_path, pid)
    assert report.ok, report.problem
    assert report.compared == report.replayed == 1 + 120 + 1 + 120 + 1
    assert report.final_hash == report.stored_final_hash
