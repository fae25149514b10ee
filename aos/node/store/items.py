"""Items and their GraphQL index: one item by id, its signed bytes, the resolver's queries.

Scheduled messages are stored without their index rows (aos.node.store.tx.Tx.put_item);
`index_pending` writes them in batches, always before a GraphQL query runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aos.log.records import Item, item_from_row
from aos.log.schema import ITEM_COLS, ITEM_JOIN
from aos.log.stored import join_owner
from aos.node.store.access import Access

_MARK = "indexed_seq"  # meta key: items up to this seq are in item_tags and item_refs


class Items(Access):
    """The reads of table items, and the batch indexer of item_tags and item_refs."""

    def index_pending(self, batch: int = 5000) -> int:
        """Index the items stored with index_tags=False; returns how many.

        `meta.indexed_seq` marks how far this has run: every item up to it is indexed,
        and those after it whose `tags_indexed` is 1 were indexed when stored."""
        row = self._one(
            "SELECT (SELECT max(seq) FROM items), (SELECT value FROM meta WHERE key = ?)",
            (_MARK,),
        )
        if row is None or row[0] is None or row[0] <= (row[1] or 0):
            return 0  # the usual case: no write lock taken
        done = 0
        while True:
            with self.write() as tx:
                mark = tx.one("SELECT value FROM meta WHERE key = ?", (_MARK,))[0]
                rows = tx.conn.execute(
                    f"SELECT {ITEM_COLS}, items.tags_indexed FROM items {ITEM_JOIN}"
                    " WHERE items.seq > ? ORDER BY items.seq LIMIT ?",
                    (mark, batch),
                ).fetchall()
                if not rows:
                    return done
                items = [item_from_row(r) for r in rows if not r[-1]]
                tx.index_rows([(i.seq, i.owner, i.target, i.tags) for i in items])
                tx.conn.execute("UPDATE meta SET value = ? WHERE key = ?", (rows[-1][0], _MARK))
            done += len(items)

    def count_capped(self, subquery: str, params: Sequence[Any], cap: int) -> int:
        """How many rows `subquery` yields, counting no further than `cap`."""
        row = self._one(f"SELECT count(*) FROM ({subquery} LIMIT {int(cap)})", params)
        return int(row[0]) if row else 0

    def item(self, item_id: str) -> Item | None:
        found = self._one(
            f"SELECT {ITEM_COLS} FROM items {ITEM_JOIN} WHERE items.id = ?", (item_id,)
        )
        return None if found is None else item_from_row(found)

    def item_raw(self, item_id: str) -> bytes | None:
        """The signed bytes of an item (None for an unknown or unsigned one)."""
        row = self._one(
            f"SELECT owner_keys.key, items.body FROM items {ITEM_JOIN} WHERE items.id = ?",
            (item_id,),
        )
        return None if row is None or row[0] is None else join_owner(bytes(row[1]), bytes(row[0]))

    def query_items(self, where: str, params: Sequence[Any], order: str, limit: int) -> list[Item]:
        """Items for the GraphQL resolver; `where`/`order` are built by it from fixed parts."""
        sql = f"SELECT {ITEM_COLS} FROM items {ITEM_JOIN} WHERE {where} ORDER BY {order} LIMIT ?"
        return [item_from_row(r) for r in self._rows(sql, (*params, limit))]
