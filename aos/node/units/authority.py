"""Who may do what on this node: every authorisation rule of the node, in one place.

Identities
  a key       anyone can make one: its address is the sha256 of the public key
              (docs/protocol.md §1.6); it signs data items.
  the node    its wallet signs every item the messenger pushes for a process (docs/protocol.md
              §2.3, §2.4); its scheduler key signs assignments.
  a process   speaks only through its outbox: the messenger pushes each entry signed by the
              node wallet, with `From-Process` = the process id.
  the owner   of a process spawned by a key, that key; of a process spawned by a process, the
              parent (the `From-Process` the node wrote on the child's spawn). It is the
              `Owner` the process library sees (lua/README.md, "Globals").
  the sender  of a message: its `From-Process` when the node signed it, else its signer.

Rules
  1. Node tags. `From-Process`, `From-Module`, `Pushed-For` and `Forwarded-By`
     (aos.protocol.NODE_TAGS) are the node's to write. An item signed by a key that carries
     one of them, in any letter case or with `_` for `-` (one name to the process library),
     is refused with 400 naming the tag: the signature covers it, so it cannot be dropped.
     Of an outbox message or spawn every copy is dropped and the node writes its own; the
     Spawned notice to the parent is built the same way (aos.log.outbox, which `aos test`
     shares). (The evaluator also shows a process
     only the node's copy, for logs written before this rule: aos.log.evaluator.)
  2. Spawns name a module this node holds (an item tagged `Type=Module`) and this node's
     scheduler, or the aos console's legacy or mainnet default, which are routed here
     (docs/protocol.md §6.1, docs/compat.md), or the node's wallet (HyperBEAM clients name
     a node by it, docs/hyperbeam.md); 400 naming the tag otherwise. A spawn pushed for a
     process carries `From-Process` = that process, so the child's Owner is its parent and
     never a tag the parent wrote.
  3. Assignments put an item that was not sent to process P into P's log (docs/protocol.md
     §3.2.5). P's owner may assign any item this node holds: a key by signing the request
     (the body is a data item with target P and the tag `Assign` = the item's id), a parent
     process through its outbox's `Assignments`. Anyone may assign a message that is already
     scheduled on its own target T (T is not P) and whose signature verifies: the reference
     rule that an assigned message stands on its own signature and target. Anything else
     (a spawn, an upload, a message scheduled nowhere here) is refused with 403.
  4. Monitors (the node runs P's crons by itself): starting and stopping one needs a data
     item signed by P's owner key with target P in the body (what aoconnect's monitor and
     unmonitor send), each item used once (409 when it is sent again).
  5. Admission quota (aos.node.units.quota): a process takes messages from senders other
     than its owner only while their unevaluated backlog and the process's memory stay
     within a share of its memory cap (429 otherwise); its owner is never refused.
"""

from __future__ import annotations

import threading

from aos.dataitem import DataItem, parse
from aos.errors import DataItemError, NodeError, NotFound
from aos.log.evaluator import node_view
from aos.log.outbox import is_node_tag
from aos.log.records import Item
from aos.node.store import Store
from aos.node.units.su import parse_signed
from aos.protocol import AOS_LEGACY_SCHEDULER, AOS_MAINNET_SCHEDULER, NODE_TAGS


class Forbidden(NodeError):
    """The request is well formed but its sender may not do this (403)."""

    status = 403


def check_sender_tags(item: DataItem) -> None:
    """Rule 1 for an item signed by a key: NodeError (400) naming the first node tag."""
    for name, _ in item.tags:
        if is_node_tag(name):
            raise NodeError(
                f"item {item.id}: tag {name!r} is written by the node's messenger for "
                f"messages between processes ({', '.join(NODE_TAGS)}, in any letter case); "
                "a signed item may not carry it: remove the tag and sign again"
            )


