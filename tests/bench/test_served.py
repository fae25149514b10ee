"""`aos bench served` runs end to end and prints both medians (speed is not asserted)."""

from __future__ import annotations

import re

import pytest

from aos.bench import served


@pytest.mark.e2e
def test_bench_served_prints_both_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    served.main(["--rounds", "4", "--runs", "1"])
    out = capsys.readouterr().out
    assert re.search(r"run 1: .* legacy [\d.]+ ms, HyperBEAM [\d.]+ ms \([\d.]+x\)", out)
    assert re.search(
        r"legacy [\d.]+ ms, HyperBEAM \(--url\) [\d.]+ ms; HyperBEAM/legacy [\d.]+x", out
    )
