"""pytest fixture over aos.testing: `ao_net`, a fresh in-memory net per test.

Enable it with `pytest -p aos.testing.pytest_plugin`, or with
`pytest_plugins = ["aos.testing.pytest_plugin"]` in the root conftest.py. Relative file
names given to `ao_net.spawn(files=...)` are found next to the test module first, then in
the working directory. The net's processes are closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aos.testing.net import Net


@pytest.fixture
def ao_net(request: pytest.FixtureRequest) -> Iterator[Net]:
    """A `Net` of its own for the test (docs/testing.md, "From Python")."""
    net = Net(search=[Path(str(request.path)).parent])
    yield net
    net.close()
