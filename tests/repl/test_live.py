"""The live feed against MockTransport units: cursors, shells side by side, handler errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx

from aos.client import AoClient
from aos.repl.live import HandlerError, LiveFeed
from aos.repl.state import ShellState
from aos.wallet import Wallet

PID = "P" * 43


def make(handler: object, wallet: Wallet, su: bool = False) -> AoClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return AoClient(http, mu_url="http://mu", cu_url="http://cu", gateway_url="http://gw",
                    su_url="http://su" if su else None, wallet=wallet)  # fmt: skip


def _cursor(nonce: int) -> str:
    body = {"timestamp": 1000 + nonce, "ordinate": str(nonce), "sort": "ASC"}
    return base64.b64encode(json.dumps(body).encode()).decode()


def _nonce(cursor: str) -> int:
    return int(json.loads(base64.b64decode(cursor))["ordinate"])


class Units:
    """A CU that stores results (errors too) and an SU that knows each slot's message."""

    def __init__(self) -> None:
        self.stored: list[dict[str, Any]] = []
        self.asked_errors: list[bool] = []

    def add(self, node: dict[str, Any]) -> None:
        self.stored.append({"cursor": _cursor(len(self.stored)), "node": node})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if request.url.host == "su":
            nonce = int(params["to-nonce"])
            message = {"id": "M" * 43, "owner": {"address": "W" * 43}, "tags": [
                {"name": "Action", "value": f"Act{nonce}"},
                {"name": "From-Process", "value": "S" * 43}]}  # fmt: skip
            return httpx.Response(200, json={"edges": [{"node": {"message": message}}]})
        errors = params.get("include-errors") == "1"
        self.asked_errors.append(errors)
        edges = [e for e in self.stored if errors or "Error" not in e["node"]]
        if params["sort"] == "DESC":
            edges = list(reversed(edges))
        if "from" in params:
            after = _nonce(params["from"])
            edges = [e for e in edges if _nonce(e["cursor"]) > after]
        return httpx.Response(200, json={"edges": edges[: int(params["limit"])]})


def test_the_live_feed_of_a_process_without_results_misses_nothing(
    wallet: Wallet, tmp_path: Path
) -> None:
    units = Units()
    shown: list[str] = []
    feed = LiveFeed(make(units, wallet), PID, ShellState(tmp_path), lambda r: shown.append(r.data))
    assert feed.poll() == 0  # nothing stored yet
    units.add({"Output": {"data": "first", "print": True}})
    units.add({"Output": {"data": "quiet"}})
    assert feed.poll() == 1 and shown == ["first"]
    assert feed.poll() == 0 and shown == ["first"]
    feed.close()


def test_two_shells_on_one_process_each_see_everything_once(wallet: Wallet, tmp_path: Path) -> None:
    units = Units()
    units.add({"Output": {"data": "before", "print": True}})
    client, state = make(units, wallet), ShellState(tmp_path)  # one HOME for both shells
    seen: dict[str, list[str]] = {"a": [], "b": []}
    a = LiveFeed(client, PID, state, lambda r: seen["a"].append(r.data))
    b = LiveFeed(client, PID, state, lambda r: seen["b"].append(r.data))
    a.poll(), b.poll()  # each takes its starting cursor
    for n in range(3):
        units.add({"Output": {"data": f"m{n}", "print": True}})
        a.poll()
    b.poll()
    assert seen == {"a": ["m0", "m1", "m2"], "b": ["m0", "m1", "m2"]}
    a.close()
    units.add({"Output": {"data": "while a was away", "print": True}})
    b.poll()
    again = LiveFeed(client, PID, state, lambda r: seen["a"].append(r.data))  # a restarts
    again.poll()
    assert seen["a"][-1] == "while a was away" and seen["a"].count("while a was away") == 1
    again.close()
    b.close()


def test_a_failed_handler_comes_with_its_message_action_and_sender(
    wallet: Wallet, tmp_path: Path
) -> None:
    units = Units()
    failures: list[HandlerError] = []
    feed = LiveFeed(make(units, wallet, su=True), PID, ShellState(tmp_path), lambda r: None,
                    on_failure=failures.append)  # fmt: skip
    feed.poll()
    units.add({"Error": "\x1b[31mError\x1b[90m handling message with Action = Act0\x1b[0m\n"
                        "\n\x1b[31merror:\n\x1b[0mkaboom"})  # fmt: skip
    units.add({"Error": '[string "aos"]:1: an Eval\'s own error'})  # its shell shows it
    assert feed.poll() == 1
    assert failures == [HandlerError(units.stored[0]["node"]["Error"], 0, "Act0", "S" * 43)]
    assert units.asked_errors[-1] is True
    feed.close()
