"""Fixtures for the command tests: one real `aos serve` on a loopback port per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.serving import Served


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`aos serve` over a fresh data directory; `.url` is its base URL, `.log` its output."""
    root = tmp_path_factory.mktemp("served")
    node = Served(root / "node", log_dir=root)
    node.start(timeout=60)
    yield node
    node.stop()


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    return served.url
