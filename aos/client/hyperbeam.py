"""`HyperBeamClient`: the HyperBEAM ("mainnet") protocol behind `AoClient`'s interface.

The shell and its live feed call the same methods whichever protocol is spoken; this class
answers them from one HyperBEAM node URL (docs/hyperbeam.md §3):

* spawn: a signed `Type=Process` item `POST`ed to `/push`; the id is the `process` header.
* message: a signed `Type=Message` item to `/<pid>~process@1.0/push`; the answer's `slot`
  is kept so that the result is read by slot.
* result: `/<pid>~process@1.0/compute/results=<slot|id>`; its `raw` is a legacy result.
* results and the live feed: `/<pid>/slot/current`, then every slot after the last one
  seen (the console reads only the newest slot and loses bursts). A cursor is a slot
  number; a legacy results cursor is read as the slot (its ordinate) it stands for.
* dryrun: `/<pid>~process@1.0/as=execution/compute&Tag=Value…` with the message as a signed
  body, as aoconnect sends it.
* monitor: `~cron@1.0/every` with `cron-path=/<pid>~process@1.0/now`, and `stop`.

Items are tagged as aoconnect 0.0.98's mainnet mode tags them (`Variant=ao.N.1`, the
device keys, the codec hints) and sent as `application/ans104`. Reads are unsigned GETs:
HyperBEAM serves them, and signing each read (as the console does) would double the cost
of every line typed. Lookups by name use the gateway's GraphQL, by default the node's own.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from aos.client.ao import AoClient, Signer, Tags
from aos.client.gql import TxInfo
from aos.client.result import Edge, Page, Result
from aos.clock import now_ms
from aos.dataitem import DataItem, create
from aos.errors import ClientError, NodeRejected
from aos.ids import is_id

PROCESS_DEVICE = "process@1.0"
HEADERS = {"Content-Type": "application/ans104", "codec-device": "ans104@1.0"}
READ_HEADERS = {"Accept": "application/json", "require-codec": "application/json"}
# Every item carries these request hints, as aoconnect's do: a HyperBEAM node reads them
# from the signed message to choose how it answers.
_HINTS = [("signing-format", "ans104"), ("accept-bundle", "true")]
# How often the node should call a monitored process's /now (HyperBEAM's cron device).
MONITOR_INTERVAL = "5-seconds"
_REMEMBERED_SLOTS = 1024


def _ao_block(kind: str) -> list[tuple[str, str]]:
    return [("Data-Protocol", "ao"), ("Type", kind), ("Variant", "ao.N.1")]


def _one_authority(tags: Tags) -> list[tuple[str, str]]:
    """`tags` with every Authority joined into one comma-separated tag (where the first
    was): a HyperBEAM node reads a message as a map, where a repeated key would not
    survive, and aos reads a comma-separated Authority (docs/protocol.md §2.1)."""
    authorities = [v for n, v in tags if n == "Authority"]
    out: list[tuple[str, str]] = []
    for name, value in tags:
        if name != "Authority":
            out.append((name, value))
        elif authorities:
            out.append(("Authority", ",".join(authorities)))
            authorities = []
    return out


def slot_after(cursor: str) -> int:
    """The slot a live-feed cursor stands for: a slot number, or a legacy `/results`
    cursor (base64 JSON whose `ordinate` is the nonce, that is the slot)."""
    if cursor.isascii() and cursor.isdigit():
        return int(cursor)
    try:
        fields = json.loads(base64.b64decode(cursor, validate=True))
        return int(fields["ordinate"])
    except (ValueError, binascii.Error, KeyError, TypeError):
        raise ClientError(f"{cursor[:80]!r} is neither a slot nor a results cursor") from None


class HyperBeamClient(AoClient):
    """Client for one HyperBEAM node.

    **Parameters:**
    * `http`: the transport; `url`: the node (`aos serve`'s base URL, or any HyperBEAM node).
    * `wallet`: signs every item sent.
    * `gateway_url`: where GraphQL lookups go (default: the node).
    * `authority`, `scheduler`: the spawn's Authority and Scheduler (`--authority`,
      `--scheduler`); by default the node's own address (`/~meta@1.0/info/address`).
    * `page`: at most this many slots are read per `results` page.
    * `internal`: as AoClient's, units nobody typed (named, not shown by URL).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        url: str,
        wallet: Signer,
        gateway_url: str | None = None,
        authority: str | None = None,
        scheduler: str | None = None,
        result_tries: int = 20,
        send_tries: int = 3,
        retry_delay: float = 0.25,
        page: int = 100,
        internal: tuple[str, str] | None = None,
    ) -> None:
        url = url.rstrip("/")
        super().__init__(
            http,
            mu_url=url,
            cu_url=url,
            gateway_url=gateway_url or url,
            wallet=wallet,
            result_tries=result_tries,
            send_tries=send_tries,
            retry_delay=retry_delay,
            internal=internal,
        )
        self.url = url
        self.authority = authority
        self.scheduler = scheduler
        self.page = max(1, page)
        self._address: str | None = None
        self._slots: OrderedDict[str, int] = OrderedDict()  # message id -> slot
        self._tasks: dict[str, str] = {}  # process -> its cron task

    # -- the node --------------------------------------------------------------------------
    def node_address(self) -> str:
        """The node's address, `GET /~meta@1.0/info/address` (asked once)."""
        if self._address is None:
            url = f"{self.url}/~meta@1.0/info/address"
            text = self.request("GET", url).text.strip()
            if not is_id(text):
                raise NodeRejected(
                    f"GET {url} answered {text[:80]!r}, not an address", url=url, status=200
                )
            self._address = text
        return self._address

    def cu_address(self) -> str | None:
        """The spawn's Authority: `--authority`, else the node's address (whose pushes a
        process must trust)."""
        return self.authority or self.node_address()

    def scheduler_address(self) -> str:
        return self.scheduler or self.node_address()

    def process_known(self, process: str) -> bool | None:
        try:
            self.current_slot(process)
        except NodeRejected as err:
            if err.status in (400, 404):
                return False
            raise
        return True

    # -- writes ---------------------------------------------------------------------------
    def _post(self, path: str, item: DataItem) -> httpx.Response:
        # Retried like AoClient's sends: the same signed bytes get the same slot again.
        body = item.to_bytes()
        return self._retrying(
            lambda: self.request("POST", f"{self.url}{path}", content=body, headers=HEADERS)
        )

    def spawn(self, *, module: str, scheduler: str, tags: Tags, data: str | bytes = "") -> str:
        all_tags = [
            *_one_authority(tags),
            ("device", PROCESS_DEVICE),
            ("scheduler-device", "scheduler@1.0"),
            ("push-device", "push@1.0"),
            ("execution-device", "genesis-wasm@1.0"),
            ("Module", module),
            ("Scheduler", scheduler),
            ("Timestamp", str(now_ms())),
            *_HINTS,
            ("accept-codec", "httpsig@1.0"),
            *_ao_block("Process"),
        ]
        # a fresh anchor, as for every item a client signs: Ed25519 signatures are
        # deterministic, and two identical items would be one
        item = create(signer=self.wallet, data=data, anchor=os.urandom(16).hex(), tags=all_tags)
        response = self._post("/push", item)
        process = response.headers.get("process")
        if process is None:
            process = _json_field(response, "process")
        if not is_id(process):
            raise NodeRejected(
                f"POST {self.url}/push answered without a process id (header 'process')",
                url=f"{self.url}/push",
                status=response.status_code,
                body=response.text[:500],
            )
        return str(process)

    def message(self, process: str, *, data: str | bytes = "", tags: Tags = ()) -> str:
        all_tags = [*tags, *_HINTS, ("require-codec", "application/json"), *_ao_block("Message")]
        item = create(
            signer=self.wallet,
            data=data,
            target=process,
            anchor=os.urandom(16).hex(),
            tags=all_tags,
        )
        response = self._post(f"/{process}~{PROCESS_DEVICE}/push", item)
        slot = _json_field(response, "slot")
        if isinstance(slot, str) and slot.isascii() and slot.isdigit():
            slot = int(slot)
        if not isinstance(slot, int) or isinstance(slot, bool):
            raise NodeRejected(
                f"the push of {item.id} was answered without a slot",
                url=str(response.request.url),
                status=response.status_code,
                body=response.text[:500],
            )
        self._slots[item.id] = slot
        while len(self._slots) > _REMEMBERED_SLOTS:
            self._slots.popitem(last=False)
        return item.id

    def assign(self, process: str, message: str) -> str:
        raise ClientError("assigning a message is not part of the HyperBEAM surface aos speaks")

    def _control_item(self, process: str) -> DataItem:
        """A monitor or unmonitor request signed for `process`: the node takes each such
        item once, so a fresh anchor makes every one new (Ed25519 signatures are
        deterministic: the same request again would be the same item)."""
        return create(
            signer=self.wallet,
            data=" ",
            target=process,
            anchor=os.urandom(16).hex(),
            tags=_ao_block("Message"),
        )

    def monitor(self, process: str) -> None:
        item = self._control_item(process)
        params = {"cron-path": f"/{process}~{PROCESS_DEVICE}/now", "interval": MONITOR_INTERVAL}
        response = self._retrying(lambda: self.request(
            "POST", f"{self.url}/~cron@1.0/every", params=params, content=item.to_bytes(),
            headers=HEADERS,
        ))  # fmt: skip
        self._tasks[process] = response.text.strip() or process

    def unmonitor(self, process: str) -> None:
        # This node names the task after the process, so a later session can stop it too.
        task = self._tasks.pop(process, process)
        item = self._control_item(process)
        self.request(
            "POST",
            f"{self.url}/~cron@1.0/stop",
            params={"task": task},
            content=item.to_bytes(),
            headers=HEADERS,
        )

    # -- reads ------------------------------------------------------------------------------
    def current_slot(self, process: str) -> int:
        """The newest slot of `process` (`/<pid>/slot/current`)."""
        url = f"{self.url}/{process}/slot/current"
        text = self.request("GET", url).text.strip()
        if not (text.isascii() and text.isdigit()):
            raise NodeRejected(f"GET {url} answered {text[:80]!r}, not a slot", url=url, status=200)
        return int(text)

    def compute(self, process: str, slot: int | str) -> Result:
        """The result of `slot` (or of a message id) of `process`, as the legacy CU's."""
        url = f"{self.url}/{process}~{PROCESS_DEVICE}/compute/results={slot}"
        body = self._json("GET", url, headers=READ_HEADERS)
        raw = body.get("raw") if isinstance(body, dict) else None
        if raw is None and isinstance(body, dict) and "Output" in body:
            raw = body  # a node that answers the result itself
        return Result.from_json(raw if raw is not None else {})

    def slot_of(self, process: str, message: str) -> int:
        """The slot of `message` in `process`, as `compute/results=<id>` names it."""
        url = f"{self.url}/{process}~{PROCESS_DEVICE}/compute/results={message}"
        body = self._json("GET", url, headers=READ_HEADERS)
        slot = body.get("slot") if isinstance(body, dict) else None
        if isinstance(slot, bool) or not isinstance(slot, int):
            raise ClientError(
                f"the node did not say which slot message {message} has; give its nonce "
                "(.inbox and .trace show it)"
            )
        return slot

    def result(self, message: str, process: str) -> Result:
        slot: int | str = self._slots.get(message, message)
        return self._until_not_empty(lambda: self.compute(process, slot))

    def _until_not_empty(self, read: Callable[[], Result]) -> Result:
        """`read()` again while the answer is empty (aos/ao#773), as AoClient.result."""
        result = read()
        for _ in range(max(1, self.result_tries) - 1):
            if not result.empty:
                break
            self._pause()
            result = read()
        return result

    def dryrun(
        self,
        process: str,
        *,
        data: str = "",
        tags: Tags = (),
        to_nonce: int | None = None,
        to_message: str | None = None,
    ) -> Result:
        if to_nonce is not None and (isinstance(to_nonce, bool) or to_nonce < 0):
            raise ClientError(f"a replay nonce must be 0 or more, got {to_nonce!r}")
        if to_message is not None:
            to_nonce = self.slot_of(process, to_message)  # a node replays to a slot
        item = create(
            signer=self.wallet,
            data=data,
            target=process,
            tags=[*_HINTS, ("require-codec", "application/json"), *_ao_block("Message")],
        )
        params = "".join(f"&{quote(n, safe='')}={quote(v, safe='')}" for n, v in tags)
        url = f"{self.url}/{process}~{PROCESS_DEVICE}/as=execution/compute{params}"
        query = {} if to_nonce is None else {"to-nonce": str(to_nonce)}
        body = self._json("POST", url, params=query, content=item.to_bytes(), headers=HEADERS)
        raw = body.get("raw") if isinstance(body, dict) else None
        return Result.from_json(raw if raw is not None else body)

    def results(
        self,
        process: str,
        *,
        after: str | None = None,
        sort: str = "ASC",
        limit: int = 100,
        include_errors: bool = False,
    ) -> Page:
        """Slots after cursor `after` (a slot), oldest first (ASC) or newest first (DESC),
        at most `limit` (and `page`) of them, each read by its own compute (every slot has
        a result, failed or not, so `include_errors` changes nothing)."""
        current = self.current_slot(process)
        first = slot_after(after) + 1 if after else 0
        count = max(1, min(limit, self.page))
        if sort.upper() == "DESC":
            slots = list(range(current, max(first, current - count + 1) - 1, -1))
            has_next = bool(slots) and slots[-1] > first
        else:
            last = min(current, first + count - 1)
            slots = list(range(first, last + 1))
            has_next = last < current
        edges = [Edge(str(slot), self.compute(process, slot)) for slot in slots]
        return Page(edges, has_next)

    def latest_cursor(self, process: str) -> str | None:
        return str(self.current_slot(process))

    def find_processes(self, name: str, owner: str | None = None) -> list[TxInfo]:
        """As AoClient's, except that a node without GraphQL (404/405) finds nothing: the
        shell's local registry is then the only lookup by name, as on most HyperBEAM nodes."""
        try:
            return super().find_processes(name, owner)
        except NodeRejected as err:
            if err.status in (404, 405):
                return []
            raise


def _json_field(response: httpx.Response, name: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None
