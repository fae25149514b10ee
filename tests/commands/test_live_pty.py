"""The live feed in real terminals against `aos serve`: two shells on one process each show
every live line once; a handler's failure shows above the prompt, the typed line kept."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.support.cli import run_aos
from tests.support.terminal import Terminal, loose, unit_flags

pytestmark = pytest.mark.e2e


def _aos(server: str, home: Path, *args: str) -> str:
    done = run_aos(*args, *unit_flags(server), home=home)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _wait_for_cursors(home: Path, pid: str, count: int) -> None:
    """Until `count` shells' live feeds have each saved their starting cursor for `pid` (in
    the state folder they share here): what is sent after that, each of them shows."""
    folder = home / "data" / "aos" / "shell" / "cursors"
    deadline = time.monotonic() + 60
    while True:
        saved = [p for p in folder.glob(f"{pid}*.cursor") if p.read_text().strip()]
        if len(saved) >= count:
            return
        assert time.monotonic() < deadline, f"{count} cursors for {pid}: {saved}"
        time.sleep(0.05)


def test_two_shells_on_one_process_each_show_all_twenty_messages_once(
    server: str, tmp_path: Path
) -> None:
    pid = _aos(server, tmp_path, "twice", "--run", "return ao.id")
    shells = [Terminal([pid, *unit_flags(server)], tmp_path, timeout=120) for _ in range(2)]
    try:
        for term in shells:
            term.expect(loose("[Inbox:1]> "))
        _wait_for_cursors(tmp_path, pid, 2)
        _aos(server, tmp_path, "sender", "--run",
             f'for i = 1, 20 do Send({{Target = "{pid}", Action = "P" .. i}}) end')  # fmt: skip
        for term in shells:
            term.expect(loose("Action = P20"), timeout=120)
        # One more message, shown after any repeat of the twenty a feed might make.
        _aos(server, tmp_path, "sender", "--run", f'Send({{Target = "{pid}", Action = "End"}})')
        for term in shells:
            term.expect(loose("Action = End"), timeout=120)
    finally:
        for term in shells:
            term.close()
    for term in shells:
        shown = [m for line in term.lines() for m in re.findall(r"Action = P(\d+)\b", line)]
        assert sorted(map(int, shown)) == list(range(1, 21)), shown


def test_a_failing_handler_shows_above_the_prompt_and_the_typed_line_stays(
    server: str, tmp_path: Path
) -> None:
    boom = 'Handlers.add("Boom", function(m) error("kaboom " .. m.Data) end); return ao.id'
    pid = _aos(server, tmp_path, "fails", "--run", boom)
    sender = _aos(server, tmp_path, "boomer", "--run", "return ao.id")
    term = Terminal([pid, *unit_flags(server)], tmp_path, timeout=120)
    try:
        term.expect(loose("]> "))
        _wait_for_cursors(tmp_path, pid, 1)
        term.send("local half = 12")  # typed, not sent
        term.expect(loose("local half = 12"))
        _aos(server, tmp_path, sender, "--run",
             f'Send({{Target = "{pid}", Action = "Boom", Data = "x1"}})')  # fmt: skip
        term.expect(r"kaboom x1", timeout=120)
        term.expect(loose("]> local half = 12"))
        term.send("; return half * 2\r")
        term.expect(r"24")
    finally:
        term.close()
    screen = term.lines()
    failed = next(k for k, line in enumerate(screen) if "kaboom x1" in line)
    short = f"{sender[:5]}…{sender[-5:]}"
    assert screen[failed].startswith("error: a handler failed on message ")
    assert f"(Action = Boom, from {short}): kaboom x1" in screen[failed]
    assert screen[failed + 1].endswith("> local half = 12; return half * 2")
