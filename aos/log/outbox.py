"""What the messenger makes of a result's outbox: the tags, data and anchor of every pushed item.

The pure half of pushing (docs/protocol.md §2.3, §2.4, the Spawned notice): which tags of an
outgoing message or spawn are dropped, which the messenger adds, and what an absent Data
becomes. The node's messenger (aos.node.units.mu) signs what these give with the node wallet
and schedules it; `aos test` (aos.testing) builds its in-memory messages from the very same
rules, so a process under test sees what it would see on the node. No I/O, no signing.

The node's tags (aos.protocol.NODE_TAGS: `From-Process`, `From-Module`, `Pushed-For`,
`Forwarded-By`) are the messenger's to write: every copy an outbox entry carries, in any
letter case or with `_` for `-` (one name to the process library), is dropped, and the
messenger writes its own (aos.node.units.authority, rule 1; issue 12: a process could spawn
a child "owned" by any address, and make another process run code as its owner's Eval).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aos.errors import NodeError
from aos.protocol import DATA_PROTOCOL, NODE_TAGS, VARIANT, tag_key

Tags = list[tuple[str, str]]

# Tags of an outbox entry the messenger replaces with its own (exact names, besides every
# spelling of the node's tags).
_PUSH_DROP = frozenset({"Data-Protocol", "Type", "Assignments"})
_SPAWN_DROP = frozenset({"Data-Protocol", "Type"})
_NOTICE_DROP = frozenset({"Data-Protocol", "Variant", "Type"})
_NODE_KEYS = frozenset(tag_key(n) for n in NODE_TAGS)


def is_node_tag(name: str) -> bool:
    """Whether `name` is one of the node's tags in some spelling."""
    return tag_key(name) in _NODE_KEYS


def without_node_tags(tags: Tags, drop: frozenset[str] = frozenset()) -> Tags:
    """`tags` without any copy of a node tag and without the tags named exactly in `drop`."""
    return [(n, v) for n, v in tags if n not in drop and not is_node_tag(n)]


@dataclass(frozen=True, slots=True)
class Pushed:
    """One item to sign and schedule: a message (with a target) or a spawn (without)."""

    target: str | None
    data: str
    anchor: str | None
    tags: Tags


def str_tags(raw: Any) -> Tags | None:
    """An outbox entry's Tags as (name, value) strings (a non-string value as JSON), or
    None when they are not a list of {name, value}."""
    if not isinstance(raw, list):
        return None
    tags: Tags = []
    for t in raw:
        if not isinstance(t, dict) or "name" not in t or "value" not in t:
            return None
        value = t["value"]
        tags.append((str(t["name"]), value if isinstance(value, str) else json.dumps(value)))
    return tags


def _data(raw: Any, default: str) -> str:
    if raw is None or raw == "":
        return default
    return raw if isinstance(raw, str) else json.dumps(raw)


def _anchor(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and len(raw.encode()) == 32 else None


def _pushed_for(origin: str) -> Tags:
    """The `Pushed-For` tag naming the user message a push descends from. A cron tick's
    outbox descends from no message: an empty value is not a valid ANS-104 tag, and with it
    every message a cron handler sent was dropped (docs/compat.md §5 item 13)."""
    return [("Pushed-For", origin)] if origin else []


def _from_module(module: str) -> Tags:
    """`From-Module`, unless the process has no Module tag (an empty value would not sign;
    the reference MU sends none then)."""
    return [("From-Module", module)] if module else []


def pushed_message(msg: Any, sender: str, module: str, origin: str) -> Pushed:
    """The item pushed for an outbox message of process `sender` (whose module is `module`)
    while it handled message `origin`. NodeError names a malformed entry."""
    tags = str_tags(msg.get("Tags")) if isinstance(msg, dict) else None
    target = msg.get("Target") if isinstance(msg, dict) else None
    if tags is None or not isinstance(target, str):
        raise NodeError(f"outbox message without Target or Tags: {str(msg)[:200]}")
    tags = without_node_tags(tags, _PUSH_DROP)
    tags += [
        ("Data-Protocol", DATA_PROTOCOL),
        ("Type", "Message"),
        ("From-Process", sender),
        *_from_module(module),
        *_pushed_for(origin),
    ]
    return Pushed(target, _data(msg.get("Data"), " "), _anchor(msg.get("Anchor")), tags)


def pushed_spawn(spawn: Any, parent: str, module: str, scheduler: str, origin: str) -> Pushed:
    """The process item pushed for an outbox spawn of process `parent`: its `From-Process`
    is the parent, so the child's Owner is its parent, never a tag the parent wrote.
    NodeError names a malformed entry."""
    original = str_tags(spawn.get("Tags")) if isinstance(spawn, dict) else None
    if original is None:
        raise NodeError(f"outbox spawn without Tags: {str(spawn)[:200]}")
    tags = without_node_tags(original, _SPAWN_DROP)
    names = {n for n, _ in tags}
    if "Variant" not in names:
        tags.append(("Variant", VARIANT))
    if "Module" not in names:
        tags.append(("Module", module))
    if "Scheduler" not in names:
        tags.append(("Scheduler", scheduler))
    tags += [
        ("Data-Protocol", DATA_PROTOCOL),
        ("Type", "Process"),
        ("From-Process", parent),
        *_pushed_for(origin),
    ]
    return Pushed(None, _data(spawn.get("Data"), "NODATA"), _anchor(spawn.get("Anchor")), tags)


def spawned_notice(spawn: Any, child: str) -> Pushed:
    """The Spawned notice to the parent once its spawn became process `child`: the spawn's own
    tags (so its Reference), then Process and Action. `spawn` already passed `pushed_spawn`."""
    original = str_tags(spawn.get("Tags")) or []
    tags = without_node_tags(original, _NOTICE_DROP)
    tags += [
        ("Data-Protocol", DATA_PROTOCOL),
        ("Type", "Message"),
        ("Process", child),
        ("Action", "Spawned"),
        ("Variant", VARIANT),
    ]
    return Pushed(None, " ", None, tags)


def assignments(result: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    """(i, j, process, message id) for the j-th process of the i-th assignment of a result's
    outbox, in order; entries that are not {Processes = {...}, Message = id} are skipped."""
    out: list[tuple[int, int, str, str]] = []
    for i, assignment in enumerate(result.get("Assignments") or []):
        if not isinstance(assignment, dict):
            continue
        message = assignment.get("Message")
        for j, pid in enumerate(assignment.get("Processes") or []):
            if isinstance(pid, str) and isinstance(message, str):
                out.append((i, j, pid, message))
    return out
