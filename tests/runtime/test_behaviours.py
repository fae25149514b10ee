"""The twenty process-level behaviours of docs/compat.md §4, in our own words."""

from __future__ import annotations

import pytest

from tests.support.process import ENV, ESC, Proc, data_of


@pytest.fixture
def proc() -> Proc:
    return Proc()


def test_1_eval_of_an_expression_returns_its_value(proc: Proc) -> None:
    assert proc.eval("1 + 1")["Output"]["data"] == "2"


def test_2_print_is_captured_into_output_data(proc: Proc) -> None:
    assert proc.eval('print("Hello World")')["Output"]["data"] == "Hello World"


def test_3_prints_are_joined_by_newlines_in_evals_and_in_handlers(proc: Proc) -> None:
    assert proc.eval('print("one") print("two")')["Output"]["data"] == "one\ntwo"
    proc.eval('Handlers.add("two-prints", "Twice", function() print("one") print("two") end)')
    assert data_of(proc.send({"Action": "Twice"})) == "one\ntwo"


def test_4_a_runtime_error_in_eval_is_the_error_of_the_result(proc: Proc) -> None:
    result = proc.eval("100 < undefined")
    assert "attempt to compare number with nil" in result["Error"]
    assert result["Messages"] == [] and result["Output"] == ""


def test_5_state_of_an_errored_message_is_kept_and_errors_are_recorded(proc: Proc) -> None:
    bad = proc.eval('Handers.add("pingpong", Handlers.utils.hasMatchingData("ping"), 1)')
    assert "Error" in bad
    assert "attempt to index a nil value (global 'Handers')" in proc.value("Errors")
    # A global assigned before the error survives it (no rollback).
    proc.eval("kept = 41; error('boom')")
    assert proc.value("kept + 1") == "42"


def test_6_assign_fills_the_assignments_of_the_result(proc: Proc) -> None:
    result = proc.eval('Assign({Processes = {"pid-1", "pid-2"}, Message = "mid-1"})')
    assert result["Assignments"] == [{"Processes": ["pid-1", "pid-2"], "Message": "mid-1"}]
    # aos prints it and also returns it, so the Eval shows it twice.
    assert result["Output"]["data"] == "Assignment added to outbox.\nAssignment added to outbox."


def test_7_once_with_a_table_pattern_runs_on_the_first_match_only(proc: Proc) -> None:
    proc.eval(
        'Handlers.once("onetime", {Action = "ping", Data = "ping"}, function() print("pong") end)'
    )
    assert data_of(proc.send({"Action": "ping"}, "ping")) == "pong"
    assert "New Message From" in data_of(proc.send({"Action": "ping"}, "ping"))


def test_8_once_with_has_matching_data_falls_to_default_the_second_time(proc: Proc) -> None:
    proc.eval(
        'Handlers.once("onetime", Handlers.utils.hasMatchingData("ping"), '
        'function() print("pong") end)'
    )
    assert data_of(proc.send({}, "ping")) == "pong"
    assert "New Message From" in data_of(proc.send({}, "ping"))


def test_9_continue_continue_skip_then_the_default_line(proc: Proc) -> None:
    proc.eval(
        """
        Handlers.add("one", function() return "continue" end, function() print("one") end)
        Handlers.add("two", function() return "continue" end, function() print("two") end)
        Handlers.add("three", function() return "skip" end, function() print("three") end)
        """
    )
    result = proc.send({}, "ping", From="FRED", Owner="FRED")
    assert data_of(result) == (
        f"one\ntwo\n{ESC}[90mNew Message From {ESC}[32mFRE...RED{ESC}[90m: "
        f"{ESC}[90mData = {ESC}[34mping{ESC}[0m"
    )


def test_10_os_time_is_the_message_timestamp_in_milliseconds(proc: Proc) -> None:
    proc.eval('Handlers.add("time", "Time", function() print(os.time()) end)')
    msg = proc.message({"Action": "Time"})
    result = proc.process.handle(msg, proc.env)
    assert data_of(result) == f"{ESC}[32m{msg['Timestamp']}{ESC}[0m"


def test_11_two_argument_add_matches_the_action_and_reply_sends(proc: Proc) -> None:
    proc.eval('Handlers.add("Balance", function(msg) msg.reply({Data = "1000"}) end)')
    result = proc.send({"Action": "Balance"})
    assert result["Messages"][0]["Data"] == "1000"
    assert result["Messages"][0]["Target"] == "FOOBAR"


def test_12_table_data_is_sent_as_json_and_decoded_on_arrival(proc: Proc) -> None:
    result = proc.eval('Send({Target = "AOS", Data = {foo = "bar"}})')
    message = result["Messages"][0]
    assert message["Data"] == '{"foo":"bar"}'
    tags = {t["name"]: t["value"] for t in message["Tags"]}
    assert tags["Content-Type"] == "application/json"
    proc.send([(t["name"], t["value"]) for t in message["Tags"]], message["Data"])
    assert proc.value("Inbox[2].Data.foo") == "bar"


