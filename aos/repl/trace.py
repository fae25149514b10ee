"""`.trace [ID]`: the tree of messages and spawns that one message caused, with results.

The MU tags every item it pushes with `Pushed-For=<the user's message>` and `From-Process=<sender>`
(docs/protocol.md §2.3, §2.4), so one gateway query finds everything a message
caused; each item is hung under the evaluation whose outbox produced it (same sender, and the same
`Reference` when the outbox entry has one), and its own result is read from the CU.
"""

from __future__ import annotations

from aos.client import AoClient, Result, TxInfo, tag_value
from aos.errors import ClientError
from aos.render import TraceNode

MAX_NODES = 60


def _label(tags: list[tuple[str, str]]) -> str:
    action = next((v for k, v in tags if k.lower() == "action"), None)
    return f"Action={action}" if action else ""


def _safe_result(client: AoClient, message: str, process: str) -> tuple[Result | None, str]:
    try:
        return client.result(message, process), ""
    except ClientError as err:
        return None, f"no result: {err}"


def build_trace(client: AoClient, message: str, process: str) -> TraceNode:
    """Follow `message` (sent to `process`) through everything it caused."""
    result, note = _safe_result(client, message, process)
    root = TraceNode(message, process, "message", result=result, note=note)
    try:
        pushed = list(reversed(client.pushed_for(message)))  # oldest first
    except ClientError as err:
        root.note = f"cannot follow pushed messages: {err}"
        return root
    unused: list[TxInfo] = pushed
    queue = [root]
    count = 1
    while queue and unused and count < MAX_NODES:
        node = queue.pop(0)
        if node.kind == "spawn" and node.result is None:
            continue
        references = [
            tag_value(m.get("Tags"), "Reference")
            for m in (node.result.messages if node.result else [])
        ] + [
            tag_value(s.get("Tags"), "Reference")
            for s in (node.result.spawns if node.result else [])
        ]
        wanted = {r for r in references if r}
        mine = []
        for tx in unused:
            if tx.tag("From-Process") != node.process:
                continue
            if wanted and tx.tag("Reference") not in wanted:
                continue
            mine.append(tx)
        for tx in mine:
            unused.remove(tx)
            is_spawn = tx.tag("Type") == "Process"
            target = tx.id if is_spawn else tx.recipient
            child_result, child_note = _safe_result(client, tx.id, target) if target else (None, "")
            child = TraceNode(
                tx.id,
                target or "?",
                "spawn" if is_spawn else "message",
                label=_label(tx.tags),
                result=child_result,
                note=child_note,
            )
            node.children.append(child)
            queue.append(child)
            count += 1
    return root
