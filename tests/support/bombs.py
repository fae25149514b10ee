"""The one-line bombs of tests/runtime/test_bombs.py, shared with the test that sends them
through `aos serve` (tests/node/serve/test_serve_bombs.py): (name, Lua code, what the Error
must match under BUDGET instructions and 64 MiB), and the ones no count weighs."""

from __future__ import annotations

import re

BUDGET = 20_000_000
LIMIT = re.escape(f"instruction limit exceeded ({BUDGET} instructions)")
MEMORY = re.escape("memory limit exceeded (64 MiB)")
EITHER = f"{LIMIT}|{MEMORY}"
HANG = 10.0  # seconds: far above any bomb's time, only a hang gets there

# (name, Lua code, what the Error must match)
BOMBS = [
    # C loops whose length is an argument
    ("rep_of_empty_string", 'string.rep("", 1e15)', LIMIT),
    ("rep_with_separator_too_big", 'string.rep("x", 1e9, ",")', MEMORY),
    ("rep_of_empty_in_a_loop", 'while true do string.rep("", 1e7, "") end', LIMIT),
    ("rep_small_in_a_loop", 'for i = 1, 1e9 do string.rep("x", 100) end', LIMIT),
    ("rep_beyond_maxsize", 'string.rep("x", 2^40)', "resulting string too large"),
    ("move_huge_range", "table.move({}, 1, 1e12, 2)", LIMIT),
    (
        "move_in_a_loop",
        "local t = {} for i = 1, 1e6 do t[i] = i end while true do table.move(t, 1, 1e6, 1) end",
        EITHER,
    ),
    ("insert_at_front", "local t = {} for i = 1, 1e6 do table.insert(t, 1, i) end", LIMIT),
    (
        "remove_at_front",
        "local t = {} for i = 1, 5e5 do t[i] = i end while #t > 0 do table.remove(t, 1) end",
        LIMIT,
    ),
    (
        "sort_in_a_loop",
        "local t = {} for i = 1, 5e5 do t[i] = (i * 7919) % 1000003 end "
        "while true do table.sort(t) end",
        LIMIT,
    ),
    (
        "sort_strings_in_a_loop",
        "local t = {} for i = 1, 1e5 do t[i] = tostring((i * 7919) % 1000003) end "
        "while true do table.sort(t) end",
        LIMIT,
    ),
    (
        "sort_with_a_lua_comparator",
        "local t = {} for i = 1, 1e6 do t[i] = -i end "
        "table.sort(t, function(a, b) return a < b end)",
        EITHER,
    ),
    (
        "sort_mixed_numbers",
        "local t = {} for i = 1, 5e5 do t[i] = i % 2 == 0 and i or i + 0.5 end "
        "while true do table.sort(t) end",
        EITHER,
    ),
    (
        "concat_of_numbers",
        "local t = {} for i = 1, 1e5 do t[i] = 1.5 end while true do table.concat(t) end",
        LIMIT,
    ),
    (
        "concat_with_a_long_separator",
        "local t = {} for i = 1, 100 do t[i] = '' end local sep = string.rep(',', 2^17) "
        "while true do table.concat(t, sep) end",
        LIMIT,
    ),
    (
        "unpack_a_huge_range",
        "local t = {} for i = 1, 9e5 do t[i] = i end "
        "while true do local n = select('#', table.unpack(t)) end",
        LIMIT,
    ),
    ("unpack_beyond_the_stack", "table.unpack({}, 1, 1e12)", "too many results to unpack"),
    (
        "select_of_many_values",
        "local t = {} for i = 1, 9e5 do t[i] = i end "
        "while true do local x = select(2, table.unpack(t)) end",
        LIMIT,
    ),
    (
        "utf8_len_of_a_long_string",
        'local s = string.rep("a", 2^25) while true do utf8.len(s) end',
        LIMIT,
    ),
    (
        "utf8_char_of_many",
        "local t = {} for i = 1, 2e5 do t[i] = 0x4e00 end "
        "while true do utf8.char(table.unpack(t)) end",
        LIMIT,
    ),
    (
        "utf8_codepoint_range",
        'local s = string.rep("a", 9e5) '
        'while true do local n = select("#", utf8.codepoint(s, 1, -1)) end',
        LIMIT,
    ),
    (
        "utf8_offset_far",
        'local s = string.rep("a", 2^25) while true do utf8.offset(s, 2^24) end',
        LIMIT,
    ),
    (
        "byte_range",
        'local s = string.rep("a", 9e5) while true do local n = select("#", s:byte(1, -1)) end',
        LIMIT,
    ),
    (
        "char_of_many",
        "local t = {} for i = 1, 4e5 do t[i] = 65 end "
        "while true do string.char(table.unpack(t)) end",
        LIMIT,
    ),
    ("os_date_huge_format", 'os.date(string.rep("%c", 1e7))', LIMIT),
    ("os_date_in_a_loop", 'local f = string.rep("%c", 1e4) while true do os.date(f) end', LIMIT),
    ("load_a_large_chunk", 'local s = string.rep("x=1 ", 2^22) while true do load(s) end', LIMIT),
    (
        "load_from_a_reader",
        'local piece = string.rep("x=1 ", 2^16) local n = 0 '
        "load(function() n = n + 1 if n < 1e6 then return piece end end)",
        LIMIT,
    ),
    (
        "collectgarbage_on_a_large_heap",
        "local t = {} for i = 1, 3e5 do t[i] = {} end while true do collectgarbage() end",
        LIMIT,
    ),
    (
        "gsub_with_a_large_replacement",
        'local s = string.rep("x", 200) local r = string.rep("y", 2^16) '
        'while true do s:gsub("x", r) end',
        EITHER,
    ),
    (
        "gsub_many_matches",
        'local s = string.rep("x", 2^23) while true do s:gsub("x", "y") end',
        LIMIT,
    ),
    ("format_a_wide_float", 'while true do string.format("%99.99f", 1e308) end', LIMIT),
    (
        "format_long_strings",
        'local s = string.rep("x", 2^24) while true do string.format("%s%s", s, s) end',
        EITHER,
    ),
    (
        "format_q_of_zeros",
        'local s = string.rep("\\0", 2^20) while true do string.format("%q", s) end',
        LIMIT,
    ),
    (
        "tonumber_of_a_long_string",
        'local s = string.rep(" ", 2^24) .. "1" while true do tonumber(s) end',
        LIMIT,
    ),
    (
        "rawequal_of_long_strings",
        'local a, b = string.rep("a", 2^23), string.rep("a", 2^23) '
        "while true do rawequal(a, b) end",
        LIMIT,
    ),
    ("sub_of_a_long_string", 'local s = string.rep("x", 2^24) while true do s:sub(2) end', LIMIT),
    (
        "lower_of_a_long_string",
        'local s = string.rep("X", 2^24) while true do s:lower() end',
        LIMIT,
    ),
    (
        "reverse_of_a_long_string",
        'local s = string.rep("x", 2^24) while true do s:reverse() end',
        LIMIT,
    ),
    ("pack_padding", 'while true do string.pack("c50000000", "") end', EITHER),
    (
        "unpack_long_strings",
        'local s = string.rep("x", 2^24) while true do string.unpack("c16777216", s) end',
        LIMIT,
    ),
    (
        "plain_find_on_a_long_string",
        'local s = string.rep("x", 2^24) while true do s:find("y", 1, true) end',
        LIMIT,
    ),
    # patterns that backtrack through `?`
    (
        "pattern_question_marks",
        'local s = string.rep("a", 40) return s:find(string.rep("a?", 40) .. string.rep("a", 40))',
        LIMIT,
    ),
    (
        "pattern_question_marks_failing",
        'return (("a"):rep(30)):match(("a?"):rep(30) .. ("a"):rep(30) .. "b")',
        LIMIT,
    ),
    (
        "gmatch_backtracking",
        'local s = string.rep("a", 5000) for w in s:gmatch("a-a-a-b") do end',
        LIMIT,
    ),
    ("find_backtracking_long", 'local s = string.rep("a", 2^20) return s:find(".-b")', LIMIT),
    # the sandbox's own work
    (
        "pairs_of_a_large_table",
        'local t = {} for i = 1, 1e5 do t["k" .. i] = i end '
        "while true do for k in pairs(t) do break end end",
        LIMIT,
    ),
    (
        "next_restarting_a_large_table",
        "local t = {} for i = 1, 1e5 do t[i * 1.5] = i end while true do next(t) end",
        LIMIT,
    ),
    ("tostring_new_tables", "while true do tostring({}) end", LIMIT),
    (
        "traceback_with_a_long_message",
        'local m = string.rep("x", 2^20) while true do debug.traceback(m) end',
        LIMIT,
    ),
    (
        "traceback_with_a_huge_package_loaded",
        "local big = {} for i = 1, 1e5 do big[i] = print end package.loaded.big = big "
        "while true do debug.traceback() end",
        LIMIT,
    ),
    # the result encoding, inside the budget
    (
        "outbox_sharing_one_large_table",
        'local big = {} for i = 1, 1e5 do big[i] = "x" end '
        'local m = {Target = "x", Data = "y", Tags = {}, Big = big} '
        "for i = 1, 1e4 do ao.outbox.Messages[i] = m end",
        LIMIT,
    ),
    (
        "outbox_nested_too_deep",
        "local t = {} for i = 1, 1e4 do t = {t} end "
        'ao.outbox.Messages[1] = {Target = "x", Data = t}',
        "result nested deeper than 64 levels",
    ),
    ("printing_a_huge_control_string", 'print(string.rep("\\1", 2^24))', EITHER),
    # libraries and metamethods
    (
        "json_encode_of_a_cycle",
        "local t = {} t.t = t return require('json').encode(t)",
        "circular reference",
    ),
    (
        "json_decode_deep",
        "return require('json').decode(string.rep('[', 1e6))",
        # aos 2.0.6's decoder has no depth limit (lua/json.lua behaves as it does)
        f"{LIMIT}|stack overflow|{MEMORY}",
    ),
    (
        "bint_growing",
        "local bint = require('.bint')(256) local x = bint(1) "
        "for i = 1, 1e9 do x = x * bint(3) end",
        LIMIT,
    ),
    (
        "sha256_of_a_large_input",
        "return require('.crypto').digest.sha2_256(string.rep('x', 2^22)).asHex()",
        LIMIT,
    ),
    (
        "len_metamethod_loop",
        "local t = setmetatable({}, {__len = function() while true do end end}) return #t",
        LIMIT,
    ),
    (
        "concat_metamethod_recursion",
        'local t = setmetatable({}, {__concat = function(a, b) return a .. b end}) return t .. "x"',
        "C stack overflow",
    ),
    (
        "lt_metamethod_recursion",
        "local mt = {} mt.__lt = function(a, b) return a < b end "
        "return setmetatable({}, mt) < setmetatable({}, mt)",
        "C stack overflow",
    ),
    (
        "sort_comparator_raises",
        "table.sort({3, 1, 2, 5, 4}, function(a, b) error('cmp') end)",
        "cmp",
    ),
    (
        "coroutine_storm_in_pcall",
        "while true do pcall(coroutine.wrap(function() error('x') end)) end",
        LIMIT,
    ),
    ("table_memory_bomb", "local t = {} while true do t[#t + 1] = {} end", MEMORY),
]


