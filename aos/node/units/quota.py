"""The admission quota of a process (aos.node.units.authority, rule 5).

Anyone with a key may message any process, and a message the process does not handle stays
in its Inbox: some 32 messages of 8 MiB from a stranger used to fill a process to its memory
cap (issue 12, point 2). So a message whose sender is not the process's owner (the
authority's `sender` and `owner`, so a child's parent is its owner) is scheduled only while

  - fewer than `max_pending` messages of the process wait to be evaluated (a stranger cannot
    queue a backlog that the owner's next message would wait behind), and
  - the process's Lua memory after its last evaluation, plus the bytes of the messages that
    wait, plus this message, stay within `share` of its memory cap (so what strangers send
    can never bring it near the cap, counted before their messages are even evaluated).

Otherwise the sender gets 429 with a sentence saying which limit and what the owner can do;
a message pushed for a process is then skipped like any refused push. The owner is never
refused. The figures are not part of the log and nothing a process observes depends on
them: the quota decides only what enters a log, like a rate limit. The memory figure is
what the evaluating process reported with its last results (Store.put_results), garbage not
yet collected included, so it errs on the side of refusing early.
"""

from __future__ import annotations

import threading

from aos.dataitem import DataItem
from aos.errors import NodeError
from aos.limits import MAX_ITEM_BYTES, MIB
from aos.log.evaluator import ProcessInfo
from aos.log.records import Item, ProcessRow
from aos.log.runtimes import memory_limit_of
from aos.node.store import Tx
from aos.node.units.authority import Authority

MAX_PENDING = 1000
SHARE = 0.5


class OverQuota(NodeError):
    """The process takes no more messages from this sender for now (429)."""

    status = 429


class Quota:
    def __init__(
        self, authority: Authority, max_pending: int = MAX_PENDING, share: float = SHARE
    ) -> None:
        self.authority = authority
        self.max_pending = max_pending
        self.share = share
        self._caps: dict[str, int] = {}
        self._lock = threading.Lock()

    def _cap(self, pid: str) -> int:
        with self._lock:
            cap = self._caps.get(pid)
        if cap is None:
            store = self.authority.store
            spawn = store.item(pid)
            first = store.entries(pid, -1, 0, 1)
            if spawn is None or not first:
                return 0
            cap = memory_limit_of(ProcessInfo.from_spawn(spawn, first[0]))
            with self._lock:
                if len(self._caps) > 100_000:
                    self._caps.clear()
                self._caps[pid] = cap
        return cap

    def check_message(self, tx: Tx, row: ProcessRow, item: DataItem) -> None:
        """Inside the transaction that would schedule `item` on `row`: OverQuota or None."""
        self.check(tx, row, self.authority.sender(item), len(item.data) + len(item.raw_tags))

    def check_assigned(self, tx: Tx, row: ProcessRow, item: Item) -> None:
        """The same for a stored item being assigned to `row`."""
        size = len(item.data) + sum(len(t["name"]) + len(t["value"]) for t in item.tags)
        self.check(tx, row, self.authority.sender_of_item(item), size)

    def check(self, tx: Tx, row: ProcessRow, sender: str, size: int) -> None:
        """Inside the scheduling transaction of a message of `size` bytes for `row`."""
        owner = self.authority.owner(row.id)
        if sender == owner:
            return
        evaluated, memory = tx.load(row.id)
        waiting = row.head.nonce - evaluated
        if waiting >= self.max_pending:
            raise OverQuota(
                f"process {row.id} has {waiting} messages waiting to be evaluated, the most "
                f"it takes from anyone but its owner ({owner}); retry later"
            )
        budget = int(self._cap(row.id) * self.share)
        # The backlog is summed only when it could matter: each waiting message is at most
        # MAX_ITEM_BYTES, and far from the budget that bound already decides.
        if memory + size + waiting * MAX_ITEM_BYTES > budget:
            used = memory + size + (tx.pending_bytes(row.id, evaluated) if waiting else 0)
            if used > budget:
                raise OverQuota(
                    f"process {row.id} holds {memory // MIB} MiB and has "
                    f"{(used - memory - size) // MIB} MiB waiting; this message of "
                    f"{size // MIB} MiB would pass {budget // MIB} MiB, the share of its "
                    f"memory that messages from anyone but its owner may fill; its owner "
                    f"({owner}) can free memory (its Inbox) to take more"
                )
