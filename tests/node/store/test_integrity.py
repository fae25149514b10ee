"""The open-time check of the database (aos.node.store.integrity): a file exactly as a
clean close left it is not scanned again; any change to it, a write-ahead log left behind,
or another connection still open, and it is."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from aos.node.store import Store
from aos.node.store.integrity import CLEAN_SUFFIX, check_database, left_clean


def _closed_store(data: Path) -> Path:
    store = Store(data)
    with store.write() as tx:
        tx.conn.execute("CREATE TABLE IF NOT EXISTS filler (x BLOB)")
        tx.conn.execute("INSERT INTO filler VALUES (randomblob(100000))")
    store.close()
    return data / "node.sqlite3"


def _no_scan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scans: list[str] = []
    real = sqlite3.connect

    def counting(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        scans.append(str(args[0]))
        conn: sqlite3.Connection = real(*args, **kwargs)
        return conn

    monkeypatch.setattr(sqlite3, "connect", counting)  # (integrity calls sqlite3.connect)
    return scans


def test_a_cleanly_closed_file_is_not_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _closed_store(tmp_path / "node")
    assert (db.parent / (db.name + CLEAN_SUFFIX)).exists() and left_clean(db)
    scans = _no_scan(monkeypatch)
    check_database(db)
    assert scans == []


def test_any_change_to_the_file_brings_the_scan_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _closed_store(tmp_path / "node")
    before = db.stat()
    # the same bytes written over themselves, the times set back: ctime still moves
    with db.open("r+b") as f:
        head = f.read(4096)
        f.seek(0)
        f.write(head)
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not left_clean(db)
    scans = _no_scan(monkeypatch)
    check_database(db)
    assert len(scans) == 1


def test_no_record_while_another_connection_keeps_a_write_ahead_log(tmp_path: Path) -> None:
    db = _closed_store(tmp_path / "node")
    other = sqlite3.connect(db)
    other.execute("INSERT INTO filler VALUES (x'00')")
    other.commit()  # (a second OS process's writes, its WAL still open)
    store = Store(tmp_path / "node")
    store.close()
    assert not left_clean(db)
    assert not (db.parent / (db.name + CLEAN_SUFFIX)).exists()
    other.close()
