"""The command lines `aos serve` prints attach a working shell exactly as printed: ours (in
CI), ours with `--url` (the line for the console's HyperBEAM mode), and the official aos
console 2.0.16 in legacy mode (through the copy of its source that tests.support.console
finds, which its install.sh installs from the npm registry; the console itself is not on the
registry, so without that folder the test skips: tests.support.console). The console's
HyperBEAM mode with that line is tests/interop/console."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_aos
from tests.support.console import install_console
from tests.support.serving import Served
from tests.support.terminal import Terminal, loose

pytestmark = pytest.mark.e2e

HEADINGS = {
    "this shell": "this shell (aos in Python):",
    "the aos console": "the aos console (Node.js), legacy mode:",
    "--url": "the aos console in its default HyperBEAM mode (and this shell's --url):",
}


def printed_lines(served: Served) -> dict[str, str]:
    """The command lines under their headings in what `aos serve` printed."""
    lines = served.log.read_text().splitlines()
    out = {}
    for key, heading in HEADINGS.items():
        assert heading in lines, lines
        out[key] = lines[lines.index(heading) + 1].strip()
    return out


def split(line: str, name: str) -> tuple[dict[str, str], list[str]]:
    """(VAR=value prefixes, the command's words) of a printed line, NAME filled in."""
    words = shlex.split(line.replace("NAME", name))
    env = {}
    while "=" in words[0] and not words[0].startswith("-"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    assert words[0] == "aos", line
    return env, words[1:]


@pytest.mark.parametrize("which", ["this shell", "--url"])
def test_our_shell_attaches_with_the_line_aos_serve_prints(
    served: Served, tmp_path: Path, which: str
) -> None:
    env, args = split(printed_lines(served)[which], "printed")
    assert not env
    term = Terminal(args, tmp_path, timeout=120)
    try:
        term.expect(loose("printed@aos-"))
        term.expect(loose("]> "))
        term.send("1 + 41\r")
        term.expect(r"42")
        term.send("return ao.env.Process.Tags.Name\r")
        term.expect(r"printed")
    finally:
        term.close()
    assert term.child.exitstatus == 0


def test_the_aos_console_attaches_with_the_line_aos_serve_prints(
    served: Served, tmp_path: Path
) -> None:
    entry = str(install_console())
    env, args = split(printed_lines(served)["the aos console"], "console")
    assert set(env) == {"GATEWAY_URL"} and "--legacy" in args
    # a throw-away HOME (the console writes ~/.aos.json and its caches), no update check
    extra = {**env, "UPDATE_URL": "http://127.0.0.1:9/", "PROMPT_TOOLKIT_NO_CPR": "1"}
    node = os.environ.get("NODE", "node")
    term = Terminal(args, tmp_path, extra, argv0=[node, entry], timeout=180)
    try:
        term.expect(r"Inbox")
        term.send("1 + 41\r")
        term.expect(r"42")
    finally:
        term.child.sendcontrol("c")
        term.child.sendcontrol("c")
        term.child.close(force=True)
    assert "not trusted" not in term.log.getvalue()


def test_our_aos_takes_the_aos_console_line_too(served: Served, tmp_path: Path) -> None:
    # Users paste aos console commands: its legacy line works in our shell as it stands.
    _, args = split(printed_lines(served)["the aos console"], "pasted")
    done = run_aos(*args, "--run", "return ao.env.Process.Tags.Name", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pasted"


def test_the_lines_name_the_node_as_it_is(served: Served) -> None:
    lines = printed_lines(served)
    assert (
        f"--mu-url {served.url}/mu --cu-url {served.url}/cu --su-url {served.url}/su"
        in (lines["this shell"])
    )
    assert lines["the aos console"].startswith(f"GATEWAY_URL={served.url} aos NAME --legacy ")
    assert lines["--url"] == f"aos NAME --url {served.url}"
    assert sys.executable  # the tests run `aos` as `python -m aos`, the same program
