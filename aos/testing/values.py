"""The values the in-memory net's parts share: deterministic ids, the error a test gets,
tag values as they travel, messages as a process sees them, and texts as reports show them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aos.dataitem import b64url_encode
from aos.errors import AosError


def address(seed: str) -> str:
    """A deterministic 43-character id (an address or an item id) for `seed`."""
    return b64url_encode(hashlib.sha256(seed.encode()).digest())


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_ERROR_MARK = re.compile(r"(?:\x1b\[31m)?error:\n(?:\x1b\[0m)?")
# The runtime's positions in front of a handler error (`[string ".handlers"]:723: `).
_LIBRARY_POS = re.compile(r'\[string "\.[^"]*"\]:\d+: ')


class TestNetError(AosError):
    """A test asked the net for something it cannot do: a file or blueprint that is not
    there, an Eval that failed, messages that never stop. The text says what and where."""

    __test__ = False  # not a pytest test class


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def error_message(raw: str) -> str:
    """The error of an Error result without what was printed before it, its colours, or
    the runtime's own position: `examples/token/token.lua:42: attempt to …`."""
    marks = list(_ERROR_MARK.finditer(raw))
    body = raw[marks[-1].end() :] if marks else raw
    return _LIBRARY_POS.sub("", strip_ansi(body)).strip()


def tag_value(value: Any) -> str:
    """A tag value as it travels: strings as they are, numbers and booleans as Lua prints
    them, anything else as JSON (docs/compat.md's `tag-values` rule)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def tags_of(tags: Any) -> list[dict[str, str]]:
    """{name = value} (sorted by name) or a list of {name, value} as tag dicts."""
    if tags is None:
        return []
    if isinstance(tags, Mapping):
        return [{"name": str(k), "value": tag_value(tags[k])} for k in sorted(tags)]
    out = []
    for t in tags:
        if not isinstance(t, Mapping) or "name" not in t or "value" not in t:
            raise TestNetError(f"Tags must be {{name = value}} or a list of {{name, value}}: {t!r}")
        out.append({"name": str(t["name"]), "value": tag_value(t["value"])})
    return out


def lifted(message: dict[str, Any]) -> dict[str, Any]:
    """A message with its tags also as fields (`m.Action`), as a process sees one."""
    out = dict(message)
    for t in message.get("Tags") or []:
        if isinstance(t, dict) and isinstance(t.get("name"), str) and t["name"] not in out:
            out[t["name"]] = t.get("value")
    return out


def display_path(path: Path) -> str:
    """A file as the reports show it: relative to the working directory when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
