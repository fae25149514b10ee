"""The messenger's HTTP surface (ao-protocol §3.1), served under aos.protocol.MU_PATH."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from aos.errors import NodeError, NotFound
from aos.node.node import Node
from aos.node.web import JSON, check_id, param, read_body


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def root(request: Request) -> Response:
    return PlainTextResponse("ao messenger unit")


async def post(request: Request) -> Response:
    node = _node(request)
    pid, assign = param(request, "process-id"), param(request, "assign")
    if pid is not None or assign is not None:
        if pid is None or assign is None:
            raise NodeError("You must set both process-id and assign to assign a message")
        entry = await run_in_threadpool(
            node.mu.assign, check_id(pid, "process-id"), check_id(assign, "assign")
        )
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


routes = [
    Route("/", root, methods=["GET"]),
    Route("/", post, methods=["POST"]),
    Route("/monitor/{pid}", monitor, methods=["POST", "DELETE"]),
]
