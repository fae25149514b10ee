"""No query of `aos verify` costs more than its log's length: none scans a process's rows
once per row (a correlated subquery searched by process alone), so a 100,000-message
verify is not 100,000 x 100,000 row reads (it was, for the count of unevaluated slots)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from aos.cli import main as aos_main
from tests.support.nodelog import build_process


def test_no_verify_query_reads_a_process_once_per_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "node"
    pid = build_process(data_dir, 60, children=1)
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)  # the reader's connections
    assert aos_main(["verify", pid, "--data-dir", str(data_dir)]) == 0, capsys.readouterr().out
    selects = {s for s in statements if s.lstrip().upper().startswith("SELECT")}
    assert selects
    db = sqlite3.connect(data_dir / "node.sqlite3")
    bad = []
    for sql in selects:
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        for i, step in enumerate(plan):
            # A correlated subquery that searches a log table by process alone reads all
            # of the process's rows for each row of the outer query.
            if step.startswith("CORRELATED") and any(
                s.endswith("(process=?)") for s in plan[i + 1 :]
            ):
                bad.append(f"{sql}\n  {plan}")
    db.close()
    assert bad == []
