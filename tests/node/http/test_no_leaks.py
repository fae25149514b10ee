"""No resource outlives its request: thousands of Eval round trips leave the open
descriptors, the threads and the memory of the node where they were after the first few
hundred (each read used to keep a SQLite connection of its own, forever)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from aos.client.ao import AoClient
from aos.node.http.embedded import open_embedded
from aos.protocol import AOS_MODULE_ID, CU_PATH, EMBEDDED_BASE_URL, MU_PATH, SU_PATH
from aos.wallet import Ed25519Signer
from tests.support.serving import Served


def _fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _client(http: object, base: str) -> AoClient:
    return AoClient(
        http,  # type: ignore[arg-type]
        mu_url=base + MU_PATH, cu_url=base + CU_PATH, su_url=base + SU_PATH, gateway_url=base,
        wallet=Ed25519Signer.generate(), result_tries=5, retry_delay=0.01,
    )  # fmt: skip


@pytest.mark.slow
def test_5000_embedded_round_trips_hold_descriptors_threads_and_memory(tmp_path: Path) -> None:
    with open_embedded(tmp_path) as http:
        client = _client(http, EMBEDDED_BASE_URL)
        pid = client.spawn(module=AOS_MODULE_ID, scheduler=client.scheduler_address(), tags=[])
        marks: dict[int, tuple[int, int, int]] = {}
        for i in range(1, 5001):
            _, result = client.eval(pid, f"return {i}")
            assert result.data == str(i)
            if i in (500, 5000):
                marks[i] = (_fds(), threading.active_count(), _rss_kib())
    (fds0, threads0, rss0), (fds1, threads1, rss1) = marks[500], marks[5000]
    assert fds1 <= fds0 * 1.1, (fds0, fds1)
    assert threads1 <= threads0 + 2, (threads0, threads1)
    assert rss1 <= rss0 * 1.1, (rss0, rss1)


@pytest.mark.e2e
def test_aos_serve_holds_its_descriptors_over_many_reads(tmp_path: Path) -> None:
    import httpx

    served = Served(tmp_path / "node", args=["--single-process"])
    served.start()
    try:
        assert served.proc is not None
        with httpx.Client(base_url=served.url, timeout=30) as http:
            client = _client(http, "")
            pid = client.spawn(module=AOS_MODULE_ID, scheduler=client.scheduler_address(),
                               tags=[])  # fmt: skip
            for i in range(1, 801):
                client.eval(pid, f"return {i}")
                if i == 100:
                    before = _fds(served.proc.pid)
            after = _fds(served.proc.pid)
    finally:
        served.stop()
    assert after <= before + 4, (before, after)
