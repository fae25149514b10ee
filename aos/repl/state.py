"""The shell's files on disk: history, live-feed cursors, pads and the name registry.

Everything lives under `Settings.state_dir`, one file per process where it is per process,
and is written atomically (write a temporary file, then rename) so a crash or two terminals
never leave a half-written file behind.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

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
        path = self._file("history", process, ".history")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def pad_path(self, process: str) -> Path:
        path = self._file("pads", process, ".lua")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def cursor(self, process: str) -> str | None:
        """The live feed's last shown `/results` cursor for `process`."""
        path = self._file("cursors", process, ".cursor")
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def save_cursor(self, process: str, cursor: str) -> None:
        _atomic_write(self._file("cursors", process, ".cursor"), cursor + "\n")


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
