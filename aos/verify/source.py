"""A process's log and stored results out of a node data directory, checked against the
signed bytes.

The rows come from aos.log.reader (read-only: `aos verify` can never change a log it
checks). Here they are parsed (the spawn item, every assignment and every scheduled item)
and the store's convenience columns (timestamp, hash chain, tags, data…) are compared with
the signed bytes: the node evaluates from those columns, so a changed column is tampering
too, even when the signed bytes are intact.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aos.dataitem import DataItem, parse
from aos.errors import DataItemError, StoreError, VerifyError
from aos.log.reader import LogReader, one_line
from aos.log.records import Entry, Item, is_assigned
from aos.log.verdicts import VerdictKey
from aos.verify.logcheck import LogEntry


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


def parse_stored(raw: bytes | None, what: str) -> DataItem | str:
    if raw is None:
        return f"the {what} has no stored bytes"
    try:
        return parse(bytes(raw))
    except DataItemError as err:
        return f"the stored bytes of the {what} are malformed: {err}"


def item_columns_defect(item: DataItem, row: sqlite3.Row) -> str | None:
    """How the store's row for an item disagrees with its signed bytes (None if it agrees).
    Since schema 4 the bytes are the only copy (aos.log.stored), so what is left to
    disagree is the id the row is found by."""
    if row["item_id"] != item.id:
        return f"the stored id {row['item_id']} differs from that of its signed bytes ({item.id})"
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


def log_entry(row: sqlite3.Row, check_columns: bool) -> LogEntry:
    nonce = int(row["nonce"])
    assignment = parse_stored(row["assignment_raw"], f"assignment of nonce {nonce}")
    if isinstance(assignment, str):
        return LogEntry(nonce, None, None, defect=assignment)
    if row["item_id"] is None:
        return LogEntry(nonce, assignment, None)
    try:
        raw = LogReader.slot_raw(row)
    except StoreError as err:
        return LogEntry(nonce, assignment, None, defect=f"message {row['message_id']}: {err}")
    item = parse_stored(raw, f"message {row['message_id']}")
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
    """The process's spawn item, its schedule (up to `to_nonce`) and its stored results,
    read in one snapshot.

    `check_columns=False` skips comparing the store's columns with the signed bytes (the
    replay worker reads only the signed bytes; the parent process does the comparison).
    """
    reader = LogReader(data_dir)
    with reader.snapshot() as conn:
        head = reader.head_nonce(conn, process_id)
        if head is None:
            raise VerifyError(
                f"no process {process_id} in the node at {data_dir}; check the id and --data-dir"
            )
        raw = reader.item_raw(conn, process_id)
        upper = head if to_nonce is None else min(to_nonce, head)
        slots = reader.slots(conn, process_id, upper)
        results = [StoredResult(*r) for r in reader.results(conn, process_id, upper)]
    process = parse_stored(raw, f"process item {process_id}")
    if isinstance(process, str):
        raise VerifyError(f"process {process_id}: {process}")
    entries = [log_entry(row, check_columns) for row in slots]
    return StoredLog(process, entries, results, head)


def log_bounds(data_dir: Path, process_id: str) -> tuple[int, int | None] | None:
    """(last scheduled nonce or -1, latest cron tick stored after it or None), read without
    parsing anything, so `aos verify` can start its replay worker before reading the log;
    None when the process is not there (read_log then says why)."""
    return LogReader(data_dir).bounds(process_id)


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
    return LogReader(data_dir).records(process_id, to_nonce)


def check_integrity(data_dir: Path) -> None:
    """VerifyError (one sentence) if SQLite's full integrity_check finds the node database
    of `data_dir` damaged (the node itself runs only the quick check when it opens it)."""
    reader = LogReader(data_dir)
    problems = reader.integrity_problems()
    if problems:
        raise VerifyError(
            f"{reader.path} is damaged (SQLite's integrity_check: {one_line(problems)});"
            " nothing in it can be verified: restore it from a backup"
        )


def read_verdicts(data_dir: Path, process_id: str) -> dict[VerdictKey, str]:
    """The results the node decided for the process without running them (quarantined
    messages, aos.log.verdicts): a replay adopts them and `aos verify` names them."""
    return LogReader(data_dir).verdicts(process_id)


def find_process(data_dir: Path, name_or_id: str) -> str:
    """A process id from an id or a process Name tag (the newest process with that name)."""
    found = LogReader(data_dir).find_process(name_or_id)
    if found is None:
        raise VerifyError(
            f"no process with id or Name {name_or_id!r} in the node at {data_dir}; "
            "check the id and --data-dir"
        )
    return found
