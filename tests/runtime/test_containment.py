"""No message can abort the OS process that evaluates it (issue 12, crash containment).

Lua calls its panic handler when an error is raised outside every protected call, and
lupa's handler lets the C runtime abort the whole OS process: the shell, or the evaluating
child and the HTTP worker of `aos serve`. Each case therefore runs in a subprocess (a
regression would kill the test runner); the child prints what the process answers after
the attack, and the test checks that it ran to the end.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs in the child: `ATTACK` is a list of (tags, data) messages sent before `1 + 1`.
CHILD = """
import sys
from tests.support.process import Proc

proc = Proc(**LIMITS)
for tags, data in ATTACK:
    result = proc.send(tags, data)
    print("error" if "Error" in result else "ok", flush=True)
print(proc.value("1 + 1"), flush=True)
"""


def run_child(attack: str, limits: str = "{}") -> subprocess.CompletedProcess[str]:
    code = f"LIMITS = {limits}\nATTACK = {attack}\n" + textwrap.dedent(CHILD)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_survived(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "PANIC" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.split()
    assert lines[-1] == "2"
    return lines[:-1]


@pytest.mark.slow
def test_fifty_messages_of_8_mib_do_not_abort_the_os_process() -> None:
    # About 32 of them fill the 256 MiB default; the next one used to make Lua run out of
    # memory while lupa pushed its Data, outside any protected call.
    done = run_child('[({"Action": "Note"}, "x" * (8 * 2**20))] * 50')
    outcomes = assert_survived(done)
    assert len(outcomes) == 50
    assert outcomes[0] == "ok" and outcomes[-1] == "error"


def test_a_full_memory_then_a_large_message_does_not_abort() -> None:
    fill = (
        '({"Action": "Eval"}, "Keep = {} for i = 1, 1e9 do '
        "Keep[i] = string.rep('k', 2^20) .. i end\")"
    )
    done = run_child(
        f'[{fill}, ({{"Action": "Note"}}, "y" * (12 * 2**20))]', "{'memory_limit': 32 * 2**20}"
    )
    assert assert_survived(done) == ["error", "error"]


def test_a_globals_metatable_that_raises_does_not_abort() -> None:
    # lupa looks up the global `debug` (for a traceback handler) on every call, outside
    # the protected call: with `debug` gone and an __index that raises, Lua panicked.
    attack = (
        '[({"Action": "Eval"}, "debug = nil setmetatable(_G, {__index = function(t, k) '
        'error(\'no global \' .. k) end})"), ({"Action": "Note"}, "")]'
    )
    done = run_child(attack)
    assert_survived(done)


def test_a_debug_table_whose_lookup_raises_does_not_abort() -> None:
    attack = (
        '[({"Action": "Eval"}, "debug = setmetatable({}, {__index = function() '
        'error(\'gotcha\') end})"), ({"Action": "Note"}, "")]'
    )
    assert_survived(run_child(attack))
