"""What the store returns and takes: frozen dataclasses, and the row decoders behind them.

Nothing outside aos.node.store sees a sqlite3 row; the column lists here are the order in
which the store's SELECTs read them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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


ITEM_COLS = (
    "seq, id, signature_type, signature, owner, owner_key, target, anchor, tags, data, "
    "created_at, block_height"
)
ENTRY_COLS = (
    "process, nonce, timestamp, block_height, epoch, hash_chain, assignment_id, message_id, "
    "assigned"
)
HEAD_SQL = (
    "SELECT id, owner, module, scheduler, head_nonce, head_timestamp, head_block_height,"
    " head_hash_chain, head_assignment_id FROM processes WHERE id = ?"
)
RESULT_COLS = (
    "process, position, ordinate, cron, message_id, timestamp, block_height, error, result, "
    "result_hash, chain_hash"
)


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
        _decode_tags(row[8]),
        row[9],
        row[10],
    )
