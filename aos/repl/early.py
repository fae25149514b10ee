"""Sending an accepted chunk at once, while the prompt draws its last frame.

Enter ends the prompt, but prompt_toolkit then draws the accepted input once more and
takes its application down (~4.5 ms here), and only after that does the loop evaluate.
Signing the message with an RSA wallet takes ~6.6 ms and releases the GIL. So the loop
starts signing and sending on a thread the moment the chunk is accepted, and the
evaluation that would have sent it `take`s the message id instead. The two overlap.

Only a chunk the loop is certain to evaluate as Lua is sent early (Repl.sends_early): a
message once sent is in the process's log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from aos.errors import AosError


class EarlySend:
    """At most one chunk being sent ahead of its evaluation."""

    def __init__(self, send: Callable[[str], str]) -> None:
        self._send = send
        self._chunk: str | None = None
        self._done = threading.Event()
        self._outcome: str | AosError | None = None

    def start(self, chunk: str) -> None:
        """Sign and send `chunk` on a daemon thread (an abandoned send never holds up the
        exit)."""
        done = threading.Event()
        self._chunk, self._done, self._outcome = chunk, done, None

        def run() -> None:
            try:
                self._outcome = self._send(chunk)
            except AosError as err:  # raised where the evaluation takes it
                self._outcome = err
            except Exception as err:  # a bug of ours, reported as the evaluation's error
                self._outcome = AosError(f"internal error: {type(err).__name__}: {err}")
            finally:
                done.set()

        threading.Thread(target=run, name="aos-early-send", daemon=True).start()

    @property
    def waiting(self) -> bool:
        """A chunk was sent (or is being sent) that no evaluation has taken yet."""
        return self._chunk is not None

    def take(self, chunk: str) -> str | None:
        """The id of `chunk`'s message if it was sent early (waiting for the send to end),
        else None; the send's error is raised here. What was sent for another chunk is
        forgotten (its evaluation was cancelled; the user was told it had been sent)."""
        sent, self._chunk = self._chunk, None
        if sent is None or sent != chunk:
            return None
        self._done.wait()
        outcome = self._outcome
        if isinstance(outcome, AosError):
            raise outcome
        if outcome is None:  # the thread ended without an outcome (it was torn down)
            raise AosError("the message could not be sent; try again")
        return outcome

    def forget(self) -> None:
        self._chunk = None
