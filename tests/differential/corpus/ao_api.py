"""The ao API: ao.send, ao.spawn, ao.assign, Send/Spawn/Assign, msg.reply and msg.forward,
their return values and the errors they raise."""

from __future__ import annotations

from tests.differential.harness import Scenario, evals

T = "TARGET" + "t" * 37
OTHER = "SENDER" + "q" * 37

SCENARIOS: list[Scenario] = [
    evals(
        "ao-send",
        [
            f"local m = ao.send({{Target = '{T}', Data = 'hi'}})",
            f"local m = ao.send({{Target = '{T}', Action = 'Do', Quantity = '5'}})",
            f"local m = ao.send({{Target = '{T}', Data = {{a = 1}}}})",
            f"local m = ao.send({{Target = '{T}', Tags = {{Custom = 'c'}}}})",
            f"local m = ao.send({{Target = '{T}', Tags = {{{{name = 'N', value = 'V'}}}}}})",
            f"return ao.send({{Target = '{T}'}}).Target",
            f"local m = ao.send({{Target = '{T}', Data = 'x'}}); return m.Anchor",
            f"local m = ao.send({{Target = '{T}'}}); return type(m.onReply), type(m.receive)",
            f"local m = ao.send({{Target = '{T}', Quantity = 5}})",
            "local m = ao.send({Data = 'no target'})",
            "ao.send('not a table')",
            "ao.send()",
            f"local m = ao.send({{Target = '{T}', Data = 5}})",
            "return ao.reference",
            (f"return ao.send({{Target = '{T}', Data = 'shown'}})", "pairs-order"),
        ],
    ),
    evals(
        "ao-Send",
        [
            f"local m = Send({{Target = '{T}', Data = 'hello'}})",
            f"return Send({{Target = '{T}', Data = 'r'}}).output",
            "local m = Send({Data = 'nowhere'})",
            f"local m = Send({{Target = '{T}', Action = 'Transfer', "
            f"Recipient = '{OTHER}', Quantity = '1'}})",
            f"local r = Send({{Target = '{T}'}}); return type(r.receive), type(r.onReply)",
            f"local m = Send({{Target = '{T}', Data = {{list = {{1, 2}}}}}})",
            f"for i = 1, 3 do Send({{Target = '{T}', Data = tostring(i)}}) end",
            "Send(nil)",
        ],
    ),
    evals(
        "ao-spawn",
        [
            "local m = ao.spawn('MODULE', {Data = 'init'})",
            "local m = ao.spawn('MODULE', {Tags = {Name = 'kid'}})",
            "return Spawn('MODULE', {Data = 'x'}).output",
            "local r = Spawn('MODULE', {}); return type(r.onReply), type(r.receive), type(r.after)",
            "local m = Spawn({Data = 'default module'})",
            "Spawn()",
            "ao.spawn(5, {})",
            "ao.spawn('MODULE', 'no table')",
            "ao.spawn('MODULE')",
            "local m = ao.spawn('MODULE', {Data = {a = 1}})",
            "local s = ao.spawn('MODULE', {}); return s.Target",
        ],
    ),
    evals(
        "ao-assign",
        [
            f"ao.assign({{Processes = {{'{T}'}}, Message = 'MSGID'}})",
            f"Assign({{Processes = {{'{T}', '{OTHER}'}}, Message = 'M2'}})",
            f"return Assign({{Processes = {{'{T}'}}, Message = 'M3'}})",
            "ao.assign({Processes = 'not a list', Message = 'M'})",
            f"ao.assign({{Processes = {{'{T}'}}}})",
            "ao.assign()",
            "ao.assign({Processes = {1}, Message = 'M'})",
            "ao.addAssignable('only-mine', {From = 'X'}); return #ao.assignables",
            "ao.removeAssignable('only-mine'); return #ao.assignables",
            "ao.addAssignable(5)",
            "return ao.isAssignable({From = 'Y'})",
        ],
    ),
    evals(
        "ao-identity",
        [
            "return ao.id",
            "return ao._module",
            "return ao._version",
            "return Owner",
            "return ao.authorities",
            "return ao.env.Process.Id",
            "return ao.env.Process.Tags.Name",
            "return ao.env.Module.Id",
            "return ao.isTrusted({From = Owner, Owner = Owner})",
            "return ao.isTrusted({From = 'x', Owner = 'y'})",
            "return ao.clone({a = {1}}).a[1]",
            "return ao.normalize({Tags = {{name = 'Foo', value = 'bar'}}}).Foo",
            "return ao.sanitize({Tags = {}, Id = 'x', Owner = 'o'}).Id",
            "return #ao.outbox.Messages",
        ],
    ),
    Scenario("ao-reply-forward")
    .eval("Handlers.add('r', 'R', function(m) m.reply({Data = 'back', Extra = 'e'}) end)")
    .send({"Action": "R", "Reference": "7"}, "question")
    .send({"Action": "R", "Reply-To": OTHER, "X-Reference": "9"})
    .eval("Handlers.add('f', 'F', function(m) m.forward('" + T + "', {Note = 'fwd'}) end)")
    .send({"Action": "F"}, "forward me")
    .eval("Handlers.add('bad', 'Bad', function(m) m.reply('not a table') end)")
    .send({"Action": "Bad"})
    .eval("Handlers.add('nil', 'Nil', function(m) m.reply() end)")
    .send({"Action": "Nil"})
    .eval(
        "Handlers.add('rt', 'RT', function(m) m.reply({Target = '"
        + T
        + "', Data = 'redirect'}) end)"
    )
    .send({"Action": "RT"})
    .eval("Handlers.add('rtab', 'RTab', function(m) m.reply({Data = {ok = true}}) end)")
    .send({"Action": "RTab"}),
]
