"""The compute unit: evaluates process logs in order, stores results, answers reads.

One runtime per process is kept in memory (an LRU of Evaluators); a process missing from
the cache is rebuilt by replaying its log from nonce 0. A rebuild does not write results
the store already holds: it compares its hashes with the stored ones (a mismatch is logged
as an error) and writes only what is new, which keeps attaching to a long process cheap.
`dry_run` and `dry_run_at` answer a read-only message against the latest state or the state
after a given nonce, on a throw-away evaluator that never touches the cache or the store (a
replay per dry-run until states can be copied). Results go to the store with
INSERT OR IGNORE, so two OS processes that evaluate the same log (two terminals on one
data directory) agree on one set of rows. One lock per process makes evaluation
thread-safe; different processes evaluate in parallel as far as the GIL lets them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from aos.clock import now_ms
from aos.errors import Busy, NodeError, NotFound, StoreError
from aos.log.evaluator import Evaluated, Evaluator, ProcessInfo
from aos.log.records import NewResult, ResultRow
from aos.log.runtimes import RuntimeFactory
from aos.node.store import Store
from aos.node.units.quarantine import FlightRecorder, Watch

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
    memory = getattr(ev.runtime, "memory_used", None) if ev is not None else None
    if ev is None or not callable(memory):
        return None
    return ev.last_nonce, int(memory())


class ComputeUnit:
    """Evaluation on demand over the store. Thread-safe."""

    def __init__(
        self,
        store: Store,
        runtime_factory: RuntimeFactory,
        cache_size: int = 64,
        on_outbox: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.runtime_factory = runtime_factory
        self.cache_size = cache_size
        self.on_outbox = on_outbox
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
        self._cache: OrderedDict[str, Evaluator] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()

    def lock(self, pid: str) -> threading.Lock:
        with self._meta:
            lock = self._locks.get(pid)
            if lock is None:
                lock = self._locks[pid] = threading.Lock()
            return lock

    def _evaluator(self, pid: str) -> Evaluator:
        """The cached evaluator of `pid` (caller holds the process lock)."""
        with self._meta:
            ev = self._cache.get(pid)
            if ev is not None:
                self._cache.move_to_end(pid)
                return ev
        spawn = self.store.item(pid)
        first = self.store.entries(pid, -1, 0, 1)
        if spawn is None or not first:
            raise NotFound(f"process {pid} is not on this node")
        info = ProcessInfo.from_spawn(spawn, first[0])
        ev = self._new_evaluator(pid, info)
        with self._meta:
            self._cache[pid] = ev
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return ev

    def _new_evaluator(self, pid: str, info: ProcessInfo) -> Evaluator:
        """An evaluator that adopts the node's verdicts and, in the crank holder, records
        each evaluation it runs (aos.node.units.quarantine)."""
        recorder = self.recorder
        watch = None if recorder is None else Watch(pid, recorder, self.is_leader)
        return Evaluator(
            info, self.runtime_factory(info), verdicts=self.store.verdicts(pid), watcher=watch
        )

    def drop(self, pid: str) -> None:
        with self._meta:
            self._cache.pop(pid, None)

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

    def _stored_top(self, pid: str, ev: Evaluator) -> int:
        """The last stored position when `ev` was just rebuilt (position 0), else -1: a warm
        evaluator is ahead of the store and needs no extra query on the hot path."""
        if ev.position != 0:
            return -1
        last = self.store.last_result(pid)
        return -1 if last is None else last.position

    # -- evaluation ------------------------------------------------------------------------
    def evaluate_to(self, pid: str, nonce: int | None = None) -> int:
        """Evaluate `pid` up to `nonce` (default: everything scheduled); returns how many
        evaluations ran."""
        with self.lock(pid):
            if pid not in self._cache and self._already_stored(pid, nonce):
                return 0  # stored by an earlier run or another OS process: no cold replay
            return self._evaluate_locked(pid, nonce)

    def _already_stored(self, pid: str, nonce: int | None) -> bool:
        if nonce is None:
            row = self.store.process(pid)
            if row is None:
                return False
            nonce = row.head.nonce
        return self.store.result_at_nonce(pid, nonce) is not None

    def _evaluate_locked(self, pid: str, nonce: int | None) -> int:
        ev = self._evaluator(pid)
        # A verdict may have come since this evaluator was built (another OS process
        # quarantined a message): one indexed read per call, usually of nothing.
        ev.verdicts = self.store.verdicts(pid)
        stored_top = self._stored_top(pid, ev)
        count = 0
        while nonce is None or ev.last_nonce < nonce:
            batch = self.store.entries_with_items(pid, ev.last_nonce, nonce, _PAGE)
            if not batch:
                break
            done: list[Evaluated] = []
            try:
                for entry, item in batch:
                    done.extend(ev.step(entry, item))
            except BaseException:
                # A runtime that failed half-way cannot be trusted: rebuild it next time.
                self.drop(pid)
                self._store(pid, done, stored_top)
                raise
            self._store(pid, done, stored_top, ev)
            count += len(done)
            if len(batch) < _PAGE:
                break
        return count

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
            return count + len(done)

    def result(self, pid: str, some_id: str) -> dict[str, Any]:
        """The result of message (or assignment) `some_id` of `pid`, evaluating if needed."""
        entry = self.store.entry_by_id(pid, some_id)
        if entry is None:
            if self.store.process(pid) is None:
                raise NotFound(f"process {pid} is not on this node")
            raise NotFound(f"message {some_id} is not scheduled on process {pid}")
        stored = self.store.result_at_nonce(pid, entry.nonce)
        if stored is None and not self.is_leader() and pid not in self._cache:
            stored = self._wait_for_leader(pid, entry.nonce)
        if stored is None and not self.on_demand:
            raise Busy(
                f"message {some_id} of {pid} is not evaluated yet (the node's evaluating "
                "process is busy or restarting); retry in a moment"
            )
        if stored is None:
            self.evaluate_to(pid, entry.nonce)
            stored = self.store.result_at_nonce(pid, entry.nonce)
        if stored is None:
            raise NodeError(f"message {some_id} of {pid} could not be evaluated", status=500)
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
        """Evaluate a read-only message on the latest state, on a throw-away evaluator
        (see `dry_run_at`): the live one, which the next message needs, is never touched
        (running the message on it would change it, and dropping it would make the next
        message replay the whole log)."""
        row = self.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
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

        A throw-away evaluator replays the log up to `nonce`: the cached runtime, the store
        and the process lock are never touched, so this cannot disturb live evaluation.
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
        spawn = self.store.item(pid)
        first = self.store.entries(pid, -1, 0, 1)
        if spawn is None or not first:
            raise NotFound(f"process {pid} is not on this node")
        info = ProcessInfo.from_spawn(spawn, first[0])
        ev = self._new_evaluator(pid, info)
        runtime = ev.runtime
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
            close = getattr(runtime, "close", None)
            if callable(close):
                close()  # a Lua state holds memory until collected; free it now
