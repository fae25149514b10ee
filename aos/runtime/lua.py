"""`LuaProcess`: one sandboxed Lua 5.3 state running the aos process library.

The state is built with no Python bridge (no `python` global, no builtins, an attribute
filter that refuses everything) and then hardened by lua/sandbox.lua. Messages go in as a
flat argument list and results come back as one JSON text (aos.runtime.convert), so no
Python object ever reaches Lua. `handle` never raises for what Lua code does: syntax
errors, runtime errors and both limits come back as `{"Error": ...}`.
"""

from __future__ import annotations

import _locale
import copy
import hashlib
from collections.abc import Collection
from functools import cache
from typing import Any

import lupa.lua53 as lua53

from aos.errors import SnapshotRefused
from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT
from aos.luafiles import lua_dir
from aos.runtime.convert import decode_result, flatten_message
from aos.runtime.limits import RuntimeLimits

# Files executed by the runtime itself, never reachable through `require`.
_PRIVATE = {"sandbox", "bridge", "pattern", "snapshot"}
# The bytes a snapshot starts with (then the library fingerprint, then lua/snapshot.lua's).
SNAPSHOT_MAGIC = b"AOSSNAP\x01"
# Folders of lua/ that hold no module of the process library: blueprints are sent as Eval
# code, testing/ is `aos test`'s runner (aos.runtime.script), never a process's.
_NOT_MODULES = {"blueprints", "testing"}
# Instructions between two calls of the count hook: the budget's granularity.
_HOOK_STEP = 1000


# Lua 5.3 compares strings with strcoll(), so LC_COLLATE orders `pairs`, json keys and
# table.sort: it must be bytewise in every OS process. Python leaves LC_COLLATE at "C",
# but an interactive program may call setlocale(LC_ALL, "") at any time.
_BYTEWISE_COLLATE = frozenset({"C", "POSIX"})


def bytewise_collation() -> None:
    """Set LC_COLLATE to "C" unless it already is; cheap enough to call per message."""
    if _locale.setlocale(_locale.LC_COLLATE, None) not in _BYTEWISE_COLLATE:
        _locale.setlocale(_locale.LC_COLLATE, "C")


def _refuse(obj: object, name: object, is_setting: bool) -> object:
    raise AttributeError("Python attributes are not accessible from a process")


@cache
def _sources() -> tuple[str, str, str, dict[str, str]]:
    """(sandbox, bridge, pattern sources, {module key: source}) of the library, read once.
    (lua/snapshot.lua is read by `_snapshot_source`.)"""
    root = lua_dir()
    modules: dict[str, str] = {}
    for path in sorted(root.rglob("*.lua")):
        rel = path.relative_to(root)
        if rel.parts[0] in _NOT_MODULES:
            continue
        key = rel.with_suffix("").as_posix()
        if key in _PRIVATE:
            continue
        modules[key] = path.read_text(encoding="utf-8")
    sandbox = (root / "sandbox.lua").read_text(encoding="utf-8")
    bridge = (root / "bridge.lua").read_text(encoding="utf-8")
    pattern = (root / "pattern.lua").read_text(encoding="utf-8")
    return sandbox, bridge, pattern, modules


def _empty_error(text: str) -> dict[str, Any]:
    return {
        "Assignments": [],
        "Error": text,
        "GasUsed": 0,
        "Messages": [],
        "Output": "",
        "Spawns": [],
    }


@cache
def _snapshot_source() -> str:
    return (lua_dir() / "snapshot.lua").read_text(encoding="utf-8")


@cache
def library_fingerprint() -> str:
    """What a snapshot's library prototypes depend on: every Lua source of the runtime.
    A snapshot made by another build is refused (and the log replayed instead)."""
    digest = hashlib.sha256()
    sandbox, bridge, pattern, modules = _sources()
    for name, text in [("sandbox", sandbox), ("bridge", bridge), ("pattern", pattern),
                       ("snapshot", _snapshot_source()), *sorted(modules.items())]:  # fmt: skip
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


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
    protos = {str(name): _from_lua_text(text) for name, text in found.items()}
    reference.close()
    return protos


