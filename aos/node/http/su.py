"""The scheduler's HTTP surface (docs/protocol.md §3.2), served under aos.protocol.SU_PATH."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aos.clock import block_height_at, now_ms
from aos.dataitem import DataItem, b64url_encode, parse
from aos.errors import NodeError, NotFound
from aos.log.records import Entry, Item
from aos.node.http.mu import assign_request
from aos.node.http.web import JSON, assign_params, check_id, int_param, param, read_body
from aos.node.units.node import Node
from aos.node.units.su import check_schedulable, parse_signed


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def item_json(item: Item) -> dict[str, Any]:
    try:
        data: str | None = item.data.decode("utf-8")
    except UnicodeDecodeError:
        data = item.data.decode("utf-8", errors="replace")
    return {
        "id": item.id,
        "owner": {"address": item.owner, "key": item.owner_key},
        "data": data,
        "tags": item.tags,
        "signature": item.signature,
        "anchor": item.anchor or None,
        "target": item.target,
    }


def anchor_json(item: DataItem, show_anchor: bool) -> str | None:
    """An anchor as the reference SU shows it (servers/su json.rs, bytes.rs `anchor`): its
    UTF-8 text, None when it is absent or not UTF-8 unless `show-anchor` asks for base64url."""
    if item.anchor is None:
        return None
    text = item.anchor_text
    if text is not None:
        return text or None
    return b64url_encode(item.anchor) if show_anchor else None


def entry_json(node: Node, entry: Entry, show_anchor: bool = False) -> dict[str, Any]:
    raw = node.store.assignment_raw(entry.assignment_id)
    assert raw is not None
    a = parse(raw)
    assignment = {
        "id": a.id,
        "owner": {"address": a.owner_address, "key": b64url_encode(a.owner)},
        "tags": [{"name": n, "value": v} for n, v in a.tags],
        "signature": b64url_encode(a.signature),
        "anchor": anchor_json(a, show_anchor),
        "target": "",
    }
    message = None
    if not entry.assigned:
        item = node.store.item(entry.message_id)
        if item is not None:
            message = item_json(item)
    return {"message": message, "assignment": assignment}


def _page(node: Node, request: Request, pid: str) -> dict[str, Any]:
    if node.store.process(pid) is None:
        raise NotFound(f"process {pid} is not on this node")
    limit = min(int_param(request, "limit", 100, low=1) or 100, 10_000)
    from_nonce = int_param(request, "from-nonce", low=-1)
    to_nonce = int_param(request, "to-nonce", low=-1)
    nonce_mode = from_nonce is not None or to_nonce is not None
    if nonce_mode:
        after = -1 if from_nonce is None else from_nonce
        entries = node.store.entries(pid, after, to_nonce, limit + 1)
    else:
        entries = node.store.entries_by_time(
            pid, int_param(request, "from", low=0), int_param(request, "to", low=0), limit + 1
        )
    show = param(request, "show-anchor") is not None
    edges = [
        {
            "cursor": str(e.nonce if nonce_mode else e.timestamp),
            "node": entry_json(node, e, show),
        }
        for e in entries[:limit]
    ]
    return {"page_info": {"has_next_page": len(entries) > limit}, "edges": edges}


async def root(request: Request) -> Response:
    return JSON({"timestamp": str(now_ms()), "address": _node(request).su.address})


async def timestamp(request: Request) -> Response:
    now = now_ms()
    return JSON({"timestamp": str(now), "block_height": f"{block_height_at(now):012d}"})


async def health(request: Request) -> Response:
    return Response(status_code=200)


async def post(request: Request) -> Response:
    node = _node(request)
    assignment = assign_params(request)
    if assignment is not None:
        entry = await assign_request(request, assignment)
        return JSON({"timestamp": entry.timestamp, "id": entry.assignment_id})
    body = await read_body(request)

    def schedule() -> Entry:
        item = parse_signed(body)
        kind = check_schedulable(item)
        node.authority.check_from_key(item)
        if kind == "Process":
            entry = node.su.spawn(item, body)
        else:
            target = item.target_id
            if target is None:
                raise NodeError(f"message {item.id} has no target process")
            entry = node.su.schedule(item, body, target)
        assert entry is not None
        node.crank.wake(entry.process)
        return entry

    entry = await run_in_threadpool(schedule)
    return JSON({"timestamp": entry.timestamp, "id": entry.message_id})


async def process_info(request: Request) -> Response:
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")

    def load() -> dict[str, Any]:
        item = node.store.item(pid)
        first = node.store.entries(pid, -1, 0, 1)
        if item is None or not first:
            raise NotFound(f"process {pid} is not on this node")
        data = item_json(item)
        return {
            "process_id": pid,
            "block": f"{first[0].block_height:012d}",
            "owner": data["owner"],
            "tags": item.tags,
            "timestamp": first[0].timestamp,
            "data": data["data"],
            "anchor": item.anchor or None,
            "signature": item.signature,
            "target": None,
        }

    return JSON(await run_in_threadpool(load))


async def latest(request: Request) -> Response:
    node = _node(request)
    pid = check_id(request.path_params["pid"], "process id")

    def load() -> dict[str, Any]:
        row = node.store.process(pid)
        if row is None:
            raise NotFound(f"process {pid} is not on this node")
        entries = node.store.entries(pid, row.head.nonce - 1, row.head.nonce, 1)
        if not entries:
            raise NotFound(f"process {pid} has no scheduled message")
        return entry_json(node, entries[0], param(request, "show-anchor") is not None)

    return JSON(await run_in_threadpool(load))


async def message_or_page(request: Request) -> Response:
    node = _node(request)
    some_id = check_id(request.path_params["id"], "id")
    pid = param(request, "process-id")

    def load() -> dict[str, Any]:
        if pid is None or pid == some_id:
            return _page(node, request, some_id)
        check_id(pid, "process-id")
        entry = node.store.entry_by_id(pid, some_id)
        if entry is None:
            raise NotFound(f"message or process {some_id} not found on process {pid}")
        return entry_json(node, entry, param(request, "show-anchor") is not None)

    return JSON(await run_in_threadpool(load))


routes = [
    Route("/", root, methods=["GET"]),
    Route("/", post, methods=["POST"]),
    Route("/timestamp", timestamp, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/processes/{pid}", process_info, methods=["GET"]),
    Route("/{pid}/latest", latest, methods=["GET"]),
    Route("/{id}", message_or_page, methods=["GET"]),
]
