"""Who writes to the terminal, and when: everything goes out on the shell's main thread.

Results are printed by the loop as it evaluates, so they come out in order, each under the
prompt line that produced it. What other threads want to show (the live feed) is `post`ed
as a callable and runs on the main thread: between prompts from `drain()` (the loop calls
it while it waits), and while a prompt is up from `pump()`, a task of the prompt's own
application that runs it through `run_in_terminal`, so the line comes out above the prompt
and the text being typed is drawn again below it. Nothing is lost when a prompt ends
between a post and its drain: whatever is queued is drained by the next one.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from collections.abc import Callable

from prompt_toolkit.application import run_in_terminal

PUMP_SECONDS = 0.05


class Screen:
    def __init__(self) -> None:
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        # deque appends and pops are atomic, so posting needs no lock; this one only keeps a
        # drain from starting inside another (a shown item that waits and drains again)
        self._lock = threading.Lock()

    def post(self, show: Callable[[], None]) -> None:
        """Queue `show` to run on the main thread (safe from any thread)."""
        self._queue.append(show)

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    def drain(self) -> None:
        """Run everything posted so far, in order (main thread only)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            while self._queue:
                self._queue.popleft()()
        finally:
            self._lock.release()

    async def pump(self) -> None:
        """Drain above the prompt while it is up; started by the prompt's `pre_run`."""
        while True:
            if self._queue:
                await run_in_terminal(self.drain, in_executor=False)
            await asyncio.sleep(PUMP_SECONDS)
