"""WAL checkpoints off the writer: the writer never checkpoints, the checkpointer resets."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from aos.node.store import Store, checkpointer
from aos.node.store.checkpointer import Checkpointer


def wal_frames(path: Path) -> int:
    """Frames in the WAL now (a PASSIVE checkpoint reports them; it changes no content)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


def write_claims(store: Store, start: int, count: int) -> None:
    for i in range(start, start + count):
        with store.write() as tx:
            tx.claim(f"k{i}", "x" * 43)


def test_the_writer_leaves_checkpoints_and_the_checkpointer_restarts_the_wal(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    store.leave_checkpoints()
    write_claims(store, 0, 1)
    assert store._writer is not None
    assert store._writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    checkpointer = Checkpointer(store, restart_frames=50)
    conn = sqlite3.connect(store.path, timeout=1, isolation_level=None)
    try:
        write_claims(store, 1, 100)
        assert checkpointer.run_once(conn) >= 100  # at least a frame per commit
        write_claims(store, 101, 1)  # the first write after a RESTART starts from the top
        assert wal_frames(store.path) <= 5
    finally:
        conn.close()
        store.close()


def test_the_thread_keeps_the_wal_short_and_the_data_whole(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.leave_checkpoints()
    checkpointer = Checkpointer(store, interval=0.01, restart_frames=20)
    checkpointer.start()
    try:
        for start in range(0, 400, 40):
            write_claims(store, start, 40)
            time.sleep(0.03)
    finally:
        checkpointer.stop()
    assert wal_frames(store.path) < 100
    assert store._one("SELECT count(*) FROM claims")[0] == 400
    store.close()


def test_a_reader_holding_a_snapshot_delays_the_restart_not_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpointer, "RESTART_BACKOFF", 0.3)
    store = Store(tmp_path)
    store.leave_checkpoints()
    write_claims(store, 0, 60)
    reader = sqlite3.connect(store.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM claims").fetchone()  # a snapshot, held (aos verify)
    write_claims(store, 60, 60)
    ckpt = Checkpointer(store, restart_frames=50)
    conn = ckpt.connect()
    try:
        t0 = time.monotonic()
        ckpt.run_once(conn)  # RESTART gives up after its short wait
        assert time.monotonic() - t0 < 1.0
        t0 = time.monotonic()
        write_claims(store, 120, 1)  # the writer is not held up
        ckpt.run_once(conn)  # within the back-off: no second wait
        assert time.monotonic() - t0 < 0.5
        reader.execute("COMMIT")
        time.sleep(0.35)
        ckpt.run_once(conn)  # the reader is gone: the WAL starts over
        write_claims(store, 121, 1)
        assert wal_frames(store.path) <= 5
    finally:
        reader.close()
        conn.close()
        store.close()
