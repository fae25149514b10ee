"""The globals of a fresh process are exactly the documented set (lua/README.md)."""

from __future__ import annotations

from tests.support.process import Proc

PROCESS_GLOBALS = {
    "Assign", "Bell", "Colors", "Dump", "Errors", "HANDLER_PRINT_LOGS", "Handlers", "Inbox",
    "Name", "Owner", "Prompt", "Receive", "Seeded", "Send", "Spawn", "Tab", "Utils",
    "Version", "ao", "base64", "json",
}  # fmt: skip
LUA_GLOBALS = {
    "_G", "_VERSION", "assert", "collectgarbage", "coroutine", "debug", "error",
    "getmetatable", "ipairs", "load", "loadstring", "math", "next", "os", "package", "pairs",
    "pcall", "print", "rawequal", "rawget", "rawlen", "rawset", "require", "select",
    "setmetatable", "string", "table", "tonumber", "tostring", "type", "utf8", "xpcall",
}  # fmt: skip


def test_no_stray_globals() -> None:
    proc = Proc()
    names = proc.value(
        'local k = {} for n in pairs(_G) do k[#k + 1] = n end return table.concat(k, " ")'
    )
    assert set(names.split()) == PROCESS_GLOBALS | LUA_GLOBALS


def test_library_modules_are_requirable_by_their_aos_names() -> None:
    proc = Proc()
    names = [
        ".process", ".handlers", ".handlers-utils", ".ao", "ao", ".utils", ".stringify",
        ".eval", ".boot", ".default", ".assignment", "json", ".json", ".base64", ".bint",
        ".chance", ".crypto", ".pretty", ".dump",
    ]  # fmt: skip
    for name in names:
        assert proc.value(f'return type(require("{name}")) ~= "nil"') == "true", name
    assert proc.value('return require("json") == require(".json")') == "true"
    assert proc.value('return require(".ao") == ao and require("ao") == ao') == "true"
    assert proc.value('return require(".process")._version') == "2.0.4"


def test_a_process_can_define_its_own_modules() -> None:
    proc = Proc()
    proc.eval('package.preload["mine"] = function() return {answer = 42} end')
    assert proc.value('return require("mine").answer') == "42"
    proc.eval('package.loaded["other"] = {v = "loaded"}')
    assert proc.value('return require("other").v') == "loaded"
    err = proc.eval('require("nowhere")')["Error"]
    assert "module 'nowhere' not found" in err
