"""The minimal Arweave gateway (docs/protocol.md §5): GraphQL, raw data, network info, uploads.

It sits at the root of the node's URL space (aos builds its GraphQL URL as
`new URL('/graphql', GATEWAY_URL)`), over the same item index as the scheduler.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aos.clock import block_height_at, now_ms
from aos.errors import NodeError, NotFound
from aos.node.http.web import JSON, check_id, read_body, read_json
from aos.node.units.node import Node
from aos.node.units.su import parse_signed


def _gql() -> ModuleType:
    """The GraphQL module, imported on first use: graphql-core takes ~0.1 s to import, which
    a shell attaching to a process by id would otherwise pay on every start."""
    from aos.node.http import gql

    return gql


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def network_info() -> dict[str, Any]:
    height = block_height_at(now_ms())
    return {
        "network": "aos.local",
        "version": 5,
        "release": 1,
        "height": height,
        "current": _gql().block_id(height),
        "blocks": height + 1,
        "peers": 0,
        "queue_length": 0,
        "node_state_latency": 0,
    }


async def info(request: Request) -> Response:
    return JSON(network_info())


async def graphql(request: Request) -> Response:
    node = _node(request)
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise NodeError('a GraphQL request is a JSON object with a "query" string')
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise NodeError("GraphQL variables must be a JSON object")
    operation = body.get("operationName")
    result, failed = await run_in_threadpool(
        _gql().execute,
        node.store,
        body["query"],
        variables,
        operation if isinstance(operation, str) else None,
    )
    return JSON(result, status_code=400 if failed and result["data"] is None else 200)


def _item_or_404(node: Node, some_id: str) -> tuple[bytes, str]:
    item = node.store.item(some_id)
    if item is None:
        raise NotFound(f"item {some_id} is not on this gateway")
    return item.data, item.tag("Content-Type") or "application/octet-stream"


async def raw(request: Request) -> Response:
    node = _node(request)
    some_id = check_id(request.path_params["id"], "id")
    data, content_type = await run_in_threadpool(_item_or_404, node, some_id)
    return Response(data, media_type=content_type)


async def item(request: Request) -> Response:
    node = _node(request)
    some_id = check_id(request.path_params["id"], "id")
    data, content_type = await run_in_threadpool(_item_or_404, node, some_id)
    if request.method == "HEAD":
        return Response(
            status_code=200, media_type=content_type, headers={"Content-Length": str(len(data))}
        )
    return Response(data, media_type=content_type)


async def status(request: Request) -> Response:
    node = _node(request)
    some_id = check_id(request.path_params["id"], "id")
    found = await run_in_threadpool(node.store.item, some_id)
    if found is None:
        raise NotFound(f"item {some_id} is not on this gateway")
    # A local item is final as soon as it is stored; report it as deeply confirmed so that
    # base-layer assignments (Settlement-Depth, default 20) are accepted.
    current = block_height_at(now_ms())
    return JSON(
        {
            "block_height": found.block_height,
            "block_indep_hash": _gql().block_id(found.block_height),
            "number_of_confirmations": max(current - found.block_height, 0) + 1000,
        }
    )


async def upload(request: Request) -> Response:
    node = _node(request)
    body = await read_body(request)

    def store() -> str:
        parsed = parse_signed(body)
        node.su.store_only(parsed, body)
        return parsed.id

    item_id = await run_in_threadpool(store)
    return JSON({"id": item_id}, status_code=200)


routes = [
    Route("/", info, methods=["GET"]),
    Route("/info", info, methods=["GET"]),
    Route("/graphql", graphql, methods=["POST"]),
    Route("/raw/{id}", raw, methods=["GET"]),
    Route("/tx/arweave", upload, methods=["POST"]),
    Route("/tx/{id}/status", status, methods=["GET"]),
    Route("/{id}", item, methods=["GET", "HEAD"]),
]
