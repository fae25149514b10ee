"""A process with a long log, built fast: Ed25519 items scheduled in one transaction by
direct calls into a Node's scheduler (no HTTP, no verification, one commit instead of one
per message), then evaluated, for tests that need 20,000 messages."""

from __future__ import annotations

from pathlib import Path

from aos.clock import block_height_at, now_ms
from aos.dataitem import create
from aos.log.records import new_item
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags

COUNTER = (
    "Handlers.add('count', function(m) return m.Action == 'Count' end,"
    " function(m) Count = (Count or 0) + 1 end)"
)


def build(data_dir: Path, messages: int, owner: Ed25519Signer) -> str:
    """Spawn a counting process owned by `owner` in `data_dir` and schedule and evaluate
    `messages` Count messages; returns its id."""
    from aos.node.units.node import Node

    node = Node(data_dir)
    try:
        extra = [("Name", "big"), ("On-Boot", "Data"), ("Module", AOS_MODULE_ID)]
        tags = ao_tags("Process", [*extra, ("Scheduler", node.su.address)])
        spawn = create(signer=owner, data=COUNTER, tags=tags)
        node.mu.accept(spawn.to_bytes())
        pid = spawn.id
        count = ao_tags("Message", [("Action", "Count")])
        with node.store.write() as tx:
            for i in range(messages):
                item = create(signer=owner, data=str(i), target=pid, tags=count)
                row = tx.head(pid)
                assert row is not None
                now = now_ms()
                tx.put_item(new_item(item, item.to_bytes()), block_height_at(now), False)
                node.su._append(tx, row, item.id, assigned=False, now=now)
        node.cu.evaluate_to(pid)
        return pid
    finally:
        node.stop()
