"""Rough edges of the aos console that we fix, typed into the real shell (docs/compat.md §5)."""

from __future__ import annotations

import time
from pathlib import Path

from aos.client import AoClient
from tests.support.repl import Driver, spawn


def test_5_2_exit_is_immediate_and_saves_history(client: AoClient, tmp_path: Path) -> None:
    state = tmp_path / "shell"
    pid = spawn(client, state)
    driver = Driver(client, pid, state, live=True)
    started = time.monotonic()
    driver.run([(None, "return 'kept'\r"), ("kept", ".exit\r")])
    assert time.monotonic() - started < 10
    history = (state / "history").glob("*.history")
    assert any("return 'kept'" in p.read_text() for p in history)
    assert driver.repl is not None and not driver.repl.feed.running
