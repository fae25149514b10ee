"""The live feed: what other messages made our process print, and where its handlers failed.

A background thread polls the CU's `/results/{process}` from this shell's last cursor, and
hands to callbacks, in log order: the evaluations whose Output has `print = true`, and the
ones where a handler failed on an incoming message (asked for with `include-errors`, an aos
node extension; a CU without it leaves errors out). A failure comes with the message's
Action and sender, read from the scheduler. The Errors of Evals are not repeated here: the
shell that sent the Eval shows them.

The cursor is this shell's own (a slot of aos.repl.state) and is saved after every result,
so a second shell on the same process sees everything too, and a restart neither repeats
nor loses anything; a slot used for the first time begins at the newest result instead of
replaying the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from aos.client import AoClient, Edge, Result, cursor_fields
from aos.errors import ClientError
from aos.repl.state import CursorSlot, ShellState

POLL_SECONDS = 0.4
# The text the process puts before the error of a handler that failed (docs/compat.md §2.6).
HANDLER_FAILED = "handling message"


@dataclass(frozen=True)
class HandlerError:
    """A handler of `process` failed on an incoming message (or a cron tick)."""

    error: str  # the Error as the process returned it
    nonce: int | None = None
    action: str | None = None
    sender: str | None = None
    cron: bool = False


class LiveFeed:
    """Poll `/results` for `process` on a daemon thread while started."""

    def __init__(
        self,
        client: AoClient,
        process: str,
        state: ShellState,
        on_result: Callable[[Result], None],
        *,
        on_error: Callable[[str], None] | None = None,
        on_failure: Callable[[HandlerError], None] | None = None,
        interval: float = POLL_SECONDS,
        from_start: bool = False,
    ) -> None:
        self.client = client
        self.process = process
        self.state = state
        self.on_result = on_result
        self.on_error = on_error
        self.on_failure = on_failure
        self.interval = interval
        self.from_start = from_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one poll at a time (thread and explicit polls)
        self._last_error: str | None = None
        self._slot: CursorSlot | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="aos-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)  # a slow poll must not hold up `.exit`
        self._thread = None

    def close(self) -> None:
        """Stop, and free this shell's cursor slot for the next shell."""
        self.stop()
        with self._lock:
            if self._slot is not None:
                self._slot.release()
                self._slot = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    def poll(self) -> int:
        """Show every new printed result and handler failure once; returns how many."""
        with self._lock:
            try:
                return self._poll()
            except (ClientError, OSError) as err:
                message = f"live feed paused: {err}"
                if message != self._last_error and self.on_error is not None:
                    self.on_error(message)
                self._last_error = message
                return 0

    def _poll(self) -> int:
        if self._slot is None:
            self._slot = self.state.claim_cursor(self.process)
        cursor = self._slot.get()
        if cursor is None and not self.from_start:
            latest = self.client.latest_cursor(self.process)
            if latest is not None:
                self._slot.save(latest)
                return 0
            # nothing stored yet: whatever comes from now on is new, so read from the start
            self.from_start = True
        shown = 0
        errors = self.on_failure is not None
        last: str | None = None  # the cursor read up to and not yet saved
        for edge in self.client.iter_results(self.process, after=cursor, include_errors=errors):
            if self._stop.is_set() and self._thread is not None:
                break
            result = edge.result
            last = edge.cursor
            if result.error is not None:
                if HANDLER_FAILED not in result.error or self.on_failure is None:
                    continue
                self.on_failure(self._failure(edge))
            elif result.print and (result.data or result.prompt):
                self.on_result(result)
            else:
                continue  # (an Eval's result: saved with the next shown one, or at the end)
            shown += 1
            self._slot.save(edge.cursor)  # at once: a restart must not show it again
            last = None
        if last is not None:
            self._slot.save(last)
        self._last_error = None
        return shown

    def _failure(self, edge: Edge) -> HandlerError:
        """The failure with its message's Action and sender, when the scheduler has them."""
        error = edge.result.error or ""
        fields = cursor_fields(edge.cursor) or {}
        ordinate = str(fields.get("ordinate", ""))
        nonce = int(ordinate) if ordinate.isdigit() else None
        if nonce is None and edge.cursor.isascii() and edge.cursor.isdigit():
            nonce = int(edge.cursor)  # a HyperBEAM node's cursor is the slot itself
        if fields.get("cron"):
            return HandlerError(error, nonce, action="Cron", cron=True)
        message = None
        if nonce is not None:
            try:
                message = self.client.scheduled(self.process, nonce)
            except ClientError:
                message = None
        if message is None:
            return HandlerError(error, nonce)
        return HandlerError(
            error,
            nonce,
            action=message.tag("Action"),
            sender=message.tag("From-Process") or message.owner or None,
        )
