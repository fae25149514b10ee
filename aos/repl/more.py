"""Big outputs: a result shows as many terminal lines as the limit allows, the rest on `.more`.

`print(Inbox)` on a busy process is hundreds of thousands of lines; rendering them all
takes longer than reading them ever would. `cut` splits a result's text after a number of
terminal rows (a long line counts as the rows it wraps to; colour escapes take no room),
at a line end where it can, inside a line where one line alone is too long. It walks only
as far as it shows, so cutting 500 MB costs what showing the first page costs.
"""

from __future__ import annotations

import re

DEFAULT_MAX_LINES = 200
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def cut(text: str, rows: int, width: int, start: int = 0) -> tuple[str, int]:
    """(what to show, where the rest starts) for `text[start:]` on at most `rows` rows
    `width` wide, cut at the end of the last row (a line end, or where a long line wraps);
    `rows <= 0` shows everything. The rest starts at `len(text)` when nothing is left. Work
    is bounded by rows x width, however long `text` is, and the rest is not copied."""
    size = len(text)
    if rows <= 0 or start >= size:
        return text[start:], size
    width = max(1, width)
    pos, row, col = start, 0, 0
    while pos < size:
        if col < width:
            window = min(size, pos + width - col)
            stops = [x for x in (text.find("\n", pos, window), text.find("\x1b", pos, window))]
            stop = min((x for x in stops if x >= 0), default=window)
            col += stop - pos
            pos = stop
            if pos >= size:
                break
        char = text[pos]
        if char == "\x1b":  # takes no room
            match = _ESCAPE.match(text, pos)
            pos = match.end() if match else pos + 1
            continue
        if char != "\n" and col < width:
            continue
        row += 1  # a line ended, or a long one wraps here
        col = 0
        if row >= rows:
            return text[start:pos], pos + 1 if char == "\n" else pos
        if char == "\n":
            pos += 1
    return text[start:], size


def describe(text: str, start: int) -> str:
    """`12,345 more lines (1.2 MB)` for `text[start:]`, what was left out."""
    lines = text.count("\n", start) + 1
    size = len(text) - start  # characters: close enough, and no copy of a huge text
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            amount = f"{size / scale:.1f} {unit}"
            break
    else:
        amount = f"{size} bytes"
    return f"{lines:,} more line{'s' if lines != 1 else ''} ({amount})"
