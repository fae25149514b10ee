"""The scheduler: gives each accepted item its slot (docs/protocol.md §2.5, §3.2.6)
in the log.

A slot is nonce (the spawn is 0, AOP-6, then gap-free), timestamp (ms, strictly increasing
per process), a 12-digit block height, epoch 0 and the hash chain, carried by an
assignment data item that the scheduler signs with its Ed25519 key (type 2: ~50 µs instead
of ~3 ms for RSA-4096, which is what lets the node schedule thousands of items a second).
Each slot is written in one transaction together with the item, so an id is acknowledged
only once it is durable, and several OS processes share one order.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from aos.clock import block_height_at, now_ms
from aos.dataitem import DataItem, create, parse
from aos.errors import DataItemError, NodeError, NotFound
from aos.ids import is_id
from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.log.records import Entry, ProcessRow, new_item
from aos.node.store import Store, Tx
from aos.protocol import DATA_PROTOCOL, VARIANT
from aos.wallet import Ed25519Signer

if TYPE_CHECKING:
    from aos.node.units.quota import Quota


def parse_signed(raw: bytes) -> DataItem:
    """The data item of an HTTP body whose signature verifies; NodeError (400) says which
    of the two it is not. Every route that takes an item (MU, SU, gateway upload) uses it."""
    try:
        item = parse(raw)
    except DataItemError as err:
        raise NodeError(f"the body is not an ANS-104 data item: {err}") from None
    if not item.verify():
        raise NodeError(
            f"item {item.id}: the signature does not verify; a valid and signed data item "
            "must be provided as the body"
        )
    return item


def check_schedulable(item: DataItem) -> str:
    """The SU's tag rules (docs/protocol.md §1.7); returns the Type. NodeError (400) names the
    problem."""
    kind = item.tag("Type")
    if kind is None:
        raise NodeError(f"item {item.id}: Type tag not present (expected Process or Message)")
    if kind not in ("Process", "Message"):
        raise NodeError(f"item {item.id}: unsupported Type tag value {kind!r}")
    if item.tag("Data-Protocol") is None:
        raise NodeError(f"item {item.id}: Data-Protocol tag not present")
    for name, value in item.tags:
        if name.endswith("+link") or value.endswith("+link"):
            raise NodeError(f"item {item.id}: tag {name!r} cannot contain +link")
    if kind == "Process" and (item.tag("Module") is None or item.tag("Scheduler") is None):
        raise NodeError(f"item {item.id}: a Process needs Module and Scheduler tags")
    return kind


class Duplicate(NodeError):
    """The item is already in this process's log (the entry is attached)."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(f"item {entry.message_id} is already scheduled on {entry.process}")
        self.entry = entry


class Scheduler:
    """Writes slots into the store; thread-safe (the store serialises writers)."""

    def __init__(self, store: Store, signer: Ed25519Signer) -> None:
        self.store = store
        self.signer = signer
        self.address = signer.address
        # The admission quota (aos.node.units.quota), set by the node: checked inside the
        # transaction that would append a message or an assignment.
        self.quota: Quota | None = None

    # -- the three ways into a log ---------------------------------------------------------
    def spawn(self, item: DataItem, raw: bytes | None, claim: str | None = None) -> Entry | None:
        """Create the process `item.id` with its own item at nonce 0."""
        with self.store.write() as tx:
            if claim is not None and not tx.claim(claim, item.id):
                return None
            existing = tx.head(item.id)
            if existing is not None:
                found = tx.is_scheduled(item.id, item.id)
                if found is not None:
                    raise Duplicate(found)
            now = now_ms()
            tx.put_item(new_item(item, raw), block_height_at(now))
            tx.create_process(
                item.id, item.owner_address, item.tag("Module") or "", item.tag("Scheduler") or ""
            )
            row = tx.head(item.id)
            assert row is not None
            return self._append(tx, row, item.id, assigned=False, now=now)

    def schedule(
        self, item: DataItem, raw: bytes | None, process: str, claim: str | None = None
    ) -> Entry | None:
        """Append a message for `process`; None if `claim` was taken by someone else."""
        with self.store.write() as tx:
            if claim is not None and not tx.claim(claim, item.id):
                return None
            row = tx.head(process)
            if row is None:
                raise NotFound(f"process {process} is not on this node")
            found = tx.is_scheduled(process, item.id)
            if found is not None:
                raise Duplicate(found)
            if self.quota is not None:
                self.quota.check_message(tx, row, item)
            now = now_ms()
            tx.put_item(new_item(item, raw), block_height_at(now), index_tags=False)
            return self._append(tx, row, item.id, assigned=False, now=now)

    def assign(self, process: str, item_id: str, claim: str | None = None) -> Entry | None:
        """Append an assignment of an item the node already holds (docs/protocol.md §3.2.5)."""
        if not is_id(item_id):
            raise NodeError(f"assign must be a 43-character item id, got {item_id!r}")
        with self.store.write() as tx:
            if claim is not None and not tx.claim(claim, item_id):
                return None
            row = tx.head(process)
            if row is None:
                raise NotFound(f"process {process} is not on this node")
            known = tx.one("SELECT 1 FROM items WHERE id = ?", (item_id,))
            if known is None:
                raise NotFound(f"item {item_id} is not on this node's gateway; upload it first")
            found = tx.is_scheduled(process, item_id)
            if found is not None:
                raise Duplicate(found)
            if self.quota is not None:
                stored = self.store.item(item_id)
                if stored is not None:
                    self.quota.check_assigned(tx, row, stored)
            return self._append(tx, row, item_id, assigned=True, now=now_ms())

    def store_only(self, item: DataItem, raw: bytes | None, claim: str | None = None) -> bool:
        """Index an item without scheduling it (uploads, messages to non-local targets)."""
        with self.store.write() as tx:
            if claim is not None and not tx.claim(claim, item.id):
                return False
            tx.put_item(new_item(item, raw), block_height_at(now_ms()))
            return True

    # -- slot derivation -------------------------------------------------------------------
    def _append(self, tx: Tx, row: ProcessRow, message_id: str, assigned: bool, now: int) -> Entry:
        head = row.head
        nonce = head.nonce + 1
        if nonce == 0:
            timestamp = now
            hash_chain = first_hash_chain(row.id)
        else:
            timestamp = max(now, head.timestamp + 1)
            hash_chain = next_hash_chain(head.assignment_id, head.hash_chain)
        height = max(block_height_at(timestamp), head.block_height)
        tags = [
            ("Process", row.id),
            ("Epoch", "0"),
            ("Nonce", str(nonce)),
            ("Hash-Chain", hash_chain),
            ("Block-Height", f"{height:012d}"),
            ("Timestamp", str(timestamp)),
            ("Data-Protocol", DATA_PROTOCOL),
            ("Type", "Assignment"),
            ("Variant", VARIANT),
        ]
        if message_id != row.id:
            tags.append(("Message", message_id))
        # The anchor is 32 random ASCII characters (192 bits), not 32 random bytes: the SU's
        # JSON shows an anchor only when it is UTF-8 (docs/protocol.md §3.2.7), and without
        # it nobody can check an assignment's signature from the SU's own answers.
        anchor = secrets.token_urlsafe(24)
        assignment = create(signer=self.signer, anchor=anchor, tags=tags)
        entry = Entry(
            process=row.id,
            nonce=nonce,
            timestamp=timestamp,
            block_height=height,
            epoch=0,
            hash_chain=hash_chain,
            assignment_id=assignment.id,
            message_id=message_id,
            assigned=assigned,
        )
        tx.append(entry, assignment.to_bytes())
        return entry
