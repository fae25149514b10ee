"""Verdicts and evaluator deaths: the results the node decided, and what led to a quarantine.

What a verdict means is aos.log.verdicts'; who counts the deaths is
aos.node.units.quarantine. Here they are stored: a verdict once (the first one stands),
and a death count that becomes a quarantine verdict in the same transaction.
"""

from __future__ import annotations

from aos.clock import now_ms
from aos.log.schema import VERDICT_SQL
from aos.log.verdicts import VerdictKey, quarantine_error
from aos.node.store.access import Access
from aos.node.store.tx import Tx


class Verdicts(Access):
    """The reads and writes of tables verdicts and evaluator_deaths."""

    def verdicts(self, process: str) -> dict[VerdictKey, str]:
        """The results the node decided for `process`, by result key."""
        rows = self._rows(VERDICT_SQL, (process,))
        return {(int(r[0]), int(r[1]), str(r[2])): str(r[3]) for r in rows}

    def record_death(self, process: str, key: VerdictKey, threshold: int) -> tuple[int, bool]:
        """Count one end of an evaluator while it ran `key` of `process`; at `threshold`
        record the quarantine verdict, unless that evaluation already has a result (a
        replay of a stored message: the node never rewrites history). (deaths, verdict
        recorded now)."""
        timestamp, ordinate, cron = key
        with self.write() as tx:
            tx.conn.execute(
                "INSERT INTO evaluator_deaths (process, timestamp, ordinate, cron, deaths,"
                " last_at) VALUES (?,?,?,?,1,?) ON CONFLICT (process, timestamp, ordinate,"
                " cron) DO UPDATE SET deaths = deaths + 1, last_at = excluded.last_at",
                (process, timestamp, ordinate, cron, now_ms()),
            )
            deaths = int(
                tx.one(
                    "SELECT deaths FROM evaluator_deaths WHERE process = ? AND timestamp = ?"
                    " AND ordinate = ? AND cron = ?",
                    (process, timestamp, ordinate, cron),
                )[0]
            )
            if deaths < threshold:
                return deaths, False
            stored = tx.one(
                "SELECT 1 FROM results WHERE process = ? AND timestamp = ? AND ordinate = ?"
                " AND cron = ?",
                (process, timestamp, ordinate, cron),
            )
            if stored is not None:
                return deaths, False
            return deaths, self._add_verdict(tx, process, key, quarantine_error(deaths, cron))

    def add_verdict(self, process: str, key: VerdictKey, error: str) -> bool:
        """Record that the result at `key` of `process` is `error`, decided by the node
        (False if a verdict is already there: the first one stands)."""
        with self.write() as tx:
            return self._add_verdict(tx, process, key, error)

    @staticmethod
    def _add_verdict(tx: Tx, process: str, key: VerdictKey, error: str) -> bool:
        cur = tx.conn.execute(
            "INSERT OR IGNORE INTO verdicts (process, timestamp, ordinate, cron, error,"
            " created_at) VALUES (?,?,?,?,?,?)",
            (process, *key, error, now_ms()),
        )
        return cur.rowcount == 1
