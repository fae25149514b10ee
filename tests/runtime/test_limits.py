"""Both limits end a runaway message with an Error that names the limit, and the process
keeps answering afterwards. Small limits keep these fast; `aos bench runtime` measures the
default limits."""

from __future__ import annotations

import time

import pytest

from aos.runtime import LuaProcess, RuntimeLimits
from tests.support.process import Proc


def test_an_endless_loop_ends_with_the_instruction_limit_error() -> None:
    proc = Proc(instruction_limit=5_000_000)
    start = time.monotonic()
    result = proc.eval("while true do end")
    assert time.monotonic() - start < 2
    assert result["Error"] == "instruction limit exceeded (5000000 instructions)"
    assert result["Messages"] == [] and result["Output"] == ""
    assert proc.value("1 + 1") == "2"


def test_a_memory_bomb_ends_with_the_memory_limit_error() -> None:
    proc = Proc(memory_limit=32 * 2**20)
    start = time.monotonic()
    result = proc.eval("local t = {} while true do t[#t + 1] = string.rep('x', 2^20) .. #t end")
    assert time.monotonic() - start < 2
    assert result["Error"] == "memory limit exceeded (32 MiB)"
    assert proc.value("1 + 1") == "2"
    # The failed message's garbage was collected.
    assert proc.process.memory_used() < 8 * 2**20


def test_a_memory_bomb_in_a_handler_with_pcall_is_still_stopped() -> None:
    proc = Proc(memory_limit=32 * 2**20)
    proc.eval(
        'Handlers.add("bomb", "Bomb", function() for i = 1, 100 do pcall(function() '
        "local t = {} while true do t[#t + 1] = string.rep('y', 2^20) .. i end end) end end)"
    )
    assert proc.send({"Action": "Bomb"})["Error"] == "memory limit exceeded (32 MiB)"
    assert proc.value("1 + 1") == "2"


def test_state_changes_before_a_limit_error_are_kept() -> None:
    proc = Proc(instruction_limit=1_000_000)
    result = proc.eval("Before = 'kept' while true do end")
    assert "instruction limit" in result["Error"]
    assert proc.value("Before") == "kept"


def test_outbox_of_an_errored_message_is_dropped() -> None:
    proc = Proc(instruction_limit=1_000_000)
    result = proc.eval('Send({Target = "X", Data = "lost"}) while true do end')
    assert result["Messages"] == []


def test_gas_is_counted_the_same_way_every_time() -> None:
    code = "local s = 0 for i = 1, 200000 do s = s + i end return s"
    first, second = Proc(), Proc()
    a, b = first.eval(code), second.eval(code)
    assert a["GasUsed"] == b["GasUsed"] > 200_000
    assert a["Output"]["data"] == "20000100000"


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="memory_limit"):
        RuntimeLimits(memory_limit=1000)
    with pytest.raises(ValueError, match="instruction_limit"):
        LuaProcess(instruction_limit=10)
    assert RuntimeLimits().memory_text() == "memory limit exceeded (256 MiB)"


def test_a_closed_process_refuses_messages() -> None:
    proc = Proc()
    assert proc.process.memory_used() > 0
    proc.process.close()
    with pytest.raises(RuntimeError, match="closed"):
        proc.eval("1")
    assert proc.process.memory_used() == 0


def test_bad_message_shapes_are_reported_before_lua_runs() -> None:
    proc = Proc()
    with pytest.raises(ValueError, match=r"Tags\[0\]"):
        proc.process.handle({"Id": "x", "Tags": [{"nom": "a"}]}, proc.env)
    with pytest.raises(ValueError, match="msg must be a dict"):
        proc.process.handle([], proc.env)  # type: ignore[arg-type]
    assert proc.value("1 + 1") == "2"
