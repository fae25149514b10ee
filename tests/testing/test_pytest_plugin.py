"""aos.testing.pytest_plugin: the `ao_net` fixture, in a pytest run of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.specs import write_suite

USER_TEST = """
from aos.testing import Net


def test_counter(ao_net: Net) -> None:
    p = ao_net.spawn(files=["counter.lua"])
    p.send(From="owner", Action="Add")
    p.send(From="owner", Action="Add")
    assert p.get("Count") == 2
    ao_net.expect_sent(Target="owner", Action="Added", Count="2")


def test_each_test_has_its_own_net(ao_net: Net) -> None:
    assert ao_net.processes == {} and ao_net.sent == []
"""
COUNTER = """
Count = 0
Handlers.add("Add", "Add", function(msg)
  Count = Count + 1
  msg.reply({ Action = "Added", Count = tostring(Count) })
end)
"""


def test_the_fixture_gives_each_test_a_net_that_finds_files_next_to_it(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"tests/test_user.py": USER_TEST, "tests/counter.lua": COUNTER})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "aos.testing.pytest_plugin", "tests"],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
