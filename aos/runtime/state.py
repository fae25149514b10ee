"""A fresh sandboxed Lua state: the runtime's Lua sources, their bytecode, the locale.

`sandboxed_state` builds a lupa state with no Python bridge and hardens it with
lua/sandbox.lua (the contract is lua/README.md's "Contract between Python and Lua");
aos.runtime.lua.LuaProcess and aos.runtime.script.LuaScript build on it. The sources are
read once per OS process, and compiled once per OS process too: a state loads them as
bytecode (`_compiled`, `executable`), which was most of the cost of a new state, and
drops the modules' bytecode once the library is loaded. `library_fingerprint` names the
build of these sources that a snapshot records.
"""

from __future__ import annotations

import _locale
import hashlib
from collections.abc import Collection
from functools import cache, lru_cache
from typing import Any

import lupa.lua53 as lua53

from aos.luafiles import lua_dir
from aos.runtime.limits import RuntimeLimits

# Files executed by the runtime itself, never reachable through `require`.
_PRIVATE = {"sandbox", "bridge", "pattern", "meter", "order", "snapshot"}


NO_LIMIT = 0  # lupa's set_max_memory(0): no cap


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
def runtime_sources() -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(sandbox, bridge, {pattern, meter, order sources}, {module key: source}) of the library,
    read once. (lua/snapshot.lua is read by `_snapshot_source`.)"""
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
    parts = {
        name: (root / f"{name}.lua").read_text(encoding="utf-8")
        for name in ("pattern", "meter", "order")
    }
    return sandbox, bridge, parts, modules


@cache
def executable(source: str) -> bytes:
    """`source` compiled as lupa's `execute` compiles it (chunk name "<python>"), as
    bytecode: `execute` of these bytes gives the same functions without compiling again."""
    scratch: Any = lua53.LuaRuntime(register_eval=False, encoding=None)
    code: bytes = scratch.eval(
        "function(s) return string.dump(assert(load(s, '<python>', 't'))) end"
    )(source.encode("utf-8"))
    return code


@cache
def _snapshot_source() -> str:
    return (lua_dir() / "snapshot.lua").read_text(encoding="utf-8")


@cache
def library_fingerprint() -> str:
    """What a snapshot's library prototypes depend on: every Lua source of the runtime.
    A snapshot made by another build is refused (and the log replayed instead)."""
    digest = hashlib.sha256()
    sandbox, bridge, parts, modules = runtime_sources()
    for name, text in [("sandbox", sandbox), ("bridge", bridge), *sorted(parts.items()),
                       ("snapshot", _snapshot_source()), *sorted(modules.items())]:  # fmt: skip
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def from_lua_text(text: str) -> bytes:
    """The bytes of a Lua string that lua/snapshot.lua's `as_text` made valid UTF-8."""
    return text.encode("latin-1")


def library_sources() -> dict[str, str]:
    """{module key: source} of the process library, what `require` finds in every state."""
    return dict(runtime_sources()[3])


def sandboxed_state(
    limits: RuntimeLimits,
    modules: dict[str, str],
    cover: Collection[str] = (),
    snapshots: bool = False,
    *,
    precompiled: bool = True,
    compiler: bool = False,
) -> tuple[Any, Any, Any]:
    """A fresh Lua state hardened by lua/sandbox.lua, `modules` requirable: (runtime, control
    table, cover table). `cover` names chunks whose lines the state records as they run
    (`aos test --cov`; see sandbox.lua: such a state's GasUsed is not a process's).
    With `snapshots` the control table carries lua/snapshot.lua's tools (`control.snapshot`).
    It is built with the memory cap lifted and returned with the cap set (a LuaProcess
    lifts it again around everything but a message's `run`). `precompiled`: the modules
    and the sandbox's parts are loaded as bytecode compiled once per OS process
    (`_compiled`), not compiled again in every state; the caller drops the modules'
    bytecode with `control.forget_bytecode()` once it has loaded what it needs.
    `compiler`: the state offers `control.compile_library` (for `_compiled` only)."""
    bytewise_collation()  # the library sorts while it loads
    # lupa is untyped: its objects stay behind Any. max_memory installs lupa's counting
    # allocator; the cap itself is set below.
    rt: Any = lua53.LuaRuntime(
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        attribute_filter=_refuse,
        max_memory=limits.memory_limit,
    )
    rt.set_max_memory(NO_LIMIT)
    rt.globals().python = None
    sandbox_src, _, part_sources, _ = runtime_sources()
    install = rt.execute(executable(sandbox_src) if precompiled else sandbox_src)
    opts = rt.table_from(
        {
            "instruction_limit": limits.instruction_limit,
            "step": _HOOK_STEP,
            "memory_text": limits.memory_text(),
            "memory_limit": limits.memory_limit,
            "watchdog": limits.watchdog,
        }
    )
    covered = None
    if cover:
        covered = rt.table_from({name: rt.table() for name in sorted(cover)})
        opts.cover = covered
    tools = None
    if snapshots:
        tools = rt.execute(executable(_snapshot_source()) if precompiled else _snapshot_source())
    parts: dict[str, str] | dict[str, bytes] = part_sources
    if precompiled:
        bytecode, parts = _compiled(tuple(sorted(modules.items())))
        opts.bytecode = rt.table_from(bytecode)
    if compiler:
        opts.compiler = True
    control = install(rt.table_from(modules), opts, rt.table_from(parts), tools)
    # Release one reference now, so that the registry's free list exists: lupa releases
    # references of collected Python wrappers outside lua_pcall too.
    rt.table_from({})
    rt.set_max_memory(limits.memory_limit)
    return rt, control, covered


@lru_cache(maxsize=8)
def _compiled(
    modules: tuple[tuple[str, str], ...],
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """({key: bytecode} of `modules`, {pattern, meter, order: stripped bytecode}), compiled by
    lua/sandbox.lua's `compile_library` in a state of its own: the same chunk names and
    debug information as compiling each source in the state that loads it. Only bytecode
    made here is ever loaded as such (a process's `load` takes text only)."""
    rt, control, _ = sandboxed_state(
        RuntimeLimits(), dict(modules), snapshots=True, precompiled=False, compiler=True
    )
    rt.set_max_memory(NO_LIMIT)
    compiled, parts = control.compile_library(control.snapshot.as_text)
    return (
        {str(k): from_lua_text(v) for k, v in compiled.items()},
        {str(k): from_lua_text(v) for k, v in parts.items()},
    )
