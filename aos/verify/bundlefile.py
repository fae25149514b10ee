"""A process's whole log as one ANS-104 bundle: what `aos export` writes and
`aos verify --bundle` reads.

Layout (docs/protocol.md §1.9; the item order is the log order):

    item 0          the process's spawn item (Type=Process)
    then, per scheduled entry in nonce order:
                    the scheduled item (a message, or an assigned existing item), unless
                    it is the spawn item itself, which is already item 0
                    the assignment that scheduled it (Type=Assignment, signed by the SU)

Reading it back does not trust the order of the non-assignment items: they are looked up
by id, so only the order of the assignments (the schedule) matters, and `check_log` verifies
that order, the signatures and the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aos.bundle import build_bundle, parse_bundle
from aos.dataitem import DataItem
from aos.errors import VerifyError
from aos.verify.logcheck import LogEntry


def bundle_items(process: DataItem, entries: Iterable[LogEntry]) -> list[DataItem]:
    """The items of the export bundle, in the order described in the module docstring."""
    items = [process]
    for entry in entries:
        if entry.assignment is None or entry.item is None:
            raise VerifyError(
                f"cannot export: nonce {entry.nonce} of process {process.id} is incomplete "
                f"({entry.defect or 'its assignment or message is missing'}); "
                "run `aos verify` on it first"
            )
        if entry.item.id != process.id:
            items.append(entry.item)
        items.append(entry.assignment)
    return items


def write_bundle(path: Path, process: DataItem, entries: Iterable[LogEntry]) -> int:
    """Write the bundle file (atomically: a temporary file renamed); returns its item count."""
    items = bundle_items(process, entries)
    raw = build_bundle(items)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(raw)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise VerifyError(f"cannot write the bundle {path}: {err.strerror or err}") from err
    return len(items)


def read_bundle(path: Path) -> tuple[DataItem, list[LogEntry]]:
    """The spawn item and the log entries of an exported bundle file."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise VerifyError(f"cannot read the bundle {path}: {err.strerror or err}") from err
    items = parse_bundle(raw)  # DataItemError (an AosError) names the bad byte
    if not items:
        raise VerifyError(f"the bundle {path} holds no items; export a process into it first")
    process = items[0]
    if process.tag("Type") != "Process":
        raise VerifyError(
            f"the first item of the bundle {path} is not a process (Type={process.tag('Type')!r}); "
            "a bundle from `aos export` starts with the spawn item"
        )
    by_id = {item.id: item for item in items}
    assignments = [item for item in items[1:] if item.tag("Type") == "Assignment"]
    entries = []
    for position, assignment in enumerate(assignments):
        wanted = assignment.tag("Message") or assignment.tag("Process") or ""
        entries.append(LogEntry(position, assignment, by_id.get(wanted)))
    return process, entries
