"""Escape attempts against the sandbox: each one must be contained.

"Contained" means: the Lua code gets no Python object, no file, no process control, no
way to switch the limits off, no memory address; the message ends (with its Error if it
misbehaved) and the same process still answers the next message.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.support.process import Proc

BUDGET = 3_000_000
LIMIT_TEXT = f"instruction limit exceeded ({BUDGET} instructions)"


@pytest.fixture(scope="module")
def proc() -> Proc:
    return Proc(instruction_limit=BUDGET, memory_limit=64 * 2**20)


def still_alive(proc: Proc) -> None:
    assert proc.value("1 + 1") == "2"


# (name, Lua code, expected Output.data). Each snippet returns a text that says the
# escape failed; a snippet that could escape would return something else or hang.
NOT_REACHABLE = [
    ("python_global", "return type(python)", "nil"),
    ("python_module", "return type(package.loaded.python)", "nil"),
    ("io_library", "return type(io) .. type(package.loaded.io)", "nilnil"),
    (
        "os_process_control",
        "return type(os.execute) .. type(os.exit) .. type(os.getenv) .. type(os.remove) "
        ".. type(os.rename) .. type(os.tmpname) .. type(os.setlocale)",
        "nil" * 7,
    ),
    ("require_os_is_the_reduced_one", "return type(require('os').execute)", "nil"),
    ("loadfile_dofile", "return type(loadfile) .. type(dofile)", "nilnil"),
    (
        "c_loader_functions",
        "return type(package.loadlib) .. type(package.searchers) .. type(package.searchpath) "
        ".. package.cpath .. package.path",
        "nilnilnil",
    ),
    ("string_dump", "return type(string.dump)", "nil"),
    (
        "debug_functions",
        "local n = 0 for k in pairs(debug) do n = n + 1 end "
        "return n .. type(debug.sethook) .. type(debug.gethook) .. type(debug.getregistry) "
        ".. type(debug.getupvalue) .. type(debug.setupvalue) .. type(debug.upvaluejoin) "
        ".. type(debug.setlocal) .. type(debug.getmetatable) .. type(debug.getinfo)",
        "1" + "nil" * 9,
    ),
    (
        "binary_chunk_string",
        "local f, e = load('\\27LuaS\\0\\25\\147\\r\\n\\26\\n\\4\\8\\4\\8') "
        "return tostring(f) .. ' ' .. e",
        "nil attempt to load a binary chunk (only text chunks are allowed)",
    ),
    (
        "binary_chunk_reader_function",
        "local done = false local f, e = load(function() if done then return nil end "
        "done = true return '\\27LuaS\\0' end) return tostring(f) .. ' ' .. tostring(e ~= nil)",
        "nil true",
    ),
    (
        "load_mode_b_still_text_only",
        "local f = load('return 7', 'x', 'b') return f()",
        "7",
    ),
    (
        "load_env_cannot_see_originals",
        "local seen = {} local f = load('return pcall, load, tostring', 'x', 't', _G) "
        "local a, b, c = f() return tostring(a == pcall and b == load and c == tostring)",
        "true",
    ),
    (
        "require_c_module",
        "local ok, e = pcall(require, 'socket') return tostring(ok) .. ' ' .. "
        "tostring(e:find('not found', 1, true) ~= nil)",
        "false true",
    ),
    (
        "require_runtime_internals",
        "local r = {} for _, n in ipairs({'sandbox', '.sandbox', '.bridge', 'bridge', "
        "'../lua/sandbox', '.process/../sandbox', 'lupa', 'python'}) do "
        "r[#r + 1] = tostring(pcall(require, n)) end return table.concat(r, ',')",
        ",".join(["false"] * 8),
    ),
    (
        "require_blueprints_not_modules",
        "return tostring(pcall(require, '.blueprints.token'))",
        "false",
    ),
    (
        "package_path_is_ignored",
        "package.path = './?.lua;/etc/?' return tostring(pcall(require, 'passwd'))",
        "false",
    ),
    (
        "string_metatable_is_a_decoy",
        "getmetatable('').__index = {upper = function() return 'pwned' end} return ('a'):upper()",
        "A",
    ),
    (
        "rawset_on_the_decoy",
        "rawset(getmetatable(''), '__index', {len = function() return -1 end}) "
        "return ('abc'):len()",
        "3",
    ),
    (
        "gc_finalizers_refused",
        "local ok, e = pcall(setmetatable, {}, {__gc = function() end}) "
        "return tostring(ok) .. ' ' .. tostring(e:find('__gc', 1, true) ~= nil)",
        "false true",
    ),
    (
        "collectgarbage_options",
        "local ok = pcall(collectgarbage, 'stop') "
        "return tostring(ok) .. ' ' .. collectgarbage('count') .. ' ' .. "
        "tostring(pcall(collectgarbage, 'setpause', 1000))",
        "false 0 false",
    ),
    (
        "no_userdata_reachable_from_globals",
        """
        local seen, found = {}, {}
        local function walk(v, path)
          local t = type(v)
          if t == 'userdata' then found[#found + 1] = path return end
          if t ~= 'table' or seen[v] then return end
          seen[v] = true
          local mt = getmetatable(v)
          if mt ~= nil then walk(mt, path .. '<mt>') end
          for k, x in pairs(v) do walk(k, path .. '.<key>') walk(x, path .. '.' .. tostring(k)) end
        end
        walk(_G, '_G')
        walk(getmetatable(''), 'strmt')
        return #found == 0 and 'none' or table.concat(found, ' ')
        """,
        "none",
    ),
    (
        "no_control_functions_reachable",
        """
        local seen, found = {}, {}
        local function walk(v)
          if type(v) ~= 'table' or seen[v] then return end
          seen[v] = true
          for k, x in pairs(v) do
            if k == 'finish' or k == 'begin' or k == 'note_memory_error' then
              found[#found + 1] = tostring(k)
            end
            walk(x)
          end
        end
        walk(_G)
        return #found == 0 and 'none' or table.concat(found, ' ')
        """,
        "none",
    ),
    (
        "tostring_shows_no_address",
        "local a, b = tostring({}), tostring(print) "
        "return tostring(a:match('^table: 0x%x%x%x%x%x%x%x%x$') ~= nil and "
        "tonumber(a:sub(10)) < 100000 and b:match('^function: 0x%x+$') ~= nil)",
        "true",
    ),
    (
        "string_format_s_shows_no_address",
        "local s = string.format('%s|%s', {}, coroutine.create(print)) "
        "return tostring(s:match('^table: 0x%x+|thread: 0x%x+$') ~= nil and "
        "#s < 40)",
        "true",
    ),
    (
        "os_time_and_clock_are_not_wall_clock",
        "return tostring(os.time() == 1700000000000 + 1000 * Counter) .. ' ' .. "
        "tostring(os.clock() < 1)",
        "true true",
    ),
]


@pytest.mark.parametrize("name,code,expected", NOT_REACHABLE, ids=[n[0] for n in NOT_REACHABLE])
def test_not_reachable(proc: Proc, name: str, code: str, expected: str) -> None:
    proc.process.handle(
        proc.message({"Action": "Eval"}, "Counter = " + str(proc.count + 2)), proc.env
    )
    assert proc.value(code) == expected
    still_alive(proc)


# Code that tries to escape the instruction budget: each must end with the limit error.
BUDGET_ESCAPES = [
    ("plain_loop", "while true do end"),
    (
        "many_short_coroutines",
        "while true do coroutine.wrap(function() return 1 end)() end",
    ),
    ("pcall_swallows_the_limit", "while true do pcall(function() while true do end end) end"),
    (
        "xpcall_handler_swallows_it",
        "while true do xpcall(function() while true do end end, function(e) return e end) end",
    ),
    (
        "handler_loops_forever",
        "xpcall(function() error('x') end, function() while true do end end)",
    ),
    (
        "coroutine_resume",
        "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
    ),
    (
        "coroutine_wrap_in_pcall",
        "while true do pcall(coroutine.wrap(function() while true do end end)) end",
    ),
    (
        "nested_coroutines",
        "local function f() local co = coroutine.wrap(f) co() end while true do pcall(f) end",
    ),
    ("sethook_to_disable_limits", "pcall(function() debug.sethook() end) while true do end"),
    (
        "gsub_callback_loop",
        "string.gsub(string.rep('a', 100), 'a', function() while true do end end)",
    ),
    ("table_sort_comparator_loop", "table.sort({3, 2, 1}, function() while true do end end)"),
    (
        "metamethod_loop",
        "local t = setmetatable({}, {__index = function() while true do end end}) return t.x",
    ),
    ("load_in_a_loop", "while true do pcall(load('while true do end')) end"),
    ("string_rep_in_a_loop", "for i = 1, 1e9 do local s = string.rep('x', 2^20) end"),
    (
        "table_concat_in_a_loop",
        "local t = {string.rep('y', 2^16)} for i = 1, 1e9 do local s = table.concat(t) end",
    ),
]


def test_an_error_object_is_never_converted_to_text(proc: Proc) -> None:
    # Its __tostring would loop forever: the runtime never calls it. As in aos, a table
    # error fails the message with the concatenation error of aos's process.handle.
    result = proc.eval("error(setmetatable({}, {__tostring = function() while true do end end}))")
    assert result["Error"] == (
        "[string \".process\"]:947: attempt to concatenate a table value (local 'result')"
    )
    still_alive(proc)


@pytest.mark.parametrize("name,code", BUDGET_ESCAPES, ids=[n[0] for n in BUDGET_ESCAPES])
def test_budget_cannot_be_escaped(proc: Proc, name: str, code: str) -> None:
    result = proc.eval(code)
    assert result.get("Error") == LIMIT_TEXT
    assert result["GasUsed"] > BUDGET
    still_alive(proc)


def test_limit_is_not_caught_by_a_handler_pcall_either(proc: Proc) -> None:
    proc.eval(
        'Handlers.add("spin", "Spin", function() '
        "for i = 1, 10 do pcall(function() while true do end end) end print('survived') end)"
    )
    result = proc.send({"Action": "Spin"})
    assert result.get("Error") == LIMIT_TEXT
    still_alive(proc)


def test_a_coroutine_waiting_from_an_earlier_message_is_still_counted(proc: Proc) -> None:
    proc.eval(
        "Waiter = coroutine.create(function() coroutine.yield() while true do end end) "
        "coroutine.resume(Waiter)"
    )
    result = proc.eval("coroutine.resume(Waiter)")
    assert result.get("Error") == LIMIT_TEXT
    still_alive(proc)


def test_metatable_on_globals_cannot_take_over_the_pipeline(proc: Proc) -> None:
    result = proc.eval("local _ = setmetatable(_G, {__index = function() while true do end end})")
    assert "Error" not in result
    after = proc.eval("1 + 1")
    # Either the pipeline never reads a missing global, or the budget stops it.
    assert after.get("Error") in (None, LIMIT_TEXT)
    proc.process.handle(proc.message({"Action": "Eval"}, "return rawequal(1, 1)"), proc.env)
    assert proc.eval("setmetatable(_G, nil) return 3")["Output"]["data"] == "3"


def test_replacing_the_library_in_package_loaded_does_not_change_the_pipeline(proc: Proc) -> None:
    proc.eval("package.loaded['.process'] = {run = function() return {Output = 'fake'} end}")
    assert proc.value("1 + 1") == "2"


def test_deep_recursion_is_an_error_not_a_crash(proc: Proc) -> None:
    result = proc.eval("local function f() return f() + 1 end return f()")
    # Whichever comes first: Lua's stack limit or the memory cap.
    assert re.search(r"stack overflow|memory limit exceeded", result["Error"])
    still_alive(proc)


def test_a_huge_string_hits_the_memory_cap(proc: Proc) -> None:
    result = proc.eval("local s = string.rep('x', 2^40) return #s")
    assert result.get("Error") is not None
    assert re.search(r"memory limit exceeded \(64 MiB\)|too large", result["Error"])
    still_alive(proc)


def test_error_object_with_failing_tostring(proc: Proc) -> None:
    result = proc.eval("error(setmetatable({}, {__tostring = function() error('nested') end}))")
    assert isinstance(result.get("Error"), str)
    still_alive(proc)


def test_invalid_utf8_output_does_not_break_the_boundary(proc: Proc) -> None:
    result = proc.eval("print(string.char(255, 65, 0xED, 0xA0, 0x80)) return 1")
    assert result["Output"]["data"] == "\ufffdA\ufffd\n1"
    still_alive(proc)


# Code a process can run so that the runtime's own work, before the budget is armed or
# after it is disarmed, would call back into the process: the bridge normalises new tag
# names before arming, and used to do it with functions the process can replace. Each
# replacement loops only for the name the bridge derives from the attack's tag, so the
# library keeps working for everything else.
UNARMED_ATTACKS = [
    (
        "string_lower",
        "local lower = string.lower string.lower = function(s, ...) "
        "if s == 'New-Tag' then while true do end end return lower(s, ...) end",
    ),
    (
        "string_gsub",
        "local gsub = string.gsub string.gsub = function(s, ...) "
        "if s == 'New_Tag' then while true do end end return gsub(s, ...) end",
    ),
    (
        "string_upper",
        "local upper = string.upper string.upper = function(s, ...) "
        "if s == 'n' then while true do end end return upper(s, ...) end",
    ),
    (
        "global_string",
        "local real = string string = setmetatable({}, {__index = function(_, k) "
        "local f = real[k] return function(s, ...) if s == 'New_Tag' or s == 'New-Tag' then "
        "while true do end end return f(s, ...) end end})",
    ),
    (
        "string_library_metatable",
        "local lower = string.lower string.lower = nil setmetatable(string, {__index = "
        "function(_, k) if k == 'lower' then return function(s, ...) if s == 'new-tag' then "
        "while true do end end return lower(s, ...) end end end})",
    ),
    (
        "global_type",
        "local t = type type = function(v) if v == 'New_Tag' then while true do end end "
        "return t(v) end",
    ),
    (
        "utils_normalize",
        "local n = Utils.normalize Utils.normalize = function(s) "
        "if s == 'New_Tag' then while true do end end return n(s) end",
    ),
    (
        "process_run",
        "local p = require('.process') local run = p.run p.run = function(msg, ...) "
        "if msg.Tags['New-Tag'] then while true do end end return run(msg, ...) end",
    ),
]


@pytest.mark.parametrize("name,code", UNARMED_ATTACKS, ids=[a[0] for a in UNARMED_ATTACKS])
def test_the_budget_cannot_be_switched_off_before_it_is_armed(name: str, code: str) -> None:
    proc = Proc(instruction_limit=BUDGET, memory_limit=64 * 2**20)
    assert "Error" not in proc.eval(code)
    start = time.monotonic()
    result = proc.send({"Action": "Note", "New_Tag": "1"})
    # Bounded either way: the bridge no longer calls the replaced function, and whatever
    # the library calls runs inside the budget.
    assert time.monotonic() - start < 10
    assert result.get("Error") in (None, LIMIT_TEXT)
    still_alive(proc)
    assert proc.value("return Inbox[#Inbox]['New-Tag']") == "1"


def test_the_bridge_normalises_names_exactly_as_utils_normalize() -> None:
    # The bridge has its own copy of the rule (with the runtime's private originals).
    names = ["new_tag", "X-Y_z", "_lead", "a--b", "ÄBC_d", "123_abc", "-", "Already-Title"]
    names += ["été_x", "snake_case_name", "UPPER", "mIxEd-CaSe_", "a_" * 40, "x"]
    proc = Proc()
    proc.eval(
        "Handlers.add('names', 'Names', function(msg) local given = require('json')"
        ".decode(msg.Data) local out = {} for i, name in ipairs(given) do "
        "out[i] = tostring(msg.TagArray[i + 1].name == Utils.normalize(name)) end "
        "Seen = table.concat(out, ',') end)"
    )
    result = proc.send([("Action", "Names"), *[(n, "v") for n in names]], json.dumps(names))
    assert "Error" not in result
    assert proc.value("return Seen") == ",".join(["true"] * len(names))


def test_the_thread_a_message_ran_in_is_dead_to_later_messages() -> None:
    # The handlers of a message run in a thread made before it (sandbox.lua's spare, for the
    # watchdog): a process that kept it sees what it sees in aos, a coroutine that has ended.
    proc = Proc()
    proc.eval("Kept = coroutine.running()")
    assert proc.value("return coroutine.status(Kept)") == "dead"
    assert proc.value("return select(2, coroutine.resume(Kept))") == "cannot resume dead coroutine"
    assert proc.value("return tostring(coroutine.running() == Kept)") == "false"
    assert proc.value("return coroutine.status(coroutine.running())") == "running"


def test_a_handler_waiting_in_receive_keeps_its_thread() -> None:
    # The spare thread a handler waits in goes on as an ordinary coroutine; the next message
    # gets a new spare, and the waiting handler still resumes.
    proc = Proc()
    proc.eval(
        'Handlers.add("ask", "Ask", function(m) '
        'local r = Receive({Action = "Answer"}) print("got " .. r.Data) end)'
    )
    assert "Error" not in proc.send({"Action": "Ask"})
    assert proc.value("1 + 1") == "2"
    answered = proc.send({"Action": "Answer"}, "42")
    assert "Error" not in answered, answered.get("Error")
    assert "got 42" in str(answered["Output"])
    assert proc.value("1 + 1") == "2"


def test_an_xpcall_handler_gets_the_error_with_one_position(proc: Proc) -> None:
    # The sandbox's xpcall puts the caller's position on errors raised inside runtime
    # wrappers; an error of the user's own line already has one and must keep just that
    # one (it was doubled, "[string "aos"]:1: [string "aos"]:1: ...", which also lost the
    # tracebacks `aos test` matches by error text).
    out = proc.value(
        "local _, e = xpcall(function() return {} + 1 end, function(e) return e end) return e"
    )
    assert re.fullmatch(
        r'\[string "aos"\]:1: attempt to perform arithmetic on a table value', out
    ), out
    plain = proc.value("local _, e = pcall(function() return {} + 1 end) return e")
    assert plain == out
