"""The shell's files on disk: history, live-feed cursors, pads and the name registry.

Everything lives under `Settings.state_dir`, one file per process where it is per process,
readable by the user only (0600, like the wallet), and is written atomically (write a
temporary file, then rename) so a crash or two terminals never leave a half-written file
behind.

A live-feed cursor belongs to one shell: two shells on one process each show everything
once. Each shell takes the first free cursor slot of the process (an exclusive lock the
kernel drops when the shell ends), so a shell started again resumes from where the last one
in that slot stopped, and a second shell at the same time gets a slot of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: no locks, every shell uses slot 0
    fcntl = None  # type: ignore[assignment]

MAX_SLOTS = 32

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ShellState:
    """Paths and small records kept between sessions."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, kind: str, process: str, suffix: str) -> Path:
        return self.root / kind / f"{_SAFE.sub('_', process)}{suffix}"

    def history_path(self, process: str) -> Path:
        return _private(self._file("history", process, ".history"))

    def pad_path(self, process: str) -> Path:
        return _private(self._file("pads", process, ".lua"))

    def claim_cursor(self, process: str) -> CursorSlot:
        """This shell's live-feed cursor for `process`: the first slot no other shell holds."""
        for slot in range(MAX_SLOTS):
            name = ".cursor" if slot == 0 else f".{slot}.cursor"  # slot 0: the file of old
            path = self._file("cursors", process, name)
            fd = _lock(path.with_name(path.name + ".lock"))
            if fd is not None:
                return CursorSlot(path, fd)
        raise OSError(f"{MAX_SLOTS} shells hold the live-feed cursors of {process}")


class CursorSlot:
    """One shell's last shown `/results` cursor for one process; `release()` frees it."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    def get(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def save(self, cursor: str) -> None:
        _atomic_write(self.path, cursor + "\n")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _lock(path: Path) -> int | None:
    """An fd holding an exclusive lock on `path`, or None when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _private(path: Path) -> Path:
    """`path`, created empty if missing, readable by the user only (its folder too)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)  # files made by earlier versions were 0644
    return path


class NameRegistry:
    """Which process id the wallet's process NAME has on a given set of units.

    aos keeps such a cache too but never checks it (docs/compat.md §5 item 7); the shell validates
    every hit against the node before use and forgets entries the node does not know.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def key(units: str, address: str, name: str) -> str:
        return f"{units}|{address}|{name}"

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> tuple[str, float] | None:
        entry = self._load().get(key)
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            return entry["id"], float(entry.get("saved", 0))
        return None

    def put(self, key: str, process: str) -> None:
        data = self._load()
        data[key] = {"id": process, "saved": time.time()}
        _atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True))

    def forget(self, key: str) -> None:
        data = self._load()
        if data.pop(key, None) is not None:
            _atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True))
