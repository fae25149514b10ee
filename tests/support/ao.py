"""A tiny signed-message client for tests: spawn, send, read results, over the node's HTTP.

It signs with an Ed25519 key (fast; the node accepts every ANS-104 signature type) and talks
to the node only through HTTP, the way the shell and aoconnect do.
"""

from __future__ import annotations

from typing import Any

import httpx

from aos.dataitem import DataItem, create
from aos.node.http.embedded import EmbeddedClient
from aos.protocol import AOS_MODULE_ID
from aos.protocol import ao_tags as protocol_tags
from aos.wallet import Ed25519Signer


def ao_tags(kind: str, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """`extra` tags, then the ao tag block of Type `kind`."""
    return [*(extra or []), *protocol_tags(kind)]


class Ao:
    """A tiny signed-message client for tests."""

    def __init__(self, client: httpx.Client, signer: Ed25519Signer | None = None) -> None:
        self.http = client
        self.signer = signer or Ed25519Signer.generate()
        self.node_address: str = client.get("/cu/").json()["address"]
        self.su_address: str = client.get("/su/").json()["address"]
        self._n = 0

    def process_item(self, data: str = " ", tags: list[tuple[str, str]] | None = None) -> DataItem:
        extra = [("Name", "test"), ("Authority", self.node_address), *(tags or [])]
        extra += [("Module", AOS_MODULE_ID), ("Scheduler", self.su_address)]
        return create(signer=self.signer, data=data, tags=ao_tags("Process", extra))

    def spawn(self, data: str = " ", tags: list[tuple[str, str]] | None = None) -> str:
        item = self.process_item(data, tags)
        r = self.http.post("/mu", content=item.to_bytes())
        assert r.status_code == 202, r.text
        return item.id

    def message_item(
        self,
        pid: str,
        data: str = "",
        action: str | None = "Eval",
        tags: list[tuple[str, str]] | None = None,
    ) -> DataItem:
        self._n += 1
        extra = [("Action", action)] if action else []
        extra += [*(tags or []), ("Test-Seq", str(self._n))]
        return create(signer=self.signer, data=data, target=pid, tags=ao_tags("Message", extra))

    def send(
        self,
        pid: str,
        data: str = "",
        action: str | None = "Eval",
        tags: list[tuple[str, str]] | None = None,
    ) -> str:
        item = self.message_item(pid, data, action, tags)
        r = self.http.post("/mu", content=item.to_bytes())
        assert r.status_code == 202, r.text
        return item.id

    def result(self, pid: str, mid: str) -> dict[str, Any]:
        r = self.http.get(f"/cu/result/{mid}", params={"process-id": pid})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def eval(self, pid: str, code: str) -> dict[str, Any]:
        return self.result(pid, self.send(pid, code))

    def value(self, pid: str, code: str) -> Any:
        res = self.eval(pid, code)
        assert "Error" not in res, res
        return res["Output"]["data"]

    def peek(self, pid: str, code: str, owner: str | None = None) -> Any:
        """Evaluate `code` in a dry-run as `owner` (default: our address): nothing is kept."""
        body = {
            "Owner": owner or self.signer.address,
            "Target": pid,
            "Data": code,
            "Tags": [{"name": "Action", "value": "Eval"}],
        }
        r = self.http.post("/cu/dry-run", params={"process-id": pid}, json=body)
        assert r.status_code == 200, r.text
        res = r.json()
        assert "Error" not in res, res
        return res["Output"]["data"]

    def drain(self) -> None:
        assert isinstance(self.http, EmbeddedClient), "drain needs the embedded node"
        assert self.http.app.node.crank.drain(30)
