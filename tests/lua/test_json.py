"""lua/json.lua: aos's json (rxi json 0.2.0 behaviour), its errors and round trips."""

from __future__ import annotations

import json as pyjson
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.plain_lua import new_lua

RT = new_lua()
ENCODE = RT.eval('require("json").encode')
DECODE_ENCODE = RT.eval('function(s) local j = require("json"); return j.encode(j.decode(s)) end')
PCALL_DECODE = RT.eval('function(s) return pcall(require("json").decode, s) end')


def lua_encode(code: str) -> Any:
    return RT.execute(f'return require("json").encode({code})')


def lua_error(code: str) -> str:
    ok, err = RT.execute(f"return pcall(function() return {code} end)")
    assert ok is False, f"expected an error from {code}"
    return str(err)


def test_object_keys_follow_pairs() -> None:
    # The encoder writes pairs() order, as aos's does; in a process pairs is sorted.
    assert lua_encode("{a = 1}") == '{"a":1}'
    text = lua_encode("(function() local t = {} t.zeta=1 t.alpha=2 t.Mid=3 return t end)()")
    assert pyjson.loads(text) == {"zeta": 1, "alpha": 2, "Mid": 3}


def test_nested_values_and_scalars() -> None:
    assert lua_encode("{a={1,2,{b=false}}}") == '{"a":[1,2,{"b":false}]}'
    assert lua_encode("nil") == "null"
    # Every number with %.14g, as aos's rxi json writes them.
    assert lua_encode("2^53") == "9.007199254741e+15"
    assert lua_encode("123456789012345") == "1.2345678901234e+14"
    assert lua_encode("1e300") == "1e+300"
    assert lua_encode("0.1") == "0.1"
    assert lua_encode("-3") == "-3"


def test_empty_table_is_an_empty_array() -> None:
    assert lua_encode("{}") == "[]"
    assert lua_encode("{list={}}") == '{"list":[]}'


def test_functions_in_objects_are_left_out() -> None:
    assert lua_encode("{a = 1, f = print}") == '{"a":1}'


def test_strings_escape_quotes_backslashes_and_control_characters() -> None:
    assert lua_encode('"a\\"b\\\\c\\n\\t\\1\\127"') == '"a\\"b\\\\c\\n\\t\\u0001\x7f"'
    assert lua_encode('"h\\u{e9}llo"') == '"h\u00e9llo"'


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0/0", "[string \"json\"]:149: unexpected number value '-nan'"),
        ("math.huge", "[string \"json\"]:149: unexpected number value 'inf'"),
        ("{1, nil, 3}", '[string "json"]:91: invalid table: sparse array'),
        ("{1, 2, x = 3}", '[string "json"]:83: invalid table: mixed or invalid key types'),
        ("{[true] = 1}", '[string "json"]:111: invalid table: mixed or invalid key types'),
        ("print", "[string \"json\"]:183: unexpected type 'function'"),
        (
            "(function() local t = {} t.me = t return t end)()",
            '[string "json"]:65: circular reference',
        ),
    ],
)
def test_encode_rejects_what_json_cannot_hold(code: str, message: str) -> None:
    assert lua_error(f'require("json").encode({code})') == message


def test_decode_covers_the_grammar() -> None:
    text = '{"a": [1, -2.5e3, true, false, "x"], "b": {"c": "\\u00e9\\ud83d\\ude00\\/"}, "n": 0}'
    assert pyjson.loads(DECODE_ENCODE(text)) == pyjson.loads(text.replace("\\/", "/"))
    assert RT.execute('return require("json").decode("null")') is None
    assert RT.execute('return require("json").decode(" [1] ")[1]') == 1
    assert RT.execute('return require("json").decode("[1, 2,]")[2]') == 2  # as rxi's


def test_decode_number_types() -> None:
    types = RT.execute(
        'local j = require("json").decode("[1, 1.0, 9223372036854775807, 1e3, -0]")\n'
        "return math.type(j[1]), math.type(j[2]), math.type(j[3]), math.type(j[4]), j[5]"
    )
    assert types == ("integer", "float", "integer", "float", 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a":1,', "expected string for key at line 1 col 8"),
        ("[1 2]", "expected ']' or ',' at line 1 col 5"),
        ('"abc', "expected closing quote for string at line 1 col 1"),
        ("01x", "invalid number '01x' at line 1 col 1"),
        ("nul", "invalid literal 'nul' at line 1 col 1"),
        ('{"a"\n:\n x}', "unexpected character 'x' at line 3 col 2"),
        ('"\\x"', "invalid escape char 'x' in string at line 1 col 2"),
        ('"a\tb"', "control character in string at line 1 col 3"),
        ("", "unexpected character '' at line 1 col 1"),
        ("[1] [2]", "trailing garbage at line 1 col 5"),
    ],
)
def test_decode_errors_read_as_in_aos(text: str, message: str) -> None:
    ok, err = PCALL_DECODE(text)
    assert ok is False
    assert err == '[string "json"]:261: ' + message


def test_decode_requires_a_string() -> None:
    assert lua_error('require("json").decode(5)') == (
        '[string "json"]:597: expected argument of type string, got number'
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    # Numbers that %.14g writes exactly: the encoder's precision, as in aos.
    | st.integers(min_value=-(10**13), max_value=10**13)
    | st.floats(min_value=-1e6, max_value=1e6).map(lambda f: float(f"{f:.10g}"))
    | st.text(),
    lambda children: (
        st.lists(children, min_size=1, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, min_size=1, max_size=4)
    ),
    max_leaves=12,
)


def _drop_nulls(v: Any) -> Any:
    # Lua has no null: null object members vanish and null array items make holes.
    if isinstance(v, dict):
        return {k: _drop_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_drop_nulls(x) for x in v]
    return v


def _no_null_in_arrays(v: Any) -> bool:
    if isinstance(v, list):
        return all(x is not None and _no_null_in_arrays(x) for x in v)
    if isinstance(v, dict):
        return all(_no_null_in_arrays(x) for x in v.values())
    return True


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_round_trip_through_lua_matches_python(value: Any) -> None:
    if not _no_null_in_arrays(value) or value is None:
        return
    text = pyjson.dumps(value)
    out = DECODE_ENCODE(text)
    expected = _drop_nulls(value)
    back = pyjson.loads(out)
    if expected in ({}, []):
        assert back == []
        return

    # empty containers inside come back as [] as well
    def norm(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()} or []
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    assert norm(back) == norm(expected)


def test_deep_nesting_decodes() -> None:
    # No nesting limit, as in aos; the process's budget bounds the work.
    assert (
        RT.execute('return #require("json").decode(string.rep("[", 5000) .. string.rep("]", 5000))')
        == 1
    )


dump_values = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)  # -2^63 reads back as a float
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, min_size=1, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, min_size=1, max_size=4)
    ),
    max_leaves=10,
)
DUMP_ROUND_TRIP = RT.eval(
    """function(text)
  local j, dump = require("json"), require(".dump")
  local v = j.decode(text)
  local s = dump(v)
  local back = load("return " .. s)()
  return dump(back) == s
end"""
)


@settings(max_examples=100, deadline=None)
@given(st.lists(dump_values, min_size=1, max_size=3))
def test_dump_output_loads_back_to_an_equal_value(value: Any) -> None:
    # A table: Dump writes a scalar as the %q of its tostring, as aos's does.
    assert DUMP_ROUND_TRIP(pyjson.dumps(value)) is True