class Authority:
    """The rules above over one node's store. Thread-safe; owners are cached (they never
    change once a process exists)."""

    def __init__(self, store: Store, node_address: str, scheduler_address: str) -> None:
        self.store = store
        self.node_address = node_address
        self.scheduler = scheduler_address
        # The names of this node a spawn's Scheduler may give: its scheduler key, the aos
        # console's defaults (legacy and mainnet, routed here), and its wallet, by which
        # HyperBEAM clients know a node (its /~meta@1.0/info/address, aoconnect's default).
        self.schedulers = frozenset(
            {scheduler_address, AOS_LEGACY_SCHEDULER, AOS_MAINNET_SCHEDULER, node_address}
        )
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- identities ------------------------------------------------------------------------
    def owner(self, pid: str) -> str:
        """The owner of process `pid` (see the module docstring); NotFound if unknown."""
        with self._lock:
            known = self._owners.get(pid)
        if known is not None:
            return known
        spawn = self.store.item(pid)
        if spawn is None or self.store.process(pid) is None:
            raise NotFound(f"process {pid} is not on this node")
        owner = self.sender_of_item(spawn)
        with self._lock:
            if len(self._owners) > 100_000:
                self._owners.clear()
            self._owners[pid] = owner
        return owner

    def sender(self, item: DataItem) -> str:
        """Who sent `item`: the process the node pushed it for, else its signer."""
        address = item.owner_address
        if address == self.node_address:
            _, from_process = node_view([{"name": n, "value": v} for n, v in item.tags])
            if from_process:
                return from_process
        return address

    def sender_of_item(self, item: Item) -> str:
        """`sender` for a stored item."""
        if item.owner == self.node_address:
            _, from_process = node_view(item.tags)
            if from_process:
                return from_process
        return item.owner

    # -- rule 1 and 2: what a key may send ------------------------------------------------
    def check_from_key(self, item: DataItem) -> None:
        """An item signed by a key (not pushed by this node): rules 1 and 2."""
        check_sender_tags(item)
        if item.tag("Type") == "Process":
            self.check_spawn(item.tag("Module"), item.tag("Scheduler"), item.id)

    def check_spawn(self, module: str | None, scheduler: str | None, what: str) -> None:
        """Rule 2: NodeError (400) naming the tag whose value this node cannot run."""
        if scheduler not in self.schedulers:
            raise NodeError(
                f"spawn {what}: tag Scheduler names {scheduler!r}, which is not this node's "
                f"scheduler; use {self.scheduler}"
            )
        found = self.store.item(module) if module else None
        if found is None or found.tag("Type") != "Module":
            raise NodeError(
                f"spawn {what}: tag Module names {module!r}, which is not a module on this "
                "node's gateway (upload the module first, or use the node's own)"
            )

    # -- rule 3: assignments ---------------------------------------------------------------
    def signed_by_owner(self, pid: str, body: bytes, action: str, item_id: str = "") -> str:
        """The address of the owner of `pid` when `body` is a data item that owner signed
        for this request (target `pid`; for an assignment also the tag `Assign` = the item);
        Forbidden or NodeError saying what is missing otherwise."""
        signed = parse_signed(body)
        if signed.target_id != pid:
            raise NodeError(
                f"the signed item of a {action} request must have target {pid}, "
                f"not {signed.target_id!r}"
            )
        if item_id and signed.tag("Assign") != item_id:
            raise NodeError(
                f"the signed item of an assignment must carry the tag Assign = {item_id}"
            )
        owner = self.owner(pid)
        if signed.owner_address != owner:
            raise Forbidden(
                f"only the owner of process {pid} ({owner}) may {action} it; the request "
                f"is signed by {signed.owner_address}"
            )
        self._use_once(signed.id, action)
        return owner

    def _use_once(self, control_id: str, action: str) -> None:
        """A signed control item is good for one request (a copy seen on the way cannot be
        replayed). The claim is taken before the action: one that then fails needs a new
        item, which is what a client does anyway."""
        with self.store.write() as tx:
            if not tx.claim(f"control:{control_id}", control_id):
                raise NodeError(
                    f"the signed item {control_id} was already used for a request; sign a "
                    f"new one for this {action}",
                    status=409,
                )

    def check_assign(self, pid: str, item_id: str, by: str | None) -> None:
        """Rule 3: may `by` (an owner address from `signed_by_owner`, a sending process, or
        None for an unsigned request) assign item `item_id` to process `pid`?"""
        owner = self.owner(pid)
        if by is not None and by == owner:
            return
        who = "an unsigned request" if by is None else by
        item = self.store.item(item_id)
        if item is None:
            raise NotFound(f"item {item_id} is not on this node's gateway; upload it first")
        target = item.target
        if target is None or target == pid:
            kind = "a spawn" if item.tag("Type") == "Process" else "a message without a target"
            if target == pid:
                kind = "a message to this very process that was never scheduled on it"
            raise Forbidden(
                f"{who} may not assign item {item_id} to process {pid}: it is {kind}, and "
                f"only the owner ({owner}) may assign such an item (sign the request: "
                "docs/threat-model.md)"
            )
        entry = self.store.entry_by_id(target, item_id)
        if entry is None or entry.assigned:
            raise Forbidden(
                f"{who} may not assign item {item_id} to process {pid}: it is not scheduled "
                f"on its target {target} on this node; only the owner ({owner}) may assign it"
            )
        raw = self.store.item_raw(item_id)
        if raw is None or not _verifies(raw):
            raise Forbidden(
                f"item {item_id} has no signature that verifies on this node; it cannot be assigned"
            )


def _verifies(raw: bytes) -> bool:
    try:
        return parse(raw).verify()
    except DataItemError:
        return False