def _from_lua_text(text: str) -> bytes:
    """The bytes of a Lua string that lua/snapshot.lua's `as_text` made valid UTF-8."""
    return text.encode("latin-1")


def library_sources() -> dict[str, str]:
    """{module key: source} of the process library, what `require` finds in every state."""
    return dict(_sources()[3])


def sandboxed_state(
    limits: RuntimeLimits,
    modules: dict[str, str],
    cover: Collection[str] = (),
    snapshots: bool = False,
) -> tuple[Any, Any, Any]:
    """A fresh Lua state hardened by lua/sandbox.lua, `modules` requirable: (runtime, control
    table, cover table). `cover` names chunks whose lines the state records as they run
    (`aos test --cov`; see sandbox.lua: such a state's GasUsed is not a process's).
    With `snapshots` the control table carries lua/snapshot.lua's tools (`control.snapshot`)."""
    bytewise_collation()  # the library sorts while it loads
    # lupa is untyped: its objects stay behind Any.
    rt: Any = lua53.LuaRuntime(
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        attribute_filter=_refuse,
        max_memory=limits.memory_limit,
    )
    rt.globals().python = None
    sandbox_src, _, pattern_src, _ = _sources()
    install = rt.execute(sandbox_src)
    pattern = rt.execute(pattern_src)
    opts = rt.table_from(
        {
            "instruction_limit": limits.instruction_limit,
            "step": _HOOK_STEP,
            "memory_text": limits.memory_text(),
        }
    )
    covered = None
    if cover:
        covered = rt.table_from({name: rt.table() for name in sorted(cover)})
        opts.cover = covered
    tools = rt.execute(_snapshot_source()) if snapshots else None
    control = install(rt.table_from(modules), opts, pattern, tools)
    return rt, control, covered