def test_13_spawn_with_table_data_encodes_it(proc: Proc) -> None:
    result = proc.eval('Spawn("AWESOME_SAUCE", {Data = {foo = "bar"}})')
    spawn = result["Spawns"][0]
    assert spawn["Data"] == '{"foo":"bar"}'
    tags = {t["name"]: t["value"] for t in spawn["Tags"]}
    assert tags["Module"] == "AWESOME_SAUCE" and tags["Type"] == "Process"
    assert tags["From-Process"] == "AOS"


def test_14_tag_names_are_title_cased(proc: Proc) -> None:
    proc.eval(
        'Handlers.add("names", function(m) return m.Tags["X-Custom-Header"] ~= nil end, '
        "function(m) print(m.Tags.Type .. ' ' .. m.Tags['Data-Protocol'] .. ' ' .. m.Message "
        ".. ' ' .. m.Action .. ' ' .. m['X-Custom-Header']) end)"
    )
    result = proc.send(
        [
            ("type", "T"),
            ("data-PROTOCOL", "ao"),
            ("MESSAGE", "M"),
            ("action", "A"),
            ("x_custom-header", "X"),
        ]
    )
    assert data_of(result) == "T ao M A X"
    # Type and Data-Protocol are reserved: kept in msg.Tags, not lifted onto msg.
    assert proc.value("return tostring(Inbox[1].Tags.Type)") == "Process"


def test_15_table_pattern_values_ignore_case_but_must_match(proc: Proc) -> None:
    proc.eval('Handlers.add("t", {Action = "test-action"}, function() print("matched") end)')
    assert data_of(proc.send([("action", "TEST-ACTION")])) == "matched"
    assert "New Message From" in data_of(proc.send({"Action": "different-action"}))


def test_16_name_and_owner_come_from_the_process(proc: Proc) -> None:
    result = proc.eval('print("name: " .. Name .. ", owner: " .. Owner)')
    assert result["Output"]["data"] == "name: Thomas, owner: FOOBAR"


def test_17_untrusted_messages_are_refused_and_authorities_trusted() -> None:
    proc = Proc()
    result = proc.send({"Action": "Hi"}, Owner="BEEP", From="BAM")
    assert "Message is not trusted! From: BAM - Owner: BEEP" in data_of(result)
    assert proc.value("#Inbox") == "1"

    env = {
        "Process": {
            "Id": "AOS",
            "Owner": "FOOBAR",
            "Tags": [
                {"name": "Name", "value": "Thomas"},
                {"name": "Authority", "value": "FOO,BAR,FOOBAR,UNIQUE-ADDRESS"},
            ],
        },
        "Module": ENV["Module"],
    }
    trusting = Proc(env=env)
    assert trusting.value("#ao.authorities") == "4"
    accepted = trusting.send({"Action": "Hi"}, Owner="FOO", From="UNIQUE-ADDRESS")
    assert "New Message From" in data_of(accepted)


def test_18_math_random_is_seeded_from_the_first_message(proc: Proc) -> None:
    assert proc.value("math.random(10)") == "2"
    assert proc.value('require(".crypto").random()') == "532713800"


def test_19_assignables_gate_messages_for_other_processes(proc: Proc) -> None:
    assert (
        proc.value(
            "ao.addAssignable('foobar', function() return true end) "
            "ao.addAssignable('foobar', function() return true end) return #ao.assignables"
        )
        == "1"
    )
    assert proc.value("ao.removeAssignable('foobar') return #ao.assignables") == "0"
    assert (
        proc.value(
            "ao.addAssignable(function() return false end) ao.removeAssignable(1) "
            "return #ao.assignables"
        )
        == "0"
    )
    err = proc.eval("ao.addAssignable(1234, function() return true end)")["Error"]
    assert "MatchSpec name MUST be a string" in err

    result = proc.send({"Action": "Hi"}, Target="SOMEONE-ELSE", From="FOOBAR")
    assert result["Messages"][0]["Data"] == "Assignment is not trusted by this process!"
    assert result["Messages"][0]["Target"] == "FOOBAR"

    proc.eval("ao.addAssignable('his', {Action = 'Hi'})")
    accepted = proc.send({"Action": "Hi"}, Target="SOMEONE-ELSE")
    assert "New Message From" in data_of(accepted)


def test_20_crypto_vectors_and_stringify_format(proc: Proc) -> None:
    assert (
        proc.value(
            'local crypto = require(".crypto") '
            'return crypto.digest.md5(crypto.utils.stream.fromString("ao")).asHex()'
        )
        == "adac5e63f80f8629e9573527b25891d3"
    )
    assert (
        proc.value(
            'return require(".stringify").format({"hello"}) == "{ \\27[32m\\"hello\\"\\27[0m }"'
        )
        == "true"
    )
