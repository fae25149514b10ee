"""The compute unit's live process states: kept within a memory budget, saved as snapshots,
restored from them.

A live state is an Evaluator over a Lua VM. A process that is not live is made live from
its latest good snapshot in the store (aos.log.snapshots checks it: the data directory's
MAC, the hash, the evaluator state; anything wrong falls back to an older one, then to a
fresh VM), and the compute unit replays the log after it. So attaching to a long process
costs a restore and the tail since the snapshot, not the whole log.

When a state is saved (docs/snapshots.md has the measured costs):
  * while a process streams, once its evaluation time since the last save reaches
    SAVE_RATIO times what that save cost (at most ~1/SAVE_RATIO of the work);
  * when the crank has evaluated a process to its head (it is idle), if at least
    IDLE_MESSAGES messages or IDLE_WORK seconds of work came since the last save;
  * when it is evicted, if anything came since.
A process keeps `keep_count` snapshots: KEEP at least, and more for a small state (up to
MAX_KEEP, while they fit in SNAPSHOT_BUDGET bytes): the newest KEEP_NEWEST, and older ones
spread as evenly as they can over the log (`spread_out`), so a dry-run at any past nonce
(`.replay`) starts at most about 1/(kept - KEEP_NEWEST) of the log before it; these are
also what `aos verify --snapshots` cuts into segments.

Live states are bounded by the bytes their VMs hold (`memory_budget`), not by a count:
past it the least recently used are closed, and saved first when that pays.

A snapshot does not always pay. A small state costs ~20 ms to restore (every table and
closure is rebuilt from it) and ~10 ms to save, while a fresh VM costs ~3 ms and a
simple message ~0.5 ms to replay: a young process evicted and made live again thrashed at
~30 ms a message (messages spread over more processes than fit in the budget). So each
making live and each eviction compares what it knows (`worth_saving`, `fresh_is_cheaper`):
the evaluation seconds since the last save or since the spawn, and the node's running
figures for a save (`save_cost`) and a restore (`restore_cost`). A process evicted with
little work since its spawn is not saved, and next time it is replayed from its spawn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aos.errors import SnapshotRefused
from aos.log.evaluator import Evaluator, ProcessInfo
from aos.log.keeper import RollbackFailed
from aos.log.runtimes import RuntimeFactory, RuntimeRestorer
from aos.log.snapshots import evaluator_state, problem, seal
from aos.node.store.store import Store

log = logging.getLogger("aos.node.units.states")

SAVE_RATIO = 30.0
IDLE_MESSAGES = 500
IDLE_WORK = 0.2
KEEP = 24
KEEP_NEWEST = 4
MAX_KEEP = 96
# Bytes of snapshots a process may hold beyond KEEP of them: a state of 35 KB keeps 96
# (3.3 MB beside a 100,000-message log of 234 MB), one of 1 MB keeps KEEP.
SNAPSHOT_BUDGET = 4 * 2**20
DEFAULT_MEMORY_BUDGET = 192 * 2**20
# First guesses (seconds) of a save and a restore of a small state, refined as they run.
SAVE_COST = 0.01
RESTORE_COST = 0.02
# Processes whose replay work from the spawn is remembered after their eviction.
MAX_REMEMBERED = 100_000


@dataclass
class _Saved:
    """What is known about a live state's saves."""

    nonce: int  # the last saved nonce (-1: never)
    work: float = 0.0  # evaluation seconds since
    messages: int = 0  # messages since
    cost: float = SAVE_COST  # what the last save took (seconds)
    from_spawn: float | None = None  # evaluation seconds since the spawn (made live fresh)


