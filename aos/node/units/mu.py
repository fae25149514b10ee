"""The messenger: admits signed items into the log and pushes every result's outbox.

`accept` verifies an item, applies the MU and SU tag rules (docs/protocol.md §1.7) and the node's
rules for what a key may send (aos.node.units.authority) and schedules it; it returns only after
the scheduler's transaction committed, so an acknowledged id is never lost. `push` turns one stored
result into new items signed by the node wallet (docs/protocol.md §2.3, docs/protocol.md §2.4, the
Spawned notice; the tag rules themselves, the node's tags included, are aos.log.outbox's, shared
with `aos test`) and assignments, which the authority checks. Each push takes a claim keyed by
(result, kind, index) in the same transaction that schedules the pushed item, so every outbox entry
is delivered exactly once even when several OS processes crank the same data directory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aos.dataitem import DataItem, create
from aos.errors import NodeError, NotFound, StoreError
from aos.log.outbox import assignments, pushed_message, pushed_spawn, spawned_notice
from aos.log.records import Entry, ResultRow
from aos.node.store import Store
from aos.node.units.authority import Authority
from aos.node.units.su import Duplicate, Scheduler, check_schedulable, parse_signed
from aos.protocol import DATA_PROTOCOL
from aos.wallet import Wallet

log = logging.getLogger("aos.node.units.mu")


@dataclass(frozen=True, slots=True)
class Accepted:
    item: DataItem
    entry: Entry
    process: str
    duplicate: bool


def _first(tags: list[tuple[str, str]], name: str) -> str | None:
    """The first value of tag `name`, as the scheduler reads it (DataItem.tag)."""
    return next((v for n, v in tags if n == name), None)


def _anchor(given: str | None) -> str:
    """The outbox entry's own Anchor when it gave one, else a fresh one: every item the node
    signs carries an anchor, so no two are ever the same item."""
    return given if given is not None else os.urandom(16).hex()


class Messenger:
    """Admission and pushing; `wake(pid)` is called whenever a process got new work."""

    def __init__(
        self,
        store: Store,
        su: Scheduler,
        wallet: Wallet,
        wake: Callable[[str], None],
        authority: Authority | None = None,
    ) -> None:
        self.store = store
        self.su = su
        self.wallet = wallet
        self.wake = wake
        self.authority = authority or Authority(store, wallet.address, su.address)

    # -- admission -------------------------------------------------------------------------
    def accept(self, raw: bytes) -> Accepted:
        """Verify and schedule a user's item. An item already in the log is acknowledged
        again (idempotent retries), not scheduled twice."""
        return self.admit(self.check(raw), raw)

    def check(self, raw: bytes) -> DataItem:
        """Parse and verify a user's item and apply the tag rules; NodeError (4xx) names
        what is wrong. Needs no store, so HTTP workers run it before forwarding."""
        item = parse_signed(raw)
        if not any(n == "Data-Protocol" and v == DATA_PROTOCOL for n, v in item.tags):
            raise NodeError(f"item {item.id}: needs a Data-Protocol tag with value 'ao'")
        check_schedulable(item)
        self.authority.check_from_key(item)
        return item

    def admit(self, item: DataItem, raw: bytes) -> Accepted:
        """Schedule an item that passed `check` (the caller vouches for that)."""
        try:
            if item.tag("Type") == "Process":
                entry = self.su.spawn(item, raw)
                process = item.id
            else:
                target = item.target_id
                if target is None:
                    raise NodeError(f"message {item.id} has no target process")
                entry = self.su.schedule(item, raw, target)
                process = target
        except Duplicate as dup:
            return Accepted(item, dup.entry, dup.entry.process, True)
        assert entry is not None  # no claim was passed, so scheduling cannot be skipped
        self._wake_after_commit(process)
        return Accepted(item, entry, process, False)

    def assign(self, process: str, item_id: str, by: str | None = None) -> Entry:
        """Assign `item_id` to `process` for `by` (the owner's address when the request was
        signed by the owner, None when it was not signed): rule 3 of
        aos.node.units.authority decides."""
        if self.store.process(process) is None:
            raise NotFound(f"process {process} is not on this node")
        self.authority.check_assign(process, item_id, by)
        try:
            entry = self.su.assign(process, item_id)
        except Duplicate as dup:
            return dup.entry
        assert entry is not None
        self._wake_after_commit(process)
        return entry

    def _wake_after_commit(self, process: str) -> None:
        # In a batch (aos.node.serve.sequencer) the evaluator must not look before the
        # commit: it would find nothing new and sleep past the message.
        self.store.after_commit(("wake", process), partial(self.wake, process))

    # -- pushing ---------------------------------------------------------------------------
    def push(self, row: ResultRow) -> None:
        """Deliver the outbox of one stored result (idempotent), then mark it cranked."""
        key = f"{row.process}:{row.ordinate}:{row.cron}"
        origin = row.message_id
        if row.message_id:
            item = self.store.item(row.message_id)
            if item is not None:
                origin = item.tag("Pushed-For") or row.message_id
        parent = self.store.process(row.process)
        module = parent.module if parent else ""
        scheduler = parent.scheduler if parent else self.su.address
        result = row.result
        for i, msg in enumerate(result.get("Messages") or []):
            push = partial(
                self._push_message, msg=msg, sender=row.process, module=module, origin=origin
            )
            self._guard(f"{key}:message:{i}", push)
        for i, spawn in enumerate(result.get("Spawns") or []):
            push = partial(
                self._push_spawn,
                spawn=spawn,
                parent=row.process,
                module=module,
                scheduler=scheduler,
                origin=origin,
            )
            self._guard(f"{key}:spawn:{i}", push)
        for i, j, pid, message in assignments(result):
            push = partial(self._assign, pid=pid, message=message, sender=row.process)
            self._guard(f"{key}:assign:{i}:{j}", push)
        self.store.mark_cranked(row.process, row.position)

    def _guard(self, claim: str, push: Callable[[str], None]) -> None:
        # One bad outbox entry (a tag too long, an unknown process, a malformed table) must
        # not stop the others or wedge the crank: it is logged and skipped. A store error is
        # different: the push did not happen, so it propagates and the result stays
        # uncranked, to be retried on the next scan (the claim keeps that exactly-once).
        if self.store.claim_exists(claim):
            return
        try:
            push(claim)
        except (StoreError, sqlite3.Error):
            raise
        except Exception as err:
            log.warning("push %s skipped: %s", claim, err)

    def _deliver(self, claim: str, item: DataItem) -> None:
        target = item.target_id or ""
        raw = item.to_bytes()
        if self.store.process(target) is not None:
            if self.su.schedule(item, raw, target, claim=claim) is not None:
                self.wake(target)
        else:  # a wallet or a process elsewhere: stored (uploaded), not scheduled
            self.su.store_only(item, raw, claim=claim)

    def _push_message(self, claim: str, msg: Any, sender: str, module: str, origin: str) -> None:
        pushed = pushed_message(msg, sender, module, origin)
        item = create(
            signer=self.wallet,
            data=pushed.data,
            target=pushed.target,
            anchor=_anchor(pushed.anchor),
            tags=pushed.tags,
        )
        self._deliver(claim, item)

    def _push_spawn(
        self, claim: str, spawn: Any, parent: str, module: str, scheduler: str, origin: str
    ) -> None:
        pushed = pushed_spawn(spawn, parent, module, scheduler, origin)
        self.authority.check_spawn(
            _first(pushed.tags, "Module"), _first(pushed.tags, "Scheduler"), f"by {parent}"
        )
        child_id: str | None = None
        if not self.store.claim_exists(claim):
            item = create(
                signer=self.wallet,
                data=pushed.data,
                anchor=_anchor(pushed.anchor),
                tags=pushed.tags,
            )
            if self.su.spawn(item, item.to_bytes(), claim=claim) is not None:
                child_id = item.id
                self.wake(item.id)
        if child_id is None:  # spawned by another cranker (maybe one that died since)
            child_id = self.store.claimed_item(claim)
        if child_id is None:
            return
        notice_claim = claim + ":spawned"
        if self.store.claim_exists(notice_claim):
            return
        notice = spawned_notice(spawn, child_id)
        item = create(
            signer=self.wallet,
            data=notice.data,
            target=parent,
            anchor=_anchor(notice.anchor),
            tags=notice.tags,
        )
        self._deliver(notice_claim, item)

    def _assign(self, claim: str, pid: str, message: str, sender: str) -> None:
        self.authority.check_assign(pid, message, sender)
        if self.su.assign(pid, message, claim=claim) is not None:
            self.wake(pid)
