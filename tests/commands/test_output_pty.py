"""A big result in a real terminal: the first 200 lines, a note of the rest, and `.more`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.terminal import Terminal, loose

pytestmark = pytest.mark.e2e


def test_a_big_result_stops_at_the_limit_and_more_is_one_command_away(tmp_path: Path) -> None:
    term = Terminal(["big"], tmp_path, {"AOS_DATA_DIR": str(tmp_path / "node")}, timeout=120)
    try:
        term.expect(loose("]> "))
        term.send('local t = {}; for i = 1, 5000 do t[i] = "row " .. i end; '
                  'return table.concat(t, "\\n")\r')  # fmt: skip
        term.expect(loose("4,800 more lines"))
        term.expect(loose("]> "))
        term.send(".more\r")
        term.expect(loose("4,600 more lines"))
        term.expect(loose("]> "))
    finally:
        term.close()
    rows = [line for line in term.lines() if re.fullmatch(r"row \d+", line)]
    assert rows == [f"row {i}" for i in range(1, 401)]  # two screens, nothing twice, in order
