"""Is this Lua chunk finished? A small Lua scanner for multi-line input and `.load`.

The shell may not load Lua itself (only aos.runtime imports lupa), so completeness is decided
by scanning: strings, long strings and comments are skipped, block keywords and brackets are
counted. A chunk is unfinished when a block (`function`, `do`, `if`, `repeat`), a bracket, a
string or a long comment is still open. Anything else, including a syntax error, counts as
finished so the process can report it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_OPENERS = {"function": "end", "do": "end", "if": "end", "repeat": "until"}
_CLOSERS = {"end", "until"}
_BRACKETS = {"(": ")", "{": "}", "[": "]"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONG_OPEN = re.compile(r"\[(=*)\[")


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "string", "symbol", "number"
    text: str
    line: int


@dataclass
class ScanState:
    """What is still open at the end of the text."""

    open_string: bool = False
    open_long: bool = False  # long string or long comment


def scan(code: str, state: ScanState | None = None) -> Iterator[Token]:
    """Tokens of `code` outside comments; strings become one "string" token each."""
    state = state if state is not None else ScanState()
    i, line, n = 0, 1, len(code)
    while i < n:
        c = code[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif code.startswith("--", i):
            long = _LONG_OPEN.match(code, i + 2)
            if long:
                close = "]" + long.group(1) + "]"
                end = code.find(close, long.end())
                if end < 0:
                    state.open_long = True
                    return
                line += code.count("\n", i, end)
                i = end + len(close)
            else:
                end = code.find("\n", i)
                i = n if end < 0 else end
        elif c in "\"'":
            j, start = i + 1, line
            while j < n and code[j] != c:
                if code[j] == "\\":
                    if j + 1 < n and code[j + 1] == "\n":
                        line += 1
                    j += 2
                    continue
                if code[j] == "\n":  # a newline ends an unfinished short string
                    break
                j += 1
            if j >= n or code[j] != c:
                # unterminated: only an escaped newline at the very end continues it
                state.open_string = j >= n and code.endswith("\\\n")
                if j < n:
                    i = j
                    continue
                return
            yield Token("string", code[i + 1 : j], start)
            i = j + 1
        elif c == "[" and _LONG_OPEN.match(code, i):
            long = _LONG_OPEN.match(code, i)
            assert long is not None
            close = "]" + long.group(1) + "]"
            end = code.find(close, long.end())
            if end < 0:
                state.open_long = True
                return
            yield Token("string", code[long.end() : end], line)
            line += code.count("\n", i, end)
            i = end + len(close)
        elif c.isalpha() or c == "_":
            m = _NAME.match(code, i)
            assert m is not None
            yield Token("name", m.group(), line)
            i = m.end()
        elif c.isdigit():
            j = i
            while j < n and (code[j].isalnum() or code[j] in "._"):
                j += 1
            yield Token("number", code[i:j], line)
            i = j
        else:
            yield Token("symbol", c, line)
            i += 1


def is_complete(code: str) -> bool:
    """False when `code` ends inside an open block, bracket, string or long comment."""
    if not code.strip():
        return True
    state = ScanState()
    depth = 0
    brackets: list[str] = []
    for token in scan(code, state):
        if token.kind == "name":
            if token.text in _OPENERS:
                # `while … do` and `for … do` open one block at their `do`
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        elif token.kind == "symbol":
            if token.text in _BRACKETS:
                brackets.append(_BRACKETS[token.text])
            elif token.text in _BRACKETS.values():
                if not brackets or brackets.pop() != token.text:
                    return True  # mismatched: let the process report it
    if state.open_string or state.open_long:
        return False
    if depth < 0:
        return True
    return depth == 0 and not brackets


def find_requires(code: str) -> list[str]:
    """Module names passed as a literal to `require` outside comments, in order."""
    names: list[str] = []
    tokens = list(scan(code))
    for k, token in enumerate(tokens):
        if token.kind != "name" or token.text != "require":
            continue
        nxt = tokens[k + 1 : k + 3]
        if nxt and nxt[0].kind == "string":
            names.append(nxt[0].text)
        elif len(nxt) == 2 and nxt[0].text == "(" and nxt[1].kind == "string":
            names.append(nxt[1].text)
    return names
