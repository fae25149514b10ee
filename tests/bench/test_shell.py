"""`aos bench shell` runs end to end in a pty and prints its figures (speed is not asserted)."""

from __future__ import annotations

import re

import pytest

from aos.bench import shell


@pytest.mark.e2e
def test_bench_shell_pastes_checks_the_order_and_prints_the_rates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert shell.main(["--lines", "30", "--runs", "1", "--typed", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"run 1: 30 lines pasted, [\d.]+ s, [\d.]+ lines/s(, [\d.]+ ms CPU a line)? "
        r"\(all in order\)",
        out,
    )
    assert re.search(r"typed line, Enter to result: p50 [\d.]+ ms", out)
    assert re.search(r"keyed line \(keys 10 ms apart\), Enter alone to result: p50 [\d.]+ ms", out)
    assert re.search(r"paste median: [\d.]+ lines/s \(target >= 50: (met|NOT met)\)", out)


def test_the_order_check_finds_a_result_out_of_place() -> None:
    good = 'p> return "T" .. 0 .. "!"\nT0!\np> return "T" .. 1 .. "!"\nT1!\n'
    assert shell.check_order(good, 2, "T") is None
    swapped = 'p> return "T" .. 0 .. "!"\np> return "T" .. 1 .. "!"\nT0!\nT1!\n'
    assert "not right under its own prompt" in (shell.check_order(swapped, 2, "T") or "")
    spun = 'p> return "T" .. 0 .. "!"\n⠋ [Computing...]\nT0!\n'  # erased on a real screen
    assert shell.check_order(spun, 1, "T") is None
