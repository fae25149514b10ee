"""lua/pattern.lua (the counted fallback for risky string patterns) agrees with Lua's own
C matcher: find, match, gmatch and gsub over random patterns and subjects."""

from __future__ import annotations

import json
from typing import Any

import lupa.lua53 as lua53
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aos.luafiles import lua_dir
from tests.support.process import Proc

_RT = lua53.LuaRuntime(unpack_returned_tuples=True, encoding=None)
_P = _RT.execute((lua_dir() / "pattern.lua").read_text(encoding="utf-8"))
_COMPARE = _RT.execute(
    """
    local P = ...
    local function pack(ok, ...) return {ok = ok, n = select('#', ...), ...} end
    local function same(a, b)
      if a.ok ~= b.ok then return false end
      if not a.ok then return true end   -- both failed; messages may word it differently
      if a.n ~= b.n then return false end
      for i = 1, a.n do if a[i] ~= b[i] then return false end end
      return true
    end
    return function(fn, s, p, extra)
      if fn == "gmatch" then
        local function all(iter)
          local out = {}
          for i = 1, 50 do
            local r = pack(pcall(iter))
            if not r.ok or r[1] == nil then out[#out + 1] = r break end
            out[#out + 1] = r
          end
          return out
        end
        local a_ok, a_it = pcall(string.gmatch, s, p)
        local b_ok, b_it = pcall(P.gmatch, s, p)
        if not (a_ok and b_ok) then return a_ok == b_ok end
        local a, b = all(a_it), all(b_it)
        if #a ~= #b then return false end
        for i = 1, #a do if not same(a[i], b[i]) then return false end end
        return true
      end
      local a = pack(pcall(string[fn], s, p, extra))
      local b = pack(pcall(P[fn], s, p, extra))
      return same(a, b)
    end
    """,
    _P,
)

PATTERN_ATOMS = [
    "a", "b", ".", "%a", "%d", "%s", "%w", "%A", "[ab]", "[^a]", "[a-c]", "[%d_]", "%%",
    "(", ")", "()", "^", "$", "*", "+", "-", "?", "%b()", "%f[%w]", "%1", "[", "]", " ",
]  # fmt: skip
patterns = st.lists(st.sampled_from(PATTERN_ATOMS), max_size=7).map("".join)
subjects = st.text(alphabet="ab1 ()_c", max_size=14)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fn=st.sampled_from(["find", "match", "gmatch", "gsub"]),
    s=subjects,
    p=patterns,
    init=st.integers(min_value=-5, max_value=16),
)
def test_pattern_matcher_agrees_with_c(fn: str, s: str, p: str, init: int) -> None:
    extra: Any = init
    if fn == "gsub":
        extra = "<%0>"
    assert _COMPARE(fn, s.encode(), p.encode(), extra), (fn, s, p, extra)


@pytest.mark.parametrize(
    "code",
    [
        "string.find(string.rep('a', 30), string.rep('a*', 10) .. 'b')",
        "string.find(string.rep('a', 20000), '.-.-b')",
        "for w in string.gmatch(string.rep('a', 5000), '(a*)*b') do end",
        "string.gsub(string.rep('1', 20000), '%d+x', '')",
        "local s = string.rep('a', 2^20) for i = 1, 1e9 do local _ = s:find('b') end",
        "local s = string.rep('a', 2^20) for i = 1, 1e9 do local _ = s:match('[b-z]') end",
    ],
)
def test_backtracking_patterns_end_with_the_instruction_limit(code: str) -> None:
    proc = Proc(instruction_limit=2_000_000)
    result = proc.eval(code)
    assert result["Error"] == "instruction limit exceeded (2000000 instructions)"
    assert proc.value("1 + 1") == "2"


def test_ordinary_patterns_keep_working_in_a_process() -> None:
    proc = Proc()
    assert proc.value("return (select(3, ('  trim me  '):find('^%s*(.-)%s*$')))") == "trim me"
    assert proc.value("return (string.gsub(string.rep('ab', 3000), 'a(b)', '%1'))") == "b" * 3000
    assert (
        proc.value(
            "local n = 0 for k, v in string.gmatch(string.rep('k=v;', 2000), '(%w+)=(%w+)') "
            "do n = n + 1 end return n"
        )
        == "2000"
    )


def test_a_large_json_message_decodes_well_within_the_budget() -> None:
    # Linear patterns stay in C and are charged what they scanned, not their worst case.
    proc = Proc()
    doc = json.dumps({"items": [{"name": f"item{i}", "text": "x" * 50} for i in range(2000)]})
    proc.eval('Handlers.add("store", "Store", function(m) Stored = #m.Data.items end)')
    result = proc.send({"Action": "Store", "Content-Type": "application/json"}, doc)
    assert "Error" not in result
    assert proc.value("Stored") == "2000"
    assert result["GasUsed"] < 20_000_000
