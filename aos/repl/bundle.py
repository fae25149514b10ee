"""`.load FILE`: one Lua chunk from a file and the local modules it requires, plus a source map.

Each `require "a.b"` is resolved relative to the file that requires it (`<dir>/a/b.lua`, then
`<dir>/a/b/init.lua`), unlike aos, which resolves everything against the main file. Names with
no such file (`json`, `.crypto`) are left to the process. Dependencies come first (depth-first,
post-order, each file once), each wrapped in a function whose value lands in
`package.loaded[name]`; the main file comes last, verbatim. The source map turns a line of the
bundle back into (file, line) so errors point into the user's files (docs/compat.md §5 item 8).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aos.errors import AosError
from aos.render import SourceLocation
from aos.repl.chunk import find_requires


@dataclass(frozen=True)
class Segment:
    first_line: int  # bundle line of the file's line 1
    lines: list[str]
    file: str


@dataclass
class Bundle:
    """The chunk to evaluate and where each of its lines came from."""

    code: str
    files: list[str]  # display names, dependencies first, main file last
    segments: list[Segment] = field(default_factory=list)

    def locate(self, line: int) -> SourceLocation | None:
        for seg in self.segments:
            if seg.first_line <= line < seg.first_line + len(seg.lines):
                local = line - seg.first_line + 1
                return SourceLocation(local, seg.lines[local - 1], seg.file)
        return None


def _module_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_") or "mod"


def _resolve(name: str, base: Path) -> Path | None:
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    rel = Path(*name.split("."))
    for candidate in (base / rel.with_suffix(".lua"), base / rel / "init.lua"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _read(path: Path, wanted_by: str | None) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        who = f" (required by {wanted_by})" if wanted_by else ""
        raise AosError(f"cannot load {path}: no such file{who}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise AosError(f"cannot load {path}: {err}") from err


def check_loadable(path: Path) -> None:
    """Validate a `.load`/`--load` argument before any node work (docs/compat.md §5 item 4)."""
    if not path.exists():
        raise AosError(
            f"cannot load {path}: no such file; check the path (relative to {Path.cwd()})"
        )
    if not path.is_file():
        raise AosError(f"cannot load {path}: it is a directory, not a Lua file")


def bundle(main: Path) -> Bundle:
    """Bundle `main` and the local modules it requires into one chunk."""
    check_loadable(main)
    main = main.resolve()
    root = main.parent
    order: list[tuple[str, Path, str]] = []  # (module name, path, source), post-order
    seen: dict[Path, str] = {}
    visiting: set[Path] = set()

    def display(path: Path) -> str:
        try:
            return str(path.relative_to(root))
        except ValueError:
            return str(path)

    def visit(path: Path, source: str) -> None:
        visiting.add(path)
        for name in find_requires(source):
            dep = _resolve(name, path.parent)
            if dep is None or dep in seen or dep in visiting:
                continue
            dep_source = _read(dep, display(path))
            visit(dep, dep_source)
            seen[dep] = name
            order.append((name, dep, dep_source))
        visiting.discard(path)

    main_source = _read(main, None)
    visit(main, main_source)

    out: list[str] = []
    segments: list[Segment] = []

    def emit(text: str) -> None:
        out.extend(text.split("\n"))

    for name, path, source in order:
        ident = _module_id(name)
        emit(f'-- module: "{name}"')
        emit(f"local function _loaded_mod_{ident}()")
        src_lines = source.split("\n")
        segments.append(Segment(len(out) + 1, src_lines, display(path)))
        emit(source)
        emit("end")
        emit(f'_G.package.loaded["{name}"] = _loaded_mod_{ident}()')
    main_lines = main_source.split("\n")
    segments.append(Segment(len(out) + 1, main_lines, display(main)))
    emit(main_source)
    files = [display(p) for _, p, _ in order] + [display(main)]
    return Bundle("\n".join(out), files, segments)
