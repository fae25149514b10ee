"""The reference compute unit's rule for failed messages: an Error leaves no trace in the state.

When a message's result has `Error`, the reference CU keeps the state from before that
message (docs/protocol.md §4.5). A Lua VM cannot undo a message, so `StateKeeper` keeps a
checkpoint of the state inside the VM (aos.runtime.LuaProcess.checkpoint: a snapshot that
never leaves the Lua state) and the messages evaluated since; on an Error it restores the
checkpoint in place and evaluates those messages again (they succeeded before, so they do
again: evaluation is deterministic), which leaves the state as it was right before the
failed one, and checkpoints that.

When to checkpoint is a matter of cost only, never of results (a restore is exact): the
keeper checkpoints once the evaluation time since the last checkpoint reaches
CHECKPOINT_RATIO times what the last checkpoint took, so checkpoints cost at most about
1/CHECKPOINT_RATIO of the evaluation time on the normal path, and a rollback replays at
most about that much work. A state that cannot be checkpointed (a Receive waits) keeps
the older checkpoint and a longer list; with none at all, a rollback starts from a fresh
runtime (`rebuild`) and the whole list since the spawn.

`isolated(fn)` runs a read-only message and then returns to the state before it, by the
same means: dry-runs and `.replay` expressions never change the live state. With
`later=True` the return waits until the keeper is used next (any message, checkpoint,
snapshot, or `settle()`), so a read that nothing follows (the last one of a test, or one
the compute unit settles while it is idle) costs no restore on its way; and no checkpoint
is taken first while replaying the messages since the last one costs less.

A message that ends at the memory cap runs once more, from the same state, after a full
collection, and that second answer is its result: whether an allocation fits depends on
the garbage around it, which depends on this VM's history (checkpoints, rollbacks, a
restore) and not on the log. (What a collected heap holds still depends a little on how
it was built, e.g. a table's allocated size; docs/snapshots.md says so.)

A runtime without checkpoints (a test double) keeps the state of failed messages, as
before this rule: `supports_rollback` tells.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from aos.errors import SnapshotRefused
from aos.log.runtimes import Runtime

CHECKPOINT_RATIO = 20.0
# Until a checkpoint has been timed, assume this much (seconds).
FIRST_ESTIMATE = 0.002

T = TypeVar("T")


class RollbackFailed(Exception):
    """The checkpoint could not be restored (e.g. the state is at its memory cap); the
    runtime must be rebuilt from the log."""


class StateKeeper:
    """Runs messages through `runtime`, rolling failed ones back."""

    def __init__(
        self,
        runtime: Runtime,
        rebuild: Callable[[], Runtime] | None = None,
        *,
        restored: bool = False,
    ) -> None:
        """`rebuild` makes a fresh runtime (the state before the spawn); `restored` says the
        runtime was restored from a snapshot, which is then its checkpoint."""
        self.runtime = runtime
        self._rebuild = rebuild
        self._checkpoint: Any = getattr(runtime, "checkpoint", None)
        self._rollback: Any = getattr(runtime, "rollback", None)
        self._flat: Any = getattr(runtime, "handle_flat", None)
        self._collect: Any = getattr(runtime, "collect_garbage", None)
        self.supports_rollback = self._checkpoint is not None and self._rollback is not None
        self._has_checkpoint = restored
        # (flat?, args or msg, env) of every message since the checkpoint (or since the
        # fresh state while there is none).
        self._since: list[tuple[bool, Any, dict[str, Any]]] = []
        self._work = 0.0  # evaluation seconds since the checkpoint
        self._cost = FIRST_ESTIMATE
        self.rollbacks = 0
        self.checkpoints = 0
        # A dry-run ran with `isolated(later=True)` and its changes are still in the state.
        self._unsettled = False
        # A restore failed: the state is not one the log gives, and every later use raises
        # RollbackFailed until the runtime is rebuilt (a caller that misses the first
        # exception must never go on with it).
        self.broken = False

    # -- messages ----------------------------------------------------------------------
    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        return self._run(False, msg, env)

    def handle_flat(self, args: list[Any], env: dict[str, Any]) -> dict[str, Any]:
        return self._run(True, args, env)

    @property
    def takes_flat(self) -> bool:
        return self._flat is not None

    def _call(self, flat: bool, payload: Any, env: dict[str, Any]) -> dict[str, Any]:
        if flat:
            raw: dict[str, Any] = self._flat(payload, env)
            return raw
        return self.runtime.handle(payload, env)

    @property
    def unsettled(self) -> bool:
        """Whether a dry-run's changes are still in the state (see `settle`)."""
        return self._unsettled

    def _usable(self) -> None:
        if self.broken:
            raise RollbackFailed(
                "an earlier restore of this state failed; it must be rebuilt from the log"
            )
        if self._unsettled:
            self.settle()

    def _run(self, flat: bool, payload: Any, env: dict[str, Any]) -> dict[str, Any]:
        if not self.supports_rollback:
            return self._call(flat, payload, env)
        self._usable()
        if not self._has_checkpoint and not self._since and self._rebuild is None:
            self.try_checkpoint()  # the state to return to when nothing can rebuild it
        start = time.perf_counter()
        raw = self._call(flat, payload, env)
        if raw.get("Error") is not None:
            self.roll_back()
            if not _hit_the_memory_cap(raw) or self._collect is None:
                return raw
            # Whether an allocation fits under the cap depends on the garbage around it as
            # well as on what the process holds, and the garbage depends on the history of
            # this VM (checkpoints, rollbacks, a restore), not on the log: a replay that
            # carried 55 MiB of a failed bomb's garbage met the cap at once where the node
            # reached the instruction limit. So a message that meets the cap runs once
            # more from the same state on a collected heap, and that answer is the result.
            self._collect()
            raw = self._call(flat, payload, env)
            if raw.get("Error") is not None:
                self.roll_back()
                return raw
        self._since.append((flat, payload, env))
        self._work += time.perf_counter() - start
        if self._work >= CHECKPOINT_RATIO * self._cost:
            self.try_checkpoint()
        return raw

    # -- checkpoints -------------------------------------------------------------------
    def try_checkpoint(self) -> bool:
        """Checkpoint the current state; False (and the older checkpoint kept) when the
        state cannot be snapshotted now."""
        if not self.supports_rollback:
            return False
        self._usable()
        start = time.perf_counter()
        try:
            self._checkpoint()
        except SnapshotRefused:
            self._work = 0.0  # try again after as much work again
            return False
        finally:
            self._cost = max(time.perf_counter() - start, 1e-5)
        self._has_checkpoint = True
        self._since.clear()
        self._work = 0.0
        self.checkpoints += 1
        return True

    def roll_back(self) -> None:
        """Return to the state right after the last message that succeeded."""
        self._restore()
        self.rollbacks += 1
        self.try_checkpoint()  # the next failure then needs no replay

    def _restore(self) -> None:
        """Back to the checkpoint, then the messages since it again (this also undoes a
        dry-run left in the state). Any failure marks the keeper broken."""
        try:
            self._restore_once_or_twice()
        except BaseException:
            self.broken = True
            raise
        self._unsettled = False

    def _restore_once_or_twice(self) -> None:
        for attempt in range(2):
            self._back_to_checkpoint()
            if attempt and self._collect is not None:
                self._collect()
            failed = None
            for flat, payload, env in self._since:
                # Each succeeded before; one that fails now (the memory cap, over the
                # garbage of the restore) would leave a state the log does not give: once
                # more on a collected heap, and if that fails too, the runtime is rebuilt.
                again = self._call(flat, payload, env)
                if again.get("Error") is not None:
                    failed = again["Error"]
                    break
            if failed is None:
                return
        raise RollbackFailed(f"a message evaluated again after the rollback failed: {failed}")

    def _back_to_checkpoint(self) -> None:
        if self._has_checkpoint:
            try:
                self._rollback()
            except Exception as err:
                raise RollbackFailed(f"the checkpoint could not be restored: {err}") from err
        elif self._rebuild is not None:
            close = getattr(self.runtime, "close", None)
            if callable(close):
                close()
            self.runtime = self._rebuild()
            self._checkpoint = getattr(self.runtime, "checkpoint", None)
            self._rollback = getattr(self.runtime, "rollback", None)
            self._flat = getattr(self.runtime, "handle_flat", None)
            self._collect = getattr(self.runtime, "collect_garbage", None)
        else:
            raise RollbackFailed("no checkpoint and no way to rebuild the runtime")

    def isolated(self, fn: Callable[[], T], *, later: bool = False) -> T:
        """`fn()` (a read-only message), then the state as it was before it: at once, or
        with `later` when the keeper is used next (see the module docstring)."""
        if not self.supports_rollback:
            raise RollbackFailed("this runtime cannot return to an earlier state")
        self._usable()
        # A later restore replays the messages since the checkpoint there is (or since a
        # fresh runtime): while that costs less than a checkpoint, none is taken for a read.
        can_restore = self._has_checkpoint or self._rebuild is not None
        if self._since and not (later and can_restore and self._work <= self._cost):
            self.try_checkpoint()
        try:
            return fn()
        finally:
            if later:
                self._unsettled = True
            else:
                self._restore()

    def settle(self) -> None:
        """Undo a dry-run that `isolated(later=True)` left in the state (else nothing);
        RollbackFailed if that fails, and the keeper is broken from then on."""
        if self.broken:
            self._usable()
        if self._unsettled:
            self._restore()

    def snapshot(self) -> bytes:
        """The state as bytes (also the new checkpoint); SnapshotRefused when it cannot be."""
        snapshot = getattr(self.runtime, "snapshot", None)
        if snapshot is None:
            raise SnapshotRefused("this runtime has no snapshots")
        self._usable()
        snapshot = getattr(self.runtime, "snapshot", None)  # a settle may rebuild it
        assert snapshot is not None
        data: bytes = snapshot()
        self._has_checkpoint = True
        self._since.clear()
        self._work = 0.0
        return data


def _hit_the_memory_cap(raw: dict[str, Any]) -> bool:
    error = raw.get("Error")
    return isinstance(error, str) and error.startswith("memory limit exceeded")
