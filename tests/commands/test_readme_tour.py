"""The README's tour is what the screen shows: typed into `aos` in a real terminal on a
fresh HOME, line by line, and the emulated screen compared with the README, line by line
(`<wallet>`, `<process>`, `<from>` and `<version>` stand for what differs each time)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pexpect
import pytest

from aos import __version__
from tests.support.terminal import Terminal, screen_lines

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
_ID = r"[A-Za-z0-9_-]{43}"
_HOLES = {"<wallet>": _ID, "<process>": _ID, "<from>": r"\S{3}\.\.\.\S{3}",
          "<version>": re.escape(__version__)}  # fmt: skip
PROMPT = "default@aos-2.0.4[Inbox:"


def tour() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text[text.index("## A tour") :]
    block = block[block.index("```text\n") + len("```text\n") :]
    return block[: block.index("```")].rstrip("\n").split("\n")


def pattern(line: str) -> re.Pattern[str]:
    parts = re.split("(" + "|".join(map(re.escape, _HOLES)) + ")", line)
    return re.compile("".join(_HOLES.get(p, re.escape(p)) for p in parts))


def matches(screen: list[str], expected: list[str]) -> bool:
    return len(screen) >= len(expected) and all(
        pattern(want).fullmatch(got) for want, got in zip(expected, screen, strict=False)
    )


def test_the_readme_tour_is_what_the_screen_shows(tmp_path: Path) -> None:
    lines = tour()
    assert lines[0] == "$ aos"
    expected = lines[1:]
    # platformdirs' own data folder (~/.local/share), as on a machine where nothing is set
    term = Terminal([], tmp_path, {"XDG_DATA_HOME": ""}, timeout=120)
    try:
        for k, line in enumerate(expected):
            if not line.startswith(PROMPT):
                continue
            typed = line.split("]> ", 1)[1]
            # everything above this prompt is on the screen before the line is typed
            wait_until(term, expected[: k + 1])
            term.send(typed + "\r")
            if typed == ".exit":
                term.child.expect(pexpect.EOF)
    finally:
        term.close()
    screen = screen_lines(term.log.getvalue())
    assert len(screen) == len(expected), "\n".join(screen)
    for want, got in zip(expected, screen, strict=True):
        assert pattern(want).fullmatch(got), f"README: {want!r}\nscreen: {got!r}"


def wait_until(term: Terminal, expected: list[str], timeout: float = 120.0) -> None:
    """Until the screen shows `expected`, its last line a prompt with nothing typed yet."""
    prompt = expected[-1].split("]> ", 1)[0] + "]>"

    def ready() -> bool:
        screen = screen_lines(term.log.getvalue())
        return (
            len(screen) == len(expected)
            and matches(screen, expected[:-1])
            and screen[-1].rstrip() == prompt
        )

    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the screen did not come to show the README's tour up to {expected[-1]!r}:\n"
                + "\n".join(screen_lines(term.log.getvalue()))
            )
        # reading is what pexpect does while it waits: wait a little for nothing
        term.child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.2)
