"""A node data directory's log, read-only: the SQL that `aos verify`, `aos replay` and
`aos export` need, on the store's own column names (aos.log.schema).

The connection is opened with `mode=ro`, so nothing read through here can change the log it
reads, and each read is one transaction, so a node appending to the same file at the same
time is seen at one consistent point. Rows come back as sqlite3.Row (by column name) for
the checks that compare columns with signed bytes, or as records (aos.log.records) for the
evaluator. Failures are VerifyError sentences naming the directory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from aos.errors import VerifyError
from aos.log.records import (
    Entry,
    Item,
    SnapshotRow,
    entry_from_row,
    item_from_row,
    snapshot_from_row,
)
from aos.log.schema import DB_NAME, ENTRY_COLS, ITEM_COLS, ITEM_JOIN, SNAPSHOT_READ, VERDICT_SQL
from aos.log.stored import join_owner
from aos.log.verdicts import VerdictKey


def one_line(problems: Sequence[object], limit: int = 300) -> str:
    """SQLite's check report (lines, a `*** in database main ***` heading) as one clause:
    the node's quick check on open and `aos verify`'s full check word it the same way."""
    lines = [
        line.strip()
        for problem in problems
        for line in str(problem).splitlines()
        if line.strip() and not line.strip().startswith("***")
    ]
    return "; ".join(lines)[:limit]


# One schedule row joined with its item: every column the column checks compare.
_SLOT_SQL = (
    "SELECT s.nonce, s.timestamp, s.block_height, s.epoch, s.hash_chain,"
    " s.assignment_id, s.assignment_raw, s.message_id, items.id AS item_id,"
    " owner_keys.key AS owner_key, items.body, s.assigned"
    f" FROM schedule s LEFT JOIN items ON items.id = s.message_id {ITEM_JOIN}"
    " WHERE s.process = ? AND s.nonce >= ? AND s.nonce <= ? ORDER BY s.nonce"
)
_RESULT_COLS = "position, ordinate, cron, message_id, timestamp, result, result_hash, chain_hash"
_RESULT_SQL = (
    f"SELECT {_RESULT_COLS} FROM results WHERE process = ? AND ordinate <= ? ORDER BY position"
)
_ENTRY = ", ".join(f"s.{c.strip()}" for c in ENTRY_COLS.split(","))
_RECORDS_SQL = (
    f"SELECT {_ENTRY}, {ITEM_COLS} FROM schedule s LEFT JOIN items ON items.id = s.message_id"
    f" {ITEM_JOIN}"
    " WHERE s.process = ? AND s.nonce > ? AND s.nonce <= ? ORDER BY s.nonce"
)
_NO_UPPER = 1 << 62


def _has_snapshots(conn: sqlite3.Connection) -> bool:
    """Whether the database has a snapshots table (a directory of an older build, read
    but never upgraded here, has none)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'")
    return row.fetchone() is not None


