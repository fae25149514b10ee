"""Where the Lua sources live: `aos/_lua` in an installed wheel, `lua/` in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def lua_dir() -> Path:
    """The directory holding the process library (`process.lua` …) and `blueprints/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_lua", here.parent / "lua"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the Lua sources are missing: looked in {here / '_lua'} and lua/")


def blueprint_dir() -> Path:
    """The directory of the blueprints that `.load-blueprint NAME` reads."""
    return lua_dir() / "blueprints"
