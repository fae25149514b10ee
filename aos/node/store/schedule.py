"""Schedule slots: a process's entries by nonce, by time, by message id, with their items.

The scheduler writes the slots inside its transaction (aos.node.store.tx.Tx.append); here
they are read back, for the compute unit's evaluator and the scheduler's HTTP routes.
"""

from __future__ import annotations

from aos.log.records import Entry, Item, entry_from_row, item_from_row
from aos.log.schema import ENTRY_COLS, ITEM_COLS, ITEM_JOIN
from aos.node.store.access import Access


class Schedule(Access):
    """The reads of table schedule."""

    def entry_by_id(self, process: str, some_id: str) -> Entry | None:
        """The slot whose message id or assignment id is `some_id`."""
        row = self._one(
            f"SELECT {ENTRY_COLS} FROM schedule WHERE process = ? AND message_id = ?",
            (process, some_id),
        )
        if row is None:
            row = self._one(
                f"SELECT {ENTRY_COLS} FROM schedule WHERE process = ? AND assignment_id = ?",
                (process, some_id),
            )
        return None if row is None else entry_from_row(row)

    def entries(
        self, process: str, after_nonce: int, to_nonce: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        """Slots with after_nonce < nonce <= to_nonce, in order."""
        upper = (1 << 62) if to_nonce is None else to_nonce
        rows = self._rows(
            f"SELECT {ENTRY_COLS} FROM schedule WHERE process = ? AND nonce > ? AND nonce <= ?"
            " ORDER BY nonce LIMIT ?",
            (process, after_nonce, upper, limit),
        )
        return [entry_from_row(r) for r in rows]

    def entries_by_time(
        self, process: str, after_ts: int | None, to_ts: int | None, limit: int
    ) -> list[Entry]:
        """Slots with after_ts < timestamp <= to_ts, in order (found by nonce: the
        scheduler makes timestamps strictly increase with it)."""
        after = -1 if after_ts is None else self._last_nonce_at(process, after_ts)
        upper = None if to_ts is None else self._last_nonce_at(process, to_ts)
        if upper is not None and upper <= after:
            return []
        return self.entries(process, after, upper, limit)

    def _last_nonce_at(self, process: str, ts: int) -> int:
        """The highest nonce whose timestamp is <= ts (-1 if none): a bisection of
        point lookups on the primary key, so no per-message time index is needed."""
        head = self._one("SELECT head_nonce FROM processes WHERE id = ?", (process,))
        lo, hi = 0, (-1 if head is None else head[0]) + 1  # first nonce with time > ts
        while lo < hi:
            mid = (lo + hi) // 2
            row = self._one(
                "SELECT timestamp FROM schedule WHERE process = ? AND nonce = ?", (process, mid)
            )
            if row is None or row[0] > ts:
                hi = mid
            else:
                lo = mid + 1
        return lo - 1

    def entries_with_items(
        self, process: str, after_nonce: int, to_nonce: int | None, limit: int
    ) -> list[tuple[Entry, Item]]:
        """Slots joined with their items: what the evaluator consumes."""
        upper = (1 << 62) if to_nonce is None else to_nonce
        cols = ", ".join(f"s.{c.strip()}" for c in ENTRY_COLS.split(","))
        rows = self._rows(
            f"SELECT {cols}, {ITEM_COLS} FROM schedule s JOIN items ON items.id = s.message_id"
            f" {ITEM_JOIN}"
            " WHERE s.process = ? AND s.nonce > ? AND s.nonce <= ? ORDER BY s.nonce LIMIT ?",
            (process, after_nonce, upper, limit),
        )
        return [(entry_from_row(r[:9]), item_from_row(r[9:])) for r in rows]

    def assignment_raw(self, assignment_id: str) -> bytes | None:
        row = self._one(
            "SELECT assignment_raw FROM schedule WHERE assignment_id = ?", (assignment_id,)
        )
        return None if row is None else bytes(row[0])
