"""The shell in a real pty against `aos serve` on a loopback port (pexpect).

One `aos serve` per module on a free port (the `server` fixture); each test starts `aos` as a
user would, with HOME and the data directories in tmp_path (tests.support.terminal). On a
timeout the failure shows what was expected, what came last and the whole terminal log.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.support.terminal import Terminal, loose, shell_env, unit_flags

pytestmark = pytest.mark.e2e


def test_a_pty_session_evaluates_and_shows_live_messages_without_eating_the_typed_line(
    server: str, tmp_path: Path
) -> None:
    term = Terminal(["demo", *unit_flags(server)], tmp_path)
    try:
        term.expect(r"Your process 'demo': ([A-Za-z0-9_-]{43})")
        ours = term.child.match.group(1)
        term.expect(r"Inbox")
        term.child.send("1 + 41\r")
        term.expect(r"42")
        term.expect(r"Inbox")
        term.child.send("local half = 12")  # typed, not sent
        term.expect(loose("local half = 12"))
        sender = subprocess.run(
            [
                sys.executable,
                "-m",
                "aos",
                "other",
                *unit_flags(server),
                "--run",
                f'Send({{Target = "{ours}", Action = "Ping", Data = "hi"}})',
            ],
            env=shell_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sender.returncode == 0, sender.stderr
        term.expect(r"New Message From")
        # the prompt is drawn again below the live line, with the half-typed line intact
        term.expect(loose("[Inbox:2]> local half = 12"))
        term.child.send("; return half * 2\r")
        term.expect(r"24")
    finally:
        term.close()
    assert term.child.exitstatus == 0


def test_exit_with_ctrl_d_saves_history(server: str, tmp_path: Path) -> None:
    term = Terminal(["keep", *unit_flags(server)], tmp_path)
    term.expect(r"Inbox")
    term.child.send("return 'remember' .. ' me'\r")
    term.expect(r"remember me")  # the result (the typed line does not contain it)
    term.expect(r"Inbox")  # the next prompt: Ctrl-D must reach the prompt, not the wait
    term.child.sendcontrol("d")
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 0
    histories = list((tmp_path / "data" / "aos" / "shell" / "history").glob("*.history"))
    assert any("return 'remember' .. ' me'" in p.read_text() for p in histories)
    assert re.search(r"\S", term.log.getvalue())


def test_ctrl_c_cancels_the_wait_and_the_shell_goes_on(server: str, tmp_path: Path) -> None:
    term = Terminal(["busy", *unit_flags(server)], tmp_path)
    try:
        term.expect(r"Inbox")
        term.child.send("while true do end\r")  # ends at the node's instruction limit
        term.expect(r"Computing")
        term.child.sendcontrol("c")
        term.expect(r"cancelled: stopped waiting")
        term.child.send("return 'still' .. ' here'\r")
        term.expect(r"still here")
    finally:
        term.close()
    assert term.child.exitstatus == 0


def test_no_color_output_has_no_colour_escapes(server: str, tmp_path: Path) -> None:
    term = Terminal(["plain", *unit_flags(server)], tmp_path, extra_env={"NO_COLOR": "1"})
    try:
        term.expect(r"plain@aos-\S+\[Inbox:1\]>")  # the process's prompt, its colours removed
        term.child.send("print('\\27[31m' .. 'r' .. 'ed\\27[0m')\r")
        term.expect(r"red")
        term.expect(r"Inbox")
    finally:
        term.close()
    assert not re.search(r"\x1b\[(?:[0-9;]*;)?3[0-9]m", term.log.getvalue())


def test_plain_aos_on_a_fresh_home_gives_a_prompt_that_evaluates(tmp_path: Path) -> None:
    # The README's first command: no flags, the embedded node, the process `default`.
    term = Terminal([], tmp_path, extra_env={"AOS_DATA_DIR": str(tmp_path / "node")})
    try:
        term.expect(r"Your process 'default': ")
        term.expect(r"default")
        term.expect(r"Inbox")
        term.child.send("1 + 41\r")
        term.expect(r"42")
        term.child.send(".exit\r")
        term.child.expect(pexpect.EOF, timeout=10)
    finally:
        term.close()
    assert term.child.exitstatus == 0
    assert (tmp_path / ".aos.json").stat().st_mode & 0o777 == 0o600
