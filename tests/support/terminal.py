"""`aos` in a real pseudo-terminal (pexpect), and what its screen shows (pyte).

`Terminal` starts `python -m aos ARGS` in a pty with a private HOME; `expect` waits for a
pattern in the raw output and, on a timeout, fails with what was expected, what came last
and the whole log. `screen_lines` replays the log through a terminal emulator, so a test
can check what a user sees (after every redraw and cursor movement), line by line.
`Program` runs any other program (the official aos console) in a pty with exactly the
environment given.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect
import pyte

ROWS, COLS = 40, 120
ESC = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def shell_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_", "NO_COLOR"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PROMPT_TOOLKIT_NO_CPR="1",
        COLUMNS=str(COLS),
        LINES=str(ROWS),
        TERM="xterm",
    )
    env.update(extra or {})
    return env


def unit_flags(base: str) -> list[str]:
    """The flags that point our shell at `aos serve` on `base`."""
    return ["--mu-url", f"{base}/mu", "--cu-url", f"{base}/cu", "--su-url", f"{base}/su",
            "--gateway-url", base]  # fmt: skip


def loose(text: str) -> str:
    """A regex for `text` as a terminal draws it: colour escapes between any characters."""
    return ESC.join(re.escape(ch) if ch != " " else r"\s*" for ch in text)


def screen_lines(log: str, cols: int = COLS) -> list[str]:
    """The lines a terminal `cols` wide shows after `log`, scrollback included (a screen
    tall enough never to scroll), trailing blanks removed."""
    rows = log.count("\n") + log.count("\r") + ROWS  # more than the log can fill
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    stream.feed(log)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def default_signals() -> None:
    """(In the child, before exec.) Ctrl-C in the terminal must reach the program whatever
    the test run inherited: a pytest started in the background by a non-interactive shell
    has SIGINT ignored, children inherit that, and Python then installs no
    KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Terminal:
    def __init__(
        self,
        args: list[str],
        home: Path,
        extra_env: dict[str, str] | None = None,
        *,
        argv0: list[str] | None = None,
        timeout: float = 60,
    ) -> None:
        self.log = io.StringIO()
        command, *rest = argv0 or [sys.executable, "-m", "aos"]
        self.child = pexpect.spawn(
            command,
            [*rest, *args],
            env=shell_env(home, extra_env),
            encoding="utf-8",
            codec_errors="replace",
            timeout=timeout,
            dimensions=(ROWS, COLS),
            preexec_fn=default_signals,
        )
        self.child.logfile_read = self.log

    def expect(self, pattern: str, timeout: float | None = None) -> str:
        try:
            self.child.expect(pattern, timeout=timeout if timeout is not None else -1)
        except (pexpect.TIMEOUT, pexpect.EOF) as err:
            raise AssertionError(
                f"Expected: {pattern!r}\nActual: {self.child.before!r}\n"
                f"Full log:\n{self.log.getvalue()}"
            ) from err
        return str(self.child.after)

    def send(self, text: str) -> None:
        self.child.send(text)

    def paste(self, text: str) -> None:
        """A bracketed paste, as a terminal sends it when the program asked for that mode."""
        self.child.send("\x1b[200~" + text + "\x1b[201~")

    def lines(self) -> list[str]:
        return screen_lines(self.log.getvalue())

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendcontrol("c")  # clear any typed text, then leave with .exit
            self.child.send(".exit\r")
            try:
                self.child.expect(pexpect.EOF, timeout=15)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)
        self.child.close()


class Program:
    """Any program in a pty with exactly `env`, the whole screen log kept for failures."""

    def __init__(
        self, command: str, args: Sequence[str], env: Mapping[str, str], timeout: float = 60
    ) -> None:
        self.log = io.StringIO()
        self.child = pexpect.spawn(
            command,
            list(args),
            env=dict(env),
            encoding="utf-8",
            timeout=timeout,
            dimensions=(40, 160),
            preexec_fn=default_signals,
        )
        self.child.logfile_read = self.log

    def expect(self, pattern: str, timeout: float = -1) -> re.Match[str]:
        """Wait for `pattern`; on a timeout or EOF fail with what came and the whole log."""
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as err:
            raise AssertionError(
                f"Expected: {pattern!r}\nLast: {self.child.before!r}\n"
                f"Full log:\n{self.log.getvalue()}"
            ) from err
        match: re.Match[str] = self.child.match
        return match

    def line(self, text: str) -> None:
        self.child.send(text + "\r")

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()
