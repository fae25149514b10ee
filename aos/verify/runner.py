"""Starting the replay worker in its own OS process and reading its events.

The worker is `python -m aos.verify.worker` with the same interpreter, so it gets a fresh
Lua runtime that shares nothing with the node (or the shell) that produced the results.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from aos.verify.protocol import Event, Failed, parse_line


def source_args(
    *, data_dir: Path | None = None, process_id: str | None = None, bundle: Path | None = None
) -> list[str]:
    """The worker arguments that name the log: a data directory and process, or a bundle.

    Always `--name=value`: a process id may begin with "-" (base64url), which argparse
    would otherwise take for an option.
    """
    if bundle is not None:
        return [f"--bundle={bundle}"]
    if data_dir is None or process_id is None:
        raise ValueError("name either a bundle or a data directory and a process id")
    return [f"--data-dir={data_dir}", f"--process={process_id}"]


class Worker:
    """A running replay worker; iterate it for events, use it as a context manager."""

    def __init__(self, args: Sequence[str]) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "aos.verify.worker", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1 << 16,
        )

    def events(self) -> Iterator[Event]:
        """Every event the worker writes; a worker that dies without a word becomes Failed."""
        assert self._proc.stdout is not None
        finished = False
        for line in self._proc.stdout:
            event = parse_line(line)
            if isinstance(event, Failed):
                finished = True
            yield event
        code = self._proc.wait()
        if code != 0 and not finished:
            err = self._proc.stderr.read() if self._proc.stderr is not None else ""
            last = err.strip().splitlines()[-1] if err.strip() else f"exit status {code}"
            yield Failed(f"the replay worker stopped: {last}")

    def stop(self) -> None:
        """End the worker now (after the first mismatch nothing more is needed from it)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
