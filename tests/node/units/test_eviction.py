"""Evicting live states past the memory budget: saved only when a snapshot pays.

A young process (little work since its spawn) is cheaper to replay than to save and then
restore, so it is closed without a save and made live again from its spawn; a process with
much work since is saved and restored. Either way every answer is the same."""

from __future__ import annotations

import os
from pathlib import Path

from aos.dataitem import create
from aos.node.units.node import Node, NodeSettings
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags

COUNTER = "Handlers.add('n', 'N', function() N = (N or 0) + 1 end)"


def spawn(node: Node, signer: Ed25519Signer, name: str) -> str:
    tags = [("Name", name), ("On-Boot", "Data"), ("Module", AOS_MODULE_ID),
            ("Scheduler", node.su.address)]  # fmt: skip
    item = create(signer=signer, data=COUNTER, tags=ao_tags("Process", tags))
    node.mu.accept(item.to_bytes())
    return item.id


def bump(node: Node, signer: Ed25519Signer, pid: str) -> None:
    message = create(signer=signer, target=pid, data=" ", anchor=os.urandom(32),
                     tags=ao_tags("Message", [("Action", "N")]))  # fmt: skip
    node.mu.accept(message.to_bytes())
    node.cu.evaluate_to(pid)


def count(node: Node, signer: Ed25519Signer, pid: str) -> str:
    out = node.cu.dry_run(pid, {"Owner": signer.address, "Data": "return N",
                                "Tags": [{"name": "Action", "value": "Eval"}]})  # fmt: skip
    return str(out["Output"]["data"])


def one_live_state(tmp_path: Path) -> Node:
    node = Node(tmp_path / "node", NodeSettings(memory_budget=1))  # room for one state
    node.mu.wake = lambda pid: None
    return node


def test_young_processes_come_back_from_their_spawn_without_a_snapshot(tmp_path: Path) -> None:
    node = one_live_state(tmp_path)
    signer = Ed25519Signer.generate()
    pids = [spawn(node, signer, f"p{i}") for i in range(3)]
    for _ in range(3):
        for pid in pids:  # round-robin: every making live evicts the one before
            bump(node, signer, pid)
    states = node.cu.states
    assert states.evictions >= 8
    assert states.saves == 0 and states.restores == 0
    assert [count(node, signer, pid) for pid in pids] == ["3", "3", "3"]
    assert all(node.store.latest_snapshot(pid, None) is None for pid in pids)
    node.stop()


def test_a_process_with_much_work_since_its_spawn_is_saved_and_restored(tmp_path: Path) -> None:
    node = one_live_state(tmp_path)
    signer = Ed25519Signer.generate()
    busy, other = spawn(node, signer, "busy"), spawn(node, signer, "other")
    work = "local x = 0; for i = 1, 5000000 do x = x + i end; N = 1"  # ~0.1 s of work
    heavy = create(signer=signer, target=busy, data=work, anchor=os.urandom(32),
                   tags=ao_tags("Message", [("Action", "Eval")]))  # fmt: skip
    node.mu.accept(heavy.to_bytes())
    node.cu.evaluate_to(busy)
    bump(node, signer, other)  # evicts `busy`: replaying its work would cost more than a save
    assert node.store.latest_snapshot(busy, None) is not None
    restores = node.cu.states.restores
    assert count(node, signer, busy) == "1"
    assert node.cu.states.restores == restores + 1
    node.stop()
