"""A message whose result has Error leaves the state as it was before it, as on the
reference CU (docs/protocol.md §4.5): Evals, handlers, both limits, and a replay agrees."""

from __future__ import annotations

from pathlib import Path

from aos.verify.verifier import verify_store
from tests.support.ao import Ao

HANDLERS = """
Handlers.add("boom", "Boom", function(msg)
  HB = (HB or 0) + 1
  Inbox[#Inbox + 1] = "written by the handler"
  error("in the handler")
end)
Handlers.add("count", "Count", function(msg) Counted = (Counted or 0) + 1 end)
return "ok"
"""


def _state(ao: Ao, pid: str) -> str:
    return str(
        ao.value(
            pid,
            "return tostring(RB) .. ' ' .. tostring(HB) .. ' ' .. #Errors"
            " .. ' ' .. #Inbox .. ' ' .. tostring(Counted)",
        )
    )


def test_an_eval_that_errors_after_a_write_leaves_no_trace(ao: Ao) -> None:
    pid = ao.spawn()
    ao.result(pid, pid)
    before = _state(ao, pid)
    failed = ao.eval(pid, 'RB = 1; error("after write")')
    assert "after write" in failed["Error"]
    assert failed["Messages"] == [] and failed["Spawns"] == []
    # RB is not set and the error was not appended to Errors (that, too, was undone).
    assert _state(ao, pid) == before
    assert before.startswith("nil nil 0 ")


def test_a_handler_error_and_both_limits_roll_back(ao: Ao) -> None:
    pid = ao.spawn()
    assert ao.value(pid, HANDLERS) == "ok"
    ao.send(pid, action="Count")
    before = _state(ao, pid)
    assert "in the handler" in ao.result(pid, ao.send(pid, action="Boom"))["Error"]
    assert _state(ao, pid) == before
    limit = ao.eval(pid, "IL = 1; while true do end")
    assert "instruction limit exceeded" in limit["Error"]
    # (`..` of a 1 MiB string: string.rep of one byte a million times is charged its C loop,
    # lua/meter.lua, and would reach the instruction limit first)
    grow = "ML = 1; local s, t = string.rep('ab', 2^19), {} while true do t[#t + 1] = s .. #t end"
    memory = ao.eval(pid, grow)
    assert "memory limit exceeded" in memory["Error"]
    assert ao.value(pid, "return tostring(IL) .. tostring(ML)") == "nilnil"
    assert _state(ao, pid) == before
    # The process goes on as if the failures had not happened.
    ao.send(pid, action="Count")
    assert ao.value(pid, "return Counted") == "2"


def test_a_replay_from_nothing_agrees_with_the_rolled_back_results(ao: Ao, node_dir: Path) -> None:
    pid = ao.spawn()
    ao.value(pid, HANDLERS)
    for i in range(30):
        ao.send(pid, action="Count")
        if i % 7 == 3:
            ao.send(pid, action="Boom")
        if i % 5 == 1:
            ao.eval(pid, f"X{i} = {i}; error('no {i}')")
    assert ao.value(pid, "return Counted") == "30"
    ao.drain()
    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