class ProcessStates:
    """The live evaluators of one compute unit. The caller holds a process's lock (from
    `lock`) around everything it does with that process's evaluator."""

    def __init__(
        self,
        store: Store,
        runtime_factory: RuntimeFactory,
        restorer: RuntimeRestorer | None,
        key: bytes | None,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        max_live: int = 4096,
    ) -> None:
        self.store = store
        self.runtime_factory = runtime_factory
        self.restorer = restorer
        self.key = key
        self.memory_budget = memory_budget
        self.max_live = max_live
        self._live: OrderedDict[str, Evaluator] = OrderedDict()
        self._saved: dict[str, _Saved] = {}
        self._cold: set[str] = set()  # made live and not yet evaluated further
        self._locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()
        self.restores = 0
        self.saves = 0
        self.evictions = 0
        self.save_cost = SAVE_COST  # running figures of this node (seconds)
        self.restore_cost = RESTORE_COST
        # pid -> evaluation seconds from its spawn to where it was evicted (when known)
        self._replay_work: dict[str, float] = {}
        # Told of every evaluator made here, live or throw-away (the compute unit gives it
        # the node's verdicts and its quarantine watcher).
        self.prepare: Callable[[Evaluator], None] | None = None

    def lock(self, pid: str) -> threading.Lock:
        with self._meta:
            lock = self._locks.get(pid)
            if lock is None:
                lock = self._locks[pid] = threading.Lock()
            return lock

    # -- live states -------------------------------------------------------------------
    def get(self, pid: str, info: Callable[[], ProcessInfo]) -> Evaluator:
        """The live evaluator of `pid`, made live if needed (the caller holds its lock)."""
        with self._meta:
            ev = self._live.get(pid)
            if ev is not None:
                self._live.move_to_end(pid)
                return ev
        process = info()
        ev = None if self.fresh_is_cheaper(pid) else self.from_snapshot(process)
        from_spawn = None if ev is not None else 0.0
        ev = ev or self.fresh(process)
        with self._meta:
            self._live[pid] = ev
            self._cold.add(pid)
        nonce = ev.last_nonce if ev.restored else -1
        self._saved[pid] = _Saved(nonce, cost=self.save_cost, from_spawn=from_spawn)
        self._fit(keep=pid)
        return ev

    def fresh_is_cheaper(self, pid: str) -> bool:
        """Whether replaying `pid` from its spawn costs less than a restore, as far as its
        last eviction here tells (a process not seen since this node started: no)."""
        known = self._replay_work.get(pid)
        return known is not None and known < self.restore_cost

    def worth_saving(self, pid: str) -> bool:
        """Whether saving `pid` before its eviction costs less than what it spares the next
        making live: the replay since the last save, or since the spawn."""
        saved = self._saved.get(pid)
        if saved is None:
            return True
        if saved.nonce >= 0:  # restored next time either way: the save against the replay
            return saved.work > saved.cost
        since_spawn = saved.from_spawn if saved.from_spawn is not None else saved.work
        return since_spawn > saved.cost + self.restore_cost

    def fresh(self, process: ProcessInfo) -> Evaluator:
        factory = self.runtime_factory
        return self._prepared(
            Evaluator(process, factory(process), rebuild=lambda: factory(process))
        )

    def _prepared(self, ev: Evaluator) -> Evaluator:
        if self.prepare is not None:
            self.prepare(ev)
        return ev

    def from_snapshot(self, process: ProcessInfo, at_most: int | None = None) -> Evaluator | None:
        """An evaluator restored from the newest usable snapshot (≤ `at_most`), or None."""
        if self.restorer is None:
            return None
        factory = self.runtime_factory
        row = self.store.latest_snapshot(process.id, at_most)
        while row is not None:
            why = problem(self.key, row)
            if why is None:
                start = time.perf_counter()
                try:
                    runtime = self.restorer(process, row.data)
                except (SnapshotRefused, ValueError) as err:
                    why = str(err)
                else:
                    self.restores += 1
                    self.restore_cost = _running(self.restore_cost, time.perf_counter() - start)
                    return self._prepared(
                        Evaluator.restore(
                            process, runtime, evaluator_state(row), rebuild=lambda: factory(process)
                        )
                    )
            log.warning("snapshot of %s at nonce %d not used: %s", process.id, row.nonce, why)
            row = self.store.latest_snapshot(process.id, row.nonce - 1)
        return None

    def was_cold(self, pid: str) -> bool:
        """Whether `pid` was made live since the last call (once per making live)."""
        with self._meta:
            if pid in self._cold:
                self._cold.discard(pid)
                return True
        return False

    def drop(self, pid: str) -> None:
        """Forget the live state (its VM is closed); the next use makes it live again."""
        with self._meta:
            ev = self._live.pop(pid, None)
            self._cold.discard(pid)
        if ev is not None:
            _close(ev)

    def live(self, pid: str) -> Evaluator | None:
        with self._meta:
            return self._live.get(pid)

    # -- saving ------------------------------------------------------------------------
    def worked(self, pid: str, ev: Evaluator, messages: int, seconds: float) -> None:
        """Account evaluation work; saves when the stream has done enough since."""
        saved = self._saved.setdefault(pid, _Saved(-1))
        saved.messages += messages
        saved.work += seconds
        if saved.from_spawn is not None:
            saved.from_spawn += seconds
        if saved.work >= SAVE_RATIO * saved.cost:
            self.save(pid, ev)

    def idle(self, pid: str, ev: Evaluator) -> None:
        """The crank has evaluated `pid` to its head: save if enough came since."""
        saved = self._saved.get(pid)
        if saved is not None and (saved.messages >= IDLE_MESSAGES or saved.work >= IDLE_WORK):
            self.save(pid, ev)

    def save(self, pid: str, ev: Evaluator) -> bool:
        """Store a snapshot of `ev` now; False when the state cannot be snapshotted."""
        saved = self._saved.setdefault(pid, _Saved(-1))
        if self.key is None or self.restorer is None or ev.last_nonce < 0:
            return False
        start = time.perf_counter()
        try:
            data, state = ev.snapshot()
        except RollbackFailed:
            return False  # a state that could not be restored is never saved (cu drops it)
        except SnapshotRefused:
            saved.work = 0.0  # try again after as much work again
            saved.messages = 0
            return False
        row = seal(self.key, pid, ev.last_nonce, ev.chain, state, data)
        self.store.put_snapshot(row)
        self._prune(pid, len(data))
        saved.nonce, saved.work, saved.messages = ev.last_nonce, 0.0, 0
        saved.cost = max(time.perf_counter() - start, 1e-4)
        self.save_cost = _running(self.save_cost, saved.cost)
        self.saves += 1
        return True

    def _prune(self, pid: str, size: int) -> None:
        """Drop snapshots of `pid` beyond what a state of `size` bytes keeps."""
        drop = spread_out(self.store.snapshot_nonces(pid), keep_count(size), KEEP_NEWEST)
        if drop:
            self.store.delete_snapshots(pid, drop)

    # -- the budget --------------------------------------------------------------------
    def _fit(self, keep: str) -> None:
        """Close least recently used states until the live ones fit the budget."""
        with self._meta:
            order = list(self._live.items())
        total = sum(_memory(ev) for _, ev in order)
        for pid, ev in order:
            if total <= self.memory_budget and len(order) <= self.max_live:
                return
            if pid == keep:
                continue
            lock = self.lock(pid)
            if not lock.acquire(blocking=False):
                continue  # in use: try the next one
            try:
                with self._meta:
                    if self._live.get(pid) is not ev:
                        continue
                saved = self._saved.get(pid)
                if saved is not None and ev.last_nonce > saved.nonce and self.worth_saving(pid):
                    self.save(pid, ev)
                self._remember(pid, saved)
                total -= _memory(ev)
                self.drop(pid)
                self.evictions += 1
            finally:
                lock.release()

    def _remember(self, pid: str, saved: _Saved | None) -> None:
        """Keep what replaying `pid` from its spawn costs, for its next making live."""
        if saved is None or saved.from_spawn is None:
            self._replay_work.pop(pid, None)
            return
        if len(self._replay_work) >= MAX_REMEMBERED:
            self._replay_work.clear()
        self._replay_work[pid] = saved.from_spawn

    def memory_used(self) -> int:
        with self._meta:
            evs = list(self._live.values())
        return sum(_memory(ev) for ev in evs)


