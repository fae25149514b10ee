"""Reading a process's log and stored results out of a node data directory, read-only.

This is an adapter on the node store's schema (aos/node/store.py): it reads the signed
bytes (the spawn item, every assignment and every scheduled item) with plain SQL on a
read-only connection, so `aos verify` can never change a log it checks, and it compares the
store's convenience columns (timestamp, hash chain, tags, data…) with the signed bytes: the
node evaluates from those columns, so a changed column is tampering too, even when the
signed bytes are intact.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aos.dataitem import DataItem, b64url_encode, parse
from aos.errors import DataItemError, VerifyError
from aos.node.store import Entry, Item
from aos.verify.logcheck import LogEntry


def is_assigned(process_id: str | None, item: DataItem) -> bool:
    """Whether an entry assigns an item that was not sent to this process (§3.2.5)."""
    return item.id != process_id and item.target_id != process_id


DB_NAME = "node.sqlite3"  # aos.node.store.DB_NAME


@dataclass(frozen=True, slots=True)
class StoredResult:
    """One stored evaluation, as the compute unit wrote it."""

    position: int
    ordinate: int
    cron: str
    message_id: str
    timestamp: int
    result_json: str
    result_hash: str
    chain_hash: str

    def result(self) -> Any:
        """The stored result as JSON (None if the stored text is not JSON)."""
        try:
            return json.loads(self.result_json)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class StoredLog:
    """Everything `aos verify` reads from a data directory for one process."""

    process: DataItem
    entries: list[LogEntry]
    results: list[StoredResult]
    head_nonce: int  # the last nonce the store's process row claims


def _connect(data_dir: Path) -> sqlite3.Connection:
    path = data_dir / DB_NAME
    if not path.is_file():
        raise VerifyError(
            f"no node database in {data_dir} (looked for {DB_NAME}); check --data-dir"
        )
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30.0)
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.Error as err:
        raise VerifyError(f"cannot open the node database {path}: {err}") from err
    return conn


def _parse(raw: bytes | None, what: str) -> DataItem | str:
    if raw is None:
        return f"the {what} has no stored bytes"
    try:
        return parse(bytes(raw))
    except DataItemError as err:
        return f"the stored bytes of the {what} are malformed: {err}"


def _tags(item: DataItem) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in item.tags]


def item_columns_defect(item: DataItem, row: sqlite3.Row) -> str | None:
    """How the store's columns for an item disagree with its signed bytes (None if they agree)."""
    checks: list[tuple[str, Any, Any]] = [
        ("signature type", row["signature_type"], item.signature_type),
        ("signature", row["signature"], b64url_encode(item.signature)),
        ("owner", row["owner_key"], b64url_encode(item.owner)),
        ("owner address", row["owner"], item.owner_address),
        ("target", row["target"] or None, item.target_id),
        ("anchor", row["anchor"], item.anchor_text),
        ("tags", json.loads(row["tags"]), _tags(item)),
        ("data", bytes(row["data"]), item.data),
    ]
    for name, stored, signed in checks:
        if stored != signed:
            return f"the stored {name} of item {item.id} differs from its signed bytes"
    return None


def _entry_columns_defect(assignment: DataItem, row: sqlite3.Row) -> str | None:
    """How a schedule row's columns disagree with the assignment it stores."""
    numbers = [
        ("nonce", row["nonce"], assignment.tag("Nonce")),
        ("timestamp", row["timestamp"], assignment.tag("Timestamp")),
        ("block height", row["block_height"], assignment.tag("Block-Height")),
        ("epoch", row["epoch"], assignment.tag("Epoch")),
    ]
    for name, stored, signed in numbers:
        if signed is None or not signed.isdigit() or int(signed) != stored:
            return f"the stored {name} {stored!r} differs from the signed assignment ({signed!r})"
    if row["hash_chain"] != assignment.tag("Hash-Chain"):
        return "the stored hash chain differs from the signed assignment"
    if row["assignment_id"] != assignment.id:
        return f"the stored assignment id {row['assignment_id']} differs from its signed bytes"
    wanted = assignment.tag("Message") or assignment.tag("Process")
    if row["message_id"] != wanted:
        return f"the stored message id {row['message_id']} differs from the signed assignment"
    return None


def _entry(row: sqlite3.Row, check_columns: bool) -> LogEntry:
    nonce = int(row["nonce"])
    assignment = _parse(row["assignment_raw"], f"assignment of nonce {nonce}")
    if isinstance(assignment, str):
        return LogEntry(nonce, None, None, defect=assignment)
    if row["item_id"] is None:
        return LogEntry(nonce, assignment, None)
    item = _parse(row["raw"], f"message {row['message_id']}")
    if isinstance(item, str):
        return LogEntry(nonce, assignment, None, defect=item)
    if not check_columns:
        return LogEntry(nonce, assignment, item)
    defect = _entry_columns_defect(assignment, row) or item_columns_defect(item, row)
    if defect is None and bool(row["assigned"]) != is_assigned(assignment.tag("Process"), item):
        defect = "the stored 'assigned' flag differs from what the signed items say"
    return LogEntry(nonce, assignment, item, defect=defect)


