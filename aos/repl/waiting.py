"""Waiting for work on a daemon thread, with a spinner when it takes a while.

The shell's main thread never blocks in a request itself: a Ctrl-C there then stops the
wait without tearing an HTTP request (or the embedded node) apart mid-way, and live
lines that come meanwhile are still written. A daemon thread, not an executor: an
abandoned request must not hold up the exit.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar, cast

from rich.console import Console
from rich.status import Status

T = TypeVar("T")
# The spinner appears only for waits longer than this: a quick Eval should not flicker.
SPINNER_DELAY_SECONDS = 0.15


def on_worker(
    work: Callable[[], T], *, label: str, spinner: Console | None, drain: Callable[[], None]
) -> T:
    """`work()` run on a daemon thread: its value, or its exception raised here.

    While it runs, `drain()` is called every 20 ms and, after SPINNER_DELAY_SECONDS, a
    spinner saying `label` turns on `spinner` (a terminal console). A KeyboardInterrupt
    stops the wait and is raised; the work itself goes on."""
    done: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def target() -> None:
        try:
            done.put((True, work()))
        except BaseException as err:  # handed to the waiting thread, raised there
            done.put((False, err))

    threading.Thread(target=target, name="aos-wait", daemon=True).start()
    started = time.monotonic()
    status: Status | None = None
    try:
        while True:
            try:
                ok, value = done.get(timeout=0.02)
                break
            except queue.Empty:
                pass
            drain()
            if (
                status is None
                and spinner is not None
                and spinner.is_terminal
                and time.monotonic() - started > SPINNER_DELAY_SECONDS
            ):
                status = spinner.status(label, spinner="dots")
                status.start()
    finally:
        if status is not None:
            status.stop()
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return cast(T, value)
