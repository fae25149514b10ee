"""Odd inputs: untrusted senders, assignments, JSON bodies, odd tag names and data."""

from __future__ import annotations

from tests.differential.harness import AUTHORITY, PROCESS_ID, Scenario

STRANGER = "STRANGER" + "z" * 35
OTHER = "SENDER" + "q" * 37


def _trust() -> Scenario:
    s = Scenario("odd-trust")
    s.send({"Action": "Hi"}, "from a stranger", owner=STRANGER, frm=OTHER)
    s.send({"Action": "Eval"}, "return 1", owner=STRANGER)
    s.eval("return #Inbox")
    s.from_process(OTHER, {"Action": "Pushed"}, "via authority")
    s.send({"Action": "Hi"}, "", owner=AUTHORITY, frm=OTHER)
    s.send({"Action": "Eval"}, "return 'owner eval'")
    s.send({"Action": "Eval"}, "return 'stranger eval'", owner=STRANGER, frm=STRANGER)
    s.eval("return #Inbox")
    return s


def _assign() -> Scenario:
    s = Scenario("odd-assignment")
    s.send({"Action": "Assigned"}, "for someone else", target="ELSEWHERE" + "e" * 34)
    s.eval("ao.addAssignable('mine', {Action = 'Assigned'})")
    s.send({"Action": "Assigned"}, "now allowed", target="ELSEWHERE" + "e" * 34)
    s.send({"Action": "Other"}, "not allowed", target="ELSEWHERE" + "e" * 34)
    s.eval("return #Inbox")
    s.send({"Action": "Plain"}, "to us", target=PROCESS_ID)
    return s


def _json_body() -> Scenario:
    s = Scenario("odd-json-body")
    s.eval("Handlers.add('j', 'J', function(m) print(type(m.Data)) print(m.Data.k or 'none') end)")
    s.send({"Action": "J", "Content-Type": "application/json"}, '{"k": "v"}')
    s.send({"Action": "J", "Content-Type": "application/json"}, "not json at all")
    s.send({"Action": "J", "Content-Type": "application/json"}, "")
    s.send({"Action": "J", "Content-Type": "text/plain"}, '{"k": "v"}')
    s.send({"Action": "J", "Content-Type": "application/json"}, "[1, 2]")
    s.eval("return #Inbox")
    return s


def _odd_tags() -> Scenario:
    s = Scenario("odd-tags")
    s.eval(
        "Handlers.add('t', 'T', function(m) print(m['X-Custom'] or 'nil') "
        "print(m.Tags['x-lower'] or 'nil') end)"
    )
    s.send({"Action": "T", "x-custom": "lower case name"})
    s.send([("Action", "T"), ("X-Custom", "first"), ("X-Custom", "second")])
    s.send({"action": "T"})
    s.send({"Action": "T", "Data": "tag named data"}, "real data")
    s.send({"Action": "T", "Owner": "fake owner"})
    s.eval("return Inbox[#Inbox].Owner")
    s.send({"Action": "T"}, "é ☃ \u0000 nul")
    s.eval("return #Inbox[#Inbox].Data")
    s.send({"Action": "T", "Empty": ""})
    s.eval("return Inbox[#Inbox].Empty")
    return s


def _msg_fields() -> Scenario:
    s = Scenario("odd-msg-fields")
    s.eval(
        "Handlers.add('f', 'F', function(m) print(m.Timestamp) "
        "print(m['Block-Height']) print(m.Id) end)"
    )
    s.send({"Action": "F"}, timestamp=1_800_000_000_123, height=7)
    s.send({"Action": "F"}, id="CUSTOMID" + "c" * 35)
    s.eval("return os.time()")
    s.eval("return type(os.time())")
    s.eval("return Inbox[1].Module")
    s.eval("return math.type(Inbox[1].Timestamp)")
    s.eval("return Inbox[#Inbox].Nonce")
    s.eval("return Inbox[#Inbox].Epoch")
    return s


def _spoofed_tags() -> Scenario:
    # Issue 12, point 7: a sender's tags that differ from the node's only in letter case.
    # aos 2.0.6 itself lets `from-process` shadow Tags['From-Process'] (the first of the
    # normalised names wins) and `forwarded-by` set msg['Forwarded-By'], and so does ours,
    # message for message: the defence is the node's, which drops senders' copies of the
    # tags it decides, in any letter case, before it pushes or schedules an item.
    s = Scenario("odd-spoofed-tags")
    show = (
        "local m = Inbox[#Inbox]; return table.concat({tostring(m.From), "
        "tostring(m.Tags['From-Process']), tostring(m['Forwarded-By']), "
        "tostring(m.Tags['Forwarded-By']), tostring(m.Tags['from-process']), "
        "tostring(m['from-process']), tostring(m['forwarded-by'])}, ' | ')"
    )
    fake = "FAKEPROC" + "f" * 35
    s.from_process(OTHER, [("from-process", fake), ("forwarded-by", fake), ("Action", "N")])
    s.eval(show)
    s.from_process(OTHER, [("Action", "N"), ("FROM-PROCESS", fake), ("Forwarded-by", fake)])
    s.eval(show)
    s.send([("from-process", fake), ("forwarded-by", fake), ("Action", "N")], owner=STRANGER)
    s.eval(show)
    s.eval("return #Inbox")
    return s


def _unencodable_results() -> Scenario:
    # Tables aos's json refuses, put into the outbox by hand (ao.send encodes Data and
    # tags itself first). aos fails the whole handle call; ours is the message's Error.
    s = Scenario("odd-unencodable-results")
    for table in ("{1, nil, 3, 4, x = 1}", "{1, 2, x = 1}", "{1, nil, 3}", "{[true] = 1}"):
        code = f"table.insert(ao.outbox.Messages, {{Target = 'X', Weird = {table}}})"
        s.eval(code, explain="result-refused")
    for fine in ("{1, 2, 3}", "{a = 1, f = print}", "{}"):  # json takes these (f left out)
        s.eval(f"table.insert(ao.outbox.Messages, {{Target = 'X', Fine = {fine}}})")
    return s


SCENARIOS: list[Scenario] = [
    _trust(),
    _assign(),
    _json_body(),
    _odd_tags(),
    _msg_fields(),
    _spoofed_tags(),
    _unencodable_results(),
]
