"""lua/json.lua: deterministic encoding, strict decoding, errors that say where."""

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


def test_object_keys_are_sorted_whatever_the_insertion_order() -> None:
    a = lua_encode("(function() local t = {} t.zeta=1 t.alpha=2 t.Mid=3 return t end)()")
    b = lua_encode("(function() local t = {} t.Mid=3 t.alpha=2 t.zeta=1 return t end)()")
    assert a == b == '{"Mid":3,"alpha":2,"zeta":1}'


def test_nested_values_and_scalars() -> None:
    assert lua_encode('{a={1,2,{b=false}}, s="x", n=-3, f=1.5, t=true}') == (
        '{"a":[1,2,{"b":false}],"f":1.5,"n":-3,"s":"x","t":true}'
    )
    assert lua_encode("nil") == "null"
    assert lua_encode("2^53") == "9007199254740992"  # shortest exact text
    assert lua_encode("1e300") == "1e+300"
    assert lua_encode("0.1") == "0.1"
    assert lua_encode("math.maxinteger") == "9223372036854775807"


def test_empty_table_is_an_empty_array() -> None:
    assert lua_encode("{}") == "[]"
    assert lua_encode("{list={}}") == '{"list":[]}'


def test_strings_escape_quotes_backslashes_and_control_characters() -> None:
    assert lua_encode('"a\\"b\\\\c\\n\\t\\1\\127"') == '"a\\"b\\\\c\\n\\t\\u0001\\u007f"'
    assert lua_encode('"h\\u{e9}llo"') == '"h\u00e9llo"'


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("0/0", "NaN"),
        ("math.huge", "inf"),
        ("{1, nil, 3}", "sparse array"),
        ("{1, 2, x = 3}", "mixes string keys and array indexes"),
        ("{[1.5] = 1}", "invalid key 1.5"),
        ("{[true] = 1}", "invalid key true"),
        ("{f = print}", "type function at $.f"),
        ("(function() local t = {} t.me = t return t end)()", "circular reference at $.me"),
    ],
)
def test_encode_rejects_what_json_cannot_hold(code: str, fragment: str) -> None:
    assert fragment in lua_error(f'require("json").encode({code})')


def test_decode_covers_the_grammar() -> None:
    text = '{"a": [1, -2.5e3, true, false, "x"], "b": {"c": "\\u00e9\\ud83d\\ude00\\/"}, "n": 0}'
    assert pyjson.loads(DECODE_ENCODE(text)) == pyjson.loads(text.replace("\\/", "/"))
    assert RT.execute('return require("json").decode("null")') is None
    assert RT.execute('return require("json").decode(" [1] ")[1]') == 1


def test_decode_number_types() -> None:
    types = RT.execute(
        'local j = require("json").decode('
        '"[1, 1.0, 9223372036854775807, 9223372036854775808, -0]")\n'
        "return math.type(j[1]), math.type(j[2]), math.type(j[3]), math.type(j[4]), j[5]"
    )
    assert types == ("integer", "float", "integer", "float", 0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a":1,}', "expected a string key in object at line 1 col 8"),
        ("[1 2]", "expected ',' or ']' in array at line 1 col 4"),
        ('"abc', "unterminated string at line 1 col 1"),
        ("01", "trailing garbage at line 1 col 2"),
        ("1.", "expected a digit after '.'"),
        ("1e", "expected digits in the exponent"),
        ("nul", "unexpected 'nul'"),
        ('{"a"\n:\n x}', "unexpected character 'x' at line 3 col 2"),
        ('"\\ud800"', "low surrogate"),
        ('"\\x"', "invalid escape"),
        ('"a\tb"', "control character 0x09"),
        ("", "unexpected end of input"),
        ("[1] [2]", "trailing garbage at line 1 col 5"),
    ],
)
def test_decode_errors_name_the_position(text: str, fragment: str) -> None:
    ok, err = PCALL_DECODE(text)
    assert ok is False
    assert fragment in err


def test_decode_requires_a_string() -> None:
    assert "expected a string, got a number" in lua_error('require("json").decode(5)')


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
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
    if isinstance(back, dict):
        assert list(back) == sorted(back, key=lambda k: k.encode())


def test_deep_nesting_is_a_clear_error_not_a_crash() -> None:
    ok, err = PCALL_DECODE("[" * 5000 + "]" * 5000)
    assert ok is False and "nested deeper than 1000 at line 1 col 1001" in err
    assert (
        RT.execute('return #require("json").decode(string.rep("[", 999) .. string.rep("]", 999))')
        == 1
    )


dump_values = st.recursive(
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
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
  return dump(back) == s and j.encode(back) == j.encode(v)
end"""
)


@settings(max_examples=100, deadline=None)
@given(dump_values)
def test_dump_output_loads_back_to_an_equal_value(value: Any) -> None:
    assert DUMP_ROUND_TRIP(pyjson.dumps(value)) is True
