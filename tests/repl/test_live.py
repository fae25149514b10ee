"""The live feed's cursor logic against MockTransport `/results` pages."""

from __future__ import annotations

from pathlib import Path

import httpx

from aos.client import AoClient
from aos.repl.live import LiveFeed
from aos.repl.state import ShellState
from aos.wallet import Wallet


def make(handler: object, wallet: Wallet) -> AoClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return AoClient(http, mu_url="http://mu", cu_url="http://cu", gateway_url="http://gw",
                    wallet=wallet)  # fmt: skip


def test_the_live_feed_of_a_process_without_results_misses_nothing(
    wallet: Wallet, tmp_path: Path
) -> None:
    stored: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        edges = list(reversed(stored)) if params["sort"] == "DESC" else stored
        if "from" in params:
            edges = [e for e in edges if str(e["cursor"]) > params["from"]]
        return httpx.Response(200, json={"edges": edges[: int(params["limit"])]})

    shown: list[str] = []
    feed = LiveFeed(
        make(handler, wallet), "P", ShellState(tmp_path), lambda r: shown.append(r.data)
    )
    assert feed.poll() == 0  # nothing stored yet
    stored.append({"cursor": "c1", "node": {"Output": {"data": "first", "print": True}}})
    stored.append({"cursor": "c2", "node": {"Output": {"data": "quiet"}}})
    assert feed.poll() == 1 and shown == ["first"]
    assert feed.poll() == 0 and shown == ["first"]
