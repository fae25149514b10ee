"""HTTP plumbing shared by the node's units: bodies with a size limit, query parameters,
JSON answers and the mapping of errors to `{"error": ...}` responses.

Every client mistake becomes a 4xx with a sentence saying what was wrong; only a bug in
the node is a 500. A body over the limit is refused from its Content-Length, or as soon as
the streamed bytes pass the limit, never after reading it whole.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from aos.errors import AosError, NodeError, StoreError
from aos.ids import is_id
from aos.limits import MAX_ITEM_BYTES

log = logging.getLogger("aos.node")


class JSON(Response):
    """A compact JSON response (no spaces; non-ASCII kept as UTF-8)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def accepted_body(item_id: str) -> bytes:
    """The MU's answer to an admitted item, as bytes (the fast path sends it raw)."""
    return b'{"message":"Processing DataItem","id":"%s"}' % item_id.encode()


def error_body(message: str) -> bytes:
    """`{"error": message}` as bytes, the body of every 4xx and 5xx answer."""
    return json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":")).encode()


class Admitter(Protocol):
    """Where an HTTP worker of a multi-process `aos serve` hands a checked item to be
    scheduled (aos.node.serve.sequencer.SequencerClient): the status and body to answer."""

    async def admit(self, raw: bytes) -> tuple[int, bytes]: ...


async def receive_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body of a raw ASGI request, or None if the client went away; NodeError
    (413) from the Content-Length or as soon as the streamed bytes pass `limit`. For the
    routes answered without Starlette's Request (the messenger's fast path, HyperBEAM)."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise NodeError(
                f"the body is {int(value)} bytes, over the limit of {limit}", status=413
            )
    chunks: list[bytes] = []
    total = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise NodeError(f"the body is over the limit of {limit} bytes", status=413)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def error(message: str, status: int) -> JSON:
    return JSON({"error": message}, status_code=status)


async def read_body(request: Request) -> bytes:
    limit: int = getattr(request.app.state, "max_body", MAX_ITEM_BYTES)
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise NodeError(f"Content-Length {declared!r} is not a number") from None
        if size > limit:
            raise NodeError(f"the body is {size} bytes, over the limit of {limit}", status=413)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise NodeError(f"the body is over the limit of {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    body = await read_body(request)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise NodeError(f"the body is not JSON: {err}") from None


def param(request: Request, name: str, required: bool = False) -> str | None:
    value = request.query_params.get(name)
    if value is None and required:
        raise NodeError(f"query parameter {name!r} is required")
    return value


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise NodeError(f"query parameter {name!r} must be an integer, got {value!r}") from None


def assign_params(request: Request) -> tuple[str, str] | None:
    """(process id, item id) of an assignment request (`?process-id=…&assign=…`, the MU's
    and the SU's), None when the request is not one; NodeError if only one is given."""
    pid, assign = param(request, "process-id"), param(request, "assign")
    if pid is None and assign is None:
        return None
    if pid is None or assign is None:
        raise NodeError("You must set both process-id and assign to assign a message")
    return check_id(pid, "process-id"), check_id(assign, "assign")


def check_id(value: str, what: str) -> str:
    """A 43-character base64url id, else NodeError naming `what`."""
    if not is_id(value):
        raise NodeError(f"{what} must be a 43-character base64url id, got {value[:80]!r}")
    return value


def error_status(exc: AosError) -> int:
    """The HTTP status of one of our errors: the node's own choice, 400 for a bad item,
    503 when the store cannot be written (the client may retry)."""
    if isinstance(exc, NodeError):
        return exc.status
    if isinstance(exc, StoreError):
        return 503
    return 400


async def on_node_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, StoreError):
        log.error("store error on %s: %s", request.url.path, exc)
    if isinstance(exc, AosError):
        return error(str(exc), error_status(exc))
    return error(str(exc), 500)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.detail or "error", exc.status_code)


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return error(f"internal error: {type(exc).__name__}: {exc}", 500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AosError: on_node_error,
    HTTPException: on_http_error,
    Exception: on_crash,
}
