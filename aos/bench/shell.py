"""`aos bench shell`: the shell in a real terminal: pasted lines per second, one typed line.

Starts `aos` in a pseudo-terminal (pty.fork) over a fresh HOME and embedded node, answering
the terminal's cursor-position requests as a terminal emulator does. Paste: writes N lines
at once without bracketed paste (as a terminal that does not support it, or type-ahead),
then waits until the last result is on the screen; the rate is N over that time. Every run
checks that all N results came out, in order, each right under the prompt line that
echoes its input. Typed: one line at a time, each after the previous result, written at
once with its Enter; the figure is the median time from that write to its result on the
screen. Keyed: the same, but typed key by key 10 ms apart as a person types (each key is
drawn before the next), timed from the Enter alone: what a user waits for. The CPU time
the shell's process (embedded node included) spends on a pasted line is printed too:
unlike the rates, the machine's other load hardly changes it. Nothing is asserted: the
figures are printed with the target (≥ 50 pasted lines/s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

TARGET_LINES_PER_SECOND = 50.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]")
_CPR_REQUEST = "\x1b[6n"
_PROMPT_END = "]>"


def plain(text: str) -> str:
    return _ANSI.sub("", text).replace("\r", "")


class Pty:
    """A child process on a pseudo-terminal; a thread keeps reading what it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], rows: int = 40, cols: int = 120):
        import pty

        pid, fd = pty.fork()
        if pid == 0:  # the child: its controlling terminal is the pty
            try:
                # Ctrl-C works in the shell even when the bench was started with SIGINT
                # ignored (in the background of a script): children inherit that.
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        import fcntl
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid, self.fd = pid, fd
        self._raw = ""  # not yet stripped: it may end inside an escape sequence
        self._plain = ""
        self._changed = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            text = decoder.decode(data)
            if _CPR_REQUEST in text:  # a terminal answers at once; the row does not matter
                self.write("\x1b[1;1R" * text.count(_CPR_REQUEST))
            with self._changed:
                raw = self._raw + text
                cut = raw.rfind("\x1b")
                if cut >= 0 and not _ANSI.match(raw, cut):
                    raw, self._raw = raw[:cut], raw[cut:]  # keep an unfinished escape
                else:
                    self._raw = ""
                self._plain += plain(raw)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def screen(self) -> str:
        """Everything shown so far, without escape sequences and carriage returns."""
        with self._changed:
            return self._plain

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        while data:
            _, ready, _ = select.select([], [self.fd], [], 5.0)
            if not ready:
                raise TimeoutError("the shell stopped reading its terminal")
            written = os.write(self.fd, data)
            data = data[written:]

    def wait_for(self, done: re.Pattern[str] | str, timeout: float, start: int = 0) -> int:
        """Until `done` is on the screen after offset `start`; the offset of its end."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if isinstance(done, str):
                    at = self._plain.find(done, start)
                    if at >= 0:
                        return at + len(done)
                else:
                    match = done.search(self._plain, start)
                    if match:
                        return match.end()
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    tail = self._plain[-2000:]
                    raise TimeoutError(
                        f"waited {timeout:g} s for {done!r}; the screen ends:\n{tail}"
                    )
                self._changed.wait(left)

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Until the screen has not changed for `quiet` seconds (the prompt is drawn)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while time.monotonic() < deadline:
                seen = len(self._plain)
                self._changed.wait(quiet)
                if len(self._plain) == seen:
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.write(".exit\r")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)


@contextlib.contextmanager
def shell(home: Path, name: str) -> Iterator[Pty]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_", "NO_COLOR"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        AOS_DATA_DIR=str(home / "node"),
        TERM="xterm-256color",
    )
    term = Pty([sys.executable, "-m", "aos", name], env)
    try:
        term.wait_for(_PROMPT_END, timeout=120)
        yield term
    finally:
        term.close()


def check_order(text: str, count: int, tag: str) -> str | None:
    """None when the N results follow their echoed lines in order, else what is wrong."""
    # (a spinner line is erased again on a real screen; here, without cursor movement, it
    # stays in the text)
    lines = [line for line in text.split("\n") if line.strip() and "[Computing" not in line]
    expected = 0
    for k, line in enumerate(lines):
        if f"{tag}{expected}!" == line.strip():
            if k == 0 or f'"{tag}" .. {expected}' not in lines[k - 1]:
                above = " / ".join(repr(x) for x in lines[max(0, k - 3) : k])
                return (
                    f"result {expected} is not right under its own prompt line: {line!r} "
                    f"(above it: {above})"
                )
            expected += 1
    if expected != count:
        return f"{expected} of {count} results came out in order"
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process `pid` so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def paste_run(term: Pty, count: int, run: int) -> tuple[float, float | None]:
    """(lines per second, CPU seconds the shell used per line) of one paste."""
    tag = f"P{run}x"
    term.settle()
    start = len(term.screen)
    block = "".join(f'return "{tag}" .. {i} .. "!"\r' for i in range(count))
    cpu_before = cpu_seconds(term.pid)
    began = time.perf_counter()
    term.write(block)
    term.wait_for(re.compile(rf"\n{tag}{count - 1}!\n[^\n]*{re.escape(_PROMPT_END)}"), 300, start)
    elapsed = time.perf_counter() - began
    cpu_after = cpu_seconds(term.pid)
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / count
    problem = check_order(term.screen[start:], count, tag)
    rate = count / elapsed
    verdict = "all in order" if problem is None else f"WRONG: {problem}"
    used = "" if cpu is None else f", {cpu * 1000:.1f} ms CPU a line"
    print(f"run {run}: {count} lines pasted, {elapsed:.2f} s, {rate:.1f} lines/s{used} ({verdict})")
    return rate, cpu


def typed_round(term: Pty, k: int) -> float:
    """One line written at once, Enter included: the time to its result."""
    start = len(term.screen)
    began = time.perf_counter()
    term.write(f'return "T" .. {k} .. "!"\r')
    term.wait_for(f"\nT{k}!\n", 60, start)
    return time.perf_counter() - began


def keyed_round(term: Pty, k: int, gap: float = 0.01) -> float:
    """One line typed key by key as a person types (`gap` s apart, each drawn before the
    next comes); the time from Enter alone to its result."""
    start = len(term.screen)
    line = f'return "K" .. {k} .. "!"'
    for key in line:
        term.write(key)
        time.sleep(gap)
    term.settle(quiet=0.05, timeout=5)  # the last key is drawn
    began = time.perf_counter()
    term.write("\r")
    term.wait_for(f"\nK{k}!\n", 60, start)
    return time.perf_counter() - began


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos bench shell",
        description="The shell in a pseudo-terminal on the embedded node: pasted lines per "
        "second (no bracketed paste) and the time of one typed line.",
    )
    parser.add_argument("--lines", type=int, default=200, help="Lines per paste (default: 200).")
    parser.add_argument("--runs", type=int, default=3, help="Pastes to take the median of "
                        "(default: 3).")  # fmt: skip
    parser.add_argument("--typed", type=int, default=20, help="Typed lines to time (default: "
                        "20).")  # fmt: skip
    args = parser.parse_args(argv)
    if os.name != "posix":
        print("aos bench shell needs a POSIX pseudo-terminal", file=sys.stderr)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="aos-bench-shell-") as tmp,
        shell(Path(tmp), "bench-shell") as term,
    ):
        term.write('return "warm" .. "up!"\r')
        term.wait_for("\nwarmup!\n", 120)
        typed = sorted(typed_round(term, k) for k in range(args.typed))
        keyed = sorted(keyed_round(term, k) for k in range(args.typed))
        runs = [paste_run(term, args.lines, run) for run in range(1, args.runs + 1)]
    rates = [rate for rate, _ in runs]
    cpus = [cpu for _, cpu in runs if cpu is not None]
    median = statistics.median(rates)
    p50 = statistics.median(typed) * 1000
    print(f"typed line, Enter to result: p50 {p50:.1f} ms ({1000 / p50:.0f} lines/s one by one)")
    enter = statistics.median(keyed) * 1000
    print(f"keyed line (keys 10 ms apart), Enter alone to result: p50 {enter:.1f} ms")
    if cpus:  # what the machine's load does not change: the work one line takes
        cpu = statistics.median(cpus)
        print(
            f"paste CPU: {cpu * 1000:.1f} ms a line in the shell's process (node included), "
            f"{1 / cpu:.0f} lines/s if it had a core to itself"
        )
    met = "met" if median >= TARGET_LINES_PER_SECOND else "NOT met"
    print(f"paste median: {median:.1f} lines/s (target >= {TARGET_LINES_PER_SECOND:g}: {met})")
    return 0
