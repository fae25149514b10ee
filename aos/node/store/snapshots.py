"""Stored snapshots of process states: kept, found by nonce, thinned out.

How a snapshot is sealed and checked before use is aos.log.snapshots'; which ones are
kept is aos.node.units.states'. Here they are only rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from aos.clock import now_ms
from aos.log.records import SnapshotRow, snapshot_from_row
from aos.log.schema import SNAPSHOT_COLS, SNAPSHOT_READ
from aos.node.store.access import Access


class Snapshots(Access):
    """The reads and writes of table snapshots."""

    def put_snapshot(self, snap: SnapshotRow) -> None:
        """Store a snapshot; one at the same nonce is replaced (a later one at that nonce
        has the crons evaluated after it too)."""
        with self.write() as tx:
            tx.conn.execute(
                f"INSERT OR REPLACE INTO snapshots ({SNAPSHOT_COLS}, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (snap.process, snap.nonce, snap.position, snap.chain_hash, snap.state_hash,
                 snap.evaluator, snap.data, snap.mac, now_ms()),
            )  # fmt: skip

    def latest_snapshot(self, process: str, at_most: int | None = None) -> SnapshotRow | None:
        """The snapshot with the highest nonce (≤ `at_most` if given)."""
        row = self._one(
            f"SELECT {SNAPSHOT_READ} FROM snapshots WHERE process = ? AND nonce <= ?"
            " ORDER BY nonce DESC LIMIT 1",
            (process, (1 << 62) if at_most is None else at_most),
        )
        return None if row is None else snapshot_from_row(row)

    def snapshot_nonces(self, process: str) -> list[int]:
        return [int(r[0]) for r in self._rows(
            "SELECT nonce FROM snapshots WHERE process = ? ORDER BY nonce", (process,)
        )]  # fmt: skip

    def delete_snapshots(self, process: str, nonces: Sequence[int]) -> None:
        if nonces:
            with self.write() as tx:
                tx.conn.executemany(
                    "DELETE FROM snapshots WHERE process = ? AND nonce = ?",
                    [(process, n) for n in nonces],
                )
