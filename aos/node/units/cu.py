"""The compute unit: evaluates process logs in order, stores results, answers reads.

One runtime per process is kept in memory (an LRU of Evaluators); a process missing from
the cache is rebuilt by replaying its log from nonce 0. A rebuild does not write results
the store already holds: it compares its hashes with the stored ones (a mismatch is logged
as an error) and writes only what is new, which keeps attaching to a long process cheap.
`dry_run_at` answers a read-only message against the state after a given nonce, on a
throw-away evaluator that never touches the cache or the store. Results go to the store with
INSERT OR IGNORE, so two OS processes that evaluate the same log (two terminals on one
data directory) agree on one set of rows. One lock per process makes evaluation
thread-safe; different processes evaluate in parallel as far as the GIL lets them.

Quarantine (aos.log.evaluator): an evaluator whose evaluation the watchdog stopped is stale;
its results so far are stored (the stopped one as QUARANTINED), it is dropped, and a new one
replays the log skipping the quarantined positions, which it reads from the stored result
hashes. `quarantine_next` records the next unevaluated position as quarantined without running
it, for an evaluation that kills the OS process evaluating it.
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
from aos.errors import NodeError, NotFound, StoreError
from aos.log.evaluator import QUARANTINE_HASH, Evaluated, Evaluator, ProcessInfo
from aos.log.records import NewResult, ResultRow
from aos.log.runtimes import RuntimeFactory
from aos.node.store import Store

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
        self._cache: OrderedDict[str, Evaluator] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()

    def lock(self, pid: str) -> threading.Lock:
        with self._meta:
            lock = self._locks.get(pid)
            if lock is None:
                lock = self._locks[pid] = threading.Lock()
            return lock

    def _evaluator(self, pid: str, also_quarantine: frozenset[int] = frozenset()) -> Evaluator:
        """The cached evaluator of `pid` (caller holds the process lock)."""
        with self._meta:
            ev = self._cache.get(pid)
            if ev is not None and not also_quarantine:
                self._cache.move_to_end(pid)
                return ev
        spawn = self.store.item(pid)
        first = self.store.entries(pid, -1, 0, 1)
        if spawn is None or not first:
            raise NotFound(f"process {pid} is not on this node")
        info = ProcessInfo.from_spawn(spawn, first[0])
        ev = Evaluator(
            info, self.runtime_factory(info), quarantined=self._quarantined(pid) | also_quarantine
        )
        with self._meta:
            self._cache[pid] = ev
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return ev

    def _quarantined(self, pid: str) -> frozenset[int]:
        """Positions whose stored result is the quarantine (only the hashes are read)."""
        hashes = self.store.result_hashes(pid, -1, 1 << 62)
        return frozenset(pos for pos, h in hashes.items() if h == QUARANTINE_HASH)

    def drop(self, pid: str) -> None:
        with self._meta:
            self._cache.pop(pid, None)

    def _store(self, pid: str, done: Sequence[Evaluated], stored_top: int = -1) -> None:
        """Write `done`; results at positions <= `stored_top` (already in the store, e.g.
        during a cold rebuild) are compared with the stored hashes instead of written."""
        if not done:
            return
        if done[0].position <= stored_top:
            done = self._check_stored(pid, done)
            if not done:
                return
        self.store.put_results([_to_new(pid, ev) for ev in done])
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
                    if ev.stale:
                        break
            except BaseException:
                # A runtime that failed half-way cannot be trusted: rebuild it next time.
                self.drop(pid)
                self._store(pid, done, stored_top)
                raise
            self._store(pid, done, stored_top)
            count += len(done)
            if ev.stale:
                ev, stored_top = self._rebuild_stale(pid, ev)
                continue
            if len(batch) < _PAGE:
                break
        return count

    def _rebuild_stale(self, pid: str, ev: Evaluator) -> tuple[Evaluator, int]:
        """After the watchdog stopped an evaluation (now stored as quarantined): a new
        evaluator, replaying the log without it, and the stored top it compares against."""
        log.warning(
            "process %s: the watchdog stopped the evaluation at position %d (nonce %d); "
            "it is quarantined, and the process is rebuilt from its log without it",
            pid,
            ev.position - 1,
            ev.last_nonce,
        )
        self.drop(pid)
        fresh = self._evaluator(pid)
        return fresh, self._stored_top(pid, fresh)

    def quarantine_next(self, pid: str) -> int:
        """Record the first evaluation of `pid` that has no stored result as quarantined,
        without running it (for one that kills the OS process evaluating it), and store it;
        returns its position. Everything before it is replayed (and compared with what is
        stored); nothing after it is evaluated here."""
        with self.lock(pid):
            last = self.store.last_result(pid)
            target = 0 if last is None else last.position + 1
            self.drop(pid)
            ev = self._evaluator(pid, also_quarantine=frozenset({target}))
            stored_top = target - 1
            done: list[Evaluated] = []
            while ev.position <= target:
                batch = self.store.entries_with_items(pid, ev.last_nonce, None, 1)
                if not batch:
                    done.extend(ev.crons_until(max(now_ms() - CRON_SAFETY_MS, ev.last_timestamp)))
                    break
                done.extend(ev.step(*batch[0]))
            self._store(pid, [d for d in done if d.position <= target], stored_top)
            # The evaluator may have run past the target (crons and a message in one step):
            # a fresh one continues from the store next time.
            self.drop(pid)
            log.warning("process %s: position %d is quarantined without being run", pid, target)
            return target

    def tick(self, pid: str, horizon: int | None = None) -> int:
        """Evaluate everything scheduled, then the cron ticks up to `horizon` (ms)."""
        limit = now_ms() - CRON_SAFETY_MS if horizon is None else horizon
        with self.lock(pid):
            count = self._evaluate_locked(pid, None)
            ev = self._evaluator(pid)
            if not ev.crons:
                return count
            done = ev.crons_until(max(limit, ev.last_timestamp))
            self._store(pid, done)
            if ev.stale:
                self._rebuild_stale(pid, ev)
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
        """Evaluate a read-only message on the latest state, then forget that state."""
        row = self.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
        with self.lock(pid):
            self._evaluate_locked(pid, None)
            ev = self._evaluator(pid)
            if ev.last_nonce < row.head.nonce:
                # The log must have been read short; never answer from a partial state.
                log.warning(
                    "dry-run of %s saw nonce %d < head %d; rebuilding",
                    pid,
                    ev.last_nonce,
                    row.head.nonce,
                )
                self.drop(pid)
                self._evaluate_locked(pid, None)
                ev = self._evaluator(pid)
                if ev.last_nonce < row.head.nonce:
                    raise StoreError(f"the log of {pid} could not be read up to {row.head.nonce}")
            msg = ev.read_only_message(body)
            # The runtime keeps state changes of the message it ran; the cached runtime is
            # dropped so the next read rebuilds it from the log, untouched by this message.
            self.drop(pid)
            return ev.dry_run(msg)

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
        runtime = self.runtime_factory(info)
        try:
            ev = Evaluator(info, runtime, quarantined=self._quarantined(pid))
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
