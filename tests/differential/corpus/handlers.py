"""Handlers: add/append/prepend/once/remove, patterns and resolvers, maxRuns, continue and
break, errors raised in handlers, and the default handler's Inbox notice."""

from __future__ import annotations

from tests.differential.harness import Scenario

OTHER = "SENDER" + "q" * 37


def _basics() -> Scenario:
    s = Scenario("handlers-basics")
    s.eval("Handlers.add('ping', 'Ping', function(m) m.reply({Data = 'pong'}) end)")
    s.send({"Action": "Ping"})
    s.send({"Action": "ping"})
    s.eval("return #Handlers.list")
    s.eval("return Utils.map(function(h) return h.name end, Handlers.list)")
    s.eval("Handlers.append('last', 'Last', function(m) print('last ' .. m.Data) end)")
    s.send({"Action": "Last"}, "data!")
    s.eval("Handlers.prepend('first', 'Last', function(m) print('first') return 'continue' end)")
    s.send({"Action": "Last"}, "again")
    s.eval("Handlers.remove('first'); return #Handlers.list")
    s.send({"Action": "Last"}, "third")
    s.eval("return Handlers.utils.hasMatchingTag('Action', 'X')({Tags = {Action = 'X'}})")
    s.send({"Action": "Unknown", "Extra": "tag"}, "body")
    return s


def _patterns() -> Scenario:
    s = Scenario("handlers-patterns")
    s.eval(
        "Handlers.add('tbl', {Action = 'Go', Kind = 'a'}, function(m) print('tbl ' .. m.Kind) end)"
    )
    s.eval(
        "Handlers.add('fn', function(m) return m.Data == 'magic' end, function() print('fn') end)"
    )
    s.eval("Handlers.add('pat', {Action = 'Pat%-.*'}, function(m) print('pat ' .. m.Action) end)")
    s.eval("Handlers.add('any', {Action = '_', Flag = 'yes'}, function(m) print('any') end)")
    s.eval(
        "Handlers.add('neg', function(m) return m.Action == 'Neg' and -1 or 0 end,"
        " function() print('never') end)"
    )
    s.send({"Action": "Go", "Kind": "a"})
    s.send({"Action": "Go", "Kind": "b"})
    s.send({"Action": "Other"}, "magic")
    s.send({"Action": "Pat-tern"})
    s.send({"Action": "Whatever", "Flag": "yes"})
    s.send({"Action": "Neg"})
    s.eval("Handlers.add('dataf', {Data = 'abc'}, function() print('data match') end)")
    s.send({"Action": "Q"}, "abc")
    s.eval("Handlers.add('str', 'Plain', function() print('str match') end)")
    s.send({"Action": "Plain"})
    return s


def _once_maxruns() -> Scenario:
    s = Scenario("handlers-once-maxruns")
    s.eval("Handlers.once('Hit', function() print('once!') end)")
    s.eval("return Handlers.list[#Handlers.list - 1].name")
    s.send({"Action": "Hit"})
    s.send({"Action": "Hit"})
    s.eval("Handlers.once(function(m) return m.Action == 'Hop' end, function() print('hop') end)")
    s.eval("local n = {} for _, h in ipairs(Handlers.list) do n[#n+1] = h.name end return n")
    s.eval("Handlers.add('twice', 'Two', function() print('two') end, 2)")
    s.send({"Action": "Two"})
    s.send({"Action": "Two"})
    s.send({"Action": "Two"})
    s.eval("Handlers.add('zero', 'Zero', function() print('zero') end, 0)")
    s.send({"Action": "Zero"})
    s.send({"Action": "Zero"})
    s.eval("Handlers.add('inf', 'Inf', function() print('inf') end, 'inf')")
    s.send({"Action": "Inf"})
    s.eval("Handlers.once('named', 'Named', function() print('named once') end)")
    s.send({"Action": "Named"})
    s.send({"Action": "Named"})
    return s


def _continue_break() -> Scenario:
    s = Scenario("handlers-continue")
    s.eval(
        "Handlers.add('a', function(m) return m.Action == 'C' and 'continue' end,"
        " function() print('a') end)"
    )
    s.eval(
        "Handlers.add('b', function(m) return m.Action == 'C' and 'break' end,"
        " function() print('b') end)"
    )
    s.eval("Handlers.add('c', 'C', function() print('c') end)")
    s.send({"Action": "C"})
    s.eval(
        "Handlers.add('d', function(m) return m.Action == 'D' and 1 end, "
        "function() print('d1') end)"
    )
    s.eval("Handlers.add('e', 'D', function() print('d2') end)")
    s.send({"Action": "D"})
    s.eval("Handlers.add('g', 'G', Handlers.utils.continue(function() return true end))")
    s.eval("Handlers.add('gg', 'G', function() print('after continue') end)")
    s.send({"Action": "G"})
    s.eval("Handlers.add('skip', function() return 'skip' end, function() print('skipped') end)")
    s.send({"Action": "Nothing"})
    return s


