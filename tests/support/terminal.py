"""A program in a real pty (pexpect) for the console tests, with the whole screen log kept for
failure messages, and `loose` for matching text as a terminal draws it."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import pexpect

ESC = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def loose(text: str) -> str:
    """A regex for `text` as a terminal draws it: colour escapes between any characters."""
    return ESC.join(re.escape(ch) if ch != " " else r"\s*" for ch in text)


class Terminal:
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
