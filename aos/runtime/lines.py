"""Which lines of a Lua chunk hold code: the denominator of `aos test --cov`.

Lua's compiler knows it exactly: every instruction of every function carries the line it came
from. The chunk is compiled (never run) in a plain Lua state, dumped with `string.dump`, and
the line info of every function prototype is read from the Lua 5.3 dump format (lundump.c):
header, then per function source, lines, sizes, code, constants, upvalues, nested
prototypes, debug info.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import lupa.lua53 as lua53

_COMPILE = """
return function(src, name)
  local f, err = load(src, name, "t")
  if not f then return nil, err end
  return string.dump(f), false
end
"""
_SIGNATURE = b"\x1bLua\x53\x00\x19\x93\r\n\x1a\n"


@cache
def _compiler() -> Any:
    # Only ever compiles: no user code runs in this state, so it needs no sandbox.
    rt = lua53.LuaRuntime(encoding=None, register_eval=False, register_builtins=False)
    return rt.execute(_COMPILE.encode())


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.int_size = 4
        self.size_t = 8
        self.integer = 8
        self.number = 8

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated Lua dump")
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def integer_value(self) -> int:
        value: int = int.from_bytes(self.take(self.int_size), "little", signed=True)
        return value

    def string(self) -> None:
        size = self.byte()
        if size == 0xFF:
            size = int.from_bytes(self.take(self.size_t), "little")
        if size:
            self.take(size - 1)

    def function(self, lines: set[int]) -> None:
        self.string()  # source
        self.integer_value()  # linedefined
        self.integer_value()  # lastlinedefined
        self.take(3)  # numparams, is_vararg, maxstacksize
        self.take(self.integer_value() * 4)  # code
        for _ in range(self.integer_value()):  # constants
            kind = self.byte()
            if kind == 1:
                self.take(1)
            elif kind == 3:
                self.take(self.number)
            elif kind == 19:
                self.take(self.integer)
            elif kind in (4, 20):
                self.string()
            elif kind != 0:
                raise ValueError(f"unknown constant type {kind} in Lua dump")
        self.take(self.integer_value() * 2)  # upvalues
        for _ in range(self.integer_value()):
            self.function(lines)
        lines.update(self.integer_value() for _ in range(self.integer_value()))  # lineinfo
        for _ in range(self.integer_value()):  # locals
            self.string()
            self.integer_value()
            self.integer_value()
        for _ in range(self.integer_value()):  # upvalue names
            self.string()


def code_lines(source: str, chunkname: str) -> set[int]:
    """The lines of `source` that hold at least one instruction. ValueError carries the
    compiler's message when the chunk does not compile."""
    dump, err = _compiler()(source.encode(), chunkname.encode())
    if dump is None:
        raise ValueError(err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err))
    reader = _Reader(bytes(dump))
    if reader.take(len(_SIGNATURE)) != _SIGNATURE:
        raise ValueError("not a Lua 5.3 dump")
    reader.int_size, reader.size_t, instruction, reader.integer, reader.number = reader.take(5)
    if instruction != 4:
        raise ValueError("unexpected instruction size in Lua dump")
    reader.take(reader.integer + reader.number)  # LUAC_INT, LUAC_NUM
    reader.byte()  # number of upvalues of the main function
    lines: set[int] = set()
    reader.function(lines)
    return lines
