"""What the shell reports beyond results, typed into the real shell on a real node: a
handler that failed on an incoming message, and a Send to a process that does not exist."""

from __future__ import annotations

from pathlib import Path

from aos.client import AoClient, HyperBeamClient
from tests.support.repl import Driver, spawn


def test_a_handler_that_fails_on_an_incoming_message_is_shown_with_action_and_sender(
    client: AoClient, state_dir: Path
) -> None:
    ours, other = spawn(client, state_dir), spawn(client, state_dir)
    _, added = client.eval(
        ours,
        'Handlers.add("Boom", function(m) print("about to fail"); error("kaboom " .. m.Data) end)',
    )
    assert added.error is None, added.error
    driver = Driver(client, ours, state_dir, live=True)

    def send(_: str) -> bool:
        _, sent = client.eval(other, f'Send({{Target = "{ours}", Action = "Boom", Data = "x1"}})')
        assert sent.error is None, sent.error
        return True

    out = driver.run([(None, "return 'ready'\r"), ("ready", ""), (send, ""),
                      ("kaboom", ".exit\r")])  # fmt: skip
    line = next(x for x in out.splitlines() if "kaboom" in x)
    short = f"{other[:5]}…{other[-5:]}"
    assert line.startswith("error: a handler failed on message ")
    if isinstance(client, HyperBeamClient):  # no HyperBEAM route reads a slot's message
        assert line.endswith(": kaboom x1")
    else:
        assert f"(Action = Boom, from {short}): kaboom x1" in line
    assert "about to fail" in out  # what the handler printed before it failed
    assert "stack traceback" not in out


def test_a_send_to_a_process_that_does_not_exist_is_reported(driver: Driver) -> None:
    ghost = "G" * 43
    out = driver.run(
        [(None, f'Send({{Target = "{ghost}", Action = "Hello"}})\r'), ("no process", ""),
         (None, 'Send({Target = "oops", Action = "Hello"})\r'), ("not a process id", ""),
         (None, 'Send({Target = ao.id, Action = "Self"}); return "fine"\r'),
         ("fine", ".exit\r")]
    )  # fmt: skip
    assert f"Send to {ghost}: no process with that id on this node" in out
    assert "Send to 'oops': that is not a process id" in out
    assert out.count("Send to") == 2  # the process itself is a process
