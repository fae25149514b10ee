"""The node in-process: the same ASGI app behind an httpx client, no socket.

`open_embedded(data_dir)` is what the shell uses by default. Starlette's TestClient runs
the app's lifespan (so the crank thread runs) and is safe to share between the shell's
thread and a background live-feed thread: each request goes through the client's anyio
portal. Server errors come back as JSON 500 answers, never as exceptions in the caller.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

with warnings.catch_warnings():
    # Starlette >= 1.0 warns that its TestClient will move to httpx2; the httpx one is what
    # the shell's client speaks, and the warning would reach the user's terminal.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from aos.node.app import create_app

BASE_URL = "http://aos.local"


@contextmanager
def open_embedded(data_dir: Path, **settings: Any) -> Iterator[httpx.Client]:
    """An httpx.Client whose base_url http://aos.local is a node over `data_dir`."""
    settings.setdefault("public_url", BASE_URL)
    app = create_app(Path(data_dir), **settings)
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client
