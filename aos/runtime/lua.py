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
bounded by what Python hands in rather than by what a process does.
"""

from __future__ import annotations

import _locale
import copy
from functools import cache
from typing import Any

import lupa.lua53 as lua53

from aos.errors import MessageStopped
from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT, WATCHDOG_SECONDS
from aos.luafiles import lua_dir
from aos.runtime.convert import decode_result, flatten_message
from aos.runtime.limits import RuntimeLimits
from aos.runtime.watchdog import Watchdog

# Files executed by the runtime itself, never reachable through `require`.
_PRIVATE = {"sandbox", "bridge", "pattern", "meter"}
_NO_LIMIT = 0  # lupa's set_max_memory(0): no cap
_STOPPED = "stopped"  # what the bridge's `run` returns when the watchdog stopped a message
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


_NO_WATCHDOG = Watchdog(None, 0)


@cache
def _watchdog(seconds: int) -> Watchdog:
    """The watchdog thread of this OS process for `seconds` (one per value in use)."""
    return Watchdog(lua53.__file__, seconds)


def _refuse(obj: object, name: object, is_setting: bool) -> object:
    raise AttributeError("Python attributes are not accessible from a process")


@cache
def _sources() -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(sandbox, bridge, {pattern, meter sources}, {module key: source}) of the library,
    read once."""
    root = lua_dir()
    modules: dict[str, str] = {}
    for path in sorted(root.rglob("*.lua")):
        rel = path.relative_to(root)
        if rel.parts[0] == "blueprints":
            continue
        key = rel.with_suffix("").as_posix()
        if key in _PRIVATE:
            continue
        modules[key] = path.read_text(encoding="utf-8")
    sandbox = (root / "sandbox.lua").read_text(encoding="utf-8")
    bridge = (root / "bridge.lua").read_text(encoding="utf-8")
    parts = {
        name: (root / f"{name}.lua").read_text(encoding="utf-8") for name in ("pattern", "meter")
    }
    return sandbox, bridge, parts, modules


def _empty_error(text: str) -> dict[str, Any]:
    return {
        "Assignments": [],
        "Error": text,
        "GasUsed": 0,
        "Messages": [],
        "Output": "",
        "Spawns": [],
    }


class LuaProcess:
    """A process: its Lua state, the library loaded, and the limits of every message."""

    def __init__(
        self,
        *,
        memory_limit: int = DEFAULT_MEMORY,
        instruction_limit: int = INSTRUCTION_LIMIT,
        watchdog: int = WATCHDOG_SECONDS,
    ) -> None:
        self.limits = RuntimeLimits(
            memory_limit=memory_limit, instruction_limit=instruction_limit, watchdog=watchdog
        )
        bytewise_collation()  # the library sorts while it loads
        # lupa is untyped: its objects stay behind these Any-typed attributes. max_memory
        # installs lupa's counting allocator; the cap itself is set per `run` (see above).
        self._runtime: Any = lua53.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_refuse,
            max_memory=memory_limit,
        )
        self._env: dict[str, Any] | None = None
        self._env_seen: object = None  # the env object last passed in (identity only)
        self._closed = False
        rt = self._runtime
        rt.set_max_memory(_NO_LIMIT)
        rt.globals().python = None
        sandbox_src, bridge_src, parts, modules = _sources()
        install = rt.execute(sandbox_src)
        control = install(
            rt.table_from(modules),
            rt.table_from(
                {
                    "instruction_limit": instruction_limit,
                    "step": _HOOK_STEP,
                    "memory_text": self.limits.memory_text(),
                    "memory_limit": memory_limit,
                    "watchdog": watchdog,
                }
            ),
            rt.table_from(parts),
        )
        self._prepare: Any
        self._run: Any
        self._discard: Any
        self._prepare, self._run, self._discard = rt.execute(bridge_src)(control)
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
        self._cap = memory_limit
        # Release one reference now, so that the registry's free list exists: lupa releases
        # references of collected Python wrappers outside lua_pcall too.
        rt.table_from({})
        rt.set_max_memory(memory_limit)

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
        rt.set_max_memory(_NO_LIMIT)
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
        rt.set_max_memory(_NO_LIMIT)
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
            self._runtime.set_max_memory(_NO_LIMIT)
            try:
                self._collect()
            finally:
                self._runtime.set_max_memory(self.limits.memory_limit)

    def close(self) -> None:
        """Drop the Lua state; the object cannot handle messages afterwards."""
        if self._closed:
            return
        self._closed = True
        self._runtime.set_max_memory(_NO_LIMIT)
        self._prepare = self._run = self._discard = None
        self._finish = self._collect = None
        self._runtime = None
