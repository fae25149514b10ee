"""The compute unit: evaluates process logs in order, stores results, answers reads.

Live process states are aos.node.units.states.ProcessStates: bounded by memory, made live
from the latest snapshot (then the log after it), saved as snapshots now and then. A state
made live does not write results the store already holds: it compares its hashes with the
stored ones (a mismatch is logged as an error) and writes only what is new. A result with
Error leaves the state as before it (aos.log.keeper). Every evaluator adopts the node's
verdicts (aos.log.verdicts) and, in the crank holder, tells the flight recorder what it runs
(aos.node.units.quarantine).

Dry-runs never evaluate into the store and never throw the live state away: a dry-run on the
state after nonce N runs on the live state when it is at N (and then returns it exactly to
where it was, aos.log.keeper), else on a throw-away state restored from the nearest snapshot
at or before N, with the log after it replayed. A live state whose return fails (the dry-run
left it at its memory cap) is dropped, never kept half-changed: it is made live again from
its latest snapshot. In `aos serve` dry-runs run in another OS process that never holds a
live state (aos.node.http.replica), so no request of a stranger touches the evaluator's.

Results go to the store with INSERT OR IGNORE, so two OS processes that evaluate the same
log (two terminals on one data directory) agree on one set of rows. One lock per process
makes evaluation thread-safe; different processes evaluate in parallel as far as the GIL
lets them.

Quarantine (aos.log.verdicts, one record for both causes): an evaluation the watchdog stopped
is rolled back like an Error and its verdict is written before its result; an evaluation
that ended the OS process evaluating it too often gets its verdict from the next crank
holder (aos.node.units.quarantine). Every evaluator adopts the stored verdicts. An evaluator
that could not roll back a stopped evaluation is stale: it is dropped, and a new one replays
the log (adopting the new verdict there).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from aos.clock import now_ms
from aos.errors import Busy, NodeError, NotFound, StoreError
from aos.log.evaluator import Evaluated, Evaluator, ProcessInfo
from aos.log.keeper import RollbackFailed
from aos.log.records import NewResult, ResultRow
from aos.log.runtimes import RuntimeFactory, RuntimeRestorer
from aos.node.store import Store
from aos.node.units.quarantine import FlightRecorder, Watch
from aos.node.units.states import DEFAULT_MEMORY_BUDGET, ProcessStates

log = logging.getLogger("aos.node.units.cu")
# Crons after the last message are evaluated only up to this long ago, so that a message
# being scheduled right now (by this or another OS process) cannot land before a tick that
# was already evaluated (its timestamp is taken from the clock inside its transaction).
CRON_SAFETY_MS = 1000
_PAGE = 500


def _to_new(pid: str, ev: Evaluated) -> NewResult:
    r = ev.result
    has_outbox = not ev.error and bool(r["Messages"] or r["Spawns"] or r["Assignments"])
    return NewResult(
        process=pid,
        position=ev.position,
        ordinate=ev.ordinate,
        cron=ev.cron,
        message_id=ev.message_id,
        timestamp=ev.timestamp,
        block_height=ev.block_height,
        error=ev.error,
        has_outbox=has_outbox,
        result_json=json.dumps(r, ensure_ascii=False, separators=(",", ":")),
        result_hash=ev.result_hash,
        chain_hash=ev.chain_hash,
    )


def _load(ev: Evaluator | None) -> tuple[int, int] | None:
    """(last nonce, Lua memory) of an evaluator whose runtime can tell its memory."""
    memory = getattr(ev.keeper.runtime, "memory_used", None) if ev is not None else None
    if ev is None or not callable(memory):
        return None
    return ev.last_nonce, int(memory())


class ComputeUnit:
    """Evaluation on demand over the store. Thread-safe."""

    def __init__(
        self,
        store: Store,
        runtime_factory: RuntimeFactory,
        on_outbox: Callable[[str], None] | None = None,
        *,
        restorer: RuntimeRestorer | None = None,
        snapshot_key: bytes | None = None,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
    ) -> None:
        self.store = store
        self.runtime_factory = runtime_factory
        self.on_outbox = on_outbox
        self.states = ProcessStates(store, runtime_factory, restorer, snapshot_key, memory_budget)
        # Set by the node: whether this OS process holds the directory's crank (which then
        # evaluates everything eagerly); a follower waits for its results before working.
        self.is_leader: Callable[[], bool] = lambda: True
        self.follower_wait = 10.0
        # False in `aos serve` workers: a result the evaluating process has not stored
        # within follower_wait is a 503 to retry, never evaluated here (a message that
        # ended that process would end this one too).
        self.on_demand = True
        # Set by the node: where this OS process records what it evaluates while it holds
        # the crank (aos.node.units.quarantine).
        self.recorder: FlightRecorder | None = None
        # Set by the node: asked to call `evaluate_to(pid)` soon, when a dry-run left the
        # live state of `pid` to be settled (the crank does it between requests).
        self.on_unsettled: Callable[[str], None] | None = None
        self.states.prepare = self._prepare

    def lock(self, pid: str) -> threading.Lock:
        return self.states.lock(pid)

    def _info(self, pid: str) -> ProcessInfo:
        spawn = self.store.item(pid)
        first = self.store.entries(pid, -1, 0, 1)
        if spawn is None or not first:
            raise NotFound(f"process {pid} is not on this node")
        return ProcessInfo.from_spawn(spawn, first[0])

    def _evaluator(self, pid: str) -> Evaluator:
        """The live evaluator of `pid` (caller holds the process lock); one whose state
        could not be restored is dropped and made live again from its latest snapshot."""
        ev: Evaluator = self.states.get(pid, lambda: self._info(pid))
        if ev.keeper.broken:
            log.warning("process %s: its live state could not be restored; made again", pid)
            self.drop(pid)
            ev = self.states.get(pid, lambda: self._info(pid))
        return ev

    def _prepare(self, ev: Evaluator) -> None:
        """Every evaluator this unit makes (live or throw-away) adopts the node's verdicts
        and, in the crank holder, records each evaluation it runs (aos.node.units.quarantine)."""
        pid = ev.process.id
        ev.verdicts = self.store.verdicts(pid)
        recorder = self.recorder
        ev.watcher = None if recorder is None else Watch(pid, recorder, self.is_leader)

    def drop(self, pid: str) -> None:
        self.states.drop(pid)

    def _store(
        self,
        pid: str,
        done: Sequence[Evaluated],
        stored_top: int = -1,
        evaluator: Evaluator | None = None,
    ) -> None:
        """Write `done`; results at positions <= `stored_top` (already in the store, e.g.
        during a cold rebuild) are compared with the stored hashes instead of written.
        With `evaluator`, its nonce and Lua memory go with them (the admission quota's figures)."""
        if evaluator is not None:
            self._record_decided(pid, evaluator)
        if not done:
            return
        if done[0].position <= stored_top:
            done = self._check_stored(pid, done)
            if not done:
                return
        self.store.put_results([_to_new(pid, ev) for ev in done], _load(evaluator))
        if self.on_outbox is not None and any(
            not ev.error
            and (ev.result["Messages"] or ev.result["Spawns"] or ev.result["Assignments"])
            for ev in done
        ):
            self.on_outbox(pid)

    def _record_decided(self, pid: str, ev: Evaluator) -> None:
        """The verdicts `ev` reached itself (a watchdog stop), written before their results:
        a replay that finds such a result must find its verdict too, or it would run the
        message again."""
        for key, error in ev.decided:
            self.store.add_verdict(pid, key, error)
        ev.decided.clear()

    def _check_stored(self, pid: str, done: Sequence[Evaluated]) -> list[Evaluated]:
        """Compare `done` with the stored rows at the same positions; return the new ones."""
        stored = self._stored_hashes(pid, done[0].position - 1, len(done))
        fresh: list[Evaluated] = []
        for ev in done:
            known = stored.get(ev.position)
            if known is None:
                fresh.append(ev)
            elif known != ev.result_hash:
                # Either the runtime is not deterministic or the store was altered: the
                # stored row stays (it is what was served), and this must not go unseen.
                log.error(
                    "RESULT MISMATCH in process %s at position %d (nonce %d): stored %s,"
                    " replayed %s; run `aos verify %s`",
                    pid,
                    ev.position,
                    ev.ordinate,
                    known,
                    ev.result_hash,
                    pid,
                )
        return fresh

    def _stored_hashes(self, pid: str, after: int, limit: int) -> dict[int, str]:
        """{position: result_hash} of up to `limit` stored results after `after` (only the
        hashes: parsing every result's JSON would cost a tenth of a cold rebuild)."""
        return self.store.result_hashes(pid, after, limit)

    def _stored_top(self, pid: str) -> int:
        """The last stored position when the state was just made live, else -1: a warm
        evaluator is ahead of the store and needs no extra query on the hot path."""
        if not self.states.was_cold(pid):
            return -1
        last = self.store.last_result(pid)
        return -1 if last is None else last.position

    # -- evaluation ------------------------------------------------------------------------
    def evaluate_to(self, pid: str, nonce: int | None = None) -> int:
        """Evaluate `pid` up to `nonce` (default: everything scheduled); returns how many
        evaluations ran."""
        with self.lock(pid):
            if self.states.live(pid) is None and self._already_stored(pid, nonce):
                return 0  # stored by an earlier run or another OS process: no cold replay
            count = self._evaluate_locked(pid, nonce)
            if nonce is None:  # the crank: the process is at its head, idle for now
                live = self.states.live(pid)
                if live is not None and self._settle(pid, live):
                    self.states.idle(pid, live)
            return count

    def _settle(self, pid: str, live: Evaluator) -> bool:
        """Undo a dry-run left in the live state (aos.log.keeper); False if that failed,
        and the state was dropped (it is made live again from its latest snapshot)."""
        try:
            live.keeper.settle()
        except RollbackFailed as err:
            log.warning("dry-run of %s: %s; the live state is made again", pid, err)
            self.drop(pid)
            return False
        return True

    def _already_stored(self, pid: str, nonce: int | None) -> bool:
        if nonce is None:
            row = self.store.process(pid)
            if row is None:
                return False
            nonce = row.head.nonce
        return self.store.result_at_nonce(pid, nonce) is not None

    def _evaluate_locked(self, pid: str, nonce: int | None) -> int:
        ev = self._evaluator(pid)
        # A verdict may have come since this evaluator was made live (another OS process
        # quarantined a message): one indexed read per call, usually of nothing.
        ev.verdicts = self.store.verdicts(pid)
        stored_top = self._stored_top(pid)
        count = 0
        while nonce is None or ev.last_nonce < nonce:
            batch = self.store.entries_with_items(pid, ev.last_nonce, nonce, _PAGE)
            if not batch:
                break
            done: list[Evaluated] = []
            start = time.perf_counter()
            try:
                for entry, item in batch:
                    done.extend(ev.step(entry, item))
                    if ev.stale:
                        break
            except BaseException:
                # A runtime that failed half-way cannot be trusted: rebuild it next time.
                self.drop(pid)
                self._record_decided(pid, ev)
                self._store(pid, done, stored_top)
                raise
            work = time.perf_counter() - start
            self._store(pid, done, stored_top, ev)
            count += len(done)
            if ev.stale:
                # Never saved as a snapshot: its state is not a function of the log.
                ev, stored_top = self._rebuild_stale(pid, ev)
                continue
            self.states.worked(pid, ev, len(batch), work)
            if len(batch) < _PAGE:
                break
        return count

    def _rebuild_stale(self, pid: str, ev: Evaluator) -> tuple[Evaluator, int]:
        """After the watchdog stopped an evaluation that could not be rolled back (its
        verdict is stored): a new evaluator, which replays the log adopting the verdict, and
        the stored top it compares against."""
        log.warning(
            "process %s: the watchdog stopped the evaluation at position %d (nonce %d); "
            "it is quarantined, and the process is rebuilt from its log without it",
            pid,
            ev.position - 1,
            ev.last_nonce,
        )
        self.drop(pid)
        fresh = self._evaluator(pid)
        return fresh, self._stored_top(pid)

    def tick(self, pid: str, horizon: int | None = None) -> int:
        """Evaluate everything scheduled, then the cron ticks up to `horizon` (ms)."""
        limit = now_ms() - CRON_SAFETY_MS if horizon is None else horizon
        with self.lock(pid):
            count = self._evaluate_locked(pid, None)
            ev = self._evaluator(pid)
            if not ev.crons:
                return count
            done = ev.crons_until(max(limit, ev.last_timestamp))
            self._store(pid, done, evaluator=ev)
            if ev.stale:
                self._rebuild_stale(pid, ev)
            return count + len(done)

    def result(self, pid: str, some_id: str) -> dict[str, Any]:
        """The result of message (or assignment) `some_id` of `pid`, evaluating if needed."""
        return self.result_at(pid, self.nonce_of(pid, some_id))

    def result_at(self, pid: str, nonce: int) -> dict[str, Any]:
        """The result of the message in slot `nonce` of `pid`, evaluating if needed (the
        HyperBEAM routes name messages by slot, the legacy ones by id)."""
        stored = self.store.result_at_nonce(pid, nonce)
        if stored is None:
            row = self.store.process(pid)
            if row is None:
                raise NotFound(f"process {pid} is not on this node")
            if nonce < 0 or nonce > row.head.nonce:
                raise NotFound(
                    f"slot {nonce} is not scheduled on process {pid} (its last slot is "
                    f"{row.head.nonce})"
                )
        if stored is None and not self.is_leader() and self.states.live(pid) is None:
            stored = self._wait_for_leader(pid, nonce)
        if stored is None and not self.on_demand:
            raise Busy(
                f"slot {nonce} of {pid} is not evaluated yet (the node's evaluating "
                "process is busy or restarting); retry in a moment"
            )
        if stored is None:
            self.evaluate_to(pid, nonce)
            stored = self.store.result_at_nonce(pid, nonce)
        if stored is None:
            raise NodeError(f"slot {nonce} of {pid} could not be evaluated", status=500)
        return stored.result

    def _wait_for_leader(self, pid: str, nonce: int) -> ResultRow | None:
        """Another OS process evaluates eagerly: its result is cheaper to wait for than
        replaying the whole log here. Looked for every ms at first (a served shell's line is
        evaluated within a few), then less often; None after `follower_wait` s."""
        start = time.monotonic()
        deadline = start + self.follower_wait
        while time.monotonic() < deadline:
            waited = time.monotonic() - start
            time.sleep(0.001 if waited < 0.05 else min(waited / 4, 0.05))
            stored = self.store.result_at_nonce(pid, nonce)
            if stored is not None:
                return stored
        return None

    def dry_run(self, pid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Evaluate a read-only message on the latest state (see `dry_run_at`). A unit that
        evaluates on demand first brings the live state to the head of the log, as the
        crank would (the dry-run then costs no replay); one that does not (the dry-run
        process of `aos serve`) never evaluates into the store."""
        row = self.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
        if self.on_demand:
            with self.lock(pid):
                self._evaluate_locked(pid, None)
        return self.dry_run_at(pid, body, row.head.nonce)

    def nonce_of(self, pid: str, some_id: str) -> int:
        """The nonce of message (or assignment) `some_id` in the log of `pid`."""
        entry = self.store.entry_by_id(pid, some_id)
        if entry is None:
            if self.store.process(pid) is None:
                raise NotFound(f"process {pid} is not on this node")
            raise NotFound(f"message {some_id} is not scheduled on process {pid}")
        return entry.nonce

    def dry_run_at(self, pid: str, body: dict[str, Any], nonce: int) -> dict[str, Any]:
        """Evaluate a read-only message on the state of `pid` right after message `nonce`.

        On the live state when it is at that nonce (returned exactly to where it was);
        otherwise a throw-away evaluator starts from the nearest snapshot at or before
        `nonce` (else from nothing) and replays the rest, never touching the live state or
        the store.
        """
        row = self.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
        if nonce < 0:
            raise NodeError(f"to-nonce must be 0 or more, got {nonce}")
        if nonce > row.head.nonce:
            raise NodeError(
                f"to-nonce {nonce} is beyond the log of {pid}, whose last nonce is {row.head.nonce}"
            )
        with self.lock(pid):
            live = self.states.live(pid)
            if live is not None and live.last_nonce == nonce and live.isolates:
                try:
                    # The dry-run is undone when the state is used next, or by the crank
                    # meanwhile: the answer does not wait for the restore.
                    answer = live.dry_run(live.read_only_message(body), settle_later=True)
                    if self.on_unsettled is not None:
                        self.on_unsettled(pid)
                    return answer
                except RollbackFailed as err:
                    # The dry-run left the state where it cannot return from (e.g. at its
                    # memory cap): never keep it half-changed; it is made live again from
                    # its latest snapshot, and the dry-run is answered as below.
                    log.warning("dry-run of %s: %s; the live state is made again", pid, err)
                    self.drop(pid)
        info = self._info(pid)
        ev = self.states.from_snapshot(info, at_most=nonce) or self.states.fresh(info)
        try:
            while ev.last_nonce < nonce:
                batch = self.store.entries_with_items(pid, ev.last_nonce, nonce, _PAGE)
                if not batch:
                    break
                for entry, item in batch:
                    ev.step(entry, item)
            if ev.last_nonce < nonce:
                raise StoreError(f"the log of {pid} could not be read up to nonce {nonce}")
            return ev.dry_run(ev.read_only_message(body))
        finally:
            close = getattr(ev.keeper.runtime, "close", None)
            if callable(close):
                close()  # a Lua state holds memory until collected; free it now
