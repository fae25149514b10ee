"""GraphQL filters give the same answers whichever filter drives the SQL query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aos.dataitem import DataItem, create
from aos.node.http import gql
from aos.node.store import Store
from aos.node.units.su import Scheduler
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, str, list[DataItem], str]:
    """40 messages to one process: Action Eval, every 10th Rare; two owners alternate."""
    su = Scheduler(Store(Path(tmp_path_factory.mktemp("gql"))), Ed25519Signer.generate())
    a, b = Ed25519Signer.generate(), Ed25519Signer.generate()
    spawn = create(signer=a, data=" ", tags=ao_tags("Process", [
        ("Name", "p"), ("Module", AOS_MODULE_ID), ("Scheduler", su.address)]))  # fmt: skip
    su.spawn(spawn, spawn.to_bytes())
    items = []
    for i in range(40):
        action = "Rare" if i % 10 == 0 else "Eval"
        item = create(signer=(a, b)[i % 2], data=str(i), target=spawn.id,
                      tags=ao_tags("Message", [("Action", action)]))  # fmt: skip
        su.schedule(item, item.to_bytes(), spawn.id)
        items.append(item)
    return su.store, spawn.id, items, a.address


def ids(store: Store, args: str) -> list[str]:
    query = "{ transactions(" + args + ") { edges { node { id } } } }"
    body, errors = gql.execute(store, query, None, None)
    assert not errors, body
    edges: list[dict[str, Any]] = body["data"]["transactions"]["edges"]
    return [e["node"]["id"] for e in edges]


@pytest.mark.parametrize("cap", [1000, 3])  # 3: every set counts as big, nothing drives
def test_answers_do_not_depend_on_which_filter_drives(
    log: tuple[Store, str, list[DataItem], str], cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gql, "SELECTIVITY_CAP", cap)
    store, pid, items, owner_a = log
    newest_first = [i.id for i in reversed(items)]
    assert ids(store, f'recipients: ["{pid}"], first: 100') == newest_first
    rare_of_a = [i.id for n, i in enumerate(items) if n % 10 == 0 and n % 2 == 0]
    assert ids(store, f'owners: ["{owner_a}"], tags: [{{name: "Action", values: ["Rare"]}}],'
               " first: 100, sort: HEIGHT_ASC") == rare_of_a  # fmt: skip
    not_rare = [i.id for n, i in enumerate(items) if n % 10 != 0]
    assert ids(store, f'recipients: ["{pid}"], tags: [{{name: "Action", values: ["Rare"],'
               ' op: NEQ}], first: 100, sort: HEIGHT_ASC') == not_rare  # fmt: skip
    assert ids(store, f'owners: ["{owner_a}"], tags: [{{name: "Type", values: ["Process"]}},'
               ' {name: "Name", values: ["p"]}]') == [pid]  # fmt: skip
    assert ids(store, 'tags: [{name: "Action", values: ["Nope"]}]') == []
    assert ids(store, f'recipients: ["{pid}"], first: 3') == newest_first[:3]
