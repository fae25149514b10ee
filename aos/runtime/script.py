"""`LuaScript`: a sandboxed Lua state for a host program of aos itself, such as the spec runner
of `aos test` (lua/testing/runner.lua), with the user's own code running inside it.

It is built as a process's state is (lua/sandbox.lua: the same deterministic `pairs` and
`tostring`, the same instruction budget and memory cap, the process library requirable), so
code written for a process behaves the same in it; only the per-message bridge is replaced
by the host chunk. That chunk returns `function(control) ... return entry end`, and
`call(...)` calls `entry`. As at a process's boundary, no Python object ever reaches Lua:
arguments are scalars, or dicts and lists converted into plain Lua tables; results must be
scalars (the host encodes anything larger as JSON text), strings valid UTF-8.
"""

from __future__ import annotations

from typing import Any

import lupa.lua53 as lua53

from aos.limits import DEFAULT_MEMORY, INSTRUCTION_LIMIT
from aos.runtime.limits import RuntimeLimits
from aos.runtime.state import sandboxed_state

_SCALARS = (str, int, float, bool, type(None))


class ScriptError(RuntimeError):
    """The host chunk itself failed (a bug of the host, never of the user's code)."""


class LuaScript:
    """One host chunk in its own sandboxed state."""

    def __init__(
        self,
        host: str,
        name: str,
        modules: dict[str, str],
        *,
        memory_limit: int = DEFAULT_MEMORY,
        instruction_limit: int = INSTRUCTION_LIMIT,
    ) -> None:
        self.limits = RuntimeLimits(memory_limit=memory_limit, instruction_limit=instruction_limit)
        rt, control, _ = sandboxed_state(self.limits, modules)
        self._runtime: Any = rt
        # The sandbox's own `load` (text only, the process's globals), so the host chunk gets
        # a name of its own.
        loaded = control.load(host, "=" + name, "t")
        fn, err = loaded if isinstance(loaded, tuple) else (loaded, None)
        if fn is None:
            raise ScriptError(f"the host chunk {name} does not compile: {err}")
        try:
            self._entry: Any = fn()(control)
        except lua53.LuaError as exc:
            raise ScriptError(f"the host chunk {name} failed to start: {exc}") from None

    def _arg(self, value: Any) -> Any:
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, (dict, list, tuple)):
            return self._runtime.table_from(value, recursive=True)
        raise TypeError(f"cannot pass a {type(value).__name__} into Lua")

    def table(self, value: dict[str, Any] | list[Any]) -> Any:
        """`value` as a plain Lua table (for arguments built ahead of a call)."""
        return self._runtime.table_from(value, recursive=True)

    def call(self, *args: Any) -> tuple[Any, ...]:
        """Call the host's entry; its results as a tuple of scalars (strings must be UTF-8:
        the host makes them so)."""
        try:
            out = self._entry(*(self._arg(a) for a in args))
        except lua53.LuaMemoryError:
            raise ScriptError(f"the host ran out of memory ({self.limits.memory_text()})") from None
        except lua53.LuaError as exc:
            raise ScriptError(f"the host failed: {exc}") from None
        except UnicodeDecodeError:
            raise ScriptError("the host returned a string that is not UTF-8") from None
        results = out if isinstance(out, tuple) else (out,)
        for value in results:
            if not isinstance(value, _SCALARS):
                raise ScriptError(f"the host returned a {type(value).__name__}, not a scalar")
        return results

    def close(self) -> None:
        """Drop the Lua state."""
        self._entry = None
        self._runtime = None
