"""A driver that types into a real Repl, and spawning a named process for it.

The driver runs `Repl.run()` on the test's thread, with prompt_toolkit reading from a pipe
(`create_pipe_input`) and rendering to `DummyOutput`, while a feeder thread waits for each
expected piece of output before typing the next keys. On a timeout it reports what it waited
for and the whole output, then leaves the shell with `.exit`.
"""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from aos.client import AoClient
from aos.render import make_console
from aos.repl.connect import SpawnOptions, resolve_process
from aos.repl.loop import Repl
from aos.repl.state import NameRegistry, ShellState

_names = itertools.count()


def spawn(client: AoClient, state_dir: Path, name: str | None = None) -> str:
    name = name or f"p{next(_names)}"
    pid, _ = resolve_process(
        client,
        name,
        registry=NameRegistry(state_dir / "processes.json"),
        units="test",
        spawn=SpawnOptions(),
        notice=lambda _: None,
    )
    return pid


Wait = str | Callable[[str], bool] | None
Keys = str | bytes  # bytes go to the terminal as they are (input that is not UTF-8)


class Driver:
    def __init__(self, client: AoClient, process: str, state_dir: Path, *, live: bool) -> None:
        self.buf = io.StringIO()
        self.client = client
        self.process = process
        self.state = ShellState(state_dir)
        self.live = live
        self.repl: Repl | None = None

    @property
    def out(self) -> str:
        return self.buf.getvalue()

    def run(self, steps: list[tuple[Wait, Keys]], timeout: float = 30.0) -> str:
        """Type each step's keys once its wait is met; return everything the shell printed."""
        failures: list[str] = []
        with create_pipe_input() as pipe:
            repl = Repl(
                self.client,
                self.process,
                console=make_console(self.buf, color=False, width=120),
                state=self.state,
                color=False,
                live=self.live,
                input=pipe,
                output=DummyOutput(),
            )
            self.repl = repl

            def ready(wait: Wait) -> bool:
                if wait is None:
                    return True
                if isinstance(wait, str):
                    return wait in self.out
                return wait(self.out)

            def feed() -> None:
                for wait, keys in steps:
                    deadline = time.monotonic() + timeout
                    while not ready(wait):
                        if time.monotonic() > deadline:
                            failures.append(
                                f"Expected: {wait!r}\nActual output:\n{self.out}\n"
                                f"Buffer: {repl.session.default_buffer.text!r}"
                            )
                            pipe.send_text("\x03\x03")  # Ctrl-C twice leaves the shell
                            repl.request_exit()
                            return
                        time.sleep(0.02)
                    if isinstance(keys, bytes):
                        pipe.send_bytes(keys)
                    else:
                        pipe.send_text(keys)

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            status = repl.run()
            feeder.join(timeout=5)
        assert not failures, failures[0]
        assert status == 0
        return self.out
