"""`AoClient`: the ao legacynet protocol as the shell speaks it (MU, SU, CU, gateway).

Built around an injected `httpx.Client`, so the same code talks to the embedded node (an
in-process ASGI transport), to `aos serve` on another machine, or to the public units; tests
plug in `httpx.MockTransport`. Every failure becomes `NodeUnreachable` or `NodeRejected`
carrying the URL, status and body (docs/compat.md §5 item 5: show the real cause and endpoint).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from aos import dataitem
from aos.client import gql
from aos.client.gql import TxInfo
from aos.client.result import Edge, JsonDict, Page, Result
from aos.clock import now_ms
from aos.errors import ClientError, NodeRejected, NodeUnreachable
from aos.protocol import AOS_LEGACY_SCHEDULER, ao_tags

Tags = Sequence[tuple[str, str]]
T = TypeVar("T")


class Signer(dataitem.Signer, Protocol):
    """What the client needs of a wallet: a data-item signer that also has an address."""

    @property
    def address(self) -> str: ...


class AoClient:
    """Client for one set of ao units.

    **Parameters:**
    * `http`: the transport; absolute URLs below are resolved by it.
    * `mu_url`, `cu_url`, `gateway_url`: base URLs of the messenger, compute unit, gateway.
    * `su_url`: the scheduler, when known (embedded node, `aos serve`); used for its address.
    * `wallet`: signs every item the client sends.
    * `result_tries`, `send_tries`, `retry_delay`: how often an empty CU answer is read
      again, and an item is sent again when the MU could not be reached.
    * `internal`: (base URL, name) of units the user never typed (the embedded node's
      http://aos.local): error messages name them by `name` and path instead.
    * `spawn_scheduler`: the Scheduler a spawn names (the aos console's `--scheduler` in
      legacy mode); by default the SU's own address.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        mu_url: str,
        cu_url: str,
        gateway_url: str,
        wallet: Signer,
        su_url: str | None = None,
        result_tries: int = 20,
        send_tries: int = 3,
        retry_delay: float = 0.25,
        internal: tuple[str, str] | None = None,
        spawn_scheduler: str | None = None,
    ) -> None:
        self.http = http
        self.mu_url = mu_url.rstrip("/")
        self.cu_url = cu_url.rstrip("/")
        self.gateway_url = gateway_url.rstrip("/")
        self.su_url = su_url.rstrip("/") if su_url else None
        self.wallet = wallet
        self.result_tries = result_tries
        self.send_tries = max(1, send_tries)
        self.retry_delay = retry_delay
        self.internal = internal
        self.spawn_scheduler = spawn_scheduler

    # -- HTTP -----------------------------------------------------------------------------

    def shown(self, url: str) -> str:
        """`url` as an error message names it."""
        if self.internal is not None and url.startswith(self.internal[0]):
            return f"{url[len(self.internal[0]) :] or '/'} on {self.internal[1]}"
        return url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; turn transport failures and error statuses into ClientErrors."""
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as err:
            raise NodeUnreachable(f"{method} {self.shown(url)} timed out ({err})", url=url) from err
        except httpx.TransportError as err:
            raise NodeUnreachable(
                f"cannot reach {self.shown(url)}: {err or type(err).__name__}", url=url
            ) from err
        except httpx.HTTPError as err:  # e.g. a body that cannot be decoded
            raise NodeRejected(f"{method} {self.shown(url)} failed: {err}", url=url) from err
        if response.status_code >= 400:
            body = response.text[:500]
            raise NodeRejected(
                f"{method} {self.shown(url)} answered {response.status_code}: {_reason(body)}",
                url=url,
                status=response.status_code,
                body=body,
            )
        return response

    def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError as err:
            raise NodeRejected(
                f"{method} {self.shown(url)} answered {response.status_code} with non-JSON: "
                f"{response.text[:200]!r}",
                url=url,
                status=response.status_code,
                body=response.text[:500],
            ) from err

    # -- unit identities --------------------------------------------------------------------

    def cu_address(self) -> str | None:
        """The CU's wallet address (`GET /`), the authority our MU signs pushed messages with."""
        info = self._json("GET", f"{self.cu_url}/")
        address = info.get("address") if isinstance(info, dict) else None
        return address if isinstance(address, str) else None

    def process_known(self, process: str) -> bool | None:
        """Whether the units hold `process`: asked of the SU when its URL is known, else
        None (the caller falls back on the gateway)."""
        if self.su_url is None:
            return None
        try:
            self.request("GET", f"{self.su_url}/processes/{process}")
        except NodeRejected as err:
            if err.status in (400, 404):
                return False
            raise
        return True

    def scheduler_address(self) -> str:
        """The SU's address (`GET /`), or aos's legacy scheduler when no SU URL is known
        (`spawn_scheduler` when one was given)."""
        if self.spawn_scheduler is not None:
            return self.spawn_scheduler
        if self.su_url is None:
            return AOS_LEGACY_SCHEDULER
        info = self._json("GET", f"{self.su_url}/")
        address = info.get("address") if isinstance(info, dict) else None
        return address if isinstance(address, str) else AOS_LEGACY_SCHEDULER

    # -- writes -------------------------------------------------------------------------------

    def _sign(
        self, *, data: str | bytes, tags: Tags, target: str | None = None
    ) -> dataitem.DataItem:
        # A fresh anchor on every item, as aoconnect sets one: Ed25519 signatures are
        # deterministic, so two equal messages (the same line typed twice) would otherwise
        # be one item, and the node would take the second for a retry of the first.
        return dataitem.create(
            signer=self.wallet,
            data=data,
            target=target or None,
            anchor=os.urandom(16).hex(),  # 32 characters of text, as aoconnect writes
            tags=list(tags),
        )

    def _control(self, process: str, tags: Tags = ()) -> bytes:
        """A request signed by this wallet for `process` (monitor, unmonitor, assign): the
        node takes each such item once, and the fresh anchor makes every one new."""
        return self._sign(data=" ", tags=tags, target=process).to_bytes()

    def _retrying(self, send: Callable[[], T]) -> T:
        """`send()`, again after a pause while the unit cannot be reached. aos retries sends
        (21 × 500 ms); a signed item has a fixed id, so sending the same bytes again cannot
        create a second message. Only connection failures are retried."""
        for _ in range(self.send_tries - 1):
            try:
                return send()
            except NodeUnreachable:
                self._pause()
        return send()

    def _pause(self) -> None:
        time.sleep(self.retry_delay)

    def _post_item(self, item: dataitem.DataItem) -> str:
        body = item.to_bytes()
        self._retrying(
            lambda: self._json(
                "POST",
                f"{self.mu_url}/",
                content=body,
                headers={"Content-Type": "application/octet-stream"},
            )
        )
        return str(item.id)

    def spawn(self, *, module: str, scheduler: str, tags: Tags, data: str | bytes = "") -> str:
        """Spawn a process: user tags, then the ao block of docs/protocol.md §2.1. Returns its
        id."""
        all_tags = list(tags)
        if not data:
            data = " "  # as aoconnect: an empty data item is refused by some units
            all_tags.append(("Content-Type", "text/plain"))
        all_tags += [
            *ao_tags("Process"),
            ("Module", module),
            ("Scheduler", scheduler),
            ("Timestamp", str(now_ms())),
        ]
        return self._post_item(self._sign(data=data, tags=all_tags))

    def message(self, process: str, *, data: str | bytes = "", tags: Tags = ()) -> str:
        """Send a message to `process` (docs/protocol.md §2.2). Returns the message id."""
        all_tags = list(tags)
        if not data:
            data = " "
            all_tags.append(("Content-Type", "text/plain"))
        all_tags += ao_tags("Message")
        return self._post_item(self._sign(data=data, tags=all_tags, target=process))

    def assign(self, process: str, message: str) -> str:
        """Assign an existing message to `process`; returns the assignment id. The request
        is signed (as the owner of `process`, a node lets it assign any item it holds; a
        unit that does not look at the body ignores it)."""
        body = self._json(
            "POST",
            f"{self.mu_url}/",
            params={"process-id": process, "assign": message},
            content=self._control(process, [("Assign", message)]),
        )
        return str(body.get("id", "")) if isinstance(body, dict) else ""

    def monitor(self, process: str) -> None:
        self.request("POST", f"{self.mu_url}/monitor/{process}", content=self._control(process))

    def unmonitor(self, process: str) -> None:
        self.request("DELETE", f"{self.mu_url}/monitor/{process}", content=self._control(process))

    # -- reads ----------------------------------------------------------------------------------

    def result(self, message: str, process: str) -> Result:
        """`GET /result/{message}`; an empty answer is read again (aos/ao#773)."""
        url = f"{self.cu_url}/result/{message}"
        result = Result()
        for attempt in range(max(1, self.result_tries)):
            result = Result.from_json(self._json("GET", url, params={"process-id": process}))
            if not result.empty:
                return result
            if attempt + 1 < self.result_tries:
                self._pause()
        return result

    def send_eval(self, process: str, code: str) -> str:
        """Send `code` to `process` as a signed Eval message; its id."""
        return self.message(process, data=code, tags=[("Action", "Eval")])

    def eval(self, process: str, code: str) -> tuple[str, Result]:
        """Evaluate `code` in `process` as a signed Eval message; (message id, result)."""
        message = self.send_eval(process, code)
        return message, self.result(message, process)

    def dryrun(
        self,
        process: str,
        *,
        data: str = "",
        tags: Tags = (),
        to_nonce: int | None = None,
        to_message: str | None = None,
    ) -> Result:
        """Evaluate a message without writing it to the log (`POST /dry-run`).

        With `to_nonce`, on the state of `process` right after the message with that nonce
        (`to-nonce`, an aos node extension); with `to_message`, right after that message
        (`to`, as the reference CU); otherwise on its latest state."""
        if to_nonce is not None and (isinstance(to_nonce, bool) or to_nonce < 0):
            raise ClientError(f"a replay nonce must be 0 or more, got {to_nonce!r}")
        body: JsonDict = {
            "Id": "1234",
            "Owner": self.wallet.address,
            "From": self.wallet.address,
            "Target": process,
            "Data": data or "1234",
            "Anchor": "0",
            "Tags": [{"name": k, "value": v} for k, v in [*tags, *ao_tags("Message")]],
        }
        url = f"{self.cu_url}/dry-run"
        params: dict[str, str | int] = {"process-id": process}
        if to_nonce is not None:
            params["to-nonce"] = to_nonce
        if to_message is not None:
            params["to"] = to_message
        return Result.from_json(self._json("POST", url, params=params, json=body))

    def dry_eval(
        self,
        process: str,
        code: str,
        to_nonce: int | None = None,
        to_message: str | None = None,
    ) -> Result:
        """`code` as a read-only Eval, on the latest state or the one after `to_nonce` (or
        after message `to_message`)."""
        return self.dryrun(
            process,
            data=code,
            tags=[("Action", "Eval")],
            to_nonce=to_nonce,
            to_message=to_message,
        )

    def results(
        self,
        process: str,
        *,
        after: str | None = None,
        sort: str = "ASC",
        limit: int = 100,
        include_errors: bool = False,
    ) -> Page:
        """One page of `GET /results/{process}`: evaluations after cursor `after`.

        `include_errors` asks for the failed ones too (an aos node extension; other compute
        units leave them out, as the reference does: docs/protocol.md §3.3.3)."""
        params: dict[str, str | int] = {"sort": sort, "limit": limit}
        if after:
            params["from"] = after
        if include_errors:
            params["include-errors"] = "1"
        body = self._json("GET", f"{self.cu_url}/results/{process}", params=params)
        edges = []
        for edge in body.get("edges", []) if isinstance(body, dict) else []:
            if isinstance(edge, dict) and isinstance(edge.get("cursor"), str):
                edges.append(Edge(edge["cursor"], Result.from_json(edge.get("node", {}))))
        page_info = body.get("pageInfo", {}) if isinstance(body, dict) else {}
        return Page(
            edges, bool(page_info.get("hasNextPage")) if isinstance(page_info, dict) else False
        )

    def iter_results(
        self, process: str, *, after: str | None = None, include_errors: bool = False
    ) -> Iterator[Edge]:
        """Every evaluation after `after`, oldest first, following `hasNextPage`."""
        while True:
            page = self.results(process, after=after, include_errors=include_errors)
            yield from page.edges
            if not page.has_next or not page.edges:
                return
            after = page.edges[-1].cursor

    def latest_cursor(self, process: str) -> str | None:
        """The cursor of the newest stored evaluation, for reading on from there (ASC)."""
        page = self.results(process, sort="DESC", limit=1)
        return ascending(page.edges[0].cursor) if page.edges else None

    def process_exists(self, process: str) -> bool | None:
        """Whether the units hold `process` (`process_known`); None when they cannot tell
        (no scheduler URL, or an answer other than found / not found)."""
        try:
            return self.process_known(process)
        except NodeRejected:
            return None

    def scheduled(self, process: str, nonce: int) -> TxInfo | None:
        """The message in slot `nonce` of `process`, from the scheduler (its `from-nonce` /
        `to-nonce` page); None when no scheduler URL is known or the slot is not there."""
        if self.su_url is None or nonce < 0:
            return None
        body = self._json(
            "GET",
            f"{self.su_url}/{process}",
            params={"from-nonce": nonce - 1, "to-nonce": nonce, "limit": 1},
        )
        edges = body.get("edges") if isinstance(body, dict) else None
        node = edges[0].get("node") if isinstance(edges, list) and edges else None
        message = node.get("message") if isinstance(node, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("id"), str):
            return None
        owner = message.get("owner")
        return TxInfo(
            id=message["id"],
            owner=str(owner.get("address", "")) if isinstance(owner, dict) else "",
            recipient=str(message.get("target") or ""),
            tags=[
                (str(t.get("name", "")), str(t.get("value", "")))
                for t in message.get("tags") or []
                if isinstance(t, dict)
            ],
        )

    def graphql(self, query: str, variables: JsonDict) -> JsonDict:
        """POST a GraphQL document to the gateway; `data` or a NodeRejected naming the error."""
        url = f"{self.gateway_url}/graphql"
        body = self._json("POST", url, json={"query": query, "variables": variables})
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            errors = body.get("errors") if isinstance(body, dict) else body
            raise NodeRejected(
                f"the gateway at {self.shown(url)} answered a GraphQL error: "
                f"{json.dumps(errors)[:300]}",
                url=url,
                status=200,
                body=json.dumps(body)[:500],
            )
        data: JsonDict = body["data"]
        return data

    def find_processes(self, name: str, owner: str | None = None) -> list[TxInfo]:
        """The processes called `name` owned by `owner` (default: our wallet), oldest first."""
        owners = [owner or self.wallet.address]
        data = self.graphql(gql.FIND_BY_NAME, {"owners": owners, "name": name})
        found = [tx for tx in gql.parse_transactions(data) if tx.name == name]
        return list(reversed(found))  # the gateway sorts newest first; aos uses oldest first

    def find_modules(self, name: str) -> list[TxInfo]:
        """The modules whose Name tag is `name`, by anyone, newest first."""
        data = self.graphql(gql.FIND_MODULE, {"name": name})
        return [tx for tx in gql.parse_transactions(data) if tx.name == name]

    def list_processes(self, owner: str | None = None) -> list[TxInfo]:
        """Up to 100 processes owned by `owner` (default: our wallet), newest first."""
        data = self.graphql(gql.LIST_OWNED, {"owners": [owner or self.wallet.address]})
        return gql.parse_transactions(data)

    def transactions(self, ids: list[str]) -> list[TxInfo]:
        return gql.parse_transactions(self.graphql(gql.BY_IDS, {"ids": ids}))

    def pushed_for(self, message: str) -> list[TxInfo]:
        """Items the MU pushed on behalf of user message `message` (tag `Pushed-For`)."""
        return gql.parse_transactions(self.graphql(gql.PUSHED_FOR, {"id": message}))


def cursor_fields(cursor: str) -> JsonDict | None:
    """The fields of a reference CU's results cursor (base64 JSON: timestamp, ordinate,
    cron, sort; docs/protocol.md §3.3.3), or None for an opaque one."""
    try:
        fields = json.loads(base64.b64decode(cursor, validate=True))
    except (ValueError, binascii.Error):
        return None
    return fields if isinstance(fields, dict) else None


def ascending(cursor: str) -> str:
    """The same position with `sort` ASC: a sort inside a cursor overrides the query's
    (docs/protocol.md §3.3.3), so a cursor taken from a DESC page would make every later page
    DESC."""
    try:
        fields = json.loads(base64.b64decode(cursor, validate=True))
    except (ValueError, binascii.Error):
        return cursor  # not base64 JSON: an opaque cursor from another CU, use it as is
    if not isinstance(fields, dict) or fields.get("sort", "ASC") == "ASC":
        return cursor
    fields["sort"] = "ASC"
    return base64.b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode()


def _reason(body: str) -> str:
    """The `error` field of a JSON error body (all ao units use it), else the text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:300] or "(empty body)"
    if isinstance(parsed, dict) and "error" in parsed:
        return str(parsed["error"])[:300]
    return body.strip()[:300]
