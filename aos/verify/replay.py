"""Replaying a log with the node's own evaluator, in a fresh runtime.

The evaluation is `aos.node.evaluator.Evaluator`, the very code the compute unit runs,
with a runtime from the node's own factory (same limits). Its inputs are the store's
`Entry` and `Item` records: either read from a data directory's columns (which `aos
verify` compares with the signed bytes) or rebuilt here from signed items (`_Converter`,
held equal to the node's `index_item` by a test), so an exported bundle replays exactly
like the data directory it came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aos.dataitem import DataItem, b64url_encode
from aos.errors import VerifyError
from aos.node.evaluator import Evaluated, Evaluator, ProcessInfo, Runtime
from aos.node.node import default_runtime
from aos.node.store import Entry, Item
from aos.node.su import index_item
from aos.verify.logcheck import LogEntry


def item_record(item: DataItem) -> Item:
    """The store's `Item` for a signed data item (what the compute unit reads).

    The same fields as `aos.node.su.index_item` (a test holds the two equal); written out
    here because a replay converts every entry and this is on its hot path.
    """
    new = index_item(item, None)
    return Item(
        0, new.id, new.signature_type, new.signature, new.owner, new.owner_key, new.target,
        new.anchor, new.tags, new.data, 0, 0,
    )  # fmt: skip


class _Converter:
    """Signed entries to (`Entry`, `Item`) pairs, caching per-owner work (one signer usually
    writes most of a log, and its key is 512 bytes to hash and encode for RSA)."""

    def __init__(self, process_id: str) -> None:
        self.process_id = process_id
        self._owners: dict[bytes, tuple[str, str]] = {}

    def _owner(self, owner: bytes) -> tuple[str, str]:
        known = self._owners.get(owner)
        if known is None:
            address = b64url_encode(hashlib.sha256(owner).digest())
            known = self._owners[owner] = (address, b64url_encode(owner))
        return known

    def item(self, item: DataItem, item_id: str) -> Item:
        address, key = self._owner(item.owner)
        return Item(
            0, item_id, item.signature_type, b64url_encode(item.signature), address, key,
            item.target_id, item.anchor_text, [{"name": n, "value": v} for n, v in item.tags],
            item.data, 0, 0,
        )  # fmt: skip

    def entry(self, log_entry: LogEntry) -> tuple[Entry, Item]:
        assignment, item = log_entry.assignment, log_entry.item
        if assignment is None or item is None or log_entry.defect is not None:
            raise VerifyError(
                f"nonce {log_entry.nonce}: cannot replay past an incomplete entry "
                f"({log_entry.defect or 'assignment or message missing'})"
            )
        tags = dict(assignment.tags)
        item_id = item.id
        try:
            entry = Entry(
                process=self.process_id,
                nonce=int(tags["Nonce"]),
                timestamp=int(tags["Timestamp"]),
                block_height=int(tags["Block-Height"]),
                epoch=int(tags["Epoch"]),
                hash_chain=tags.get("Hash-Chain", ""),
                assignment_id=assignment.id,
                message_id=item_id,
                assigned=item_id != self.process_id and item.target_id != self.process_id,
            )
        except (KeyError, ValueError) as err:
            raise VerifyError(
                f"nonce {log_entry.nonce}: assignment {assignment.id} lacks a numeric "
                f"Nonce/Timestamp/Block-Height/Epoch tag ({err})"
            ) from None
        return entry, self.item(item, item_id)


def entry_record(process_id: str, log_entry: LogEntry) -> tuple[Entry, Item]:
    """The store's (`Entry`, `Item`) pair for one signed log entry."""
    return _Converter(process_id).entry(log_entry)


class Replayer:
    """A fresh runtime and evaluator for one process; feed it the log in order."""

    def __init__(
        self, process: DataItem, runtime_factory: Callable[[ProcessInfo], Runtime] | None = None
    ) -> None:
        self.process = process
        # The node's own factory by default, so the replay runs with the very limits the
        # compute unit used (an instruction-limit Error must replay as the same Error).
        self.runtime_factory = runtime_factory or default_runtime
        self._evaluator: Evaluator | None = None

    def _records(self, entries: Iterable[LogEntry]) -> Iterator[tuple[Entry, Item]]:
        convert = _Converter(self.process.id)
        for log_entry in entries:
            yield convert.entry(log_entry)

    def _start(self, entry: Entry, item: Item) -> Evaluator:
        if entry.nonce != 0 or item.id != self.process.id:
            raise VerifyError(
                f"process {self.process.id}: the log must start with the spawn at "
                f"nonce 0, found {item.id} at nonce {entry.nonce}"
            )
        info = ProcessInfo.from_spawn(item, entry)
        return Evaluator(info, self.runtime_factory(info))

    def evaluate_records(
        self, records: Iterable[tuple[Entry, Item]], horizon: int | None = None
    ) -> Iterator[Evaluated]:
        """Every evaluation (crons included) of the store-shaped entries, in order."""
        for entry, item in records:
            if self._evaluator is None:
                self._evaluator = self._start(entry, item)
            yield from self._evaluator.step(entry, item)
        if horizon is not None and self._evaluator is not None:
            yield from self._evaluator.crons_until(horizon)

    def evaluations(
        self, entries: Iterable[LogEntry], horizon: int | None = None
    ) -> Iterator[Evaluated]:
        """Every evaluation (crons included) with its result hash and chain hash."""
        return self.evaluate_records(self._records(entries), horizon)

    def replay(
        self, entries: Iterable[LogEntry], horizon: int | None = None
    ) -> Iterator[tuple[int, str | None, str, dict[str, Any]]]:
        """(ordinate, cron key or None, message id, result) for every evaluation."""
        for ev in self.evaluations(entries, horizon):
            yield ev.ordinate, ev.cron or None, ev.message_id, ev.result

    def evaluate_read_only(self, expression: str) -> dict[str, Any]:
        """Evaluate `expression` as an Eval from the process owner, on the current state.

        Like a dry-run: `Read-Only` is true and nothing is stored. The runtime's state may
        change (Lua code can assign globals), so a Replayer is thrown away after this.
        """
        ev = self._evaluator
        if ev is None:
            raise VerifyError("nothing replayed yet: the log has no entries")
        msg_id = b64url_encode(
            hashlib.sha256(f"replay {ev.last_nonce} {expression}".encode()).digest()
        )
        msg: dict[str, Any] = {
            "Id": msg_id,
            "Signature": "",
            "Owner": ev.process.owner,
            "From": ev.process.owner,
            "Target": ev.process.id,
            "Anchor": "",
            "Data": expression,
            "Tags": [
                {"name": "Data-Protocol", "value": "ao"},
                {"name": "Variant", "value": "ao.TN.1"},
                {"name": "Type", "value": "Message"},
                {"name": "Action", "value": "Eval"},
            ],
            "Epoch": 0,
            "Nonce": ev.last_nonce,
            "Timestamp": ev.last_timestamp,
            "Block-Height": ev.last_block_height,
            "Hash-Chain": "",
            "Cron": False,
            "Read-Only": True,
        }
        return ev.dry_run(msg)
