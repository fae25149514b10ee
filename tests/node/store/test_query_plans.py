"""Every query the node runs for a message uses an index: none scans a table whose size
grows with the log, so no per-message cost depends on how long the log is.

The statements are the ones a real node runs (traced on its own connections) while it
spawns, schedules, evaluates, pushes between processes, answers results, result pages and
dry-runs, and reads a process's past; each is explained by SQLite's planner.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from aos.node.store import store as store_module
from tests.support.ao import Ao

# Full scans that are allowed, and why: none of them is on a message's path, and none of
# their tables grows with a log (they are per process, or per monitor).
ALLOWED_SCANS = {
    "SCAN processes": "the crank's poll of every process's head: one row per process",
    "SCAN p": "(processes p) the scan for processes behind their head: one row per process",
    "SCAN monitors": "the monitored processes, one row each",
    "SCAN meta": "one row",
    "SCAN sqlite_master": "the schema, read when the store opens",
    "SCAN results USING INDEX results_pending": "a partial index of the results whose "
    "outbox is not delivered yet: as long as the pending work, not the log",
}
PING = """
Handlers.add("ping", "Ping", function(msg) msg.reply({ Action = "Pong", Data = msg.Data }) end)
Handlers.add("pong", "Pong", function(msg) Pongs = (Pongs or 0) + 1 end)
return "ok"
"""


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    connect = store_module.Store._connect

    def traced_connect(
        self: store_module.Store, busy_timeout_ms: int = 30_000
    ) -> sqlite3.Connection:
        conn = connect(self, busy_timeout_ms)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(store_module.Store, "_connect", traced_connect)
    return statements


# Columns that pick out one row or a few: an equality on one of them that the index the
# planner chose does not use means reading every row the rest of the index matches (all
# of a process's results, say), a scan in all but name.
IDENTIFYING = {"ordinate", "message_id", "assignment_id", "id", "nonce", "position", "key", "seq"}


def _unindexed_equalities(sql: str, plan: str) -> list[str]:
    where = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else ""
    wanted = {c for c in re.findall(r"\b(\w+) = \?", where) if c in IDENTIFYING}
    used = set(re.findall(r"(\w+)=\?", plan))
    return sorted(wanted - used) if "SEARCH" in plan and wanted else []


def _normalised(sql: str) -> str:
    return re.sub(r"'[^']*'|\b\d+\b|x'[0-9a-fA-F]*'", "?", " ".join(sql.split()))


def test_no_statement_on_a_message_path_scans_a_growing_table(
    traced: list[str], client: object, ao: Ao, node_dir: Path
) -> None:
    a = ao.spawn(data=PING, tags=[("On-Boot", "Data")])
    b = ao.spawn(data=PING, tags=[("On-Boot", "Data")])
    ao.result(a, a)
    ao.result(b, b)
    for i in range(30):
        ao.value(a, f"Send({{ Target = '{b}', Action = 'Ping', Data = '{i}' }}) return {i}")
        ao.send(b, action="Ping", data=str(i))
    ao.drain()
    assert ao.peek(a, "return Pongs") == "30"
    ao.http.get(f"/cu/results/{a}", params={"limit": 10, "sort": "DESC"})
    body = {"Tags": [{"name": "Action", "value": "Eval"}], "Data": "return 1"}
    ao.http.post("/cu/dry-run", params={"process-id": a, "to-nonce": "5"}, json=body)
    ao.http.get(f"/su/{a}", params={"process-id": a, "limit": 5})
    db = sqlite3.connect(node_dir / "node.sqlite3")
    try:
        seen: dict[str, str] = {}
        for sql in traced:
            head = sql.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE", "INSERT"):
                continue
            if head == "INSERT" and " SELECT " not in sql.upper():
                continue  # an INSERT … VALUES has no plan to speak of
            key = _normalised(sql)
            if key in seen:
                continue
            plan = " | ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
            seen[key] = plan
        scans = {
            key: plan
            for key, plan in seen.items()
            for step in plan.split(" | ")
            if step.startswith("SCAN") and step not in ALLOWED_SCANS and "CONSTANT ROW" not in step
        }
        scans.update({key: plan for key, plan in seen.items() if _unindexed_equalities(key, plan)})
    finally:
        db.close()
    assert len(seen) > 20  # the workload did run the node's queries
    assert scans == {}, "\n".join(f"{plan}\n    {key}" for key, plan in scans.items())
