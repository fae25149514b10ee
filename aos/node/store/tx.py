"""The write side of one `BEGIN IMMEDIATE` transaction of the node's log (Store.write).

Every statement a scheduler, indexer or messenger runs while holding the write lock:
items and their GraphQL index rows, processes and their heads, schedule slots, claims.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from aos.clock import now_ms
from aos.errors import StoreError
from aos.log.records import Entry, Head, NewItem, ProcessRow, entry_from_row
from aos.log.schema import ENTRY_COLS, HEAD_SQL, ROLE_OWNER, ROLE_TARGET
from aos.log.stored import UNSIGNED, split_owner, unsigned_body


class Tx:
    """The write side of one `BEGIN IMMEDIATE` transaction (see Store.write)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def one(self, sql: str, params: Sequence[Any]) -> Any:
        """One row, the cursor closed at once (see Store._rows)."""
        cur = self.conn.execute(sql, params)
        try:
            return cur.fetchone()
        finally:
            cur.close()

    def head(self, process: str) -> ProcessRow | None:
        row = self.one(HEAD_SQL, (process,))
        if row is None:
            return None
        return ProcessRow(row[0], row[1], row[2], row[3], Head(*row[4:9]))

    def is_scheduled(self, process: str, message_id: str) -> Entry | None:
        row = self.one(
            f"SELECT {ENTRY_COLS} FROM schedule WHERE process = ? AND message_id = ?",
            (process, message_id),
        )
        return None if row is None else entry_from_row(row)

    def put_item(self, item: NewItem, block_height: int, index_tags: bool = True) -> bool:
        """Store an item; False if it was already there (same id).

        Indexing an item's tags and its owner and target costs a B-tree page each per
        commit, which would be a third of a message's write; with `index_tags=False`
        (scheduled messages) Store.index_pending does it later in batches, always before
        a GraphQL query runs. Spawns and uploads are indexed at once."""
        if item.raw is None:
            signer = UNSIGNED
            body = unsigned_body(item.owner, item.tags, item.data, item.signature_type)
        else:
            key, body = split_owner(item.raw)
            signer = self.signer(key)
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO items (id, signer, body, created_at, block_height,"
            " tags_indexed) VALUES (?,?,?,?,?,?)",
            (item.id, signer, body, now_ms(), block_height, int(index_tags)),
        )
        if cur.rowcount == 0:
            return False
        if index_tags:
            seq = cur.lastrowid
            assert seq is not None  # an insert that added a row has its rowid
            self.index_rows([(seq, item.owner, item.target, item.tags)])
        return True

    def signer(self, key: bytes) -> int:
        """The owner_keys row of `key`, added if it is new (a few per node: one per wallet)."""
        row = self.one("SELECT signer FROM owner_keys WHERE key = ?", (key,))
        if row is not None:
            return int(row[0])
        cur = self.conn.execute("INSERT INTO owner_keys (key) VALUES (?)", (key,))
        assert cur.lastrowid is not None  # an insert that added a row has its rowid
        return cur.lastrowid

    def index_rows(self, rows: Sequence[tuple[int, str, str | None, list[dict[str, str]]]]) -> None:
        """Write the GraphQL index entries of items given as (seq, owner, target, tags)."""
        self.conn.executemany(
            "INSERT INTO item_tags (seq, name, value) VALUES (?,?,?)",
            [(seq, t["name"], t["value"]) for seq, _, _, tags in rows for t in tags],
        )
        refs = [(seq, ROLE_OWNER, owner) for seq, owner, _, _ in rows]
        refs += [(seq, ROLE_TARGET, target) for seq, _, target, _ in rows if target]
        self.conn.executemany("INSERT INTO item_refs (seq, role, value) VALUES (?,?,?)", refs)

    def create_process(self, process: str, owner: str, module: str, scheduler: str) -> None:
        self.conn.execute(
            "INSERT INTO processes (id, owner, module, scheduler, head_nonce, head_timestamp,"
            " head_block_height, head_hash_chain, head_assignment_id)"
            " VALUES (?,?,?,?,-1,0,0,'','')",
            (process, owner, module, scheduler),
        )

    def append(self, entry: Entry, assignment_raw: bytes) -> None:
        """Add a slot and move the process head to it (the caller derived it from the head)."""
        self.conn.execute(
            f"INSERT INTO schedule ({ENTRY_COLS}, assignment_raw) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                entry.process,
                entry.nonce,
                entry.timestamp,
                entry.block_height,
                entry.epoch,
                entry.hash_chain,
                entry.assignment_id,
                entry.message_id,
                int(entry.assigned),
                assignment_raw,
            ),
        )
        cur = self.conn.execute(
            "UPDATE processes SET head_nonce = ?, head_timestamp = ?, head_block_height = ?,"
            " head_hash_chain = ?, head_assignment_id = ? WHERE id = ? AND head_nonce = ?",
            (
                entry.nonce,
                entry.timestamp,
                entry.block_height,
                entry.hash_chain,
                entry.assignment_id,
                entry.process,
                entry.nonce - 1,
            ),
        )
        if cur.rowcount != 1:
            raise StoreError(f"schedule of process {entry.process} moved under nonce {entry.nonce}")

    def claim(self, key: str, item_id: str) -> bool:
        """Take the exactly-once claim `key`; False if someone already holds it."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO claims (key, item_id, created_at) VALUES (?,?,?)",
            (key, item_id, now_ms()),
        )
        return cur.rowcount == 1

    # -- the admission quota (aos.node.units.quota) -------------------------------------------
    def load(self, process: str) -> tuple[int, int]:
        """(last evaluated nonce, Lua memory) of a process as its evaluator last reported
        them; (-1, 0) before any report (an older directory: the last stored result)."""
        row = self.one("SELECT nonce, memory FROM process_load WHERE process = ?", (process,))
        if row is not None:
            return int(row[0]), int(row[1])
        last = self.one(
            "SELECT ordinate FROM results WHERE process = ? ORDER BY position DESC LIMIT 1",
            (process,),
        )
        return (-1 if last is None else int(last[0])), 0

    def pending_bytes(self, process: str, after: int) -> int:
        """Bytes of the process's messages after nonce `after` (their signed bodies: data
        and tags, and a few hundred bytes of signature and header)."""
        row = self.one(
            "SELECT total(length(i.body)) FROM schedule s"
            " JOIN items i ON i.id = s.message_id WHERE s.process = ? AND s.nonce > ?",
            (process, after),
        )
        return int(row[0] or 0)
