"""aos.runtime.script.LuaScript: a host chunk in a sandboxed state, scalars across."""

from __future__ import annotations

import pytest

from aos.runtime.script import LuaScript, ScriptError
from aos.runtime.state import library_sources

HOST = """
return function(control)
  return function(command, ...)
    if command == "globals" then
      return type(io), type(os.getenv), type(require("json").encode), tostring({})
    elseif command == "sum" then
      local t = ...
      return t.a + t.list[1] + t.list[2]
    elseif command == "clock" then
      control.begin(...)
      local now = os.time()
      control.finish()
      return now
    elseif command == "table" then
      return {}
    elseif command == "binary" then
      return "\\255\\254"
    end
    error("unknown command " .. tostring(command))
  end
end
"""


def script() -> LuaScript:
    return LuaScript(HOST, "test-host", library_sources())


def test_the_host_runs_in_the_process_sandbox() -> None:
    assert script().call("globals") == ("nil", "nil", "function", "table: 0x00000001")


def test_dicts_and_lists_arrive_as_plain_lua_tables() -> None:
    assert script().call("sum", {"a": 1, "list": [2, 3]}) == (6,)


def test_the_control_table_drives_the_clock() -> None:
    assert script().call("clock", 1_700_000_000_000) == (1_700_000_000_000,)


def test_only_scalars_come_back() -> None:
    s = script()
    with pytest.raises(ScriptError, match="the host returned a string that is not UTF-8"):
        s.call("binary")
    with pytest.raises(ScriptError, match="returned a"):
        s.call("table")
    with pytest.raises(ScriptError, match="the host failed: .*unknown command nope"):
        s.call("nope")


def test_a_host_that_does_not_compile_is_refused() -> None:
    with pytest.raises(ScriptError, match="the host chunk broken does not compile"):
        LuaScript("return function(", "broken", library_sources())
