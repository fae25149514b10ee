"""lua/bint.lua: 256-bit two's complement arithmetic, checked against Python ints."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.plain_lua import new_lua

RT = new_lua()
RT.execute('bint = require(".bint")(256)')
OP = RT.eval(
    """function(op, a, b)
  local x, y = bint(a), bint(b)
  if op == "+" then return tostring(x + y) elseif op == "-" then return tostring(x - y)
  elseif op == "*" then return tostring(x * y) elseif op == "//" then return tostring(x // y)
  elseif op == "%" then return tostring(x % y) elseif op == "<" then return x < y
  elseif op == "<=" then return x <= y elseif op == "==" then return x == y
  elseif op == "&" then return tostring(x & y) elseif op == "|" then return tostring(x | y)
  elseif op == "~" then return tostring(x ~ y) end
end"""
)

BITS = 256
MOD = 1 << BITS


def wrap(v: int) -> int:
    v %= MOD
    return v - MOD if v >= MOD // 2 else v


PY_OPS: dict[str, Any] = {
    "+": lambda a, b: wrap(a + b),
    "-": lambda a, b: wrap(a - b),
    "*": lambda a, b: wrap(a * b),
    "//": lambda a, b: wrap(a // b),
    "%": lambda a, b: wrap(a % b),
    "&": lambda a, b: wrap(a & b),
    "|": lambda a, b: wrap(a | b),
    "~": lambda a, b: wrap(a ^ b),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}

in_range = st.one_of(
    st.integers(min_value=-(2**255), max_value=2**255 - 1),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=5),
)


@settings(max_examples=300, deadline=None)
@given(in_range, in_range, st.sampled_from(sorted(PY_OPS)))
def test_operators_match_python(a: int, b: int, op: str) -> None:
    if op in ("//", "%") and b == 0:
        return
    got = OP(op, str(a), str(b))
    expected = PY_OPS[op](a, b)
    if isinstance(expected, bool):
        assert got is expected
    else:
        assert int(got) == expected


def test_wraps_around_like_a_256_bit_machine_integer() -> None:
    assert RT.execute("return tostring(bint.maxinteger() + 1)") == str(-(2**255))
    assert RT.execute('return tostring(bint("1" .. string.rep("0", 80)))') == str(wrap(10**80))
    assert RT.execute("return tostring(bint.ipow(2, 256))") == "0"
    # As in aos's lua-bint, ^ gives a float (bint.ipow stays exact).
    assert RT.execute("return tostring(bint(3) ^ 5)") == "243.0"


def test_constructors() -> None:
    # what token code does: floats from 10^Denomination, strings from tags, bints
    assert RT.execute("return tostring(bint(10000 * 10 ^ 12))") == "10000000000000000"
    assert RT.execute('return tostring(bint.new("-42"))') == "-42"
    assert RT.execute('return tostring(bint(" 0x1F "))') == "31"
    assert RT.execute('return tostring(bint("0b101"))') == "5"
    assert RT.execute("return tostring(bint(bint(7)))") == "7"
    assert RT.execute("return tostring(bint(-1e30))") == str(int(-1e30))  # the float, exactly
    assert RT.execute("return bint.fromstring('x1') == nil") is True


@pytest.mark.parametrize("bad", ['"12a"', '""', "1.5", "nil", '"--1"'])
def test_bad_values_fail_with_aos_words(bad: str) -> None:
    ok, err = RT.execute(f"return pcall(bint, {bad})")
    assert ok is False
    assert err == '[string ".bint"]:787: value cannot be represented by a bint'


def test_other_types_pass_through_as_in_aos() -> None:
    assert RT.execute("local t = {} return bint(t) == t") is True


def test_division_by_zero_is_an_error() -> None:
    ok, err = RT.execute("return pcall(function() return bint(1) // bint(0) end)")
    assert ok is False and "divide by zero" in err


def test_conversions_out() -> None:
    assert RT.execute(
        'return bint.tonumber(bint("123")), math.type(bint.tonumber(bint("123")))'
    ) == (
        123,
        "integer",
    )
    assert RT.execute('return bint.tonumber(bint("-9223372036854775808"))') == -(2**63)
    assert RT.execute('return math.type(bint.tonumber(bint("9223372036854775808")))') == "float"
    assert RT.execute("return bint.tobase(bint(-1), 16)") == "f" * 64
    assert RT.execute("return bint.tobase(bint(255), 2)") == "11111111"
    assert RT.execute('return "x" .. bint(5) .. "y"') == "x5y"
    assert RT.execute("return bint(7) / 2") == 3.5


def test_mixed_operands_and_helpers_token_code_calls() -> None:
    assert RT.execute('return bint.__lt(0, bint("5")), bint.__le(bint(5), 5)') == (True, True)
    assert RT.execute("return bint(5) < 6, bint(5) + 1.5") == (True, 6.5)
    assert RT.execute("return tostring(bint(5) + 1), tostring(2 * bint(5))") == ("6", "10")
    assert RT.execute("return bint.iszero(bint(0)), bint.isneg(bint(-3)), bint.ispos(bint(3))") == (
        True,
        True,
        True,
    )
    assert RT.execute("return tostring(bint.max(3, 9)), tostring(bint.min(3, 9))") == ("9", "3")
    assert RT.execute("return bint.ult(1, -1), bint(-1) < bint(1)") == (True, True)
    assert RT.execute("return tostring(bint(1) << 255 >> 255), tostring(-bint(4))") == ("1", "-4")
    assert RT.execute("return tostring(bint.abs(-9)), bint.eq(bint(3), 3)") == ("9", True)


def test_other_widths_share_nothing_with_256() -> None:
    assert RT.execute(
        'local b64 = require(".bint")(64) return tostring(b64.maxinteger() + 1)'
    ) == str(-(2**63))
    ok, err = RT.execute('return pcall(require(".bint"), 100)')
    assert ok is False and "multiple of 32" in err


@pytest.mark.parametrize(
    "value",
    [
        "999999999999999999",
        "1000000000000000000",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "000000000000000042",
    ],
)
def test_text_round_trip_around_the_64_bit_fast_paths(value: str) -> None:
    assert RT.execute(f'return tostring(bint("{value}"))') == str(int(value))


def test_division_variants_and_powmod() -> None:
    assert RT.execute("return tostring(bint.tdiv(-7, 2)), tostring(bint.tmod(-7, 2))") == (
        "-3",
        "-1",
    )
    assert RT.execute("return tostring(bint.idiv(-7, 2)), tostring(bint.imod(-7, 2))") == (
        "-4",
        "1",
    )
    assert RT.execute("return tostring(bint.udiv(7, 2)), tostring(bint.umod(7, 2))") == ("3", "1")
    m = 2**61 - 1
    got = RT.execute(f'return tostring(bint.upowmod(3, "{2**100 + 7}", "{m}"))')
    assert got == str(pow(3, 2**100 + 7, m))
