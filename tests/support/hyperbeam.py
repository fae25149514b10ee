"""A tiny HyperBEAM client for tests: items tagged and posted the way aoconnect 0.0.98's
mainnet mode builds them (ANS-104 bodies, `Content-Type: application/ans104`,
`codec-device: ans104@1.0`), over any httpx client (the embedded node or `aos serve`)."""

from __future__ import annotations

from typing import Any

import httpx

from aos.dataitem import DataItem, create
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer

HEADERS = {"Content-Type": "application/ans104", "codec-device": "ans104@1.0"}
_JSON = [("signing-format", "ans104"), ("accept-bundle", "true")]


def hb_tags(kind: str, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`extra`, the request hints aoconnect adds, then its ao block (`Variant=ao.N.1`)."""
    return [*extra, *_JSON, ("Data-Protocol", "ao"), ("Type", kind), ("Variant", "ao.N.1")]


class Hb:
    """Spawn, push, compute and dry-run through the HyperBEAM routes."""

    def __init__(self, http: httpx.Client, signer: Ed25519Signer | None = None) -> None:
        self.http = http
        self.signer = signer or Ed25519Signer.generate()
        self.address: str = http.get("/~meta@1.0/info/address").text
        self._n = 0

    def process_item(self, name: str = "hb", tags: list[tuple[str, str]] | None = None) -> DataItem:
        extra = [
            ("device", "process@1.0"),
            ("scheduler-device", "scheduler@1.0"),
            ("push-device", "push@1.0"),
            ("execution-device", "genesis-wasm@1.0"),
            ("Authority", self.address),
            ("Scheduler", self.address),
            ("Module", AOS_MODULE_ID),
            ("Name", name),
            *(tags or []),
            ("accept-codec", "httpsig@1.0"),
        ]
        return create(signer=self.signer, data="", tags=hb_tags("Process", extra))

    def spawn(self, name: str = "hb") -> str:
        r = self.http.post("/push", content=self.process_item(name).to_bytes(), headers=HEADERS)
        assert r.status_code == 200, r.text
        return r.headers["process"]

    def message_item(self, pid: str, code: str, action: str = "Eval") -> DataItem:
        self._n += 1  # the same code twice must still be two items
        extra = [("Action", action), ("message-timestamp", str(self._n))]
        extra.append(("require-codec", "application/json"))
        return create(signer=self.signer, data=code, target=pid, tags=hb_tags("Message", extra))

    def push(self, pid: str, code: str, action: str = "Eval") -> int:
        item = self.message_item(pid, code, action)
        r = self.http.post(f"/{pid}~process@1.0/push", content=item.to_bytes(), headers=HEADERS)
        assert r.status_code == 200, r.text
        slot: int = r.json()["slot"]
        return slot

    def read_item(self, pid: str | None = None) -> DataItem:
        """The signed body the console sends with every read."""
        extra = [("require-codec", "application/json")]
        return create(signer=self.signer, data="1984", target=pid, tags=hb_tags("Message", extra))

    def compute(self, pid: str, slot: int | str) -> dict[str, Any]:
        r = self.http.post(
            f"/{pid}~process@1.0/compute/results={slot}",
            content=self.read_item(pid).to_bytes(),
            headers=HEADERS,
        )
        assert r.status_code == 200, r.text
        raw: dict[str, Any] = r.json()["raw"]
        return raw

    def eval(self, pid: str, code: str) -> dict[str, Any]:
        return self.compute(pid, self.push(pid, code))

    def current(self, pid: str) -> int:
        r = self.http.post(f"/{pid}/slot/current")
        assert r.status_code == 200, r.text
        return int(r.text)

    def dry_run(
        self, pid: str, data: str, params: str = "&Action=Eval", query: str = ""
    ) -> httpx.Response:
        """A dry-run as aoconnect sends it: the tags in the path (`params`), the data in
        the signed body."""
        item = create(signer=self.signer, data=data, target=pid, tags=hb_tags("Message", []))
        path = f"/{pid}~process@1.0/as=execution/compute{params}{query}"
        return self.http.post(path, content=item.to_bytes(), headers=HEADERS)
