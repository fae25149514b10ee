"""A version 4 data directory (main's schema: items kept once) is brought to version 5.

Version 5 added the admission quota's figures (process_load) and the quarantine's tables
(evaluator_deaths, verdicts). A version 4 directory is exactly this build's file without
those three tables and with user_version 4; opened by this build, it gains them in the
opening transaction, keeps every row it had, and its processes go on: a new message
evaluates, a quarantine verdict can be recorded and is adopted, and the log verifies.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aos.dataitem import create
from aos.log.schema import SCHEMA_VERSION
from aos.log.verdicts import quarantine_error
from aos.node.units.node import Node
from aos.protocol import AOS_MODULE_ID
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags

V5_TABLES = ("process_load", "evaluator_deaths", "verdicts")


def _eval(node: Node, signer: Ed25519Signer, pid: str, code: str) -> str:
    item = create(signer=signer, data=code, target=pid,
                  tags=ao_tags("Message", [("Action", "Eval")]))  # fmt: skip
    node.mu.accept(item.to_bytes())
    return item.id


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_a_version_4_directory_is_upgraded_in_place(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 5
    data = tmp_path / "node"
    owner = Ed25519Signer.generate()
    node = Node(data)
    try:
        spawn = create(signer=owner, data=" ", tags=ao_tags(
            "Process", [("Module", AOS_MODULE_ID), ("Scheduler", node.su.address)]))  # fmt: skip
        node.mu.accept(spawn.to_bytes())
        pid = spawn.id
        for i in range(30):
            _eval(node, owner, pid, f"Count = (Count or 0) + {i}")
        node.cu.evaluate_to(pid)
        live = node.cu.states.live(pid)
        assert live is not None and node.cu.states.save(pid, live)  # a snapshot row
    finally:
        node.stop()
    db = data / "node.sqlite3"
    # What a version 4 build leaves: the same file without the three tables of version 5.
    conn = sqlite3.connect(db)
    conn.executescript("".join(f"DROP TABLE {t};" for t in V5_TABLES) + " PRAGMA user_version = 4;")
    before = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("items", "schedule", "results", "snapshots")
    }
    conn.close()
    assert not _tables(db) & set(V5_TABLES)

    node = Node(data)
    try:
        assert node.store._one("PRAGMA user_version")[0] == SCHEMA_VERSION
        assert set(V5_TABLES) <= _tables(db)
        for table, count in before.items():
            assert node.store._one(f"SELECT count(*) FROM {table}")[0] == count, table
        # The process goes on from its snapshot; the quota's figures are written again.
        mid = _eval(node, owner, pid, "return Count")
        assert node.cu.result(pid, mid)["Output"]["data"] == str(sum(range(30)))
        assert node.store._one("SELECT count(*) FROM process_load")[0] == 1
        # The quarantine's tables work: a verdict is recorded and adopted.
        doomed = _eval(node, owner, pid, "Count = -1")
        entry = node.store.entry_by_id(pid, doomed)
        assert entry is not None
        error = quarantine_error(3)
        assert node.store.add_verdict(pid, (entry.timestamp, entry.nonce, ""), error)
        node.cu.drop(pid)
        assert node.cu.result(pid, doomed)["Error"] == error
        after = _eval(node, owner, pid, "return Count")
        assert node.cu.result(pid, after)["Output"]["data"] == str(sum(range(30)))
    finally:
        node.stop()
    report = verify_store(data, pid)
    assert report.ok, report.problem
    assert list(report.verdicts.values()) == [error]