def _resolvers() -> Scenario:
    s = Scenario("handlers-resolvers")
    s.eval(
        "Handlers.add('res', 'R', {"
        " [function(m) return m.Data == 'one' end] = function() print('resolved one') end,"
        " [function(m) return m.Data == 'two' end] = function() print('resolved two') end })"
    )
    s.send({"Action": "R"}, "one")
    s.send({"Action": "R"}, "two")
    s.send({"Action": "R"}, "three")
    s.eval(
        "local r = Handlers.generateResolver(function(m) print('fn resolver ' .. m.Data) end)"
        " r({Data = 'x'})"
    )
    s.eval(
        "local r = Handlers.generateResolver({[{Data = 'y'}] = function() print('spec') end})"
        " r({Data = 'y', Tags = {}})"
    )
    s.eval("return type(Handlers.generateResolver(nil))")
    return s


def _errors() -> Scenario:
    s = Scenario("handlers-errors")
    s.eval("Handlers.add('boom', 'Boom', function(m) local y = nil; return y.z end)")
    s.send({"Action": "Boom"})
    s.eval("Handlers.add('err', 'Err', function(m) error('custom failure') end)")
    s.send({"Action": "Err"})
    s.eval("Handlers.add('errt', 'ErrT', function(m) error({code = 1}) end)")
    s.send({"Action": "ErrT"})
    s.eval("Handlers.add('errfmt', 'Fmt', function(m) return string.format('%d', 3.5) end)")
    s.send({"Action": "Fmt"}, explain="sandbox-tail-call")
    s.eval("Handlers.add('errfmt2', 'Fmt2', function(m) local s = string.format('%d', 3.5) end)")
    s.send({"Action": "Fmt2"})
    s.eval("Handlers.add('printerr', 'PE', function(m) print('before'); error('after print') end)")
    s.send({"Action": "PE"})
    s.eval("Handlers.add('badmatch', function(m) return m.nope.x end, function() end)")
    s.send({"Action": "Anything"})
    s.eval("Handlers.remove('badmatch')")
    s.eval("Handlers.add('badret', function() return {} end, function() end)")
    s.send({"Action": "Anything"})
    s.eval("Handlers.remove('badret')")
    s.send({"Tags-Less": "1"})
    s.eval("return #Errors")
    s.eval("x = nil + 1")
    s.eval("return #Errors")
    s.eval("error('eval raised')")
    s.eval("error()")
    return s


def _add_errors() -> Scenario:
    s = Scenario("handlers-add-errors")
    s.eval("Handlers.add()")
    s.eval("Handlers.add('x')")
    s.eval("Handlers.add('x', 'Y')")
    s.eval("Handlers.add(1, 2, 3)")
    s.eval("Handlers.add('x', 'Y', 'not a function')")
    s.eval("Handlers.once()")
    s.eval("Handlers.remove('does-not-exist'); return #Handlers.list")
    s.eval("Handlers.add('dup', 'D', function() print('first') end)")
    s.eval("Handlers.add('dup', 'D', function() print('second') end); return #Handlers.list")
    s.send({"Action": "D"})
    s.eval("Handlers.prepend('p', 'P')")
    s.eval("Handlers.append('p', 'P')")
    return s


def _long_action() -> Scenario:
    s = Scenario("handlers-default")
    s.send({"Action": "A" * 40})
    s.send({"Action": "Short"}, "x" * 100)
    s.send({"Action": "Multi", "Quantity": "5", "Recipient": OTHER})
    s.send({}, "no action")
    s.send({"Action": "Éclair"})
    s.eval("return #Inbox")
    s.eval("return Inbox[#Inbox].Data")
    s.eval("return Inbox[2].Action")
    s.from_process(OTHER, {"Action": "FromProc"}, "hello")
    s.eval("return Inbox[#Inbox].From")
    return s


SCENARIOS: list[Scenario] = [
    _basics(),
    _patterns(),
    _once_maxruns(),
    _continue_break(),
    _resolvers(),
    _errors(),
    _add_errors(),
    _long_action(),
]
