"""`.load FILE`: one Lua chunk from a file and the local modules it requires, plus a source map.

As in aos (docs/compat.md §2.4), every `require "a.b"`, in the main file or in a module, is
resolved from the folder of the *main* file: dots become folders (`<main dir>/a/b.lua`), a
name written with slashes (`require "lib/util"`) is a path already, and `<name>/init.lua` is
tried after the file, as Lua's own path does. Names with no such file (`json`, `.crypto`) are
left to the process; the paths tried are kept (`Bundle.missing`), so when the process then
says `module 'x' not found`, the shell can say where it looked. Dependencies come first
(depth-first, post-order, each file once), each wrapped in a function whose value lands in
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
    # module name -> the paths tried for a `require` that no local file answered
    missing: dict[str, list[str]] = field(default_factory=dict)

    def not_found_note(self, error: str) -> str | None:
        """Where `.load` looked for a module the process then could not find, or None."""
        for name, tried in self.missing.items():
            if f"module '{name}' not found" in error:
                return (
                    f"{name!r} is not a file of the project either: .load looked for "
                    f"{' and '.join(tried)} (names resolve from the main file's folder, as in "
                    "aos)"
                )
        return None

    def locate(self, line: int) -> SourceLocation | None:
        for seg in self.segments:
            if seg.first_line <= line < seg.first_line + len(seg.lines):
                local = line - seg.first_line + 1
                return SourceLocation(local, seg.lines[local - 1], seg.file)
        return None


def _module_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_") or "mod"


def candidates(name: str, root: Path) -> list[Path]:
    """Where `require(name)` may be a file of the project rooted at `root`; none for the
    process's own modules (`.crypto`) and names that climb out of the project."""
    if not name or name.startswith(".") or "\\" in name:
        return []
    parts = name.replace(".", "/").split("/")
    if any(part in ("", "..") for part in parts):
        return []
    rel = Path(*parts)
    return [root / rel.with_suffix(".lua"), root / rel / "init.lua"]


def _resolve(name: str, root: Path) -> Path | None:
    for candidate in candidates(name, root):
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
    missing: dict[str, list[str]] = {}

    def display(path: Path) -> str:
        try:
            return str(path.relative_to(root))
        except ValueError:
            return str(path)

    def visit(path: Path, source: str) -> None:
        visiting.add(path)
        for name in find_requires(source):
            dep = _resolve(name, root)
            if dep is None:
                tried = candidates(name, root)
                if tried:
                    missing.setdefault(name, [display(p) for p in tried])
                continue
            if dep in seen:
                if seen[dep] != name and name not in aliases.setdefault(seen[dep], []):
                    aliases[seen[dep]].append(name)  # another spelling of a bundled file
                continue
            if dep in visiting:
                continue
            dep_source = _read(dep, display(path))
            visit(dep, dep_source)
            seen[dep] = name
            order.append((name, dep, dep_source))
        visiting.discard(path)

    aliases: dict[str, list[str]] = {}  # name a file was bundled under -> other spellings
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
        for alias in aliases.get(name, []):  # `lib.b` and `lib/b` are one module, run once
            emit(f'_G.package.loaded["{alias}"] = _G.package.loaded["{name}"]')
    main_lines = main_source.split("\n")
    segments.append(Segment(len(out) + 1, main_lines, display(main)))
    emit(main_source)
    files = [display(p) for _, p, _ in order] + [display(main)]
    return Bundle("\n".join(out), files, segments, missing)
