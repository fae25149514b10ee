"""Handlers: the list operations and the exact matching rules of docs/compat.md §3.6."""

from __future__ import annotations

import pytest

from tests.support.process import Proc, data_of


@pytest.fixture
def proc() -> Proc:
    return Proc()


def names(proc: Proc) -> str:
    return proc.value(
        "local n = {} for _, h in ipairs(Handlers.list) do n[#n + 1] = h.name end "
        "return table.concat(n, ',')"
    )


def test_add_updates_in_place_and_returns_the_length(proc: Proc) -> None:
    assert proc.value('return Handlers.add("a", "A", function() end)') == "3"
    proc.eval('Handlers.add("b", "B", function() end)')
    assert proc.value('return Handlers.add("a", "A2", function() end)') == "4"
    assert names(proc) == "_eval,_default,a,b"
    assert proc.value("return Handlers.list[3].pattern") == "A2"


def test_prepend_before_after_remove(proc: Proc) -> None:
    proc.eval('Handlers.add("a", "A", function() end)')
    proc.eval('Handlers.prepend("first", "F", function() end)')
    proc.eval('Handlers.before("a").add("pre-a", "P", function() end)')
    proc.eval('Handlers.after("a").add("post-a", "Q", function() end)')
    proc.eval('Handlers.after("missing").add("never", "N", function() end)')
    assert names(proc) == "first,_eval,_default,pre-a,a,post-a"
    proc.eval('Handlers.remove("pre-a")')
    assert names(proc) == "first,_eval,_default,a,post-a"


def test_argument_errors_read_as_in_aos(proc: Proc) -> None:
    # aos's assert text, with its position; a handle that is not a function is accepted
    # (it fails when a message comes), as in aos.
    bad = '[string ".handlers"]:113: Invalid arguments given. Expected: \n\tname : string'
    assert bad in proc.eval("Handlers.add(1, 'x', print)")["Error"]
    assert bad in proc.eval("Handlers.add('x', 5, print)")["Error"]
    assert "Error" not in proc.eval("Handlers.add('x', 'X', 5)")


def test_string_pattern_is_a_case_sensitive_action(proc: Proc) -> None:
    proc.eval('Handlers.add("p", "Ping", function() print("pong") end)')
    assert data_of(proc.send({"Action": "Ping"})) == "pong"
    assert "New Message From" in data_of(proc.send({"Action": "ping"}))


def test_table_pattern_rules(proc: Proc) -> None:
    proc.eval(
        """
        Handlers.add("wild", {Action = "W", Quantity = "_"}, function() print("wild") end)
        Handlers.add("magic", {Action = "M", Recipient = "^abc%d+$"}, function() print("magic") end)
        Handlers.add("or", {Action = {"Or1", "Or2"}}, function() print("or") end)
        Handlers.add("fn", {Action = "F", Quantity = function(v) return tonumber(v) > 5 end},
          function() print("fn") end)
        """
    )
    assert data_of(proc.send({"Action": "W", "Quantity": "1"})) == "wild"
    assert "New Message" in data_of(proc.send({"Action": "W"}))  # the key must exist
    assert data_of(proc.send({"Action": "M", "Recipient": "ABC123"})) == "magic"
    assert "New Message" in data_of(proc.send({"Action": "M", "Recipient": "abc12x"}))
    assert data_of(proc.send({"Action": "or2"})) == "or"
    assert data_of(proc.send({"Action": "F", "Quantity": "6"})) == "fn"
    assert "New Message" in data_of(proc.send({"Action": "F", "Quantity": "5"}))


def test_pattern_results_numbers_and_strings(proc: Proc) -> None:
    proc.eval(
        """
        Handlers.add("c", function() return 1 end, function() print("c") end)
        Handlers.add("s", function() return 0 end, function() print("s") end)
        Handlers.add("b", function() return -1 end, function() print("b") end)
        Handlers.add("after", function() return true end, function() print("after") end)
        """
    )
    assert data_of(proc.send({"Action": "Any"})) == "c\nb"


def test_invalid_pattern_result_is_an_error(proc: Proc) -> None:
    proc.eval('Handlers.add("bad", function() return nil end, function() end)')
    result = proc.send({"Action": "Any"})
    assert "Pattern result is not valid" in result["Error"]


def test_max_runs_removes_the_handler(proc: Proc) -> None:
    proc.eval('Handlers.add("twice", "T", function() print("t") end, 2)')
    assert data_of(proc.send({"Action": "T"})) == "t"
    assert data_of(proc.send({"Action": "T"})) == "t"
    assert "New Message" in data_of(proc.send({"Action": "T"}))
    assert "twice" not in names(proc)


def test_resolver_table_runs_the_first_matching_spec(proc: Proc) -> None:
    proc.eval(
        'Handlers.add("r", "R", {[{Kind = "a"}] = function() print("A") end, '
        '[{Kind = "b"}] = function() print("B") end})'
    )
    assert data_of(proc.send({"Action": "R", "Kind": "b"})) == "B"


