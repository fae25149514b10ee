"""Fixtures for the node tests: an embedded node per test and a small ao client over it.

`ao` signs with an Ed25519 key (fast; the node accepts every ANS-104 signature type) and
talks to the node only through HTTP, the way the shell and aoconnect do.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aos.node.http.embedded import open_embedded
from tests.support.ao import Ao


@pytest.fixture(scope="session")
def node_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One node key pair for the session: generating an RSA-4096 wallet takes ~1 s."""
    from aos.node.units.keys import load_node_keys

    keys = tmp_path_factory.mktemp("node-keys")
    load_node_keys(keys)
    return keys


@pytest.fixture
def node_dir(tmp_path: Path, node_keys: Path) -> Path:
    """A fresh data directory holding the session's node keys."""
    from aos.node.units.keys import SCHEDULER_FILE, WALLET_FILE

    d = tmp_path / "node"
    d.mkdir()
    for name in (WALLET_FILE, SCHEDULER_FILE):
        shutil.copy(node_keys / name, d / name)
    return d


@pytest.fixture
def client(node_dir: Path) -> Iterator[httpx.Client]:
    with open_embedded(node_dir) as c:
        yield c


@pytest.fixture
def ao(client: httpx.Client) -> Ao:
    return Ao(client)
