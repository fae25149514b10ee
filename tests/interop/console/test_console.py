"""The official aos console 2.0.16 in its default (HyperBEAM) mode against `aos serve`.

In a real pty with a throw-away HOME, as a user runs `aos demo --url http://…`: it asks
the node for its address, spawns through `/push`, evaluates through
`/<pid>~process@1.0/push` and `compute/results=<slot>`, and polls `slot/current` for its
live feed. Restarted (with its local process cache removed), it finds the process again
through our gateway's GraphQL and its state is there. tests.support.console says where the
console comes from (it is not on the npm registry) and why a run may skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from aos.wallet import Wallet
from tests.support.console import install_console
from tests.support.serving import Served, with_node_keys
from tests.support.terminal import ESC, Terminal, loose

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

PID = r"([A-Za-z0-9_-]{43})"


def prompt(name: str) -> str:
    """The process's prompt as the console draws it, `name@aos-2.0.4[Inbox:N]>`."""
    return loose(f"{name}@aos-") + r"[\d.]+" + ESC + r"\[Inbox:" + ESC + r"\d+" + ESC + r"\]"


@pytest.fixture(scope="module")
def console() -> Path:
    return install_console()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    node = Served(with_node_keys(tmp_path / "node"))
    node.start()
    yield node
    node.stop()


def _start(console: Path, served: Served, home: Path) -> Terminal:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TERM": "xterm",
        "UPDATE_URL": "http://127.0.0.1:9/",  # the update check stays on this machine
        "GATEWAY_URL": served.url,  # the console's GraphQL (it reads it before its flags)
    }
    args = [str(console), "demo", "--url", served.url, "--wallet", str(home / "wallet.json")]
    return Terminal("node", args, env, timeout=60)


def test_the_console_boots_evaluates_shows_errors_and_live_messages_and_finds_it_again(
    console: Path, served: Served, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "wallet.json").write_text(json.dumps(Wallet.generate().jwk))
    term = _start(console, served, home)
    try:
        pid = term.expect(r"Your AOS Process: " + ESC + PID).group(1)
        term.expect(prompt("demo"))
        term.line("1 + 41")
        term.expect(r"42\r\n")
        term.expect(prompt("demo"))
        term.line('print("hello " .. "there")')
        term.expect(r"hello there\r\n")
        term.expect(prompt("demo"))
        term.line('error("bo" .. "om")')
        term.expect(loose("boom"))
        term.expect(r"This error occurred while aos was evaluating the submitted code\.")
        term.expect(prompt("demo"))
        term.line('Memo = "kept" .. " alive"')
        term.expect(prompt("demo"))
        term.line('Send({Target = ao.id, Data = "pi" .. "ng"})')
        term.expect(loose("New Message From"), timeout=30)  # the live feed, 2 s polls
        term.expect(loose("Data = ping"))
        term.line(".exit")
        term.expect("Exiting")
        term.child.expect(pexpect.EOF, timeout=15)
    finally:
        term.close()
    # Restarted without its local cache: found by name through our gateway, state intact.
    (home / ".aos-process-cache.json").unlink()
    again = _start(console, served, home)
    try:
        assert again.expect(r"Your AOS Process: " + ESC + PID).group(1) == pid
        again.expect(prompt("demo"))
        again.line("return Memo")
        again.expect(r"kept alive\r\n")
    finally:
        again.close()
