"""A plain Lua 5.3 runtime with a tiny `require`, for the library tests (not a test module).

Production loading (the sandbox, the module allow-list) belongs to aos.runtime; here a
`require(name)` just loads lua/<name>.lua (a leading dot dropped, inner dots as slashes),
so each library is tested on its own, as the plain chunk it is.
"""

from __future__ import annotations

from typing import Any

import lupa.lua53 as lupa

from aos.luafiles import lua_dir

_SHIM = """
local read = ...
local loaded = {}
function require(name)
  if loaded[name] ~= nil then return loaded[name] end
  local path = name:gsub("^%.", ""):gsub("%.", "/")
  local src = read(path)
  if src == nil then error("module '" .. name .. "' not found", 2) end
  local chunk, err = load(src, "@" .. path .. ".lua", "t")
  if not chunk then error(err, 0) end
  local m = chunk(name)
  if m == nil then m = true end
  loaded[name] = m
  return m
end
"""


def _read(path: str) -> str | None:
    file = lua_dir() / f"{path}.lua"
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _read_bytes(path: bytes) -> bytes | None:
    file = lua_dir() / f"{path.decode()}.lua"
    return file.read_bytes() if file.is_file() else None


def new_lua(*, binary: bool = False) -> Any:
    """A fresh LuaRuntime whose `require` loads modules from lua/.

    With binary=True, Lua strings come back to Python as bytes instead of str.
    """
    if binary:
        rt = lupa.LuaRuntime(unpack_returned_tuples=True, encoding=None)
    else:
        rt = lupa.LuaRuntime(unpack_returned_tuples=True)
    rt.execute(_SHIM, _read_bytes if binary else _read)
    return rt
