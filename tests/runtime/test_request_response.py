"""aos 2 request/response: `.receive()` waits in a coroutine until the reply arrives."""

from __future__ import annotations

from typing import Any

from tests.support.process import ENV, Proc, data_of


def env_for(pid: str) -> dict[str, Any]:
    return {
        "Process": {"Id": pid, "Owner": "FOOBAR", "Tags": [{"name": "Name", "value": pid}]},
        "Module": ENV["Module"],
    }


def deliver(to: Proc, sender: str, message: dict[str, Any]) -> dict[str, Any]:
    """Feed an outbox message to its target, as the MU/SU would (From = the sender)."""
    tags = [(t["name"], t["value"]) for t in message["Tags"]]
    return to.send(tags, message["Data"], From=sender, Owner="FOOBAR", **{"Forwarded-By": "NODE"})


def trusting_env(pid: str) -> dict[str, Any]:
    env = env_for(pid)
    env["Process"]["Tags"].append({"name": "Authority", "value": "FOOBAR"})
    return env


def test_a_prints_the_data_of_b_reply_while_evaluating_the_reply() -> None:
    a = Proc(env=trusting_env("PROCESS-A"))
    b = Proc(env=trusting_env("PROCESS-B"))
    b.eval('Handlers.add("ping", "Ping", function(msg) msg.reply({Data = "pong from B"}) end)')

    asked = a.eval(
        'local r = Send({Target = "PROCESS-B", Action = "Ping"}).receive() print(r.Data)'
    )
    assert asked["Output"]["data"] == ""
    request = asked["Messages"][0]
    assert request["Target"] == "PROCESS-B"

    answered = deliver(b, "PROCESS-A", request)
    reply = answered["Messages"][0]
    assert reply["Target"] == "PROCESS-A" and reply["Data"] == "pong from B"

    resumed = deliver(a, "PROCESS-B", reply)
    assert data_of(resumed) == "pong from B"
    # The one-shot handler is gone and nothing waits any more; as in aos, the list keeps
    # one finished coroutine until a later message prunes it.
    assert a.value("#Handlers.coroutines") == "1"
    assert a.value("#Inbox") == "1"


def test_a_reply_without_the_reference_goes_to_the_inbox() -> None:
    a = Proc(env=trusting_env("PROCESS-A"))
    a.eval('Send({Target = "PROCESS-B", Action = "Ping"}).receive()')
    stray = a.send({"Action": "Pong"}, "late", From="PROCESS-B")
    assert "New Message From" in data_of(stray)
    assert a.value("#Handlers.coroutines") == "1"


def test_on_reply_runs_a_callback() -> None:
    a = Proc(env=trusting_env("PROCESS-A"))
    sent = a.eval(
        'Send({Target = "PROCESS-B", Action = "Ping"}).onReply(function(m) '
        'print("got " .. m.Data) end)'
    )
    ref = {t["name"]: t["value"] for t in sent["Messages"][0]["Tags"]}["Reference"]
    result = a.send({"X-Reference": ref}, "it", From="PROCESS-B")
    assert data_of(result) == "got it"


def test_receive_with_a_pattern() -> None:
    a = Proc(env=trusting_env("PROCESS-A"))
    a.eval('local m = Receive({Action = "Go"}) print("went " .. m.Data)')
    assert data_of(a.send({"Action": "Go"}, "now")) == "went now"


def test_an_error_after_the_reply_is_the_error_of_the_reply_message() -> None:
    a = Proc(env=trusting_env("PROCESS-A"))
    a.eval('local r = Receive({Action = "Go"}) error("failed with " .. r.Data)')
    result = a.send({"Action": "Go"}, "this")
    assert "failed with this" in result["Error"]
    assert a.value("#Handlers.coroutines") == "1"  # aos's count: see above
