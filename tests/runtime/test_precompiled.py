"""A process whose chunks are loaded as bytecode compiled once per OS process
(LuaProcess.precompiled, the default) is the process compiled from source: the same
results, GasUsed, error texts with their chunk names and lines, and snapshot bytes."""

from __future__ import annotations

from typing import Any

import pytest

import tests.support.process as support
from aos.runtime import LuaProcess
from tests.support.determinism_log import results

ERRORS = [
    "return require('json').decode('[')",  # raised inside a library module
    "local bint = require('.bint')(256) return bint('x') + 1",
    "Handlers.add('bad', 'Bad', function() error('in a handler') end)",
]


class FromSource(LuaProcess):
    precompiled = False


def run(monkeypatch: pytest.MonkeyPatch, cls: type[LuaProcess]) -> tuple[list[Any], bytes]:
    monkeypatch.setattr(support, "LuaProcess", cls)
    out = results()
    proc = support.Proc()
    for code in ERRORS:
        out.append(proc.eval(code))
    out.append(proc.send({"Action": "Bad"}))
    return out, proc.process.snapshot()


def test_bytecode_and_source_give_the_same_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from_source, from_bytecode = run(monkeypatch, FromSource), run(monkeypatch, LuaProcess)
    assert from_bytecode[0] == from_source[0]
    assert from_bytecode[1] == from_source[1]
    # The errors name the library's chunks and lines, as compiled from source.
    texts = [str(r.get("Error", "")) for r in from_source[0][-4:]]
    assert '[string "json"]' in texts[0] and "in a handler" in texts[3]


def test_bytecode_is_dropped_once_the_library_is_loaded() -> None:
    # The state must hold what it held without bytecode (the memory cap counts it).
    sizes = []
    for cls in (FromSource, LuaProcess):
        proc = cls()
        proc.collect_garbage()
        sizes.append(proc.memory_used())
        proc.close()
    assert abs(sizes[0] - sizes[1]) < 1024
