"""`.replay NONCE [EXPR]` typed into the real shell against a real embedded node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aos.client import AoClient
from aos.errors import AosError
from aos.repl.replay import SUMMARY, parse
from tests.support.repl import Driver, spawn


def nonce_of(client: AoClient, process: str, message: str) -> int:
    """The nonce the node's scheduler gave `message` (read from its store)."""
    http: Any = client.http  # the embedded node's TestClient
    entry = http.app.state.node.store.entry_by_id(process, message)
    assert entry is not None
    return int(entry.nonce)


def test_replay_shows_an_earlier_state_and_writes_nothing(
    client: AoClient, state_dir: Path
) -> None:
    pid = spawn(client, state_dir)
    first = Driver(client, pid, state_dir, live=False)
    first.run([(None, "x = 1\r"), (None, "return 'sent'\r"), ("sent", ".exit\r")])
    assert first.repl is not None and first.repl.last_message is not None
    # `return 'sent'` came right after `x = 1`
    nonce = nonce_of(client, pid, first.repl.last_message) - 1

    second = Driver(client, pid, state_dir, live=False)
    out = second.run(
        [
            (None, "x = 2\r"),
            (None, f".replay {nonce} return x\r"),
            ("nothing was written", "return x * 10\r"),
            ("20", f".replay {nonce}\r"),
            (lambda o: o.count("nothing was written") == 2, ".replay abc\r"),
            ("got 'abc'", ".replay 9999 return x\r"),
            ("9999", f".replay {nonce} error('old ' .. x)\r"),
            (lambda o: "old 1" in o and o.count("nothing was written") == 3, "return x\r"),
            (lambda o: o.rstrip().endswith("2"), ".exit\r"),
        ]
    )
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    at = lines.index(f"(state after message {nonce}; nothing was written)")
    assert lines[at - 1] == "1"  # x as it was after `x = 1`
    assert "20" in lines  # the live process still had x = 2 after the replay
    summary = next(line for line in lines if line.startswith("Inbox:"))
    assert "_eval" in summary and "Handlers" in summary
    bad = [line for line in lines if line.startswith("error: ")]
    assert len(bad) == 2, lines  # one line each, and the loop went on
    assert "whole number" in bad[0]
    assert "9999" in bad[1] and "last nonce is" in bad[1]  # the node names the log head
    # a Lua error at the old state renders like any Eval's (message, then the source line)
    at = lines.index("old 1")
    assert lines[at + 2] == "1 |    error('old ' .. x)"
    assert lines[-1] == "2"  # and the replay changed nothing


def test_parse_takes_a_nonce_and_optional_code() -> None:
    assert parse("3 return x") == (3, "return x")
    assert parse("  0  ") == (0, SUMMARY)
    for bad, words in [("", "needs a nonce"), ("-1 x", "whole number"), ("x1", "whole number")]:
        with pytest.raises(AosError, match=words):
            parse(bad)
