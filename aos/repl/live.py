"""The live feed: what other messages made our process print, shown as it happens.

A background thread polls the CU's `/results/{process}` from the last cursor shown, keeps the
evaluations whose Output has `print = true`, and hands them, in log order, to a callback. The
cursor is saved after every shown result, per process, so a restart neither repeats nor loses
anything; on the very first start the feed begins at the newest result instead of replaying
the whole history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from aos.client import AoClient, Result
from aos.errors import ClientError
from aos.repl.state import ShellState

POLL_SECONDS = 0.4


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
        interval: float = POLL_SECONDS,
        from_start: bool = False,
    ) -> None:
        self.client = client
        self.process = process
        self.state = state
        self.on_result = on_result
        self.on_error = on_error
        self.interval = interval
        self.from_start = from_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one poll at a time (thread and explicit polls)
        self._last_error: str | None = None

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

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    def poll(self) -> int:
        """Show every new printed result once; returns how many were shown."""
        with self._lock:
            try:
                return self._poll()
            except ClientError as err:
                message = f"live feed paused: {err}"
                if message != self._last_error and self.on_error is not None:
                    self.on_error(message)
                self._last_error = message
                return 0

    def _poll(self) -> int:
        cursor = self.state.cursor(self.process)
        if cursor is None and not self.from_start:
            latest = self.client.latest_cursor(self.process)
            if latest is not None:
                self.state.save_cursor(self.process, latest)
                return 0
            # nothing stored yet: whatever comes from now on is new, so read from the start
            self.from_start = True
        shown = 0
        for edge in self.client.iter_results(self.process, after=cursor):
            if self._stop.is_set() and self._thread is not None:
                break
            if edge.result.print and (edge.result.data or edge.result.prompt):
                self.on_result(edge.result)
                shown += 1
            self.state.save_cursor(self.process, edge.cursor)
        self._last_error = None
        return shown