def _running(figure: float, measured: float) -> float:
    """A running figure that follows the last few measurements."""
    return 0.8 * figure + 0.2 * measured


def _memory(ev: Evaluator) -> int:
    used = getattr(ev.keeper.runtime, "memory_used", None)
    return int(used()) if callable(used) else 0


def keep_count(size: int) -> int:
    """How many snapshots a process whose snapshot is `size` bytes keeps (see the module
    docstring): more of a small state make every `.replay` short at little cost."""
    if size <= 0:
        return KEEP
    return max(KEEP, min(MAX_KEEP, SNAPSHOT_BUDGET // size))


def spread_out(nonces: list[int], keep: int, newest: int) -> list[int]:
    """Which of the sorted snapshot `nonces` to drop so that `keep` stay: the `newest`
    always, and of the older ones, again and again, the one whose removal leaves the
    smallest gap between its neighbours (the start of the log counts as one). Saves come
    at a roughly steady rate, so this keeps the older ones close to evenly spaced and the
    replay to any nonce short."""
    kept = list(nonces)
    dropped: list[int] = []
    while len(kept) > keep:
        older = len(kept) - newest
        if older <= 0:
            break
        best = min(
            range(older),
            key=lambda i: kept[i + 1] - (kept[i - 1] if i > 0 else -1),
        )
        dropped.append(kept.pop(best))
    return sorted(dropped)


def _close(ev: Evaluator) -> None:
    close = getattr(ev.keeper.runtime, "close", None)
    if callable(close):
        close()
