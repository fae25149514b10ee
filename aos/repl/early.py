"""Sending an accepted chunk at once, while the prompt draws its last frame.

Enter ends the prompt, but prompt_toolkit then draws the accepted input once more and
takes its application down (~4.5 ms here), and only after that does the loop evaluate.
Signing the message with an RSA wallet takes ~6.6 ms and releases the GIL. So the loop
starts signing and sending on a thread the moment the chunk is accepted, and the
evaluation that would have sent it claims the send instead. The two overlap.

Only a chunk the loop is certain to evaluate as Lua is sent early (Repl.sends_early): a
message once sent is in the process's log. Each send is an object of its own, claimed on
the loop's thread before the evaluation's worker starts, so a cancelled evaluation can
neither send its chunk a second time nor hand its id (or error) to the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from aos.errors import AosError


class Sent:
    """One chunk being sent: `message()` waits for its id, or raises its send's error."""

    def __init__(self, chunk: str) -> None:
        self.chunk = chunk
        self._done = threading.Event()
        self._outcome: str | AosError = AosError("the message could not be sent; try again")

    def finish(self, outcome: str | AosError) -> None:
        self._outcome = outcome
        self._done.set()

    def message(self) -> str:
        self._done.wait()
        if isinstance(self._outcome, AosError):
            raise self._outcome
        return self._outcome


class EarlySend:
    """At most one chunk sent ahead of its evaluation and not claimed yet."""

    def __init__(self, send: Callable[[str], str]) -> None:
        self._send = send
        self._waiting: Sent | None = None
        self._lock = threading.Lock()

    def start(self, chunk: str) -> None:
        """Sign and send `chunk` on a daemon thread (an abandoned send never holds up the
        exit)."""
        sent = Sent(chunk)

        def run() -> None:
            outcome: str | AosError
            try:
                outcome = self._send(chunk)
            except AosError as err:  # raised where the evaluation claims it
                outcome = err
            except Exception as err:  # a bug of ours, reported as the evaluation's error
                outcome = AosError(f"internal error: {type(err).__name__}: {err}")
            sent.finish(outcome)

        with self._lock:
            self._waiting = sent
        threading.Thread(target=run, name="aos-early-send", daemon=True).start()

    @property
    def waiting(self) -> bool:
        """A chunk was sent (or is being sent) that no evaluation has claimed."""
        return self._waiting is not None

    def claim(self, chunk: str) -> Sent | None:
        """The send of `chunk` if one is waiting, else None. Anything else waiting is
        forgotten (its evaluation was cancelled, and the user told it had been sent)."""
        with self._lock:
            sent, self._waiting = self._waiting, None
        return sent if sent is not None and sent.chunk == chunk else None

    def forget(self) -> None:
        with self._lock:
            self._waiting = None
