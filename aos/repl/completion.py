"""Tab completion of globals, table fields and handler names, read from the process.

The names come from a dry-run Eval (never a logged message), cached per table path until the
next evaluation may have changed them. `Han` completes to `Handlers`, `Handlers.ad` to
`Handlers.add`, and inside a string the names of the process's handlers are offered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from aos.client import AoClient
from aos.errors import AosError

LUA_KEYWORDS = (
    "and break do else elseif end false for function goto if in local nil not or repeat "
    "return then true until while"
).split()

_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:[.:][A-Za-z_][A-Za-z0-9_]*)*[.:]?)$")
_IN_STRING = re.compile(r"""(["'])([A-Za-z0-9_.\- ]*)$""")

_KEYS_LUA = r"""
local t = _G
for part in string.gmatch(%s, "[^.:]+") do
  if type(t) ~= "table" then t = nil break end
  t = t[part]
end
local keys, seen = {}, {}
local function add(tbl)
  if type(tbl) ~= "table" then return end
  for k in pairs(tbl) do
    if type(k) == "string" and not seen[k] then seen[k] = true; keys[#keys + 1] = k end
  end
end
add(t)
local mt = type(t) == "table" and getmetatable(t)
if type(mt) == "table" then add(mt.__index) end
table.sort(keys)
return "KEYS" .. table.concat(keys, "\n")
"""

_HANDLERS_LUA = r"""
local names = {}
if type(Handlers) == "table" and type(Handlers.list) == "table" then
  for _, h in ipairs(Handlers.list) do
    if type(h) == "table" and type(h.name) == "string" then names[#names + 1] = h.name end
  end
end
return "KEYS" .. table.concat(names, "\n")
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ProcessNames:
    """Names known to the process, fetched by dry-run and cached until `invalidate()`."""

    def __init__(self, fetch: Callable[[str], str]) -> None:
        self._fetch = fetch  # Lua code -> Output.data
        self._cache: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_process(cls, client: AoClient, process: str) -> ProcessNames:
        def fetch(code: str) -> str:
            result = client.dry_eval(process, code)
            return result.data if result.error is None else ""

        return cls(fetch)

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _cached(self, key: str, code: str) -> list[str]:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            text = self._fetch(code)
        except AosError:
            return []
        names = text[4:].split("\n") if text.startswith("KEYS") and len(text) > 4 else []
        with self._lock:
            self._cache[key] = names
        return names

    def fields(self, path: str) -> list[str]:
        """Keys of the table at `path` ("" for the globals)."""
        return self._cached("." + path, _KEYS_LUA % _lua_string(path))

    def handlers(self) -> list[str]:
        return self._cached("handlers", _HANDLERS_LUA)


class LuaCompleter(Completer):
    """prompt_toolkit completer over `ProcessNames` (wrap in ThreadedCompleter)."""

    def __init__(self, names: ProcessNames) -> None:
        self.names = names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        before = document.text_before_cursor
        if before.lstrip().startswith("."):
            return
        in_string = _IN_STRING.search(before)
        if in_string and before.count(in_string.group(1)) % 2 == 1:
            word = in_string.group(2)
            for name in self.names.handlers():
                if name.startswith(word) and name != word:
                    yield Completion(name, start_position=-len(word), display_meta="handler")
            return
        match = _PATH.search(before)
        if not match:
            return
        path_text = match.group(1)
        cut = max(path_text.rfind("."), path_text.rfind(":"))
        table, word = (path_text[:cut], path_text[cut + 1 :]) if cut >= 0 else ("", path_text)
        candidates = self.names.fields(table)
        if not table:
            candidates = sorted(set(candidates) | set(LUA_KEYWORDS))
        for name in candidates:
            if name.startswith(word) and name != word:
                yield Completion(name, start_position=-len(word))
