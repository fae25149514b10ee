"""The child processes of `aos serve` end with the process that started them.

A SIGKILLed supervisor runs no shutdown code, and its children would go on serving the
port (so a restarted `aos serve` could not bind it) with nobody left to schedule what
they admit. Each child watches its parent and ends itself when the parent is gone.
"""

from __future__ import annotations

import os
import signal
import threading

CHECK_INTERVAL = 0.5


def parent_gone(parent: int) -> bool:
    # An orphan is re-parented (to init or a subreaper), so its parent id changes.
    return os.getppid() != parent


def exit_with_parent(parent: int, interval: float = CHECK_INTERVAL) -> None:
    """Send this process SIGTERM (a graceful shutdown under uvicorn) once `parent` is gone."""

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            if parent_gone(parent):
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="aos-lifeline", daemon=True).start()
