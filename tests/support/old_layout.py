"""Turn a data directory of this build back into the item layout of schema 1-3.

Schema 4 changed how items are kept (aos.log.stored); to test the in-place upgrade the
tests need directories as older builds left them. This rewrites `items` into the old
columns, with the DDL of version 3 frozen here (not imported: it must not follow the
schema), from the signed bytes, as those builds wrote them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from aos.dataitem import b64url_encode, parse
from aos.log.stored import join_owner, unsigned_fields

ITEMS_3 = """
CREATE TABLE items_3 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    signature_type INTEGER NOT NULL,
    signature TEXT NOT NULL,
    owner TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    target TEXT,
    anchor TEXT,
    tags TEXT NOT NULL,
    data BLOB NOT NULL,
    raw BLOB,
    created_at INTEGER NOT NULL,
    block_height INTEGER NOT NULL,
    tags_indexed INTEGER NOT NULL
)
"""


def to_version_3(db: Path) -> None:
    """Rewrite the closed database `db` into the layout of schema version 3."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(ITEMS_3)
        rows = conn.execute(
            "SELECT i.seq, i.id, k.key, i.body, i.created_at, i.block_height, i.tags_indexed"
            " FROM items i LEFT JOIN owner_keys k ON k.signer = i.signer"
        ).fetchall()
        for seq, item_id, key, body, created, height, indexed in rows:
            values: tuple[object, ...]
            if key is None:
                owner, f = unsigned_fields(bytes(body))
                values = (1, "", owner, "", None, None, json.dumps(f.tags), f.data, None)
            else:
                raw = join_owner(bytes(body), bytes(key))
                d = parse(raw, allow_empty_tags=True)
                tags = [{"name": n, "value": v} for n, v in d.tags]
                values = (
                    d.signature_type, b64url_encode(d.signature), d.owner_address,
                    b64url_encode(d.owner), d.target_id, d.anchor_text, json.dumps(tags),
                    d.data, raw,
                )  # fmt: skip
            conn.execute(
                "INSERT INTO items_3 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (seq, item_id, *values, created, height, indexed),
            )
        conn.executescript(
            "DROP TABLE items; DROP TABLE owner_keys; ALTER TABLE items_3 RENAME TO items;"
            " CREATE INDEX results_message ON results(process, message_id);"
            " PRAGMA user_version = 3;"
        )
        conn.commit()
    finally:
        conn.close()
