"""The records of the log: items, schedule entries, heads, results, and how each is built.

The one place where an `Item` or an `Entry` is made: from a store row (`item_from_row`,
`entry_from_row`: the column order is aos.log.schema's), from a parsed data item
(`new_item` for the store, `item_of` for a replay) and from a signed assignment
(`entry_of`). The node stores what `new_item` gives and evaluates what the rows give;
`aos verify` evaluates what `item_of`/`entry_of` give from the signed bytes alone, and a
test holds the two equal. Records are plain values: no I/O, no SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aos.dataitem import DataItem, b64url_encode


@dataclass(frozen=True, slots=True)
class Item:
    """A stored data item (any kind: process, message, module record, upload)."""

    seq: int
    id: str
    signature_type: int
    signature: str  # base64url
    owner: str  # address
    owner_key: str  # base64url public key
    target: str | None
    anchor: str | None
    tags: list[dict[str, str]]
    data: bytes
    created_at: int
    block_height: int

    def tag(self, name: str) -> str | None:
        for t in self.tags:
            if t["name"] == name:
                return t["value"]
        return None


@dataclass(frozen=True, slots=True)
class NewItem:
    """What the store needs to index an item (built by the node from a parsed data item)."""

    id: str
    signature_type: int
    signature: str
    owner: str
    owner_key: str
    target: str | None
    anchor: str | None
    tags: list[dict[str, str]]
    data: bytes
    raw: bytes | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One slot of a process's schedule (the assignment fields)."""

    process: str
    nonce: int
    timestamp: int
    block_height: int
    epoch: int
    hash_chain: str
    assignment_id: str
    message_id: str
    assigned: bool  # an assignment of an item scheduled elsewhere (no message in the bundle)


@dataclass(frozen=True, slots=True)
class Head:
    """The last slot of a process, from which the next one is derived."""

    nonce: int
    timestamp: int
    block_height: int
    hash_chain: str
    assignment_id: str


@dataclass(frozen=True, slots=True)
class ProcessRow:
    id: str
    owner: str
    module: str
    scheduler: str
    head: Head


@dataclass(frozen=True, slots=True)
class ResultRow:
    process: str
    position: int
    ordinate: int
    cron: str
    message_id: str
    timestamp: int
    block_height: int
    error: bool
    result: dict[str, Any]
    result_hash: str
    chain_hash: str


@dataclass(frozen=True, slots=True)
class NewResult:
    process: str
    position: int
    ordinate: int
    cron: str
    message_id: str
    timestamp: int
    block_height: int
    error: bool
    has_outbox: bool
    result_json: str
    result_hash: str
    chain_hash: str


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """A process state at a message boundary (docs/snapshots.md): after the result at
    `position` (that of nonce `nonce`, and the crons before it), whose chain hash it
    repeats. `mac` authenticates it with the data directory's snapshot key."""

    process: str
    nonce: int
    position: int
    chain_hash: str
    state_hash: str
    evaluator: str  # JSON of the evaluator's own position (aos.log.evaluator)
    data: bytes
    mac: str


def snapshot_from_row(row: Sequence[Any]) -> SnapshotRow:
    return SnapshotRow(row[0], row[1], row[2], row[3], row[4], row[5], bytes(row[6]), row[7])


# Most messages of a process repeat the same tags text (Action=Eval, the ao block …); decoding
# each distinct text once takes 15-25% off a cold replay. The lists are shared between Items,
# so nothing may mutate an Item's tags (nothing does: readers copy what they filter).
_decode_tags = lru_cache(maxsize=4096)(json.loads)


def item_from_row(row: Sequence[Any]) -> Item:
    return Item(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        _decode_tags(row[8]),
        bytes(row[9]),
        row[10],
        row[11],
    )


def entry_from_row(row: Sequence[Any]) -> Entry:
    return Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], bool(row[8]))


def result_from_row(row: Sequence[Any]) -> ResultRow:
    return ResultRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        bool(row[7]),
        # Not the tags' cache: every result is different, and cached ones (text and
        # decoded value) would stay in memory for the life of the process.
        json.loads(row[8]),
        row[9],
        row[10],
    )


# -- from signed data items -----------------------------------------------------------------
# One signer usually writes most of a log, and an RSA key is 512 bytes to hash and encode:
# a replay that converts every entry asks for the same few owners again and again.
@lru_cache(maxsize=256)
def _owner_fields(owner: bytes) -> tuple[str, str]:
    """(address, base64url key) of an owner key: the address is sha256 for every type."""
    return b64url_encode(hashlib.sha256(owner).digest()), b64url_encode(owner)


def _tag_dicts(item: DataItem) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in item.tags]


def new_item(item: DataItem, raw: bytes | None) -> NewItem:
    """What the store keeps of a parsed data item (its raw bytes, when given, too)."""
    address, key = _owner_fields(bytes(item.owner))
    return NewItem(
        id=item.id,
        signature_type=item.signature_type,
        signature=b64url_encode(item.signature),
        owner=address,
        owner_key=key,
        target=item.target_id,
        anchor=item.anchor_text,
        tags=_tag_dicts(item),
        data=item.data,
        raw=raw,
    )


def item_of(item: DataItem) -> Item:
    """The `Item` the compute unit would read back for `item`, without a store (no seq,
    no arrival time, no block: evaluation never reads those)."""
    address, key = _owner_fields(bytes(item.owner))
    return Item(
        0, item.id, item.signature_type, b64url_encode(item.signature), address, key,
        item.target_id, item.anchor_text, _tag_dicts(item), item.data, 0, 0,
    )  # fmt: skip


def is_assigned(process_id: str | None, item: DataItem) -> bool:
    """Whether an entry assigns an item that was not sent to this process (docs/protocol.md
    §3.2.5)."""
    return item.id != process_id and item.target_id != process_id


def entry_of(process_id: str, assignment: DataItem, item: DataItem) -> Entry:
    """The schedule `Entry` that a signed assignment of `item` to `process_id` stands for.
    ValueError names the assignment tag that is missing or not a number."""
    tags = dict(assignment.tags)
    numbers: dict[str, int] = {}
    for name in ("Nonce", "Timestamp", "Block-Height", "Epoch"):
        value = tags.get(name)
        if value is None or not (value.isascii() and value.isdigit()):
            raise ValueError(f"assignment {assignment.id} lacks a numeric {name} tag")
        numbers[name] = int(value)
    return Entry(
        process=process_id,
        nonce=numbers["Nonce"],
        timestamp=numbers["Timestamp"],
        block_height=numbers["Block-Height"],
        epoch=numbers["Epoch"],
        hash_chain=tags.get("Hash-Chain", ""),
        assignment_id=assignment.id,
        message_id=item.id,
        assigned=is_assigned(process_id, item),
    )
