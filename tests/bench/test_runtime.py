"""`aos bench runtime` runs and prints its figures (a smoke test; speed is not asserted)."""

from __future__ import annotations

import pytest

from aos.bench import runtime


def test_bench_prints_rates_and_idle_memory(capsys: pytest.CaptureFixture[str]) -> None:
    code = runtime.main(["--messages", "30", "--runs", "1", "--processes", "2", "--no-limits"])
    out = capsys.readouterr().out
    assert code == 0
    assert "(a) Eval 1+1" in out and "(b) Action=Inc handler" in out
    assert "idle process: Lua memory" in out


def test_bench_rejects_empty_runs() -> None:
    with pytest.raises(SystemExit):
        runtime.main(["--runs", "0"])
