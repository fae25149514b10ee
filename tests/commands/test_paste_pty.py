"""Pasted code and type-ahead in a real pty, checked on the screen a terminal would show.

A bracketed paste of a finished chunk is evaluated on paste, as one chunk; lines that
arrive together without bracketed paste are each evaluated, in order, each result right
under the prompt line that echoes its input; keys typed during an evaluation are kept for
the next prompt, never echoed into the scrollback. The embedded node, as `aos` alone uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.terminal import Terminal, loose

pytestmark = pytest.mark.e2e

PROMPT = re.compile(r"^paste\S*@aos-\S+\[Inbox:\d+\]> ")


def _shell(tmp_path: Path) -> Terminal:
    term = Terminal(["paste"], tmp_path, {"AOS_DATA_DIR": str(tmp_path / "node")}, timeout=120)
    term.expect(r"Inbox")
    term.expect(loose("]> "))
    return term


def test_a_bracketed_paste_of_a_three_line_function_evaluates_on_paste(tmp_path: Path) -> None:
    term = _shell(tmp_path)
    try:
        term.paste("function add(a, b)\n  return a + b\nend\n")
        # no Enter: the paste itself submitted the chunk; the next prompt proves it
        term.expect(loose("]> "))
        term.send("add(20, 22)\r")
        term.expect(r"42")
        term.paste("x = 1\ny = 2\nreturn x + y + 1000\n")  # three statements, one chunk
        term.expect(r"1003")
        term.send("return Inbox[#Inbox] and #Inbox\r")
        term.expect(loose("]> "))
    finally:
        term.close()
    screen = term.lines()
    echoed = [line for line in screen if PROMPT.match(line)]
    assert any(line.endswith("> function add(a, b)") for line in echoed), screen
    # the paste's last line break did not become an empty line (nor an empty history entry)
    history = next((tmp_path / "data" / "aos" / "shell" / "history").glob("*.history"))
    text = history.read_text()
    assert "+function add(a, b)\n+  return a + b\n+end\n" in text
    assert "\n+\n" not in text  # no entry has an empty line


def test_two_hundred_lines_pasted_without_bracketed_paste_evaluate_in_order(
    tmp_path: Path,
) -> None:
    term = _shell(tmp_path)
    count = 200
    try:
        term.send("".join(f'return "L" .. {i} .. "!"\r' for i in range(count)))
        term.expect(rf"L{count - 1}!", timeout=300)
        term.expect(loose("]> "))
    finally:
        term.close()
    screen = term.lines()
    results = [k for k, line in enumerate(screen) if re.fullmatch(r"L\d+!", line)]
    assert [screen[k] for k in results] == [f"L{i}!" for i in range(count)]
    for i, k in enumerate(results):  # each result right under its own prompt line
        assert PROMPT.match(screen[k - 1]), (k, screen[k - 1])
        assert screen[k - 1].endswith(f'return "L" .. {i} .. "!"'), (k, screen[k - 1])


def test_keys_typed_during_an_evaluation_wait_for_the_next_prompt(tmp_path: Path) -> None:
    term = _shell(tmp_path)
    try:
        term.send('local n = 0; for i = 1, 1.5e7 do n = n + 1 end; return "slow " .. n\r')
        # the prompt ended (bracketed paste off): the line is being evaluated, for a second
        # or more (15 million rounds of the loop)
        term.expect(re.escape("\x1b[?2004l"))
        term.send("return 'typed' .. ' ahead'\r")
        term.expect(r"typed ahead")
        term.expect(loose("]> "))
    finally:
        term.close()
    screen = term.lines()
    slow = next(k for k, line in enumerate(screen) if line == "slow 15000000")
    typed = next(k for k, line in enumerate(screen) if line == "typed ahead")
    # nothing between the slow result and the echoed line: no raw echo in the scrollback
    assert typed == slow + 2, screen[slow - 1 : typed + 1]
    assert PROMPT.match(screen[slow + 1]) and screen[slow + 1].endswith(
        "> return 'typed' .. ' ahead'"
    )


def test_ctrl_c_during_a_paste_drops_what_was_not_sent_yet(tmp_path: Path) -> None:
    term = _shell(tmp_path)
    slow = 'local n = 0; for i = 1, 1e7 do n = n + 1 end; return "done {}"\r'
    try:
        term.send("".join(slow.format(i) for i in range(6)))
        term.expect(r'[^"]done 0')  # the result, not the echoed line
        term.child.sendcontrol("c")
        term.expect(r"cancelled")
        term.expect(loose("]> "))
        term.send("return 'after'\r")
        term.expect(r"after")
    finally:
        term.close()
    screen = term.lines()
    done = [line for line in screen if re.fullmatch(r"done \d", line)]
    assert done[0] == "done 0" and len(done) <= 2  # one more may have been sent already
    assert any("were dropped" in line for line in screen), screen
