"""Line coverage of the process files under test (`aos test --cov`).

The lines that hold code come from the Lua compiler (aos.runtime.lines); the lines that ran
from replays of every process in a covering runtime (aos.testing.net.Net.lines_run). Only
files a test loaded into a process count: the spec files, the blueprints and the runtime's
own library never do. A line that holds nothing but `end` (or a closing bracket) is left
out of both: Lua puts a function's implicit return there, which never runs when the
function returns earlier, and counting it would report lines nobody can run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aos.runtime.lines import code_lines

_CLOSING = re.compile(r"^\s*(?:end|[})\]])[\s,;)}\]]*(?:--.*)?$")


@dataclass
class FileCoverage:
    code: set[int]
    run: set[int] = field(default_factory=set)

    @property
    def missing(self) -> list[int]:
        return sorted(self.code - self.run)

    @property
    def percent(self) -> int:
        return percent(len(self.code & self.run), len(self.code))


def percent(run: int, code: int) -> int:
    """Whole percent, rounded down (100 only when every line ran)."""
    return 100 if not code else (100 * run) // code


def ranges(lines: list[int]) -> str:
    """`3, 7-9, 12` for [3, 7, 8, 9, 12] (sorted)."""
    parts: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1] == lines[j] + 1:
            j += 1
        parts.append(str(lines[i]) if i == j else f"{lines[i]}-{lines[j]}")
        i = j + 1
    return ", ".join(parts)


class Coverage:
    """Per file (its display path): the lines with code and the lines run."""

    def __init__(self) -> None:
        self.files: dict[str, FileCoverage] = {}

    def add(self, chunks: dict[str, Path], lines: dict[str, set[int]]) -> None:
        for chunk, path in chunks.items():
            name = chunk[1:] if chunk.startswith("@") else chunk
            entry = self.files.get(name)
            if entry is None:
                entry = FileCoverage(_code_lines(path, chunk))
                self.files[name] = entry
            entry.run |= lines.get(chunk, set()) & entry.code

    def totals(self) -> tuple[int, int]:
        """(lines with code, lines run) over every file."""
        code = sum(len(f.code) for f in self.files.values())
        run = sum(len(f.code & f.run) for f in self.files.values())
        return code, run


def _code_lines(path: Path, chunk: str) -> set[int]:
    try:
        source = path.read_text(encoding="utf-8")
        lines = code_lines(source, chunk)
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    text = source.splitlines()
    return {n for n in lines if 0 < n <= len(text) and not _CLOSING.match(text[n - 1])}