def test_handlers_utils(proc: Proc) -> None:
    proc.eval(
        """
        Handlers.add("tag", Handlers.utils.hasMatchingTag("Kind", "x"), function() print("tag") end)
        Handlers.add("tagof", Handlers.utils.hasMatchingTagOf("Kind", {"y", "z"}),
          function() print("tagof") end)
        Handlers.add("rep", "Ask", Handlers.utils.reply("answer"))
        Handlers.prepend("cont", Handlers.utils.continue({Kind = "z"}),
          function() print("cont") end)
        """
    )
    assert data_of(proc.send({"Kind": "x"})) == "tag"
    assert data_of(proc.send({"Kind": "z"})) == "cont\ntagof"
    result = proc.send({"Action": "Ask"})
    assert result["Messages"][0]["Data"] == "answer"


def test_a_handler_error_names_the_action_and_keeps_running(proc: Proc) -> None:
    proc.eval('Handlers.add("boom", "Boom", function() error("kaput") end)')
    err = proc.send({"Action": "Boom"})["Error"]
    assert "handling message with Action = Boom" in err and "kaput" in err
    assert proc.value("1 + 1") == "2"


def test_reply_and_forward_set_the_reference_tags(proc: Proc) -> None:
    proc.eval(
        """
        Handlers.add("r", "Req", function(msg) msg.reply({Data = "ok"}) end)
        Handlers.add("f", "Fwd", function(msg) msg.forward("THIRD", {Extra = "1"}) end)
        """
    )
    result = proc.send({"Action": "Req", "Reference": "9", "Reply-To": "Y"})
    tags = {t["name"]: t["value"] for t in result["Messages"][0]["Tags"]}
    assert result["Messages"][0]["Target"] == "Y" and tags["X-Reference"] == "9"
    result = proc.send({"Action": "Fwd", "Reference": "4"})
    message = result["Messages"][0]
    tags = {t["name"]: t["value"] for t in message["Tags"]}
    assert message["Target"] == "THIRD"
    assert tags["Reply-To"] == "FOOBAR" and tags["X-Origin"] == "FOOBAR"
    assert tags["X-Reference"] == "4" and tags["Extra"] == "1"


def test_send_numbers_its_messages(proc: Proc) -> None:
    first = proc.eval('Send({Target = "X", Action = "A"})')["Messages"][0]
    second = proc.eval('Send({Target = "X", Action = "B"})')["Messages"][0]
    assert first["Anchor"] == "1".zfill(32) and second["Anchor"] == "2".zfill(32)
    tags = {t["name"]: t["value"] for t in second["Tags"]}
    assert tags["Reference"] == "2" and tags["Action"] == "B" and tags["Type"] == "Message"


def test_inbox_keeps_at_most_ten_thousand_messages(proc: Proc) -> None:
    proc.eval("for i = 1, 10005 do Inbox[#Inbox + 1] = {Data = i} end")
    proc.send({}, "last")
    assert proc.value("return #Inbox .. ' ' .. Inbox[#Inbox].Data .. ' ' .. Inbox[1].Data") == (
        "10000 last 7"
    )


def test_prompt_shows_the_inbox_count(proc: Proc) -> None:
    proc.send({"Action": "Hello"})
    prompt = proc.eval("1")["Output"]["prompt"]
    assert (
        prompt
        == "\x1b[32mThomas\x1b[90m@\x1b[34maos-2.0.4\x1b[90m[Inbox:\x1b[31m2\x1b[90m]\x1b[0m> "
    )
    assert proc.eval("Version()")["Output"]["data"] == "version: 2.0.4"


def test_boot_runs_the_process_data_with_on_boot() -> None:
    proc = Proc(process_tags={"On-Boot": "Data"}, process_data='Booted = 1 print("booted kid")')
    assert proc.spawn_result["Output"]["data"] == "booted kid"
    assert proc.spawn_result["Output"]["print"] is True
    assert proc.value("Booted") == "1"


def test_eval_output_rules(proc: Proc) -> None:
    assert proc.eval("x = 1")["Output"]["data"] == ""
    assert proc.eval("false")["Output"]["data"] == ""
    assert proc.eval("nil")["Output"]["data"] == ""
    assert proc.eval('string.find("abc", "b")')["Error"] == "2"
    assert proc.eval("{1, 2}")["Output"]["data"] == "{ \x1b[34m1\x1b[0m, \x1b[34m2\x1b[0m }"
    # aos's print shows its first argument only.
    assert proc.eval("print(true, nil)")["Output"]["data"] == "\x1b[34mtrue\x1b[0m"
    assert proc.eval("print(nil)")["Output"]["data"] == "\x1b[31mnil\x1b[0m"


def test_eval_from_someone_else_goes_to_the_inbox(proc: Proc) -> None:
    # Signed by its own sender (From == Owner), so trusted, but not the process Owner.
    result = proc.send({"Action": "Eval"}, "Hacked = true", From="OTHER", Owner="OTHER")
    assert "New Message From \x1b[32mOTH...HER" in data_of(result)
    assert proc.value("tostring(Hacked)") == "nil"
    assert proc.value("#Inbox") == "2"
