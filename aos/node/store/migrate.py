"""Bringing an open node database to this build's schema (aos.log.schema), in place.

A newer database is refused, one missing a column this build needs is refused by name,
and anything older is upgraded inside the opening transaction, so a directory is never
left half-upgraded.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aos.errors import StoreError
from aos.log.schema import OLD_INDEXES, ROLE_OWNER, ROLE_TARGET, SCHEMA, SCHEMA_VERSION


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Run inside a write transaction on `conn` (the database at `path`)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this aos "
            f"({SCHEMA_VERSION}); upgrade aos or use another --data-dir"
        )
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
    if version == 1:
        _upgrade_from_1(conn)
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


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
