"""base64, pretty, dump, and the module contract: a chunk that returns its table, no globals."""

from __future__ import annotations

import base64
import os

import pytest

from tests.support.plain_lua import new_lua

MODULES = [".json", ".base64", ".bint", ".chance", ".crypto", ".pretty", ".dump"]


@pytest.mark.parametrize("name", MODULES)
def test_module_creates_no_globals(name: str) -> None:
    rt = new_lua()
    added = rt.execute(
        "local before = {} for k in pairs(_G) do before[k] = true end\n"
        f'local m = require("{name}")\n'
        "local added = {}\n"
        "for k in pairs(_G) do if not before[k] then added[#added + 1] = k end end\n"
        "return #added, type(m)"
    )
    assert added[0] == 0
    assert added[1] in ("table", "function")


def test_base64_matches_python() -> None:
    rt = new_lua(binary=True)
    enc = rt.eval('require(".base64").encode')
    dec = rt.eval('require(".base64").decode')
    for n in (0, 1, 2, 3, 4, 5, 100, 1001):
        data = os.urandom(n)
        assert enc(data) == base64.b64encode(data)
        assert dec(base64.b64encode(data)) == data
    assert dec(b"YW\nJj") == b"abc"  # whitespace ignored
    assert dec(b"YWI") == b"ab"  # padding optional


@pytest.mark.parametrize(
    ("text", "fragment"), [(b"YW!I", b'"!" at position 3'), (b"YQ==YQ", b"after padding")]
)
def test_base64_rejects_garbage(text: bytes, fragment: bytes) -> None:
    rt = new_lua(binary=True)
    ok, err = rt.eval('function(s) return pcall(require(".base64").decode, s) end')(text)
    assert ok is False and fragment in err


def test_tprint_is_ordered_and_survives_cycles() -> None:
    rt = new_lua()
    out = rt.execute(
        'local t = {b = 1, a = {x = true, [2] = "y"}, [1] = "one"} t.a.self = t\n'
        'return require(".pretty").tprint(t)'
    )
    assert out == "1: one\na: \n 2: y\n self: <circular>\n x: true\nb: 1\n"


def test_dump_writes_lua_that_reads_back() -> None:
    rt = new_lua()
    text = rt.execute(
        'return require(".dump")({1, "a\\nb", {y = 0.1}, x = 1.5, ["end"] = true, [10] = 2^53})'
    )
    # aos's Dump (lua-dump): four spaces, every key written, numeric keys first, %q.
    assert text == (
        '{\n    [1] = 1,\n    [2] = "a\\\nb",\n    [3] = {\n        y = 0.1\n    },\n'
        '    [10] = 9.007199254741e+15,\n    ["end"] = true,\n    x = 1.5\n}'
    )
    same = rt.execute(
        'local d = require(".dump") local v = {1, {2, "q\\0"}, k = {z = -0.25}}\n'
        'local back = load("return " .. d(v))()\n'
        'return back[2][2] == "q\\0" and back.k.z == -0.25 and d(back) == d(v)'
    )
    assert same is True


def test_dump_marks_cycles_and_quotes_scalars() -> None:
    rt = new_lua()
    text = rt.execute("local t = {f = 1} t.me = t return (require('.dump')(t):gsub('0x%x+', 'A'))")
    assert text == '{\n    f = 1,\n    me = "<Circular table: A>"\n}'
    assert rt.execute("return require('.dump')(nil), require('.dump')('x')") == ('"nil"', '"x"')
    assert rt.execute("return require('.dump')({a = {}}, 0)") == "{ a = {} }"
