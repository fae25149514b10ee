"""The stored-result chain check, and the side-by-side rendering of two results."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from rich.console import Console

from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash
from aos.verify.diff import side_by_side
from aos.verify.resultcheck import check_results
from aos.verify.source import StoredResult


def stored(count: int) -> list[StoredResult]:
    out, chain = [], GENESIS_CHAIN
    for n in range(count):
        value = {"Output": {"data": f"out {n}"}, "Messages": [], "Spawns": [], "Assignments": []}
        rh = result_hash(value)
        chain = chain_hash(chain, rh)
        out.append(StoredResult(n, n, "", f"m{n}", 1000 + n, json.dumps(value), rh, chain))
    return out


def test_a_consistent_chain_passes() -> None:
    assert check_results(stored(5)) is None


def test_a_changed_result_hash_column_is_named() -> None:
    rows = stored(5)
    rows[3] = replace(rows[3], result_hash="00" * 32)
    problem = check_results(rows)
    assert problem is not None and problem.nonce == 3
    assert "result hash" in problem.what


def test_a_changed_chain_hash_column_is_named() -> None:
    rows = stored(5)
    rows[2] = replace(rows[2], chain_hash="11" * 32)
    problem = check_results(rows)
    assert problem is not None and problem.nonce == 2 and "chain hash" in problem.what


def test_a_result_that_is_not_json_is_named() -> None:
    rows = stored(3)
    rows[1] = replace(rows[1], result_json="{not json")
    problem = check_results(rows)
    assert problem is not None and problem.nonce == 1 and "not valid JSON" in problem.what


def test_a_missing_position_is_named() -> None:
    rows = stored(4)
    del rows[1]
    problem = check_results(rows)
    assert problem is not None and problem.nonce == 2 and "missing" in problem.what


def render(table: object) -> str:
    buf = io.StringIO()
    Console(file=buf, width=100, color_system=None).print(table)
    return buf.getvalue()


def test_side_by_side_puts_the_differing_lines_next_to_each_other() -> None:
    a = {"Output": {"data": "stored text", "prompt": "aos> "}, "Messages": [], "n": list(range(20))}
    b = {
        "Output": {"data": "replayed text", "prompt": "aos> "},
        "Messages": [],
        "n": list(range(20)),
    }
    text = render(side_by_side(a, b, title="result of nonce 7"))
    assert "result of nonce 7" in text
    line = next(row for row in text.splitlines() if "stored text" in row)
    assert "replayed text" in line  # same row, two columns
    assert "equal lines" in text  # the long equal run is shortened


def test_side_by_side_of_a_missing_side() -> None:
    text = render(side_by_side(None, {"Output": "x"}))
    assert "(no result)" in text and '"Output": "x"' in text
