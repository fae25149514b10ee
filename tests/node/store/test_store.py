"""The store and the scheduler without HTTP: order, gap-free nonces, claims, migrations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from aos.clock import block_height_at
from aos.dataitem import DataItem, create
from aos.errors import NotFound, StoreError
from aos.log.schema import SCHEMA_VERSION
from aos.node.store import Store
from aos.node.units.su import Duplicate, Scheduler, check_schedulable
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags
from tests.support.old_layout import to_version_3


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

    def run(share: list[DataItem]) -> None:
        for it in share:
            su.schedule(it, it.to_bytes(), pid)

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
    version = store._one("PRAGMA user_version")[0]
    assert version == SCHEMA_VERSION
    store.close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_path)


def test_opening_waits_for_a_lock_held_for_a_moment(tmp_path: Path) -> None:
    # Another OS process holds the file while its last connection closes (checkpointing
    # and removing the WAL): a node or shell opening it then must wait, not fail with
    # "database is locked" (the writer's own busy timeout is 0, see Store._begin).
    tmp_path.mkdir(exist_ok=True)
    other = sqlite3.connect(
        tmp_path / "node.sqlite3", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN EXCLUSIVE")
    released = threading.Timer(0.3, other.execute, args=("COMMIT",))
    released.start()
    try:
        store = Store(tmp_path, check=False)
        assert store._one("PRAGMA user_version")[0] == SCHEMA_VERSION
        assert store._writer_conn().execute("PRAGMA busy_timeout").fetchone()[0] == 0
        store.close()
    finally:
        released.join()
        other.close()


def test_block_heights_are_stable_and_increasing() -> None:
    assert block_height_at(1_700_000_000_000) == 1_300_000
    assert block_height_at(1_700_000_120_000) == 1_300_001


def test_a_directory_missing_an_index_gets_it_when_opened(tmp_path: Path) -> None:
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute("DROP INDEX item_tags_nv")
    conn.commit()
    conn.close()
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert "item_tags_nv" in names


def test_a_directory_from_an_incompatible_build_is_refused_by_name(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.execute("CREATE TABLE items (seq INTEGER PRIMARY KEY, id TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"incompatible build.*items\.tags_indexed.*--data-dir"):
        Store(tmp_path)


def indexed(store: Store, sql: str, params: tuple[str, ...]) -> set[str]:
    store.index_pending()
    return {i.id for i in store.query_items(sql, params, "seq", 10_000)}


def test_messages_are_indexed_for_graphql_in_batches_and_spawns_at_once(su: Scheduler) -> None:
    store, signer = su.store, Ed25519Signer.generate()
    pid = spawn(su, signer)
    by_owner = "seq IN (SELECT seq FROM item_refs WHERE role = 1 AND value = ?)"
    by_target = "seq IN (SELECT seq FROM item_refs WHERE role = 2 AND value = ?)"
    by_tag = "seq IN (SELECT seq FROM item_tags WHERE name = 'N' AND value = ?)"
    assert store.query_items(by_owner, (signer.address,), "seq", 10)[0].id == pid  # no batch
    items = [create(signer=signer, data=str(i), target=pid,
                    tags=ao_tags("Message", [("N", str(i % 3))])) for i in range(30)]  # fmt: skip
    for item in items:
        su.schedule(item, item.to_bytes(), pid)
    assert store.query_items(by_target, (pid,), "seq", 100) == []  # not indexed yet
    assert indexed(store, by_target, (pid,)) == {i.id for i in items}
    assert indexed(store, by_owner, (signer.address,)) == {pid} | {i.id for i in items}
    assert indexed(store, by_tag, ("1",)) == {i.id for i in items[1::3]}
    assert store.index_pending() == 0  # nothing twice
    count = store._one("SELECT count(*) FROM item_tags WHERE name = 'N'")[0]
    assert count == 30


def test_a_version_1_directory_is_upgraded_in_place(tmp_path: Path) -> None:
    su = Scheduler(Store(tmp_path), Ed25519Signer.generate())
    signer = Ed25519Signer.generate()
    pid = spawn(su, signer)
    items = [create(signer=signer, data=str(i), target=pid,
                    tags=ao_tags("Message", [("N", str(i))])) for i in range(10)]  # fmt: skip
    for item in items:
        su.schedule(item, item.to_bytes(), pid)
    su.store.close()
    to_version_3(tmp_path / "node.sqlite3")
    # What version 1 left: owner and target in indexes of items, no item_refs and no mark,
    # the first half of the messages indexed by its batch indexer (tags_indexed = 1).
    conn = sqlite3.connect(tmp_path / "node.sqlite3")
    conn.executescript(
        "DROP TABLE item_refs; DROP TABLE meta;"
        " CREATE INDEX items_unindexed ON items(seq) WHERE tags_indexed = 0;"
        " CREATE INDEX items_owner ON items(owner, seq);"
        " CREATE INDEX items_target ON items(target, seq);"
        " CREATE INDEX schedule_time ON schedule(process, timestamp);"
        " PRAGMA user_version = 1;"
    )
    for item in items[:5]:
        seq = conn.execute("SELECT seq FROM items WHERE id = ?", (item.id,)).fetchone()[0]
        conn.executemany("INSERT INTO item_tags (seq, name, value) VALUES (?,?,?)",
                         [(seq, n, v) for n, v in item.tags])  # fmt: skip
        conn.execute("UPDATE items SET tags_indexed = 1 WHERE seq = ?", (seq,))
    conn.commit()
    conn.close()
    store = Store(tmp_path)
    assert store._one("PRAGMA user_version")[0] == SCHEMA_VERSION
    names = {r[0] for r in store._rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not names & {"items_unindexed", "items_owner", "items_target", "schedule_time"}
    by_target = "seq IN (SELECT seq FROM item_refs WHERE role = 2 AND value = ?)"
    assert indexed(store, by_target, (pid,)) == {i.id for i in items}
    by_n = "seq IN (SELECT seq FROM item_tags WHERE name = 'N')"
    assert indexed(store, by_n, ()) == {i.id for i in items}
    assert store._one("SELECT count(*) FROM item_tags WHERE name = 'N'")[0] == 10
    assert store._one("SELECT count(*) FROM item_refs WHERE role = 2")[0] == 10


def test_time_windows_of_a_schedule_are_found_by_bisection(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    pid = spawn(su, signer)
    for i in range(20):
        item = create(signer=signer, data=str(i), target=pid, tags=ao_tags("Message"))
        su.schedule(item, item.to_bytes(), pid)
    entries = su.store.entries(pid, -1, None, 100)
    ts = [e.timestamp for e in entries]

    def window(after: int | None, to: int | None, limit: int = 100) -> list[int]:
        return [e.nonce for e in su.store.entries_by_time(pid, after, to, limit)]

    assert window(None, None) == list(range(21))
    assert window(ts[3], ts[7]) == [4, 5, 6, 7]  # from exclusive, to inclusive
    assert window(ts[3] - 1, ts[3]) == [3]
    assert window(ts[0] - 1000, ts[0] - 1) == []
    assert window(ts[-1], None) == []
    assert window(ts[7], ts[3]) == []
    assert window(ts[2], None, limit=2) == [3, 4]
    assert su.store.entries_by_time("x" * 43, None, 5, 10) == []
