"""Replaying a log with the log model's own evaluator, in a fresh runtime.

The evaluation is `aos.log.evaluator.Evaluator`, the very code the compute unit runs,
with a runtime from the same factory (aos.log.runtimes: same limits). Its inputs are the
log's `Entry` and `Item` records: either read from a data directory's columns (which `aos
verify` compares with the signed bytes) or built from the signed items by
aos.log.records (`entry_of`, `item_of`), so an exported bundle replays exactly like the
data directory it came from. Nothing here imports the node.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aos.dataitem import DataItem, b64url_encode
from aos.errors import VerifyError
from aos.log.evaluator import Evaluated, Evaluator, ProcessInfo
from aos.log.records import Entry, Item, SnapshotRow, entry_of, item_of
from aos.log.runtimes import Runtime, default_runtime, restore_runtime
from aos.log.snapshots import evaluator_state
from aos.log.verdicts import VerdictKey
from aos.protocol import ao_tags
from aos.verify.logcheck import LogEntry


def entry_record(process_id: str, log_entry: LogEntry) -> tuple[Entry, Item]:
    """The log's (`Entry`, `Item`) pair for one signed log entry; VerifyError if the entry
    is incomplete or its assignment lacks a numeric slot tag."""
    assignment, item = log_entry.assignment, log_entry.item
    if assignment is None or item is None or log_entry.defect is not None:
        raise VerifyError(
            f"nonce {log_entry.nonce}: cannot replay past an incomplete entry "
            f"({log_entry.defect or 'assignment or message missing'})"
        )
    try:
        entry = entry_of(process_id, assignment, item)
    except ValueError as err:
        raise VerifyError(f"nonce {log_entry.nonce}: {err}") from None
    return entry, item_of(item)


class Replayer:
    """A fresh runtime and evaluator for one process; feed it the log in order."""

    def __init__(
        self,
        process: DataItem,
        runtime_factory: Callable[[ProcessInfo], Runtime] | None = None,
        verdicts: dict[VerdictKey, str] | None = None,
    ) -> None:
        self.process = process
        # The node's own factory by default, so the replay runs with the very limits the
        # compute unit used (an instruction-limit Error must replay as the same Error).
        self.runtime_factory = runtime_factory or default_runtime
        # Results the node decided without running the message (aos.log.verdicts): a
        # replay adopts them, as the compute unit does.
        self.verdicts = dict(verdicts or {})
        self._evaluator: Evaluator | None = None

    def _records(self, entries: Iterable[LogEntry]) -> Iterator[tuple[Entry, Item]]:
        for log_entry in entries:
            yield entry_record(self.process.id, log_entry)

    def start_from(self, spawn: tuple[Entry, Item], row: SnapshotRow) -> None:
        """Start from a stored snapshot (checked by the caller, aos.log.snapshots.problem)
        instead of nothing; SnapshotRefused or ValueError when it cannot be restored."""
        entry, item = spawn
        info = ProcessInfo.from_spawn(item, entry)
        factory = self.runtime_factory
        runtime = restore_runtime(info, row.data)
        self._evaluator = Evaluator.restore(
            info,
            runtime,
            evaluator_state(row),
            rebuild=lambda: factory(info),
            verdicts=self.verdicts,
        )

    def _start(self, entry: Entry, item: Item) -> Evaluator:
        if entry.nonce != 0 or item.id != self.process.id:
            raise VerifyError(
                f"process {self.process.id}: the log must start with the spawn at "
                f"nonce 0, found {item.id} at nonce {entry.nonce}"
            )
        info = ProcessInfo.from_spawn(item, entry)
        factory = self.runtime_factory
        return Evaluator(info, factory(info), verdicts=self.verdicts, rebuild=lambda: factory(info))

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

    def snapshot(self) -> bytes:
        """The replayed state as snapshot bytes (SnapshotRefused when it cannot be)."""
        if self._evaluator is None:
            raise VerifyError("nothing replayed yet: the log has no entries")
        return self._evaluator.snapshot()[0]

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
        msg = ev.read_only_message(
            {
                "Id": msg_id,
                "Signature": "",
                "Owner": ev.process.owner,
                "Target": ev.process.id,
                "Data": expression,
                "Tags": [
                    {"name": n, "value": v} for n, v in [*ao_tags("Message"), ("Action", "Eval")]
                ],
                "Hash-Chain": "",
            }
        )
        return ev.dry_run(msg)
