"""Group commit (Store.batch): many writes, one commit, each write still on its own."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from aos.dataitem import DataItem, create
from aos.errors import NotFound, StoreError
from aos.node.store import Store
from aos.node.units.su import Duplicate, Scheduler
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags


@pytest.fixture
def su(tmp_path: Path) -> Scheduler:
    return Scheduler(Store(tmp_path / "node"), Ed25519Signer.generate())


def spawn_item(su: Scheduler, signer: Ed25519Signer) -> DataItem:
    tags = [("Module", AOS_MODULE_ID), ("Scheduler", su.address)]
    return create(signer=signer, data=" ", tags=ao_tags("Process", tags))


def message(signer: Ed25519Signer, pid: str, i: int) -> DataItem:
    return create(signer=signer, data=str(i), target=pid, tags=ao_tags("Message"))


def test_a_batch_is_seen_by_others_only_once_committed_and_by_itself_at_once(
    su: Scheduler,
) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    other = Store(su.store.data_dir)  # another connection, as another OS process has
    with su.store.batch():
        su.spawn(spawn, spawn.to_bytes())
        # the batch's own thread reads what the batch wrote (the pool would not see it)
        assert su.store.process(spawn.id) is not None
        assert su.store.item(spawn.id) is not None
        for i in range(5):
            su.schedule(message(signer, spawn.id, i), None, spawn.id)
        assert other.process(spawn.id) is None
    assert other.process(spawn.id).head.nonce == 5  # type: ignore[union-attr]


def test_a_failed_write_is_undone_alone(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    su.spawn(spawn, spawn.to_bytes())
    first, second = message(signer, spawn.id, 1), message(signer, spawn.id, 2)
    with su.store.batch():
        su.schedule(first, first.to_bytes(), spawn.id)
        with pytest.raises(Duplicate):
            su.schedule(first, first.to_bytes(), spawn.id)
        with pytest.raises(NotFound):
            su.schedule(second, second.to_bytes(), "x" * 43)
        su.schedule(second, second.to_bytes(), spawn.id)
    entries = su.store.entries(spawn.id, -1, None, 10)
    assert [(e.nonce, e.message_id) for e in entries] == [
        (0, spawn.id), (1, first.id), (2, second.id)
    ]  # fmt: skip


def test_an_exception_in_a_batch_keeps_nothing_and_runs_no_commit_work(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    ran: list[str] = []
    with pytest.raises(RuntimeError), su.store.batch():
        su.spawn(spawn, spawn.to_bytes())
        su.store.after_commit("wake", lambda: ran.append("wake"))
        raise RuntimeError("the sequencer died half-way")
    assert su.store.process(spawn.id) is None and ran == []
    # the writer is usable again
    su.spawn(spawn, spawn.to_bytes())
    assert su.store.process(spawn.id) is not None


def test_commit_work_runs_after_the_commit_once_per_key(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    other = Store(su.store.data_dir)
    seen: list[int | None] = []

    def wake() -> None:
        row = other.process(spawn.id)
        seen.append(None if row is None else row.head.nonce)

    with su.store.batch():
        su.spawn(spawn, spawn.to_bytes())
        for i in range(3):
            su.schedule(message(signer, spawn.id, i), None, spawn.id)
            su.store.after_commit(("wake", spawn.id), wake)
        assert seen == []
    assert seen == [3]  # once, and the evaluator it wakes finds every message
    su.store.after_commit(("wake", spawn.id), wake)  # outside a batch: at once
    assert seen == [3, 3]


def test_other_threads_wait_for_the_batch_and_never_write_into_it(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    su.spawn(spawn, spawn.to_bytes())
    inside = threading.Event()
    outsider = message(signer, spawn.id, 99)
    done = threading.Event()

    def write_from_another_thread() -> None:
        inside.wait(10)
        su.schedule(outsider, None, spawn.id)
        done.set()

    thread = threading.Thread(target=write_from_another_thread)
    thread.start()
    with pytest.raises(RuntimeError), su.store.batch():
        su.schedule(message(signer, spawn.id, 1), None, spawn.id)
        inside.set()
        assert not done.wait(0.2)  # it waits for the write lock
        raise RuntimeError("roll the batch back")
    thread.join(10)
    entries = su.store.entries(spawn.id, -1, None, 10)
    assert [e.message_id for e in entries] == [spawn.id, outsider.id]


def test_a_failing_commit_follow_up_neither_undoes_nor_stops_the_others(su: Scheduler) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    ran: list[str] = []

    def broken() -> None:
        raise BrokenPipeError("the evaluating process is gone")

    with su.store.batch():
        su.spawn(spawn, spawn.to_bytes())
        su.store.after_commit("first", broken)
        su.store.after_commit("second", lambda: ran.append("second"))
    assert su.store.process(spawn.id) is not None and ran == ["second"]


def test_a_transaction_sqlite_rolled_back_itself_keeps_nothing_of_the_batch(
    su: Scheduler,
) -> None:
    """A full disk makes SQLite roll the whole transaction back: the writes after it must
    not go on in transactions of their own (a SAVEPOINT outside one starts one)."""
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    su.spawn(spawn, spawn.to_bytes())
    writer = su.store._writer
    assert writer is not None
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute(f"PRAGMA max_page_count={pages + 3}")  # the disk is nearly full
    sizes = [10, 10, 200_000, 10, 10]
    items = [create(signer=signer, data="x" * n + str(k), target=spawn.id, tags=ao_tags("Message"))
             for k, n in enumerate(sizes)]  # fmt: skip
    failed = []
    with pytest.raises(StoreError), su.store.batch():
        for item in items:
            try:
                su.schedule(item, item.to_bytes(), spawn.id)
            except (StoreError, sqlite3.Error) as err:
                failed.append(type(err).__name__)
    writer.execute("PRAGMA max_page_count=1073741823")
    assert failed and len(failed) >= 3  # the big one, and every one after it
    assert [e.nonce for e in su.store.entries(spawn.id, -1, None, 10)] == [0]  # none kept
    later = message(signer, spawn.id, 99)
    assert su.schedule(later, later.to_bytes(), spawn.id) is not None  # the writer works


def test_a_closed_store_refuses_writes_instead_of_opening_the_file_again(
    su: Scheduler,
) -> None:
    signer = Ed25519Signer.generate()
    spawn = spawn_item(su, signer)
    su.store.close()
    with pytest.raises(StoreError, match="closed"):
        su.spawn(spawn, spawn.to_bytes())
