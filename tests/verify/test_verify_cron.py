"""Cron ticks are part of what a replay must reproduce: ticks between messages, and ticks
the node ran after the last message for a monitored process."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from aos.node.http.embedded import open_embedded
from aos.protocol import AOS_MODULE_ID
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer
from tests.support.nodelog import client_for, settle

TICK = """
Ticks = Ticks or 0
Handlers.add("Tick", Handlers.utils.hasMatchingTag("Action", "Tick"), function(msg)
  Ticks = Ticks + 1
  print("tick " .. Ticks .. " at " .. msg.Timestamp)
end)
return "ok"
"""


def _trailing_ticks(data_dir: Path, pid: str) -> int:
    conn = sqlite3.connect(data_dir / "node.sqlite3")
    try:
        row = conn.execute(
            "SELECT count(*) FROM results r JOIN processes p ON p.id = r.process"
            " WHERE r.process = ? AND r.cron != '' AND r.ordinate = p.head_nonce",
            (pid,),
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_a_process_with_cron_ticks_verifies(tmp_path: Path) -> None:
    signer = Ed25519Signer.generate()
    with open_embedded(tmp_path, scan_interval=0.2) as http:
        client = client_for(http, signer)
        pid = client.spawn(
            module=AOS_MODULE_ID,
            scheduler=client.scheduler_address(),
            tags=[("Cron-Interval", "1-second"), ("Cron-Tag-Action", "Tick"),
                  ("Authority", client.cu_address() or "")],
        )  # fmt: skip
        client.eval(pid, TICK)
        time.sleep(2.3)
        _, result = client.eval(pid, "return Ticks")
        assert int(result.data) >= 2  # ticks ran between the two messages
        client.monitor(pid)  # the node now also ticks after the last message
        deadline = time.monotonic() + 20
        while not _trailing_ticks(tmp_path, pid):
            assert time.monotonic() < deadline, "the node ran no cron tick after the last message"
            time.sleep(0.1)
        settle(tmp_path)
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    crons = conn.execute(
        "SELECT count(*), max(ordinate) FROM results WHERE process = ? AND cron != ''", (pid,)
    ).fetchone()
    last = conn.execute("SELECT head_nonce FROM processes WHERE id = ?", (pid,)).fetchone()[0]
    trailing = conn.execute(
        "SELECT count(*) FROM results WHERE process = ? AND cron != '' AND ordinate = ?",
        (pid, last),
    ).fetchone()[0]
    conn.close()
    assert crons[0] >= 3 and trailing >= 1
    report = verify_store(tmp_path, pid)
    assert report.ok, report.problem
    assert report.compared == report.replayed == last + 1 + crons[0]
    assert report.final_hash == report.stored_final_hash
