"""Outbox pushes: the results whose outbox the messenger has not delivered, and the claims.

A result with an outbox stays uncranked until every message, spawn and assignment in it
was pushed (aos.node.units.mu); each push takes a claim in the transaction that
schedules or stores it (aos.node.store.tx.Tx.claim), so a crank that died half way, here
or in another OS process, pushes nothing twice when the next one starts over.
"""

from __future__ import annotations

from aos.log.records import ResultRow, result_from_row
from aos.log.schema import RESULT_COLS
from aos.node.store.access import Access


class Pushes(Access):
    """The crank's flag on results (cranked) and the reads of table claims."""

    def pending_pushes(self, process: str, limit: int = 100) -> list[ResultRow]:
        rows = self._rows(
            # The planner prefers the primary key, which scans every result of the process.
            f"SELECT {RESULT_COLS} FROM results INDEXED BY results_pending WHERE process = ?"
            " AND cranked = 0 AND has_outbox = 1 ORDER BY position LIMIT ?",
            (process, limit),
        )
        return [result_from_row(r) for r in rows]

    def mark_cranked(self, process: str, position: int) -> None:
        with self.write() as tx:
            tx.conn.execute(
                "UPDATE results SET cranked = 1 WHERE process = ? AND position = ?",
                (process, position),
            )

    def claim_exists(self, key: str) -> bool:
        row = self._one("SELECT 1 FROM claims WHERE key = ?", (key,))
        return row is not None

    def claimed_item(self, key: str) -> str | None:
        """The id of the item scheduled under claim `key`, if it was taken."""
        row = self._one("SELECT item_id FROM claims WHERE key = ?", (key,))
        return None if row is None else str(row[0])
