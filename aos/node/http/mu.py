"""The messenger's HTTP surface (docs/protocol.md §3.1), served under aos.protocol.MU_PATH."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from aos.errors import AosError, NodeError, NotFound
from aos.log.records import Entry
from aos.node.http.web import (
    JSON,
    Admitter,
    accepted_body,
    assign_params,
    check_id,
    error_body,
    error_status,
    read_body,
    receive_body,
)
from aos.node.units.node import Node

# CORS is open on every unit; the fast path runs before the CORS middleware, so it says so.
_JSON_HEADERS = [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")]


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def root(request: Request) -> Response:
    return PlainTextResponse("ao messenger unit")


async def assign_request(request: Request, assignment: tuple[str, str]) -> Entry:
    """An assignment request of the MU or the SU: unsigned (no body, as aoconnect sends it)
    or signed by the process owner (aos.node.units.authority, rule 3)."""
    node = _node(request)
    pid, item_id = assignment
    body = await read_body(request)

    def run() -> Entry:
        by = node.authority.signed_by_owner(pid, body, "assign to", item_id) if body else None
        return node.mu.assign(pid, item_id, by)

    return await run_in_threadpool(run)


async def post(request: Request) -> Response:
    node = _node(request)
    assignment = assign_params(request)
    if assignment is not None:
        entry = await assign_request(request, assignment)
        return JSON({"message": "Processing Assignment", "id": entry.assignment_id}, 202)
    body = await read_body(request)
    if not body:
        raise NodeError("the body must be a signed ANS-104 data item (it is empty)")
    accepted = await run_in_threadpool(node.mu.accept, body)
    return JSON({"message": "Processing DataItem", "id": accepted.item.id}, 202)


async def monitor(request: Request) -> Response:
    """Start (POST) or stop (DELETE) the node's crons of a process: only with a data item
    signed by the process owner as the body (aos.node.units.authority, rule 4)."""
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")
    on = request.method == "POST"
    body = await read_body(request)
    if not body:
        raise NodeError(
            f"{'monitor' if on else 'unmonitor'} needs a data item signed by the process "
            f"owner, with target {pid}, as the body"
        )

    def run() -> None:
        if node.store.process(pid) is None:
            raise NotFound(f"process {pid} is not on this node")
        node.authority.signed_by_owner(pid, body, "monitor" if on else "unmonitor")
        node.store.set_monitor(pid, on)

    await run_in_threadpool(run)
    return PlainTextResponse("Monitoring process" if on else "Process deleted")


async def fast_post(
    node: Node, sequencer: Admitter | None, scope: Scope, receive: Receive, send: Send
) -> None:
    """`POST /` without a query, as raw ASGI: the hot path of every message.

    It skips the framework layers and the thread-pool hop (verify + one SQLite transaction
    take ~0.3 ms, less than handing the work to a thread and back). In an `aos serve`
    worker the item is checked here and scheduled by the supervising process
    (aos.node.serve.sequencer). Errors are the same JSON as the routed path."""
    status, payload = 202, b""
    try:
        body = await receive_body(
            scope, receive, node.settings.max_body, node.settings.body_timeout
        )
        if body is None:
            return
        if not body:
            raise NodeError("the body must be a signed ANS-104 data item (it is empty)")
        item = node.mu.check(body)
        if sequencer is not None:
            status, payload = await sequencer.admit(body)
        else:
            payload = accepted_body(node.mu.admit(item, body).item.id)
    except AosError as err:
        status = error_status(err)
        payload = error_body(str(err))
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
    if status in (408, 413):  # the body was not read to its end (web.error)
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


routes = [
    Route("/", root, methods=["GET"]),
    Route("/", post, methods=["POST"]),
    Route("/monitor/{pid}", monitor, methods=["POST", "DELETE"]),
]
