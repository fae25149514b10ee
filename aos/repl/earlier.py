"""Where an error happened that the chunk just sent does not contain: in an earlier chunk.

Every Eval is loaded under the same chunk name (`[string "aos"]`, as in aos), so a runtime
error inside a function defined by an earlier chunk names a line of *that* chunk and no
more. When the line is past the end of the chunk just sent, the shell looks for it among
the chunks this shell sent before, newest first, then in the history: the first one with
such a line that mentions the name the error is about (`local 'x'`, `field 'bar'`), or,
when the error names nothing, that defines a function. It is a good guess, so it is shown
as "an earlier chunk", with its first line.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Iterable

from aos.render import Locate, SourceLocation, aos_parse_error, strip_ansi

KEEP = 500
_NAMED = re.compile(r"\((?:local|global|field|upvalue|method|constant) '([^']+)'\)")


class EarlierChunks:
    """The chunks this shell sent (newest last), and older ones from `history`."""

    def __init__(self, history: Callable[[], Iterable[str]] = lambda: ()) -> None:
        self.sent: collections.deque[str] = collections.deque(maxlen=KEEP)
        self.history = history

    def remember(self, code: str) -> None:
        self.sent.append(code)

    def _candidates(self, skip: str) -> Iterable[str]:
        seen = {skip}
        for code in [*reversed(self.sent), *reversed(list(self.history()))]:
            if code not in seen:
                seen.add(code)
                yield code

    def locator(self, code: str, locate: Locate, error: str) -> Locate:
        """`locate` for `code`, falling back to an earlier chunk for a line `code` lacks."""
        parsed = aos_parse_error(strip_ansi(error))
        if parsed is None or parsed[1] <= len(code.split("\n")):
            return locate
        message, line = parsed
        named = _NAMED.search(message)
        for earlier in self._candidates(code):
            lines = earlier.split("\n")
            if len(lines) < line:
                continue
            text = lines[line - 1]
            if named is not None and not re.search(rf"\b{re.escape(named.group(1))}\b", text):
                continue
            if named is None and "function" not in earlier:
                continue
            first = lines[0].strip()
            first = first if len(first) <= 40 else first[:39] + "…"
            found = SourceLocation(line, text, f"an earlier chunk: {first}")

            def earlier_locate(n: int, found: SourceLocation = found) -> SourceLocation | None:
                return found if n == found.line else locate(n)

            return earlier_locate
        return locate
