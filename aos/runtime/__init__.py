"""The sandboxed Lua process: one Lua 5.3 state per ao process (the only user of lupa).

    proc = LuaProcess()
    result = proc.handle(msg, env)   # a JSON-able dict: Output, Messages, Spawns, ...

See lua/README.md for the contract between this package and the Lua process library.
Besides processes: `aos.runtime.script.LuaScript`, the same sandboxed state with a host
chunk of aos's own instead of the process bridge (the spec runner of `aos test`), and
`aos.runtime.lines.code_lines`, the lines of a chunk that hold code (its coverage).
"""

from __future__ import annotations

from aos.runtime.limits import RuntimeLimits
from aos.runtime.lua import LuaProcess

__all__ = ["LuaProcess", "RuntimeLimits"]