class LuaProcess:
    """A process: its Lua state, the library loaded, and the limits of every message."""

    def __init__(
        self,
        *,
        memory_limit: int = DEFAULT_MEMORY,
        instruction_limit: int = INSTRUCTION_LIMIT,
        restore: bytes | None = None,
    ) -> None:
        """A fresh process, or with `restore` one whose state is a `snapshot()` of
        another (SnapshotRefused, or ValueError for bytes that are not one)."""
        self._start(memory_limit, instruction_limit, (), restore)

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
        proc._start(memory_limit, instruction_limit, chunks, None)
        return proc

    def _start(
        self,
        memory_limit: int,
        instruction_limit: int,
        cover: Collection[str],
        restore: bytes | None,
    ) -> None:
        self.limits = RuntimeLimits(memory_limit=memory_limit, instruction_limit=instruction_limit)
        self._env: dict[str, Any] | None = None
        self._env_seen: object = None  # the env object last passed in (identity only)
        self._closed = False
        self._kept_env: tuple[dict[str, Any] | None, object] = (None, None)
        self._library_set = False
        _, bridge_src, _, modules = _sources()
        rt, control, self._covered = sandboxed_state(self.limits, modules, cover, snapshots=True)
        self._runtime: Any = rt
        self._control: Any = control
        self._snapshots: Any = control.snapshot
        self._bridge: Any = rt.execute(bridge_src)
        self._collect: Any = control.collect
        restored_env: Any = None
        if restore is not None:
            restored_env = self._restore(restore)
        self._entry: Any
        self._bridge_state: Any
        self._entry, self._bridge_state = self._bridge(control)
        if restore is not None:
            self._bridge_state.set_env(restored_env)

    # -- snapshots -----------------------------------------------------------------------
    def _use_library(self) -> None:
        if not self._library_set:
            self._snapshots.set_library(self._runtime.table_from(_library_protos()))
            self._library_set = True

    def checkpoint(self) -> None:
        """Keep the current state inside the Lua state: `rollback` returns to it exactly.
        Only at a message boundary; SnapshotRefused says why the state cannot be kept."""
        self._use_library()
        ok, why = self._snapshots.keep(self._bridge_state.get_env())
        if not ok:
            raise SnapshotRefused(str(why))
        # Which env the checkpointed state holds: a rollback must hand the next message the
        # env again exactly when the state it returns to had not been given it yet.
        self._kept_env = (self._env, self._env_seen)

    def rollback(self) -> None:
        """Return to the last checkpoint, in place: every value is rebuilt from it, so what
        the messages since then did (globals, tables, ids, the random generator) is gone."""
        env = self._snapshots.restore_kept()
        self._entry, self._bridge_state = self._bridge(self._control)
        self._bridge_state.set_env(env)
        self._env, self._env_seen = self._kept_env

    def snapshot(self) -> bytes:
        """The state as bytes (it also becomes the checkpoint): `LuaProcess(restore=…)`
        gives a process whose next message has a byte-identical result. Same state, same
        bytes, in any OS process of this build."""
        self.checkpoint()
        blob = _from_lua_text(self._snapshots.kept_text())
        return SNAPSHOT_MAGIC + bytes.fromhex(library_fingerprint()) + blob

    def assume_env(self, env: dict[str, Any]) -> None:
        """Tell the runtime that its (restored) state already holds `env`, so that the next
        message with an equal env does not hand the state a new table."""
        self._env = copy.deepcopy(env)
        self._env_seen = None
        self._kept_env = (self._env, self._env_seen)

    def _restore(self, data: bytes) -> Any:
        head = len(SNAPSHOT_MAGIC)
        if data[:head] != SNAPSHOT_MAGIC:
            raise ValueError("not a process snapshot")
        if data[head : head + 32] != bytes.fromhex(library_fingerprint()):
            raise SnapshotRefused("the snapshot was made by another build of the process library")
        self._use_library()
        try:
            return self._snapshots.restore_bytes(data[head + 32 :])
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
        shape); the compute unit's evaluator builds that list directly."""
        if self._closed:
            raise RuntimeError("this LuaProcess is closed")
        bytewise_collation()
        env_arg = None
        if env is not self._env_seen:
            if env != self._env:
                env_arg = self._runtime.table_from(env, recursive=True)
                # A copy: an equal env passed later as another object is still "unchanged".
                self._env = copy.deepcopy(env)
            self._env_seen = env
        try:
            text = self._entry(env_arg, *args)
        except lua53.LuaMemoryError:
            self._recover()
            return _empty_error(self.limits.memory_text())
        except lua53.LuaError as exc:
            # The bridge catches everything Lua raises; this is a failure of the bridge itself.
            self._recover()
            return _empty_error(f"the process runtime failed: {exc}")
        result = decode_result(text)
        err = result.get("Error")
        if isinstance(err, str) and err.startswith("memory limit exceeded"):
            self._recover()
        return result

    def _recover(self) -> None:
        """After a memory error, free what the failed message left behind."""
        try:
            self._control.finish()
            self._collect()
        except lua53.LuaError:
            pass

    def memory_used(self) -> int:
        """Bytes currently allocated by the Lua state (0 once closed)."""
        if self._closed:
            return 0
        used: int = self._runtime.get_memory_used()
        return used

    def collect_garbage(self) -> None:
        """Run a full garbage collection (e.g. before measuring memory)."""
        if not self._closed:
            self._collect()

    def lines_run(self) -> dict[str, set[int]]:
        """{chunk name: lines run so far} of a `covering` process (empty for any other)."""
        if self._covered is None or self._closed:
            return {}
        return {name: set(lines.keys()) for name, lines in self._covered.items()}

    def close(self) -> None:
        """Drop the Lua state; the object cannot handle messages afterwards."""
        self._closed = True
        self._entry = None
        self._control = None
        self._collect = None
        self._covered = None
        self._runtime = None
