"""A typed chunk is signed and sent as its prompt accepts it (aos.repl.early): once, and
only when the loop is certain to evaluate it as a message."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from aos.errors import AosError
from aos.repl.early import EarlySend, Sent
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


def test_a_ctrl_c_while_the_send_ends_never_sends_the_chunk_again(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sends: list[str] = []
    inner = driver.client.send_eval

    def counting(process: str, code: str) -> str:
        sends.append(code)
        return inner(process, code)

    monkeypatch.setattr(driver.client, "send_eval", counting)
    message = Sent.message
    fired: list[bool] = []

    def late(self: Sent) -> str:
        if not fired:  # the user's Ctrl-C lands while the worker waits for the send
            fired.append(True)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.3)
        return message(self)

    monkeypatch.setattr(Sent, "message", late)
    out = driver.run(
        [
            (None, "N = (N or 0) + 1\r"),
            ("cancelled", "return N\r"),
            (lambda o: o.rstrip().endswith("1"), ".exit\r"),
        ]
    )
    assert sends.count("N = (N or 0) + 1") == 1, (sends, out)
    assert out.rstrip().endswith("1")


def test_the_evaluation_claims_the_send_of_its_own_chunk_only() -> None:
    release = {"a = 1": threading.Event(), "b = 2": threading.Event()}

    def send(chunk: str) -> str:
        release[chunk].wait(5)
        return f"id-of-{chunk}"

    early = EarlySend(send)
    early.start("a = 1")
    assert early.waiting
    claimed = early.claim("a = 1")
    assert claimed is not None and not early.waiting
    release["a = 1"].set()
    assert claimed.message() == "id-of-a = 1"  # waits for the send to end
    assert early.claim("a = 1") is None


def test_a_late_send_of_a_cancelled_chunk_never_answers_for_the_next() -> None:
    release = threading.Event()

    def send(chunk: str) -> str:
        if chunk == "a":
            release.wait(5)  # a slow send, abandoned by a Ctrl-C
            raise AosError("the node refused a")
        return f"id-of-{chunk}"

    early = EarlySend(send)
    early.start("a")
    early.forget()  # cancelled: the user was told it had been sent
    early.start("b")
    claimed = early.claim("b")
    release.set()  # a's send ends now, late
    assert claimed is not None and claimed.message() == "id-of-b"
    early.start("c")
    assert early.claim("something else") is None and not early.waiting


def test_a_failed_send_is_raised_where_the_evaluation_waits_for_it() -> None:
    def refuse(chunk: str) -> str:
        raise AosError("the node refused the message")

    def crash(chunk: str) -> str:
        raise KeyError("oops")

    for send, error in ((refuse, "refused"), (crash, "internal error: KeyError")):
        early = EarlySend(send)
        early.start("x")
        claimed = early.claim("x")
        assert claimed is not None
        with pytest.raises(AosError, match=error):
            claimed.message()
