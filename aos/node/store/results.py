"""Results: what the compute unit stores after evaluating, and every way they are read back.

A result is keyed by (process, position); the routes page them by (timestamp, ordinate,
cron), the compute unit finds one by nonce and a cold rebuild compares hashes only. What
the columns mean is aos.log's (records.ResultRow, schema.RESULT_COLS).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aos.log.records import NewResult, ResultRow, result_from_row
from aos.log.schema import RESULT_COLS
from aos.node.store.access import Access


class Results(Access):
    """The reads and writes of table results (and of process_load, written with them)."""

    def put_results(
        self, results: Sequence[NewResult], load: tuple[int, int] | None = None
    ) -> None:
        """Store results; a row another OS process stored first (same key) is kept.
        `load` is (last evaluated nonce, Lua memory in bytes) of their process after them,
        kept for the admission quota (aos.node.units.quota) in the same transaction."""
        if not results:
            return
        with self.write() as tx:
            if load is not None:
                tx.conn.execute(
                    "INSERT INTO process_load (process, nonce, memory) VALUES (?,?,?)"
                    " ON CONFLICT (process) DO UPDATE SET nonce = excluded.nonce,"
                    " memory = excluded.memory WHERE excluded.nonce >= process_load.nonce",
                    (results[0].process, *load),
                )
            tx.conn.executemany(
                "INSERT OR IGNORE INTO results (process, position, ordinate, cron, message_id,"
                " timestamp, block_height, error, has_outbox, result, result_hash, chain_hash)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.process,
                        r.position,
                        r.ordinate,
                        r.cron,
                        r.message_id,
                        r.timestamp,
                        r.block_height,
                        int(r.error),
                        int(r.has_outbox),
                        r.result_json,
                        r.result_hash,
                        r.chain_hash,
                    )
                    for r in results
                ],
            )

    def result_at_nonce(self, process: str, nonce: int) -> ResultRow | None:
        row = self._one(
            # Without statistics the planner takes the primary key and scans every result
            # of the process: the cost of a read would grow with the log.
            f"SELECT {RESULT_COLS} FROM results INDEXED BY results_ordinate"
            " WHERE process = ? AND ordinate = ? AND cron = '' LIMIT 1",
            (process, nonce),
        )
        return None if row is None else result_from_row(row)

    def last_result(self, process: str) -> ResultRow | None:
        row = self._one(
            f"SELECT {RESULT_COLS} FROM results WHERE process = ? ORDER BY position DESC LIMIT 1",
            (process,),
        )
        return None if row is None else result_from_row(row)

    def result_hashes(self, process: str, after_position: int, limit: int) -> dict[int, str]:
        """{position: result_hash} of up to `limit` stored results after `after_position`.

        Only two columns, no JSON: a cold rebuild compares its replayed hashes with these."""
        rows = self._rows(
            "SELECT position, result_hash FROM results WHERE process = ? AND position > ?"
            " ORDER BY position LIMIT ?",
            (process, after_position, limit),
        )
        return {int(r[0]): str(r[1]) for r in rows}

    def results(
        self, process: str, after_position: int = -1, limit: int = 1 << 30
    ) -> list[ResultRow]:
        rows = self._rows(
            f"SELECT {RESULT_COLS} FROM results WHERE process = ? AND position > ?"
            " ORDER BY position LIMIT ?",
            (process, after_position, limit),
        )
        return [result_from_row(r) for r in rows]

    def results_page(
        self,
        process: str,
        low: tuple[int, int, str] | None,
        high: tuple[int, int, str] | None,
        descending: bool,
        limit: int,
        cron_only: bool = False,
        include_errors: bool = False,
    ) -> list[ResultRow]:
        """Results with low < (timestamp, ordinate, cron) <= high; without the ones that
        ended in an Error (as the reference CU) unless `include_errors`."""
        where = ["process = ?"] if include_errors else ["process = ?", "error = 0"]
        params: list[Any] = [process]
        if low is not None:
            where.append("(timestamp, ordinate, cron) > (?, ?, ?)")
            params.extend(low)
        if high is not None:
            where.append("(timestamp, ordinate, cron) <= (?, ?, ?)")
            params.extend(high)
        if cron_only:
            where.append("cron != ''")
        order = "DESC" if descending else "ASC"
        rows = self._rows(
            f"SELECT {RESULT_COLS} FROM results WHERE {' AND '.join(where)}"
            f" ORDER BY timestamp {order}, ordinate {order}, cron {order} LIMIT ?",
            (*params, limit),
        )
        return [result_from_row(r) for r in rows]
