"""The store and the scheduler without HTTP: order, gap-free nonces, claims, migrations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from aos.dataitem import create
from aos.errors import NotFound, StoreError
from aos.node.store import SCHEMA_VERSION, Store
from aos.node.su import Duplicate, Scheduler, block_height_at, check_schedulable
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.node.conftest import ao_tags


@pytest.fixture
def su(tmp_path: Path) -> Scheduler:
    return Scheduler(Store(tmp_path / "node"), Ed25519Signer.generate())


def spawn(su: Scheduler, signer: Ed25519Signer) -> str:
    item = create(signer=signer, data=" ", tags=ao_tags("Process", [
        ("Module", AOS_MODULE_ID), ("Scheduler", su.address)]))  # fmt: skip
    su.spawn(item, item.to_bytes())
    return item.id


def test_threads_scheduling_at_once_get_one_gap_free_order(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    pid = spawn(su, signer)
    items = [
        create(signer=signer, data=str(i), target=pid, tags=ao_tags("Message")) for i in range(400)
    ]

    def run(share: list[object]) -> None:
        for it in share:
            su.schedule(it, it.to_bytes(), pid)  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(items[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = su.store.entries(pid, -1, None, 10_000)
    assert [e.nonce for e in entries] == list(range(401))
    assert sorted(e.message_id for e in entries[1:]) == sorted(i.id for i in items)
    stamps = [e.timestamp for e in entries]
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False))
    assert su.store.process(pid).head.nonce == 400  # type: ignore[union-attr]


def test_duplicates_claims_and_unknown_processes(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    pid = spawn(su, signer)
    m = create(signer=signer, data="x", target=pid, tags=ao_tags("Message"))
    su.schedule(m, m.to_bytes(), pid)
    with pytest.raises(Duplicate):
        su.schedule(m, m.to_bytes(), pid)
    with pytest.raises(NotFound):
        su.schedule(m, m.to_bytes(), "Z" * 43)
    m2 = create(signer=signer, data="y", target=pid, tags=ao_tags("Message"))
    assert su.schedule(m2, m2.to_bytes(), pid, claim="k1") is not None
    m3 = create(signer=signer, data="z", target=pid, tags=ao_tags("Message"))
    assert su.schedule(m3, m3.to_bytes(), pid, claim="k1") is None  # claim taken: not scheduled
    assert su.store.entry_by_id(pid, m3.id) is None
    assert su.store.claimed_item("k1") == m2.id
    with pytest.raises(NotFound):
        su.assign(pid, "Q" * 43)
    with pytest.raises(Duplicate):
        su.assign(pid, m.id)  # already in this log


def test_su_tag_rules() -> None:
    signer = Ed25519Signer.generate()
    bad = [
        [("Data-Protocol", "ao")],
        [("Data-Protocol", "ao"), ("Type", "Checkpoint")],
        [("Type", "Message")],
        [("Data-Protocol", "ao"), ("Type", "Message"), ("Data+link", "x")],
        [("Data-Protocol", "ao"), ("Type", "Process"), ("Module", AOS_MODULE_ID)],
    ]
    for tags in bad:
        with pytest.raises(Exception, match="item"):
            check_schedulable(create(signer=signer, data="x", tags=tags))


def test_schema_version_and_newer_database_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    version = store._conn().execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION
    store.close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path)


def test_block_heights_are_stable_and_increasing() -> None:
    assert block_height_at(1_700_000_000_000) == 1_300_000
    assert block_height_at(1_700_000_120_000) == 1_300_001


def test_a_directory_missing_an_index_gets_it_when_opened(tmp_path: Path) -> None:
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute("DROP INDEX items_unindexed")
    conn.commit()
    conn.close()
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert "items_unindexed" in names


def test_a_directory_from_an_incompatible_build_is_refused_by_name(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute("CREATE TABLE items (seq INTEGER PRIMARY KEY, id TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"incompatible build.*items\.tags_indexed.*--data-dir"):
        Store(tmp_path)
