"""The compute unit's HTTP surface (docs/protocol.md §3.3), served under aos.protocol.CU_PATH.

`/results` cursors are standard base64 of `{"timestamp","ordinate","cron"?,"sort"}` as
the reference CU writes them; `from`/`to` accept such a cursor or a bare timestamp.
`/dry-run` takes `to-nonce=N` or `to=<message id>` to read the state after that message.
The routes that evaluate (dry-run, state, cron) go through the app's EvaluationGate
(aos.node.http.bounds): a few threads of their own, 503 with Retry-After beyond its counts.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aos.clock import now_ms
from aos.errors import NodeError, NotFound
from aos.log.records import ResultRow
from aos.node.http.bounds import EvaluationGate
from aos.node.http.replica import Replica
from aos.node.http.web import JSON, check_id, check_int, int_param, param, read_json
from aos.node.units.node import Node

_MAX = (1 << 62, 1 << 62, "\U0010ffff")
Key = tuple[int, int, str]


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def cursor_of(row: ResultRow, sort: str) -> str:
    body: dict[str, Any] = {"timestamp": row.timestamp, "ordinate": str(row.ordinate)}
    if row.cron:
        body["cron"] = row.cron
    body["sort"] = sort
    return base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def parse_bound(value: str | None, name: str) -> tuple[Key | None, str | None]:
    """A `from`/`to` value: a bare timestamp or a cursor; returns (key, sort in cursor).
    Its numbers must fit a 64-bit column (the cursor is the client's to make up)."""
    if value is None or value == "":
        return None, None
    if value.isascii() and value.isdigit():
        return (check_int(value, f"query parameter {name!r}", 0), _MAX[1], _MAX[2]), None
    bad = NodeError(f"{name} must be a timestamp or a results cursor, got {value[:80]!r}")
    if len(value) > 1000:
        raise bad
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
        body = json.loads(text)
        stamp, ordinate = body["timestamp"], body["ordinate"]
        key = (
            check_int(str(stamp), f"the timestamp of cursor {name!r}", 0),
            check_int(str(ordinate), f"the ordinate of cursor {name!r}", -1),
            str(body.get("cron") or ""),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise bad from None
    sort = body.get("sort")
    return key, sort.upper() if isinstance(sort, str) else None


async def root(request: Request) -> Response:
    return JSON({"address": _node(request).wallet.address, "timestamp": now_ms()})


async def result(request: Request) -> Response:
    node = _node(request)
    some_id = check_id(request.path_params["id"], "message id")
    pid = check_id(param(request, "process-id", required=True) or "", "process-id")
    return JSON(await run_in_threadpool(node.cu.result, pid, some_id))


def _results_page(node: Node, request: Request, pid: str, cron_only: bool) -> dict[str, Any]:
    if node.store.process(pid) is None:
        raise NotFound(f"process {pid} is not on this node")
    sort = (param(request, "sort") or "ASC").upper()
    if sort not in ("ASC", "DESC"):
        raise NodeError(f"sort must be ASC or DESC, got {sort!r}")
    low, low_sort = parse_bound(param(request, "from"), "from")
    high, high_sort = parse_bound(param(request, "to"), "to")
    sort = low_sort or high_sort or sort  # a sort inside a cursor wins (reference CU)
    limit = int_param(request, "limit", 500 if cron_only else 25, low=1) or 25
    limit = min(limit, 1000 if cron_only else 10_000)
    if cron_only:
        node.cu.tick(pid)
    # An aos node extension: the shell's live feed shows the errors of handlers too.
    errors = (param(request, "include-errors") or "").lower() in ("1", "true")
    rows = node.store.results_page(pid, low, high, sort == "DESC", limit + 1, cron_only, errors)
    edges = [{"cursor": cursor_of(r, sort), "node": r.result} for r in rows[:limit]]
    return {"pageInfo": {"hasNextPage": len(rows) > limit}, "edges": edges}


async def results(request: Request) -> Response:
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")
    return JSON(await run_in_threadpool(_results_page, node, request, pid, False))


async def cron(request: Request) -> Response:
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")
    work = partial(_results_page, node, request, pid, True)  # it evaluates: gated
    return JSON(await _gate(request).run(pid, "cron read", work))


def _gate(request: Request) -> EvaluationGate:
    gate: EvaluationGate = request.app.state.gate
    return gate


async def dry_run(request: Request) -> Response:
    node = _node(request)
    pid = check_id(param(request, "process-id", required=True) or "", "process-id")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise NodeError("the dry-run body must be a JSON object (the message)")
    if node.store.process(pid) is None:
        raise NotFound(f"process {pid} is not on this node")
    nonce = _to_nonce(request, pid)
    replica: Replica | None = request.app.state.replica
    if replica is not None:  # aos serve: in an OS process of its own (aos.node.http.replica)
        with _gate(request).admitted(pid, "dry-run"):
            return JSON(await replica.run(pid, body, nonce))
    if nonce is not None:
        work = partial(node.cu.dry_run_at, pid, body, nonce)
    else:
        work = partial(node.cu.dry_run, pid, body)
    return JSON(await _gate(request).run(pid, "dry-run", work))


def _to_nonce(request: Request, pid: str) -> int | None:
    """`to-nonce=N`, or `to=<message id>` (that message's nonce, as the reference CU's
    `to`); None when neither is given (evaluate on the latest state)."""
    nonce = int_param(request, "to-nonce", low=0)
    to = param(request, "to")
    if nonce is not None and to:
        raise NodeError("give either to-nonce or to (a message id), not both")
    if to:
        node = _node(request)
        return node.cu.nonce_of(pid, check_id(to, "to (a message id)"))
    if nonce is not None and nonce < 0:
        raise NodeError(f"query parameter 'to-nonce' must be 0 or more, got {nonce}")
    return nonce


async def state(request: Request) -> Response:
    """The process's evaluation state as JSON: where it stands and its result chain head
    (a Lua-memory dump is not part of this node: state is always rebuilt from the log)."""
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")

    def load() -> dict[str, Any]:
        if node.store.process(pid) is None:
            raise NotFound(f"process {pid} is not on this node")
        node.cu.evaluate_to(pid)
        last = node.store.last_result(pid)
        if last is None:
            raise NotFound(f"process {pid} has no evaluation yet")
        return {
            "process": pid,
            "ordinate": str(last.ordinate),
            "timestamp": last.timestamp,
            "block_height": last.block_height,
            "evaluations": last.position + 1,
            "result_hash": last.result_hash,
            "chain_hash": last.chain_hash,
        }

    data = await _gate(request).run(pid, "state read", load)
    return JSON(
        data,
        headers={
            "Last-Timestamp": str(data["timestamp"]),
            "Last-Ordinate": data["ordinate"],
            "Last-Block-Height": str(data["block_height"]),
        },
    )


routes = [
    Route("/", root, methods=["GET"]),
    Route("/result/{id}", result, methods=["GET"]),
    Route("/results/{pid}", results, methods=["GET"]),
    Route("/dry-run", dry_run, methods=["POST"]),
    Route("/state/{pid}", state, methods=["GET"]),
    Route("/cron/{pid}", cron, methods=["GET"]),
]
