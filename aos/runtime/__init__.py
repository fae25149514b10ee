"""The sandboxed Lua process: one Lua 5.3 state per ao process (the only user of lupa).

    proc = LuaProcess()
    result = proc.handle(msg, env)   # a JSON-able dict: Output, Messages, Spawns, ...

See lua/README.md for the contract between this package and the Lua process library.
"""

from __future__ import annotations

from aos.runtime.limits import RuntimeLimits
from aos.runtime.lua import LuaProcess

__all__ = ["LuaProcess", "RuntimeLimits"]
