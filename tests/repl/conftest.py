"""Fixtures for the shell tests: a real embedded node per test module and protocol (legacy
and HyperBEAM), a wallet, and a driver that types into a real Repl
(tests.support.repl.Driver)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from aos.client import AoClient, HyperBeamClient
from aos.node.http.embedded import open_embedded
from aos.protocol import EMBEDDED_BASE_URL
from aos.wallet import Wallet
from tests.support.repl import Driver, spawn

BASE = EMBEDDED_BASE_URL
_names = itertools.count()


@pytest.fixture(scope="session")
def wallet() -> Wallet:
    return Wallet.generate()


@pytest.fixture(scope="module", params=["legacy", "hyperbeam"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, wallet: Wallet
) -> Iterator[AoClient]:
    """The shell's client in either protocol, over the same embedded node: the REPL must
    not be able to tell them apart."""
    with open_embedded(tmp_path_factory.mktemp("node")) as http:
        if request.param == "hyperbeam":
            yield HyperBeamClient(
                http,
                url=BASE,
                wallet=wallet,
                retry_delay=0.05,
                internal=(BASE, "the embedded node"),
            )
            return
        yield AoClient(
            http,
            mu_url=f"{BASE}/mu",
            cu_url=f"{BASE}/cu",
            su_url=f"{BASE}/su",
            gateway_url=BASE,
            wallet=wallet,
            retry_delay=0.05,
            internal=(BASE, "the embedded node"),  # as aos.commands.shell_units makes it
        )


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "shell"


@pytest.fixture
def driver(client: AoClient, state_dir: Path) -> Driver:
    return Driver(client, spawn(client, state_dir), state_dir, live=False)
