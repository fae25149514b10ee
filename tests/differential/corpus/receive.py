"""Receive, onReply and coroutines: a handler that waits for a later message."""

from __future__ import annotations

from tests.differential.harness import Scenario

T = "TARGET" + "t" * 37


def _receive() -> Scenario:
    s = Scenario("receive-basic")
    s.eval(
        "Handlers.add('ask', 'Ask', function(m)"
        f" local r = ao.send({{Target = '{T}', Action = 'Q'}}).receive()"
        " print('got ' .. r.Data) end)"
    )
    s.send({"Action": "Ask"})
    s.from_process(T, {"X-Reference": "1"}, "the answer")
    s.eval("return #Handlers.coroutines")
    s.send({"Action": "Ask"})
    s.from_process(T, {"X-Reference": "99"}, "wrong ref")
    s.from_process(T, {"X-Reference": "2"}, "second answer")
    s.eval(
        "Handlers.add('askfail', 'AskFail', function(m)"
        f" local r = ao.send({{Target = '{T}', Action = 'Q'}}).receive()"
        " error('failed after ' .. r.Data) end)"
    )
    s.send({"Action": "AskFail"})
    s.from_process(T, {"X-Reference": "3"}, "the reply")
    return s


def _receive_pattern() -> Scenario:
    s = Scenario("receive-pattern")
    s.eval(
        "Handlers.add('wait', 'Wait', function(m)"
        " local r = Receive({Action = 'Done'}); print('done with ' .. r.Data) end)"
    )
    s.send({"Action": "Wait"})
    s.send({"Action": "Other"})
    s.send({"Action": "Done"}, "payload")
    s.send({"Action": "Done"}, "late")
    s.eval(
        "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)"
        " local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return x + y"
    )
    s.eval("return coroutine.isyieldable()")
    s.eval(
        "local f = coroutine.wrap(function() coroutine.yield(1) end); f(); f(); return f()",
        explain="sandbox-tail-call",
    )
    s.eval("local f = coroutine.wrap(function() end); f(); local x = f(); return x")
    return s


def _on_reply() -> Scenario:
    s = Scenario("receive-onreply")
    s.eval(
        f"ao.send({{Target = '{T}', Action = 'Q'}}).onReply(function(r)"
        " print('reply ' .. r.Data) end)"
    )
    s.from_process(T, {"X-Reference": "1"}, "hello back")
    s.from_process(T, {"X-Reference": "1"}, "again")
    s.eval(
        f"Send({{Target = '{T}', Action = 'Q2'}})"
        f".onReply(function(r) print('second ' .. r.Data) end)"
    )
    s.from_process(T, {"X-Reference": "2"}, "two")
    s.eval("Spawn('MODULE', {}).onReply(function() end)")
    s.eval(
        "local s = ao.spawn('MODULE', {}); "
        "s.onReply(function(r) print('spawned ' .. r.Process) end)"
    )
    s.from_process(T, {"Action": "Spawned", "X-Reference": "4", "Process": "NEWPROC"})
    return s


SCENARIOS: list[Scenario] = [_receive(), _receive_pattern(), _on_reply()]
