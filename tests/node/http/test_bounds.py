"""The gate of the routes that evaluate (aos.node.http.bounds), and dry-runs that leave the
live state alone (issue 12, point 5)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from aos.errors import Busy, NodeError, NotFound
from aos.node.http.bounds import EvaluationGate
from aos.node.http.embedded import open_embedded
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao


def test_the_gate_admits_per_process_and_in_all_then_says_busy() -> None:
    release = threading.Event()
    ran: list[str] = []

    def work(name: str) -> str:
        release.wait(10)
        ran.append(name)
        return name

    async def scenario() -> list[Any]:
        gate = EvaluationGate(threads=1, per_process=2, total=3)
        first = [asyncio.ensure_future(gate.run("A", "dry-run", lambda: work("a1"))),
                 asyncio.ensure_future(gate.run("A", "dry-run", lambda: work("a2")))]  # fmt: skip
        await asyncio.sleep(0.05)
        with pytest.raises(Busy, match="2 dry-runs of process A"):
            await gate.run("A", "dry-run", lambda: work("a3"))
        b = asyncio.ensure_future(gate.run("B", "dry-run", lambda: work("b1")))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy, match="3 evaluating requests"):
            await gate.run("C", "dry-run", lambda: work("c1"))
        release.set()
        done = await asyncio.gather(*first, b)
        assert gate._count == 0 and gate._running == {}
        again = await gate.run("A", "dry-run", lambda: work("a4"))  # room again
        return [*done, again]

    assert asyncio.run(scenario()) == ["a1", "a2", "b1", "a4"]
    assert sorted(ran) == ["a1", "a2", "a4", "b1"]


def test_a_busy_answer_is_503_with_retry_after(ao: Ao) -> None:
    pid = ao.spawn()
    gate: EvaluationGate = ao.http.app.state.gate  # type: ignore[attr-defined]
    gate.per_process = 0  # every evaluating request of this app is now one too many
    body = {"Tags": [{"name": "Action", "value": "Eval"}], "Data": "return 1"}
    for method, path, kwargs in (
        ("POST", "/cu/dry-run", {"params": {"process-id": pid}, "json": body}),
        ("GET", f"/cu/state/{pid}", {}),
        ("GET", f"/cu/cron/{pid}", {}),
    ):
        r = ao.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 503 and r.headers["retry-after"] == "1", (path, r.text)
        assert "retry" in r.json()["error"]
    assert ao.http.get(f"/cu/results/{pid}").status_code == 200  # other routes: not gated


def test_a_dry_run_keeps_the_live_state_warm(ao: Ao) -> None:
    pid = ao.spawn()
    assert ao.value(pid, "x = 1 return x") == "1"
    node: Any = ao.http.app.state.node  # type: ignore[attr-defined]
    live = node.cu.states.live(pid)
    before = live.last_nonce
    assert ao.peek(pid, "x = 99 return x") == "99"
    assert node.cu.states.live(pid) is live and live.last_nonce == before  # untouched, kept
    assert ao.value(pid, "return x") == "1"


def test_a_dry_run_that_fills_the_memory_never_leaves_the_state_changed(ao: Ao) -> None:
    """A stranger's dry-run that grows the state to its memory cap: the answer is an
    Error, and the process's state is what its log gives, whatever the dry-run did."""
    pid = ao.spawn(tags=[("Memory-Limit", "16-mb")])
    assert ao.value(pid, "x = 1 return x") == "1"
    bomb = "x = 2; Big = {} for i = 1, 1e9 do Big[i] = string.rep('z', 64) .. i end"
    r = ao.http.post(f"/cu/dry-run?process-id={pid}", json={
        "Owner": ao.signer.address, "Tags": [{"name": "Action", "value": "Eval"}], "Data": bomb,
    })  # fmt: skip
    assert r.status_code == 200 and r.json().get("Error"), r.text[:300]
    assert ao.peek(pid, "return tostring(x) .. ' ' .. tostring(Big)") == "1 nil"
    assert ao.value(pid, "return x + 1") == "2"


def test_dry_runs_in_their_own_os_process_survive_its_end(node_dir: Path) -> None:
    """aos serve's Replica: a dry-run runs in a niced child; if the child dies, that
    request is a 503 to retry and the next one gets a new child."""
    from aos.node.http.replica import Replica

    owner = Ed25519Signer.generate()
    with open_embedded(node_dir) as http:
        ao = Ao(http, owner)
        pid = ao.spawn()
        ao.value(pid, "x = 5")
    body = {
        "Owner": owner.address,
        "Data": "return x",
        "Tags": [{"name": "Action", "value": "Eval"}],
    }

    async def scenario() -> None:
        replica = Replica(node_dir)
        try:
            first = await replica.run(pid, body, None)
            assert first["Output"]["data"] == "5"
            assert (await replica.run(pid, body, 0))["Output"]["data"] == ""  # before x = 5
            with pytest.raises(NotFound):
                await replica.run("Z" * 43, body, None)
            with pytest.raises(NodeError, match="beyond the log"):
                await replica.run(pid, body, 99)
            pool: Any = replica._pool
            for child in list(pool._processes.values()):
                os.kill(child.pid, signal.SIGKILL)
            with pytest.raises(Busy, match="retry"):
                await replica.run(pid, body, None)
            again = await replica.run(pid, body, None)
            assert again["Output"]["data"] == "5"
        finally:
            replica.close()

    asyncio.run(scenario())
