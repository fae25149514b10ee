"""The shell in a real pty against `aos serve` on a loopback port (pexpect).

One `aos serve` per module and protocol on a free port; each test runs twice, once with the
legacy unit flags and once with `--url` (HyperBEAM), starting `aos` as a user would, with
HOME and the data directories in tmp_path. On a timeout the failure shows what was
expected, what came last and the whole terminal log.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_", "NO_COLOR"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PROMPT_TOOLKIT_NO_CPR="1",
        COLUMNS="120",
        LINES="40",
        TERM="xterm",
    )
    return env


@dataclass(frozen=True)
class Server:
    base: str
    protocol: str  # "legacy": the MU/CU/gateway flags; "url": --url, HyperBEAM


@pytest.fixture(scope="module", params=["legacy", "url"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("server")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aos", "serve", "--port", str(port), "--data-dir", str(home / "n")],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                proc.kill()
                pytest.fail(f"aos serve did not start on {base}:\n{out}")
            time.sleep(0.1)
    yield Server(base, request.param)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _unit_flags(server: Server) -> list[str]:
    if server.protocol == "url":
        return ["--url", server.base]
    base = server.base
    return ["--mu-url", f"{base}/mu", "--cu-url", f"{base}/cu", "--gateway-url", base]


_ESC = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def loose(text: str) -> str:
    """A regex for `text` as a terminal draws it: colour escapes between any characters."""
    return _ESC.join(re.escape(ch) if ch != " " else r"\s*" for ch in text)


class Terminal:
    def __init__(
        self, args: list[str], home: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.log = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "aos", *args],
            env={**_env(home), **(extra_env or {})},
            encoding="utf-8",
            timeout=30,
            dimensions=(40, 120),
        )
        self.child.logfile_read = self.log

    def expect(self, pattern: str, timeout: float = -1) -> str:
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as err:
            raise AssertionError(
                f"Expected: {pattern!r}\nActual: {self.child.before!r}\n"
                f"Full log:\n{self.log.getvalue()}"
            ) from err
        return str(self.child.after)

    def close(self) -> None:
        if self.child.isalive():
            self.child.sendcontrol("c")  # clear any typed text, then leave with .exit
            self.child.send(".exit\r")
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)
        self.child.close()


def test_a_pty_session_evaluates_and_shows_live_messages_without_eating_the_typed_line(
    server: Server, tmp_path: Path
) -> None:
    term = Terminal(["demo", *_unit_flags(server)], tmp_path)
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
                *_unit_flags(server),
                "--run",
                f'Send({{Target = "{ours}", Action = "Ping", Data = "hi"}})',
            ],
            env=_env(tmp_path),
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


def test_exit_with_ctrl_d_saves_history(server: Server, tmp_path: Path) -> None:
    term = Terminal(["keep", *_unit_flags(server)], tmp_path)
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


def test_ctrl_c_cancels_the_wait_and_the_shell_goes_on(server: Server, tmp_path: Path) -> None:
    term = Terminal(["busy", *_unit_flags(server)], tmp_path)
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


def test_no_color_output_has_no_colour_escapes(server: Server, tmp_path: Path) -> None:
    term = Terminal(["plain", *_unit_flags(server)], tmp_path, extra_env={"NO_COLOR": "1"})
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


def _aos_run(server: Server, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aos", *args, *_unit_flags(server)],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_burst_of_50_messages_is_all_shown_in_the_live_feed(
    server: Server, tmp_path: Path
) -> None:
    term = Terminal(["burst", *_unit_flags(server)], tmp_path)
    try:
        ours = term.expect(r"Your process 'burst': [A-Za-z0-9_-]{43}")[-43:]
        term.expect(r"Inbox")
        burst = f'for i = 1, 50 do Send({{Target = "{ours}", Data = "burst-" .. i}}) end'
        sender = _aos_run(server, tmp_path, "bursty", "--run", burst)
        assert sender.returncode == 0, sender.stderr
        term.expect(loose("Data = burst-50"), timeout=60)
        term.expect(r"Inbox")
    finally:
        term.close()
    shown = re.findall(
        r"Data = burst-(\d+)", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term.log.getvalue())
    )
    assert shown == [str(i) for i in range(1, 51)]  # every one, once, in order


TICK = 'Handlers.add("tick", "Cron", function() Send({Target = ao.id, Action = "Tock"}) end)'


def test_dryrun_changes_nothing_and_monitor_runs_the_crons(server: Server, tmp_path: Path) -> None:
    term = Terminal(["ticking", "--cron", "1-second", *_unit_flags(server)], tmp_path)
    try:
        term.expect(r"Inbox")
        term.child.send("x = 1\r")
        term.expect(r"Inbox")
        term.child.send(".dryrun\r")
        term.expect(r"Dryrun mode engaged")
        term.child.send("x = 99; return 'dry ' .. x\r")
        term.expect(r"dry 99")
        term.child.send(".dryrun\r")
        term.expect(r"Dryrun mode disengaged")
        term.child.send("return 'x is ' .. x\r")
        term.expect(r"x is 1")
        term.child.send(TICK + "\r")
        term.expect(r"Inbox")
        term.child.send(".monitor\r")
        term.expect(r"monitoring")
        term.expect(loose("Action = Tock"), timeout=30)  # a cron tick's Send, pushed by the node
        term.child.send(".unmonitor\r")
        term.expect(r"monitoring stopped")
    finally:
        term.close()
    assert term.child.exitstatus == 0
