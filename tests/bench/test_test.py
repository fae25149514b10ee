"""`aos bench test` runs its generated suite and prints its figures (never timed here)."""

from __future__ import annotations

import pytest

from aos.bench import test as bench


def test_bench_prints_the_suite_figure(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--runs", "1", "--tests", "2", "--transfers", "2", "--purchases", "1", "--no-start"]
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("(a) suite: 2 tests, 12 test messages (")
    assert "s CPU per 1,000 messages (target <= 1 s), median of 1" in out


def test_bench_prints_the_start_up_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--runs", "1", "--tests", "1", "--transfers", "1", "--purchases", "1"]) == 0
    assert "(b) start-up: aos test on a one-test suite: " in capsys.readouterr().out


def test_bench_rejects_zero_runs() -> None:
    with pytest.raises(SystemExit):
        bench.main(["--runs", "0"])