class LogReader:
    """Read-only access to the log in `data_dir`; one connection per `with` block."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection inside one read transaction (rows by column name)."""
        if not self.path.is_file():
            raise VerifyError(
                f"no node database in {self.data_dir} (looked for {DB_NAME}); check --data-dir"
            )
        try:
            conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30.0)
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as err:
            raise VerifyError(f"cannot open the node database {self.path}: {err}") from err
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            raise VerifyError(f"cannot read the node database in {self.data_dir}: {err}") from err
        finally:
            conn.close()

    # -- one process ----------------------------------------------------------------------
    @staticmethod
    def head_nonce(conn: sqlite3.Connection, process_id: str) -> int | None:
        """The last nonce the process row claims, None if there is no such process."""
        row = conn.execute("SELECT head_nonce FROM processes WHERE id = ?", (process_id,))
        found = row.fetchone()
        return None if found is None else int(found[0])

    @staticmethod
    def item_raw(conn: sqlite3.Connection, item_id: str) -> bytes | None:
        row = conn.execute(
            f"SELECT owner_keys.key, items.body FROM items {ITEM_JOIN} WHERE items.id = ?",
            (item_id,),
        ).fetchone()
        return None if row is None or row[0] is None else join_owner(bytes(row[1]), bytes(row[0]))

    @staticmethod
    def slot_raw(row: sqlite3.Row) -> bytes | None:
        """The signed bytes of a `slots` row's message (None if it is not in the log)."""
        if row["item_id"] is None or row["owner_key"] is None:
            return None
        return join_owner(bytes(row["body"]), bytes(row["owner_key"]))

    @staticmethod
    def slots(
        conn: sqlite3.Connection, process_id: str, upper: int, lower: int = 0
    ) -> list[sqlite3.Row]:
        """Schedule rows from nonce `lower` to `upper`, each joined with its item (NULLs
        where it is missing)."""
        return conn.execute(_SLOT_SQL, (process_id, lower, upper)).fetchall()

    @staticmethod
    def results_between(
        conn: sqlite3.Connection, process_id: str, first: int, last: int
    ) -> list[sqlite3.Row]:
        """Stored results at positions `first`..`last`, in order."""
        return conn.execute(
            f"SELECT {_RESULT_COLS} FROM results WHERE process = ? AND position >= ?"
            " AND position <= ? ORDER BY position",
            (process_id, first, last),
        ).fetchall()

    @staticmethod
    def results_of_nonces(
        conn: sqlite3.Connection, process_id: str, first: int, last: int
    ) -> list[sqlite3.Row]:
        """Stored results whose ordinate is `first`..`last`, in position order."""
        return conn.execute(
            f"SELECT {_RESULT_COLS} FROM results WHERE process = ? AND ordinate >= ?"
            " AND ordinate <= ? ORDER BY position",
            (process_id, first, last),
        ).fetchall()

    @staticmethod
    def result_at(conn: sqlite3.Connection, process_id: str, position: int) -> sqlite3.Row | None:
        found: sqlite3.Row | None = conn.execute(
            f"SELECT {_RESULT_COLS} FROM results WHERE process = ? AND position = ?",
            (process_id, position),
        ).fetchone()
        return found

    @staticmethod
    def results(conn: sqlite3.Connection, process_id: str, upper: int) -> list[sqlite3.Row]:
        """Stored results up to ordinate `upper`, in position order."""
        return conn.execute(_RESULT_SQL, (process_id, upper)).fetchall()

    def bounds(self, process_id: str) -> tuple[int, int | None] | None:
        """(last scheduled nonce or -1, latest cron tick stored after it or None), without
        parsing anything; None when the process is not there."""
        with self.snapshot() as conn:
            head = self.head_nonce(conn, process_id)
            if head is None:
                return None
            row = conn.execute(
                "SELECT MAX(nonce) FROM schedule WHERE process = ? AND nonce <= ?",
                (process_id, head),
            ).fetchone()
            last = -1 if row is None or row[0] is None else int(row[0])
            tick = conn.execute(
                "SELECT MAX(timestamp) FROM results WHERE process = ? AND ordinate = ?"
                " AND cron IS NOT NULL AND cron != ''",
                (process_id, last),
            ).fetchone()
        return last, (None if tick is None or tick[0] is None else int(tick[0]))

    def records(
        self, process_id: str, to_nonce: int | None = None, after_nonce: int = -1
    ) -> list[tuple[Entry, Item]]:
        """The schedule as the compute unit reads it (the store's columns, not the signed
        bytes), after `after_nonce` up to `to_nonce`; it stops before the first slot whose
        item is missing."""
        upper = _NO_UPPER if to_nonce is None else to_nonce
        with self.snapshot() as conn:
            conn.row_factory = None
            rows = conn.execute(_RECORDS_SQL, (process_id, after_nonce, upper)).fetchall()
        width = len(ENTRY_COLS.split(","))
        records: list[tuple[Entry, Item]] = []
        for row in rows:
            if row[width + 1] is None:  # the item's id: NULL when the item is missing
                break
            records.append((entry_from_row(row[:width]), item_from_row(row[width:])))
        return records

    def integrity_problems(self, limit: int = 5) -> list[str]:
        """SQLite's full integrity_check of the file: [] when it is sound."""
        if not self.path.is_file():
            raise VerifyError(
                f"no node database in {self.data_dir} (looked for {DB_NAME}); check --data-dir"
            )
        try:  # its own connection, outside a transaction: a damaged file ends it early
            conn = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30.0)
        except sqlite3.Error as err:
            raise VerifyError(f"cannot open the node database {self.path}: {err}") from err
        try:
            found = [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
        except sqlite3.DatabaseError as err:  # too damaged to be checked at all
            return [str(err)]
        finally:
            conn.close()
        return [] if found == ["ok"] else found

    def verdicts(self, process_id: str) -> dict[VerdictKey, str]:
        """The results the node decided for the process (aos.log.verdicts); none in a
        directory made before verdicts existed."""
        with self.snapshot() as conn:
            try:
                rows = conn.execute(VERDICT_SQL, (process_id,)).fetchall()
            except sqlite3.OperationalError:  # no such table: an older directory
                return {}
        return {(int(r[0]), int(r[1]), str(r[2])): str(r[3]) for r in rows}

    # -- snapshots ------------------------------------------------------------------------
    def latest_snapshot(self, process_id: str, at_most: int | None = None) -> SnapshotRow | None:
        """The stored snapshot with the highest nonce (≤ `at_most`), unchecked: see
        aos.log.snapshots.problem before using it."""
        with self.snapshot() as conn:
            if not _has_snapshots(conn):
                return None
            conn.row_factory = None
            row = conn.execute(
                f"SELECT {SNAPSHOT_READ} FROM snapshots WHERE process = ? AND nonce <= ?"
                " ORDER BY nonce DESC LIMIT 1",
                (process_id, _NO_UPPER if at_most is None else at_most),
            ).fetchone()
        return None if row is None else snapshot_from_row(row)

    def snapshot_nonces(self, process_id: str) -> list[int]:
        with self.snapshot() as conn:
            if not _has_snapshots(conn):
                return []
            rows = conn.execute(
                "SELECT nonce FROM snapshots WHERE process = ? ORDER BY nonce", (process_id,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    # -- finding a process ----------------------------------------------------------------
    def find_process(self, name_or_id: str) -> str | None:
        """A process id from an id or a process Name tag (the newest with that name)."""
        with self.snapshot() as conn:
            if conn.execute("SELECT 1 FROM processes WHERE id = ?", (name_or_id,)).fetchone():
                return name_or_id
            row = conn.execute(
                "SELECT p.id FROM processes p JOIN items i ON i.id = p.id"
                " JOIN item_tags t ON t.seq = i.seq AND t.name = 'Name' AND t.value = ?"
                " ORDER BY i.seq DESC LIMIT 1",
                (name_or_id,),
            ).fetchone()
        return None if row is None else str(row[0])
