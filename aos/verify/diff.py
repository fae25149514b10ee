"""Side-by-side rendering of a stored result and the replayed one, for `aos verify`.

Both results are shown as indented JSON with sorted keys, aligned line by line with difflib,
so the lines that differ sit next to each other (red on the stored side, green on the
replayed side) and equal runs are shortened to a few lines of context.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from rich.table import Table
from rich.text import Text

CONTEXT = 3  # equal lines kept around each difference


def _lines(result: Any) -> list[str]:
    if result is None:
        return ["(no result)"]
    return json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _equal_rows(lines: list[str], first: bool, last: bool) -> list[tuple[str, str, str]]:
    """Rows for an equal run, shortened to CONTEXT lines next to each difference."""
    head = [] if first else lines[:CONTEXT]
    tail = [] if last else lines[-CONTEXT:]
    if len(lines) <= len(head) + len(tail) + 1:
        return [(line, line, "") for line in lines]
    hidden = len(lines) - len(head) - len(tail)
    rows = [(line, line, "") for line in head]
    rows.append((f"… {hidden} equal lines", f"… {hidden} equal lines", "dim"))
    rows.extend((line, line, "") for line in tail)
    return rows


def side_by_side(stored: Any, replayed: Any, *, title: str = "") -> Table:
    """A two-column table: the stored result on the left, the replayed one on the right."""
    left, right = _lines(stored), _lines(replayed)
    table = Table(title=title or None, show_lines=False, expand=True)
    table.add_column("stored", ratio=1, overflow="fold")
    table.add_column("replayed", ratio=1, overflow="fold")
    opcodes = difflib.SequenceMatcher(a=left, b=right, autojunk=False).get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            rows = _equal_rows(left[i1:i2], index == 0, index == len(opcodes) - 1)
            for a, b, style in rows:
                table.add_row(Text(a, style=style), Text(b, style=style))
            continue
        a_part, b_part = left[i1:i2], right[j1:j2]
        for k in range(max(len(a_part), len(b_part))):
            a = a_part[k] if k < len(a_part) else ""
            b = b_part[k] if k < len(b_part) else ""
            table.add_row(Text(a, style="bold red"), Text(b, style="bold green"))
    return table
