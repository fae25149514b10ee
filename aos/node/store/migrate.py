"""Bringing an open node database to this build's schema (aos.log.schema), in place.

A newer database is refused, one missing a column this build needs is refused by name,
and anything older is upgraded inside the opening transaction, so a directory is never
left half-upgraded.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from aos.errors import StoreError
from aos.log.schema import OLD_INDEXES, ROLE_OWNER, ROLE_TARGET, SCHEMA, SCHEMA_VERSION
from aos.log.stored import UNSIGNED, split_owner, unsigned_body


def migrate(conn: sqlite3.Connection, path: Path) -> bool:
    """Run inside a write transaction on `conn` (the database at `path`); True if the
    items were rewritten (the caller then vacuums once, after the commit, to give the
    space of the old columns back)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this aos "
            f"({SCHEMA_VERSION}); upgrade aos or use another --data-dir"
        )
    rewritten = False
    if version < 4 and "signature" in _columns(conn).get("items", set()):
        if version == 1:
            conn.execute(_ITEM_REFS)
            _upgrade_from_1(conn)
        _items_to_4(conn)
        rewritten = True
    missing = _missing_columns(conn)
    if missing:
        raise StoreError(
            f"{path} was made by an incompatible build of aos (missing "
            f"{', '.join(missing)}); move it away or use another --data-dir"
        )
    # Every statement is CREATE … IF NOT EXISTS (or INSERT OR IGNORE), so running them on
    # each open also adds a table or index that an older build lacks.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return rewritten


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}


def _missing_columns(conn: sqlite3.Connection) -> list[str]:
    """`table.column` names the schema has and the open database lacks."""
    expected = sqlite3.connect(":memory:")
    try:
        expected.executescript(SCHEMA)
        want = _columns(expected)
    finally:
        expected.close()
    have = _columns(conn)
    return sorted(
        f"{table}.{column}"
        for table, columns in want.items()
        if table in have  # a missing table is simply created
        for column in columns - have[table]
    )


def _upgrade_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 indexed owner and target in items' own indexes: copy them into item_refs
    for the items already indexed (index_pending does the others), drop what v2 lacks."""
    for role, column in ((ROLE_OWNER, "owner"), (ROLE_TARGET, "target")):
        conn.execute(
            f"INSERT INTO item_refs (seq, role, value) SELECT seq, {role}, {column} FROM items"
            f" WHERE tags_indexed = 1 AND {column} IS NOT NULL"
        )
    for name in OLD_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


_ITEM_REFS = (
    "CREATE TABLE IF NOT EXISTS item_refs (seq INTEGER NOT NULL, role INTEGER NOT NULL,"
    " value TEXT NOT NULL)"
)
_BATCH = 2000


def _items_to_4(conn: sqlite3.Connection) -> None:
    """Versions 1-3 kept every item twice (raw and as decoded columns): rewrite the table
    to keep the signed bytes once, the owner key once per signer (aos.log.stored). The
    seq of every item is kept, so item_tags, item_refs and the indexer's mark stay valid."""
    conn.execute(
        "CREATE TABLE items_4 (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
        " signer INTEGER NOT NULL, body BLOB NOT NULL, created_at INTEGER NOT NULL,"
        " block_height INTEGER NOT NULL, tags_indexed INTEGER NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS owner_keys (signer INTEGER PRIMARY KEY,"
        " key BLOB NOT NULL UNIQUE)"
    )
    signers: dict[bytes, int] = {}
    cur = conn.execute(
        "SELECT seq, id, signature_type, owner, tags, data, raw, created_at, block_height,"
        " tags_indexed FROM items ORDER BY seq"
    )
    while rows := cur.fetchmany(_BATCH):
        out = []
        for seq, item_id, sig_type, owner, tags, data, raw, created, height, indexed in rows:
            if raw is None:
                signer = UNSIGNED
                body = unsigned_body(owner, json.loads(tags), bytes(data), int(sig_type))
            else:
                key, body = split_owner(bytes(raw))
                signer = signers.get(key, 0)
                if not signer:
                    signer = (
                        conn.execute("INSERT INTO owner_keys (key) VALUES (?)", (key,)).lastrowid
                        or 0
                    )
                    signers[key] = signer
            out.append((seq, item_id, signer, body, created, height, indexed))
        conn.executemany("INSERT INTO items_4 VALUES (?,?,?,?,?,?,?)", out)
    conn.execute("DROP TABLE items")
    conn.execute("ALTER TABLE items_4 RENAME TO items")
    conn.execute("DROP INDEX IF EXISTS results_message")
