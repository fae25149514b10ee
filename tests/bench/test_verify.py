"""`aos bench verify` runs end to end on a small log and prints its three figures."""

from __future__ import annotations

import re

import pytest

from aos.cli import main as aos_main


@pytest.mark.slow
def test_bench_verify_prints_replay_verify_and_attach(capsys: pytest.CaptureFixture[str]) -> None:
    assert aos_main(["bench", "verify", "--messages", "150", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"replay:\s+[\d,]+ msg/s", out), out
    assert re.search(r"verify:\s+[\d,]+ msg/s", out), out
    assert re.search(r"prompt:\s+[\d.]+ s to the first prompt", out), out
    assert re.search(r"attach:\s+[\d.]+ s", out), out
