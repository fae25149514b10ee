"""`aos verify` on a process spawned through the HyperBEAM routes of a real `aos serve` and
messaged through both protocols: one hash-chained log, whichever protocol wrote each slot."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from aos.cli import main as aos_main
from tests.support.ao import Ao
from tests.support.hyperbeam import HEADERS, Hb
from tests.support.serving import Served, with_node_keys

pytestmark = pytest.mark.e2e


def test_a_process_written_through_both_protocols_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = Served(with_node_keys(tmp_path / "node"))
    served.start()
    try:
        with httpx.Client(base_url=served.url, timeout=30) as http:
            hb = Hb(http)
            ao = Ao(http, hb.signer)
            pid = hb.spawn("both")
            for i in range(3):
                hb.push(pid, f"n = (n or 0) + {i}")
                ao.send(pid, f"n = n * 2 + {i}")
            sent = hb.push(pid, 'Send({Target = ao.id, Data = "to myself"})')  # pushed back
            deadline = time.monotonic() + 30
            while hb.current(pid) == sent and time.monotonic() < deadline:
                time.sleep(0.05)
            pushed = sent + 1
            assert hb.current(pid) == pushed
            # a tampered body through either protocol: refused, and nothing is stored
            raw = bytearray(hb.message_item(pid, "n = -1").to_bytes())
            raw[-1] ^= 0x01
            r = http.post(f"/{pid}~process@1.0/push", content=bytes(raw), headers=HEADERS)
            assert r.status_code == 400 and "does not verify" in r.json()["error"]
            assert http.post("/mu", content=bytes(raw)).status_code == 400
            assert hb.current(pid) == pushed
            final = hb.eval(pid, "return n")["Output"]["data"]
            assert final == ao.value(pid, "return n") == "12"  # each step saw the one before
    finally:
        served.stop()
    assert aos_main(["verify", pid, "--data-dir", str(served.data_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"verified final hash [0-9a-f]{64}", out), out
