"""Line coverage in the runtime: code_lines from the compiler, and covering processes."""

from __future__ import annotations

import pytest

from aos.runtime import LuaProcess
from aos.runtime.lines import code_lines
from tests.support.process import ENV, Proc

CHUNK = """local x = 1
if x > 1 then
  x = 2
end
-- a comment
Handlers.add("a", "A", function(m)
  print("hi")
  return 1
end)
"""
LOADER = f"assert(load({CHUNK!r}, '@u.lua'))()"


def test_code_lines_are_the_lines_that_hold_instructions() -> None:
    assert code_lines(CHUNK, "@u.lua") == {1, 2, 3, 6, 7, 8, 9}


def test_a_chunk_that_does_not_compile_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^bad.lua:1: unexpected symbol near '='$"):
        code_lines("x = = 1", "@bad.lua")


def covering_proc(chunks: tuple[str, ...]) -> Proc:
    proc = Proc.__new__(Proc)
    proc.process = LuaProcess.covering(chunks)
    proc.env, proc.count, proc.timestamp = ENV, 0, 1_700_000_000_000
    spawn = Proc().message({"Type": "Process", "Name": "Thomas"}, "", Id="AOS", Nonce=0)
    proc.process.handle(spawn, proc.env)
    return proc


def test_a_covering_process_records_the_lines_run_of_the_named_chunks_only() -> None:
    proc = covering_proc(("@u.lua",))
    assert proc.eval(LOADER).get("Error") is None
    assert proc.process.lines_run() == {"@u.lua": {1, 2, 6, 9}}
    proc.send({"Action": "A"})
    assert proc.process.lines_run() == {"@u.lua": {1, 2, 6, 7, 8, 9}}
    other = covering_proc(("@other.lua",))
    other.eval(LOADER)
    assert other.process.lines_run() == {"@other.lua": set()}


def test_a_covering_process_gives_the_same_results_but_for_gas() -> None:
    plain, covering = Proc(), covering_proc(("@u.lua",))
    for p in (plain, covering):
        p.eval(LOADER)
    a, b = plain.send({"Action": "A"}), covering.send({"Action": "A"})
    assert a.pop("GasUsed") <= b.pop("GasUsed")
    assert a == b
    assert LuaProcess().lines_run() == {}
