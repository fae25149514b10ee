"""A typed chunk is signed and sent as its prompt accepts it (aos.repl.early): once, and
only when the loop is certain to evaluate it as a message."""

from __future__ import annotations

import threading

import pytest

from aos.errors import AosError
from aos.repl.early import EarlySend
from tests.support.repl import Driver


def test_each_typed_chunk_is_one_message(driver: Driver) -> None:
    out = driver.run(
        [
            (None, "N = (N or 0) + 1\r"),
            (None, "N = N + 1\r"),
            (None, "N = N + 1\r"),
            (None, "return N\r"),
            ("3", ".exit\r"),
        ]
    )
    assert out.strip() == "3"


def test_dot_commands_dry_runs_and_bad_text_are_never_sent_early(driver: Driver) -> None:
    out = driver.run(
        [
            (None, "M = 1\r.dryrun\r"),
            ("engaged", "M = M + 10; return M\r"),
            ("11", ".dryrun\r"),
            ("disengaged", ".help\r"),
            (".load", "return M\r"),
            (lambda o: o.rstrip().endswith("1"), ".exit\r"),
        ]
    )
    assert out.rstrip().endswith("1")
    repl = driver.repl
    assert repl is not None
    assert not repl.sends_early(".load x.lua") and not repl.sends_early("   \n")
    assert not repl.sends_early("return '\udcff'")  # not UTF-8: refused by the loop
    assert repl.sends_early("return 1")
    repl.dryrun = True
    assert not repl.sends_early("return 1")


def test_the_evaluation_takes_the_id_of_its_own_chunk_only() -> None:
    sent: list[str] = []
    release = threading.Event()

    def send(chunk: str) -> str:
        release.wait(5)
        sent.append(chunk)
        return f"id-of-{chunk}"

    early = EarlySend(send)
    early.start("a = 1")
    assert early.waiting
    release.set()
    assert early.take("a = 1") == "id-of-a = 1"  # waits for the send to end
    assert not early.waiting and early.take("a = 1") is None
    early.start("b = 2")
    assert early.take("something else") is None  # a cancelled chunk's send is forgotten
    assert not early.waiting
    assert sent[0] == "a = 1"


def test_a_failed_send_is_raised_where_the_evaluation_takes_it() -> None:
    def refuse(chunk: str) -> str:
        raise AosError("the node refused the message")

    def crash(chunk: str) -> str:
        raise KeyError("oops")

    early = EarlySend(refuse)
    early.start("x")
    with pytest.raises(AosError, match="refused"):
        early.take("x")
    early = EarlySend(crash)
    early.start("x")
    with pytest.raises(AosError, match="internal error: KeyError"):
        early.take("x")
