"""The terminal between two prompts: keys typed meanwhile are kept, not echoed.

While a chunk is evaluated no prompt reads the keyboard, and a terminal in its normal
(cooked) mode echoes every key into the scrollback, where it lands between the results.
`KeyHold.hold()` switches echo and line editing off for that time, leaving Ctrl-C working
(ISIG), so the keys wait in the terminal's queue until the next prompt reads them as
type-ahead. `KeyHold.released()` gives a program that needs the normal mode (an editor) the
terminal back for a while. Not a terminal (a pipe, a test): both do nothing.

`write_through` writes to the terminal between prompts past prompt_toolkit's own flush.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from prompt_toolkit.output import Output

try:
    import termios
except ImportError:  # not a POSIX system: nothing to hold
    termios = None  # type: ignore[assignment]


class KeyHold:
    """Holds the keys of the terminal on `fd` (None: holds nothing)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd if fd is not None and termios is not None and os.isatty(fd) else None
        self._saved: list[Any] | None = None

    @classmethod
    def for_stdin(cls) -> KeyHold:
        try:
            return cls(sys.stdin.fileno())
        except (AttributeError, ValueError, OSError):
            return cls(None)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if self.fd is None or self._saved is not None:
            yield
            return
        try:
            saved = termios.tcgetattr(self.fd)
        except termios.error:
            yield
            return
        quiet = [*saved[:6], list(saved[6])]
        quiet[3] &= ~(termios.ECHO | termios.ICANON)  # keep ISIG: Ctrl-C still interrupts
        quiet[6][termios.VMIN] = 1
        quiet[6][termios.VTIME] = 0
        # TCSANOW, never TCSAFLUSH: that would throw away what was typed ahead
        termios.tcsetattr(self.fd, termios.TCSANOW, quiet)
        self._saved = saved
        try:
            yield
        finally:
            self._saved = None
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, saved)

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """The terminal's own mode inside a `hold()` (for `$EDITOR`)."""
        if self.fd is None or self._saved is None:
            yield
            return
        held = termios.tcgetattr(self.fd)
        termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)
        try:
            yield
        finally:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, held)


def write_through(output: Output, data: str) -> None:
    """`data` written straight to the stream behind a prompt's `output`, and flushed.

    Not through `output.flush()`: prompt_toolkit wraps that write in a bare `except:`,
    which swallows a KeyboardInterrupt, so a Ctrl-C landing there (while queued chunks are
    echoed, where it must cancel the queue) would be lost. An output without a stream of
    its own (a test's) is written the usual way."""
    stream = getattr(output, "stdout", None)
    if stream is None:
        output.write_raw(data)
        output.flush()
        return
    binary = getattr(stream, "buffer", None)
    if binary is not None:  # as prompt_toolkit does: never a UnicodeEncodeError
        stream.flush()  # what was written as text goes first
        binary.write(data.encode(stream.encoding or "utf-8", "replace"))
    else:
        stream.write(data)
    stream.flush()
