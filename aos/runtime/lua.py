"""`LuaProcess`: one sandboxed Lua 5.3 state running the aos process library.

The state is built with no Python bridge (no `python` global, no builtins, an attribute
filter that refuses everything) and then hardened by lua/sandbox.lua. Messages go in as a
flat argument list and results come back as one JSON text (aos.runtime.convert), so no
Python object ever reaches Lua. `handle` never raises for what Lua code does: syntax
errors, runtime errors and both limits come back as `{"Error": ...}`.

Crash containment: Lua aborts the OS process when it runs out of memory (or meets any
error) outside a protected call, and lupa pushes call arguments, converts tables and
releases references outside its lua_pcall. So the memory cap is in force only while the
bridge's `run` executes, which lupa calls with no argument (nothing to push) and which
allocates only inside lua_pcall; every other entry into Lua (setting up the state, pushing
a message, converting env, recovering after an error, closing) runs with the cap lifted,
bounded by what Python hands in rather than by what a process does. Checkpoints, rollbacks
and snapshots (issue 13) run with the cap lifted too: a copy of a state near its cap
then still succeeds (for a moment the state holds up to twice the cap), and the
checkpoint's bytes are held in Python, so they never count against the process's cap.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from functools import cache
from typing import Any

import lupa.lua53 as lua53

from aos.errors import MessageStopped, SnapshotRefused
from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT, WATCHDOG_SECONDS
from aos.runtime.convert import decode_result, flatten_message
from aos.runtime.limits import RuntimeLimits
from aos.runtime.state import (
    NO_LIMIT,
    bytewise_collation,
    executable,
    from_lua_text,
    library_fingerprint,
    runtime_sources,
    sandboxed_state,
)
from aos.runtime.watchdog import Watchdog

_STOPPED = "stopped"  # what the bridge's `run` returns when the watchdog stopped a message
# The bytes a snapshot starts with (then the library fingerprint, then lua/snapshot.lua's).
SNAPSHOT_MAGIC = b"AOSSNAP\x01"


_NO_WATCHDOG = Watchdog(None, 0)


@cache
def _watchdog(seconds: int) -> Watchdog:
    """The watchdog thread of this OS process for `seconds` (one per value in use)."""
    return Watchdog(lua53.__file__, seconds)


def _empty_error(text: str) -> dict[str, Any]:
    return {
        "Assignments": [],
        "Error": text,
        "GasUsed": 0,
        "Messages": [],
        "Output": "",
        "Spawns": [],
    }


# Messages a reference process runs before its closures are listed: they make the
# closures every process soon has (an Inbox entry's reply and forward, the Eval handler's
# wrappers), so that those, too, go into a snapshot by name rather than as bytecode.
_WARM_UP: tuple[dict[str, Any], ...] = (
    {"Id": "W" * 43, "Owner": "O" * 43, "From": "O" * 43, "Target": "W" * 43,
     "Tags": [{"name": "Type", "value": "Process"}], "Data": "", "Module": "M" * 43,
     "Timestamp": 0, "Block-Height": 0, "Nonce": 0},
    {"Id": "E" * 43, "Owner": "O" * 43, "From": "O" * 43, "Target": "W" * 43,
     "Tags": [{"name": "Action", "value": "Eval"}], "Data": "return 1",
     "Timestamp": 1, "Block-Height": 0, "Nonce": 1},
    {"Id": "P" * 43, "Owner": "X" * 43, "From": "X" * 43, "Target": "W" * 43,
     "Tags": [{"name": "Action", "value": "Note"}], "Data": "x",
     "Timestamp": 2, "Block-Height": 0, "Nonce": 2},
)  # fmt: skip


@cache
def _library_protos() -> dict[str, bytes]:
    """{name: bytecode} of the closures a fresh, warmed-up process holds: the same for every
    state of this build (names are paths of sorted keys from the snapshot roots)."""
    reference = LuaProcess()
    env = {"Process": {"Id": "W" * 43, "Owner": "O" * 43, "Tags": []},
           "Module": {"Id": "M" * 43, "Owner": "O" * 43, "Tags": []}}  # fmt: skip
    for msg in _WARM_UP:
        reference.handle(msg, env)
    found = reference._snapshots.list_library()
    protos = {str(name): from_lua_text(text) for name, text in found.items()}
    reference.close()
    return protos


class LuaProcess:
    """A process: its Lua state, the library loaded, and the limits of every message."""

    # Load the runtime's chunks as bytecode compiled once per OS process (False: compile
    # every source in this state; the same functions, what a test compares with).
    precompiled = True

    def __init__(
        self,
        *,
        memory_limit: int = DEFAULT_MEMORY,
        instruction_limit: int = INSTRUCTION_LIMIT,
        watchdog: int = WATCHDOG_SECONDS,
        restore: bytes | None = None,
    ) -> None:
        """A fresh process, or with `restore` one whose state is a `snapshot()` of
        another (SnapshotRefused, or ValueError for bytes that are not one). `watchdog`:
        the wall-clock seconds a message may run (0: no watchdog; aos.runtime.watchdog)."""
        self._start(memory_limit, instruction_limit, watchdog, (), restore)

    @classmethod
    def covering(
        cls,
        chunks: Collection[str],
        *,
        memory_limit: int = DEFAULT_MEMORY,
        instruction_limit: int = INSTRUCTION_LIMIT,
    ) -> LuaProcess:
        """A process that records the lines run of the chunks named `chunks` (`lines_run`).
        Its GasUsed is not a process's (lua/sandbox.lua says why): replay in it, for lines."""
        proc = cls.__new__(cls)
        # No watchdog: a covering state takes line events itself (sandbox.lua).
        proc._start(memory_limit, instruction_limit, 0, chunks, None)
        return proc

    def _start(
        self,
        memory_limit: int,
        instruction_limit: int,
        watchdog: int,
        cover: Collection[str],
        restore: bytes | None,
    ) -> None:
        self.limits = RuntimeLimits(
            memory_limit=memory_limit, instruction_limit=instruction_limit, watchdog=watchdog
        )
        self._env: dict[str, Any] | None = None
        self._env_seen: object = None  # the env object last passed in (identity only)
        self._closed = False
        self._kept_env: tuple[dict[str, Any] | None, object] = (None, None)
        self._kept: bytes | None = None  # the checkpoint's bytes (lua/snapshot.lua)
        self._library_set = False
        self._cap = memory_limit
        _, bridge_src, _, modules = runtime_sources()
        rt, control, self._covered = sandboxed_state(
            self.limits, modules, cover, snapshots=True, precompiled=self.precompiled
        )
        self._runtime: Any = rt
        self._control: Any = control
        self._snapshots: Any = control.snapshot
        self._finish: Any = control.finish
        self._collect: Any = control.collect
        # For the watchdog: the main thread's "thread: 0x…", and the spare thread `prepare`
        # names, where the next message's handlers run (parsed only if it ever pokes).
        self._main_state = str(control.main_thread)
        self._spare = ""
        self._states: tuple[str, ...] = (self._main_state,)
        self._dog = _watchdog(watchdog) if watchdog else _NO_WATCHDOG
        self._watch = self._dog.watch() if watchdog else None
        self._seq = 0
        self._prepare: Any
        self._run: Any
        self._discard: Any
        self._bridge_state: Any
        rt.set_max_memory(NO_LIMIT)
        try:
            # Executed with the registry's (private) globals, as sandbox.lua's own chunks.
            bridge = executable(bridge_src) if self.precompiled else bridge_src
            self._bridge: Any = rt.execute(bridge)
            restored_env: Any = None
            if restore is not None:
                restored_env = self._restore(restore)
            self._new_bridge()
            if restore is not None:
                self._bridge_state.set_env(restored_env)
            # The library is loaded: from now on the state holds what it held before
            # bytecode was used (a module first required by a message compiles from text).
            control.forget_bytecode()
        finally:
            rt.set_max_memory(memory_limit)

    def _new_bridge(self) -> None:
        """The bridge's functions over the current state (the caller lifted the cap)."""
        self._prepare, self._run, self._discard, self._bridge_state = self._bridge(self._control)

    # -- snapshots -----------------------------------------------------------------------
    def _use_library(self) -> None:
        """Hand the state the library's prototypes (the caller lifted the cap)."""
        if not self._library_set:
            self._snapshots.set_library(self._runtime.table_from(_library_protos()))
            self._library_set = True

    def _uncapped(self) -> Any:
        """A context in which the memory cap is lifted (see the module docstring)."""
        return _Uncapped(self._runtime, self._cap)

    def checkpoint(self) -> None:
        """Keep the current state inside the Lua state: `rollback` returns to it exactly.
        Only at a message boundary; SnapshotRefused says why the state cannot be kept."""
        with self._uncapped():
            self._use_library()
            ok, why = self._snapshots.keep(self._bridge_state.get_env())
            if ok:
                # Its bytes are held here, outside the state and its cap (snapshot.lua).
                self._kept = from_lua_text(self._snapshots.take_kept())
        if not ok:
            raise SnapshotRefused(str(why))
        # Which env the checkpointed state holds: a rollback must hand the next message the
        # env again exactly when the state it returns to had not been given it yet.
        self._kept_env = (self._env, self._env_seen)

    def rollback(self) -> None:
        """Return to the last checkpoint, in place: every value is rebuilt from it, so what
        the messages since then did (globals, tables, ids, the random generator) is gone."""
        if self._kept is None:
            raise SnapshotRefused("there is no checkpoint to roll back to")
        with self._uncapped():
            env = self._snapshots.restore_kept(self._kept)
            self._new_bridge()
            self._bridge_state.set_env(env)
        self._env, self._env_seen = self._kept_env

    def snapshot(self) -> bytes:
        """The state as bytes (it also becomes the checkpoint): `LuaProcess(restore=…)`
        gives a process whose next message has a byte-identical result. Same state, same
        bytes, in any OS process of this build."""
        self.checkpoint()
        assert self._kept is not None
        return SNAPSHOT_MAGIC + bytes.fromhex(library_fingerprint()) + self._kept

    def assume_env(self, env: dict[str, Any]) -> None:
        """Tell the runtime that its (restored) state already holds `env`, so that the next
        message with an equal env does not hand the state a new table."""
        self._env = copy.deepcopy(env)
        self._env_seen = None
        self._kept_env = (self._env, self._env_seen)

    def _restore(self, data: bytes) -> Any:
        """The caller lifted the cap."""
        head = len(SNAPSHOT_MAGIC)
        if data[:head] != SNAPSHOT_MAGIC:
            raise ValueError("not a process snapshot")
        if data[head : head + 32] != bytes.fromhex(library_fingerprint()):
            raise SnapshotRefused("the snapshot was made by another build of the process library")
        self._use_library()
        try:
            env = self._snapshots.restore_bytes(data[head + 32 :])
            self._kept = data[head + 32 :]
            return env
        except lua53.LuaError as err:
            raise ValueError(f"the snapshot cannot be restored: {err}") from None

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        """Evaluate one message; the result dict is deterministic for a given log.

        `env` is converted into Lua only when it differs from the previous one. The very
        same dict object passed again counts as unchanged (a compute unit passes one env
        per process, and comparing it per message costs ~5% of a replay): to change the
        env, pass a new dict.
        """
        return self.handle_flat(flatten_message(msg), env)

    def handle_flat(self, args: list[Any], env: dict[str, Any]) -> dict[str, Any]:
        """`handle` for a message already flattened (aos.runtime.convert.flatten_message's
        shape); the compute unit's evaluator builds that list directly.

        Raises aos.errors.MessageStopped when the watchdog stopped the message: its state
        changes are then not a function of the log (see RuntimeLimits)."""
        if self._closed:
            raise RuntimeError("this LuaProcess is closed")
        bytewise_collation()
        # Everything up to `run` happens with the cap lifted (see the module docstring).
        # This is the replay's hot path: attributes are read once, nothing is parsed.
        rt = self._runtime
        rt.set_max_memory(NO_LIMIT)
        try:
            if env is self._env_seen:
                spare = self._prepare(None, *args)
            else:
                spare = self._prepare_with_env(args, env)
        except lua53.LuaError as exc:
            # lupa could not push the arguments (more than the Lua stack holds).
            self._env, self._env_seen = None, None
            self._recover()
            return _empty_error(f"the message could not be passed to the process: {exc}")
        finally:
            rt.set_max_memory(self._cap)
        if spare != self._spare:  # a new spare thread
            self._spare = spare
            self._states = (self._main_state, spare)
        watch = self._watch
        failure: lua53.LuaError | None = None
        if watch is not None:
            self._seq += 1
            watch.slot = (self._seq, self._states)
        try:
            text: str = self._run()
        except lua53.LuaError as exc:
            failure = exc
        finally:
            # Before anything else calls into Lua: from here on this message is never poked
            # (aos.runtime.watchdog.Watch says why a lock is needed only while it is busy).
            if watch is not None:
                watch.slot = None
                if self._dog.busy:
                    with self._dog.lock:
                        pass
        if failure is not None:
            self._recover()
            if isinstance(failure, lua53.LuaMemoryError):
                return _empty_error(self.limits.memory_text())
            # The bridge catches everything Lua raises; this is a failure of the bridge itself.
            return _empty_error(f"the process runtime failed: {failure}")
        if text == _STOPPED:
            raise MessageStopped(self.limits.watchdog)
        result = decode_result(text)
        err = result.get("Error")
        if isinstance(err, str) and err.startswith("memory limit exceeded"):
            self._recover()
        return result

    def _prepare_with_env(self, args: list[Any], env: dict[str, Any]) -> Any:
        """`prepare` for a message whose env is a new object (the caller lifted the cap)."""
        env_arg = None
        if env != self._env:
            env_arg = self._runtime.table_from(env, recursive=True)
            # A copy: an equal env passed later as another object is still "unchanged".
            self._env = copy.deepcopy(env)
        self._env_seen = env
        spare = self._prepare(env_arg, *args)
        # Released here, while the cap is still lifted (lupa releases references outside
        # lua_pcall).
        del env_arg
        return spare

    def _recover(self) -> None:
        """After a failed message, forget it and free what it left behind."""
        rt = self._runtime
        rt.set_max_memory(NO_LIMIT)
        try:
            # Disarm first: until `finish` runs, the budget and its hook are still set.
            for step in (self._finish, self._discard, self._collect):
                try:
                    step()
                except lua53.LuaError:
                    pass
        finally:
            rt.set_max_memory(self._cap)

    def memory_used(self) -> int:
        """Bytes currently allocated by the Lua state (0 once closed)."""
        if self._closed:
            return 0
        used: int = self._runtime.get_memory_used()
        return used

    def collect_garbage(self) -> None:
        """Run a full garbage collection (e.g. before measuring memory)."""
        if not self._closed:
            self._runtime.set_max_memory(NO_LIMIT)
            try:
                self._collect()
            finally:
                self._runtime.set_max_memory(self.limits.memory_limit)

    def lines_run(self) -> dict[str, set[int]]:
        """{chunk name: lines run so far} of a `covering` process (empty for any other)."""
        if self._covered is None or self._closed:
            return {}
        return {name: set(lines.keys()) for name, lines in self._covered.items()}

    def close(self) -> None:
        """Drop the Lua state; the object cannot handle messages afterwards."""
        if self._closed:
            return
        self._closed = True
        self._runtime.set_max_memory(NO_LIMIT)
        self._prepare = self._run = self._discard = self._bridge_state = None
        self._finish = self._collect = None
        self._control = self._snapshots = self._bridge = None
        self._covered = self._kept = None
        self._runtime = None


class _Uncapped:
    """`with`: the memory cap lifted, then set again (a small class: this is on the path of
    every checkpoint)."""

    __slots__ = ("_runtime", "_cap")

    def __init__(self, runtime: Any, cap: int) -> None:
        self._runtime, self._cap = runtime, cap

    def __enter__(self) -> None:
        self._runtime.set_max_memory(NO_LIMIT)

    def __exit__(self, *exc: object) -> None:
        self._runtime.set_max_memory(self._cap)
