"""Processes: one process's row and head, the list of them, and the monitored ones.

What the crank polls and scans (aos.node.units.crank): every head, the processes that a
crash left behind their head or with undelivered outboxes, the processes whose crons it
ticks. A process's row is created and its head moved in the scheduler's transaction
(aos.node.store.tx.Tx); the monitors, one row per process, are set here.
"""

from __future__ import annotations

from aos.clock import now_ms
from aos.log.records import Head, ProcessRow
from aos.log.schema import HEAD_SQL
from aos.node.store.access import Access


class Processes(Access):
    """The reads of table processes; the reads and writes of table monitors."""

    def process(self, process: str) -> ProcessRow | None:
        row = self._one(HEAD_SQL, (process,))
        return None if row is None else ProcessRow(row[0], row[1], row[2], row[3], Head(*row[4:9]))

    def heads(self) -> list[tuple[str, int]]:
        """(process id, head nonce) of every process: what the crank polls."""
        return [(r[0], r[1]) for r in self._rows("SELECT id, head_nonce FROM processes")]

    def process_ids(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT id FROM processes")]

    def processes_needing_work(self) -> list[str]:
        """Processes with unevaluated slots or results whose outbox is not pushed yet."""
        behind = self._rows(
            "SELECT p.id FROM processes p WHERE p.head_nonce >"
            " COALESCE((SELECT max(r.ordinate) FROM results r WHERE r.process = p.id), -1)"
        )
        pending = self._rows(
            "SELECT DISTINCT process FROM results INDEXED BY results_pending"
            " WHERE cranked = 0 AND has_outbox = 1"
        )
        return sorted({r[0] for r in behind} | {r[0] for r in pending})

    def set_monitor(self, process: str, on: bool) -> None:
        with self.write() as tx:
            if on:
                tx.conn.execute(
                    "INSERT OR IGNORE INTO monitors (process, created_at) VALUES (?, ?)",
                    (process, now_ms()),
                )
            else:
                tx.conn.execute("DELETE FROM monitors WHERE process = ?", (process,))

    def monitored(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT process FROM monitors")]