def read_log(
    data_dir: Path, process_id: str, *, to_nonce: int | None = None, check_columns: bool = True
) -> StoredLog:
    """The process's spawn item, its schedule (up to `to_nonce`) and its stored results.

    `check_columns=False` skips comparing the store's columns with the signed bytes (the
    replay worker reads only the signed bytes; the parent process does the comparison).
    """
    conn = _connect(data_dir)
    conn.row_factory = sqlite3.Row
    try:
        # One read transaction, so entries and results are one consistent snapshot even
        # while a node appends to the same file.
        conn.execute("BEGIN")
        head = conn.execute(
            "SELECT head_nonce FROM processes WHERE id = ?", (process_id,)
        ).fetchone()
        if head is None:
            raise VerifyError(
                f"no process {process_id} in the node at {data_dir}; check the id and --data-dir"
            )
        raw = conn.execute("SELECT raw FROM items WHERE id = ?", (process_id,)).fetchone()
        process = _parse(None if raw is None else raw["raw"], f"process item {process_id}")
        if isinstance(process, str):
            raise VerifyError(f"process {process_id}: {process}")
        upper = head["head_nonce"] if to_nonce is None else min(to_nonce, head["head_nonce"])
        rows = conn.execute(
            "SELECT s.nonce, s.timestamp, s.block_height, s.epoch, s.hash_chain,"
            " s.assignment_id, s.assignment_raw, s.message_id, i.id AS item_id, i.raw,"
            " s.assigned, i.signature_type, i.signature, i.owner, i.owner_key, i.target,"
            " i.anchor, i.tags, i.data"
            " FROM schedule s LEFT JOIN items i ON i.id = s.message_id"
            " WHERE s.process = ? AND s.nonce <= ? ORDER BY s.nonce",
            (process_id, upper),
        ).fetchall()
        entries = [_entry(row, check_columns) for row in rows]
        results = [
            StoredResult(*r)
            for r in conn.execute(
                "SELECT position, ordinate, cron, message_id, timestamp, result, result_hash,"
                " chain_hash"
                " FROM results WHERE process = ? AND ordinate <= ? ORDER BY position",
                (process_id, upper),
            )
        ]
        conn.execute("COMMIT")
    except sqlite3.Error as err:
        raise VerifyError(f"cannot read the log of {process_id} in {data_dir}: {err}") from err
    finally:
        conn.close()
    return StoredLog(process, entries, results, int(head["head_nonce"]))


def log_bounds(data_dir: Path, process_id: str) -> tuple[int, int | None] | None:
    """(last scheduled nonce or -1, latest cron tick stored after it or None), read without
    parsing anything, so `aos verify` can start its replay worker before reading the log;
    None when the process is not there (read_log then says why)."""
    conn = _connect(data_dir)
    try:
        conn.execute("BEGIN")
        head = conn.execute(
            "SELECT head_nonce FROM processes WHERE id = ?", (process_id,)
        ).fetchone()
        if head is None:
            return None
        row = conn.execute(
            "SELECT MAX(nonce) FROM schedule WHERE process = ? AND nonce <= ?",
            (process_id, head[0]),
        ).fetchone()
        last = -1 if row is None or row[0] is None else int(row[0])
        tick = conn.execute(
            "SELECT MAX(timestamp) FROM results WHERE process = ? AND ordinate = ?"
            " AND cron IS NOT NULL AND cron != ''",
            (process_id, last),
        ).fetchone()
        conn.execute("COMMIT")
    except sqlite3.Error as err:
        raise VerifyError(f"cannot read the log of {process_id} in {data_dir}: {err}") from err
    finally:
        conn.close()
    return last, (None if tick is None or tick[0] is None else int(tick[0]))


def read_records(
    data_dir: Path, process_id: str, *, to_nonce: int | None = None
) -> list[tuple[Entry, Item]]:
    """The schedule as the compute unit reads it: the store's columns, not the signed bytes.

    The replay worker of `aos verify PROCESS` uses this (parsing every item again would
    cost it as much as the evaluation): the parent process compares every one of these
    columns with the signed bytes in the same run (`read_log`), and names the first entry
    where they differ, so nothing unchecked reaches the verdict. It stops before the first
    slot whose item is missing.
    """
    conn = _connect(data_dir)
    try:
        upper = (1 << 62) if to_nonce is None else to_nonce
        rows = conn.execute(
            "SELECT s.process, s.nonce, s.timestamp, s.block_height, s.epoch, s.hash_chain,"
            " s.assignment_id, s.message_id, s.assigned, i.id, i.signature_type, i.signature,"
            " i.owner, i.owner_key, i.target, i.anchor, i.tags, i.data"
            " FROM schedule s LEFT JOIN items i ON i.id = s.message_id"
            " WHERE s.process = ? AND s.nonce <= ? ORDER BY s.nonce",
            (process_id, upper),
        ).fetchall()
    except sqlite3.Error as err:
        raise VerifyError(f"cannot read the log of {process_id} in {data_dir}: {err}") from err
    finally:
        conn.close()
    records: list[tuple[Entry, Item]] = []
    for r in rows:
        if r[9] is None:
            break
        entry = Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))
        item = Item(0, r[9], r[10], r[11], r[12], r[13], r[14], r[15], json.loads(r[16]),
                    bytes(r[17]), 0, 0)  # fmt: skip
        records.append((entry, item))
    return records


def find_process(data_dir: Path, name_or_id: str) -> str:
    """A process id from an id or a process Name tag (the newest process with that name)."""
    conn = _connect(data_dir)
    try:
        if conn.execute("SELECT 1 FROM processes WHERE id = ?", (name_or_id,)).fetchone():
            return name_or_id
        row = conn.execute(
            "SELECT p.id FROM processes p JOIN items i ON i.id = p.id"
            " JOIN item_tags t ON t.seq = i.seq AND t.name = 'Name' AND t.value = ?"
            " ORDER BY i.seq DESC LIMIT 1",
            (name_or_id,),
        ).fetchone()
    except sqlite3.Error as err:
        raise VerifyError(f"cannot read the node database in {data_dir}: {err}") from err
    finally:
        conn.close()
    if row is None:
        raise VerifyError(
            f"no process with id or Name {name_or_id!r} in the node at {data_dir}; "
            "check the id and --data-dir"
        )
    return str(row[0])
