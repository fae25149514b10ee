"""The Lua source the net writes for Evals: literals that reproduce a text exactly, and the
code that loads a file with its local `require`s preloaded, each under its own chunk name.
"""

from __future__ import annotations

from pathlib import Path

from aos.repl.chunk import find_requires
from aos.testing.values import TestNetError, display_path


def long_string(text: str) -> str:
    """`text` as a Lua long string literal that reproduces it exactly."""
    level = 0
    # Neither inside the text nor where its end meets the closing bracket (`…]` + `]]`).
    while f"]{'=' * level}]" in text or text.endswith(f"]{'=' * level}"):
        level += 1
    eq = "=" * level
    # A newline right after the opening bracket is skipped by Lua: give it one to skip.
    return f"[{eq}[\n{text}]{eq}]"


def lua_string(text: str) -> str:
    """`text` as a short Lua string literal (json.dumps would write \\u escapes, which
    Lua 5.3 does not read)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def loader_code(main: Path, chunks: dict[str, Path]) -> str:
    """Eval code that loads `main` under its own chunk name, its local `require`s
    (resolved next to the file that requires them, as `.load` does) preloaded. Each file's
    chunk name goes into `chunks`, the main file's last."""
    modules: dict[str, Path] = {}

    def visit(path: Path) -> None:
        for name in find_requires(read_source(path)):
            if name in modules or name.startswith(".") or "/" in name or "\\" in name:
                continue
            rel = Path(*name.split("."))
            for candidate in (path.parent / f"{rel}.lua", path.parent / rel / "init.lua"):
                if candidate.is_file():
                    modules[name] = candidate.resolve()
                    visit(modules[name])
                    break

    visit(main)
    lines = [
        "local function chunk(src, name)",
        "  local f, err = load(src, name, 't')",
        "  if not f then error(err, 0) end",
        "  return f",
        "end",
    ]
    for name, path in modules.items():
        chunk = "@" + display_path(path)
        chunks[chunk] = path
        lines.append(
            f"package.preload[{lua_string(name)}] = chunk({long_string(read_source(path))},"
            f" {lua_string(chunk)})"
        )
    chunk = "@" + display_path(main)
    chunks[chunk] = main
    lines.append(f"chunk({long_string(read_source(main))}, {lua_string(chunk)})()")
    return "\n".join(lines)


def read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TestNetError(f"spawn: cannot read {display_path(path)}: {err}") from None
