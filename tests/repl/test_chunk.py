"""The Lua chunk scanner: when Enter continues a chunk, and which requires `.load` follows."""

from __future__ import annotations

import pytest

from aos.repl.chunk import find_requires, is_complete


@pytest.mark.parametrize(
    "code",
    [
        "function f()",
        "function f()\n  if x then",
        "x = {",
        "x = {1,\n 2,",
        "for i = 1, 3 do",
        "while true do",
        "if x then",
        "if a then b() elseif c then",
        "repeat",
        "s = [[long",
        "s = [==[ ]] still ",
        "--[[ a comment",
        'Handlers.add("x", function(m)',
        "print(",
        's = "a\\\n',
    ],
)
def test_unfinished_chunks_continue(code: str) -> None:
    assert not is_complete(code)


@pytest.mark.parametrize(
    "code",
    [
        "1 + 41",
        "",
        "function f() return 1 end",
        "local t = {f = function() end}",
        "for i = 1, 3 do print(i) end",
        "if a then b() elseif c then d() else e() end",
        "repeat x = x + 1 until x > 3",
        "s = [[a]] .. [=[b]=]",
        "--[[ c ]] x = 1",
        "-- function without end",
        'x = "function do if"',
        "return 1 +",  # a syntax error, not an open block: the process reports it
        "end",
        's = "abc',
        "x = )",
    ],
)
def test_finished_chunks_are_sent(code: str) -> None:
    assert is_complete(code)


def test_find_requires_skips_comments_and_strings() -> None:
    code = (
        'local a = require("a.b")\n'
        "local c = require 'c' -- require('no')\n"
        '--[[ require("x") ]]\n'
        "local s = \"require('y')\"\n"
        "local d = require ( [[d]] )\n"
    )
    assert find_requires(code) == ["a.b", "c", "d"]
