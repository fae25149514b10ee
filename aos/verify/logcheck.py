"""Checks of a process's signed log that need no Lua: signatures, nonce order, hash chain.

A log is the process's spawn item and its schedule: one `LogEntry` per nonce, each an
assignment (signed by the scheduler) and the item it schedules (the spawn itself for the
process's own entry, a message otherwise). `check_log` walks the entries in the order it is
given and reports the first one that is wrong, so that tampering with one byte of a stored
message, of a signature, or swapping two entries is named precisely:

* the assignment is an ao `Type=Assignment` item for this process, carrying the nonce of its
  position (0, 1, 2, … gap-free) and a timestamp no earlier than the previous entry's;
* its `Hash-Chain` is the one docs/protocol.md §3.2.6 derives from the previous entry
  (`HC0 = sha256(process id)`, `HCn = sha256(assignment id(n-1) || HC(n-1))`);
* its `Message` tag names the scheduled item (absent only for the process's own entry);
* both the assignment and the item carry valid signatures (`DataItem.verify()`).

`check_results` does the same for the stored results: each hash is recomputed from the
stored canonical JSON and the chain of result hashes is recomputed from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aos.dataitem import DataItem
from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.verify.signatures import PARALLEL_MIN, first_bad_signature


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One scheduled entry: the assignment and the item it assigns (None if missing)."""

    nonce: int
    assignment: DataItem | None
    item: DataItem | None
    # Set by the reader when stored bytes could not even be parsed (e.g. a corrupted length).
    defect: str | None = None

    @property
    def message_id(self) -> str:
        """The id the assignment schedules: its `Message` tag, or the process for nonce 0."""
        if self.assignment is None:
            return self.item.id if self.item is not None else ""
        return self.assignment.tag("Message") or (self.assignment.tag("Process") or "")


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing found wrong in a log: where (nonce, message id) and what."""

    nonce: int | None
    message_id: str | None
    what: str

    def __str__(self) -> str:
        where = []
        if self.nonce is not None:
            where.append(f"nonce {self.nonce}")
        if self.message_id:
            where.append(f"message {self.message_id}")
        return f"{', '.join(where)}: {self.what}" if where else self.what


def int_tag(item: DataItem, name: str) -> int | None:
    value = item.tag(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def check_entry(
    process_id: str, position: int, entry: LogEntry, expected_chain: str, previous_ts: int
) -> str | None:
    """What is wrong with one entry, signatures aside (None if nothing)."""
    if entry.defect is not None:
        return entry.defect
    assignment = entry.assignment
    if assignment is None:
        return "the assignment is missing from the log"
    if assignment.tag("Type") != "Assignment":
        return f"the scheduled entry is not an assignment (Type={assignment.tag('Type')!r})"
    if assignment.tag("Process") != process_id:
        return f"the assignment is for process {assignment.tag('Process')!r}, not this one"
    nonce = int_tag(assignment, "Nonce")
    if nonce != position:
        return (
            f"the assignment carries Nonce {assignment.tag('Nonce')!r} at log position "
            f"{position}: entries are missing, duplicated or out of order"
        )
    timestamp = int_tag(assignment, "Timestamp")
    if timestamp is None:
        return f"the assignment's Timestamp {assignment.tag('Timestamp')!r} is not a number"
    if timestamp < previous_ts:
        return f"the timestamp {timestamp} is earlier than the previous entry's {previous_ts}"
    chain = assignment.tag("Hash-Chain")
    if chain != expected_chain:
        return (
            f"the hash chain is broken: the assignment says Hash-Chain {chain!r}, "
            f"the previous entry gives {expected_chain!r}"
        )
    scheduled = assignment.tag("Message")
    if scheduled is None and position != 0:
        return "the assignment names no Message"
    item = entry.item
    wanted = scheduled or process_id
    if item is None:
        return f"the scheduled item {wanted} is missing from the log"
    if item.id != wanted:
        return f"the stored item has id {item.id}, but the assignment schedules {wanted}"
    return None


def check_log(
    process: DataItem,
    entries: Sequence[LogEntry],
    *,
    progress: Callable[[int], None] | None = None,
    parallel_min: int | None = None,
) -> tuple[int, Problem | None]:
    """Check the spawn item and every entry in order: (entries checked, first problem).

    The structure (nonces, timestamps, hash chain, ids) is checked first, in one cheap
    pass; then the signatures of the entries up to the first structural problem, on
    several cores for a long log (aos.verify.signatures). At one entry, a structural
    problem is reported before a bad signature.
    """
    process_id = process.id
    if process.tag("Type") != "Process":
        return 0, Problem(None, process_id, "the first item is not a process (Type=Process)")
    if not process.verify():
        return 0, Problem(None, process_id, "the signature of the process item does not verify")
    chain = first_hash_chain(process_id)
    previous_ts = 0
    structural: Problem | None = None
    for position, entry in enumerate(entries):
        what = check_entry(process_id, position, entry, chain, previous_ts)
        if what is not None:
            structural = Problem(position, entry.message_id, what)
            break
        assert entry.assignment is not None  # check_entry refused a missing one
        previous_ts = int_tag(entry.assignment, "Timestamp") or 0
        chain = next_hash_chain(entry.assignment.id, chain)
    limit = len(entries) if structural is None else structural.nonce or 0
    bad = first_bad_signature(
        entries[:limit],
        progress=progress,
        parallel_min=PARALLEL_MIN if parallel_min is None else parallel_min,
    )
    if bad is not None:
        position, what = bad
        return position, Problem(position, entries[position].message_id, what)
    if progress is not None:
        progress(limit)
    return limit, structural
