"""The messenger's HTTP surface (docs/protocol.md §3.1), served under aos.protocol.MU_PATH."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from aos.errors import AosError, NodeError, NotFound
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


async def post(request: Request) -> Response:
    node = _node(request)
    assignment = assign_params(request)
    if assignment is not None:
        entry = await run_in_threadpool(node.mu.assign, *assignment)
        return JSON({"message": "Processing Assignment", "id": entry.assignment_id}, 202)
    body = await read_body(request)
    if not body:
        raise NodeError("the body must be a signed ANS-104 data item (it is empty)")
    accepted = await run_in_threadpool(node.mu.accept, body)
    return JSON({"message": "Processing DataItem", "id": accepted.item.id}, 202)


async def monitor(request: Request) -> Response:
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")
    if request.method == "POST":
        body = await read_body(request)
        if not body:
            raise NodeError("monitor needs a signed data item as the body")
    if node.store.process(pid) is None:
        raise NotFound(f"process {pid} is not on this node")
    on = request.method == "POST"
    await run_in_threadpool(node.store.set_monitor, pid, on)
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
        body = await receive_body(scope, receive, node.settings.max_body)
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
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


routes = [
    Route("/", root, methods=["GET"]),
    Route("/", post, methods=["POST"]),
    Route("/monitor/{pid}", monitor, methods=["POST", "DELETE"]),
]