# Work no instruction count can weigh: the watchdog stops it.
UNCOUNTABLE = [
    ("concat_growth", "local s = '' for i = 1, 1e9 do s = s .. 'x' end"),
    (
        "concat_growth_in_chunks",
        "local s, c = '', string.rep('x', 1000) while true do s = s .. c end",
    ),
    ("equal_long_strings", "local a, b = ('a'):rep(2^22), ('a'):rep(2^22) while a == b do end"),
    (
        "compare_strings_of_zeros",
        "local a, b = ('\\0'):rep(2^22), ('\\0'):rep(2^22) while a <= b do end",
    ),
    (
        "index_chain",
        "local t = {} for i = 1, 1999 do t = setmetatable({}, {__index = t}) end "
        "while true do local _ = t.x end",
    ),
    (
        "vararg_expansion",
        "local function f(...) while true do local n = select('#', ...) end end "
        "local t = {} for i = 1, 2e5 do t[i] = i end f(table.unpack(t))",
    ),
    (
        "colliding_long_keys",
        # 40 keys of 512 KiB (20 MiB): of 1 MiB they held 40 of a 64 MiB cap, where whether
        # the cap is met depends on the heap's layout, not only on the log
        "local L = 2^19 local keys, t = {}, {} for i = 1, 40 do "
        "keys[i] = ('a'):rep(L - 2) .. string.char(i) .. 'z' t[keys[i]] = i end "
        "while true do local _ = t[keys[40]] end",
    ),
    (
        "concat_growth_in_a_user_coroutine",
        "coroutine.wrap(function() local s = '' for i = 1, 1e9 do s = s .. 'x' end end)()",
    ),
]
