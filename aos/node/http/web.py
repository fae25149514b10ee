"""HTTP plumbing shared by the node's units: bodies with a size limit, query parameters,
JSON answers and the mapping of errors to `{"error": ...}` responses.

Every client mistake becomes a 4xx with a sentence saying what was wrong; only a bug in
the node is a 500. A body over the limit is refused from its Content-Length, or as soon as
the streamed bytes pass the limit, never after reading it whole; a body that does not
arrive within the body timeout is answered 408 (and the connection dropped). JSON is
refused when it nests deeper than MAX_JSON_DEPTH or holds NaN or Infinity, and integer
parameters outside the range their column can hold, so no input reaches SQLite or Lua as
an OverflowError or a RecursionError.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from aos.errors import AosError, NodeError, StoreError
from aos.ids import is_id
from aos.limits import BODY_TIMEOUT, MAX_ITEM_BYTES, MAX_JSON_DEPTH

log = logging.getLogger("aos.node")

# SQLite integers are 64-bit; every integer a request gives must fit (no OverflowError).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class JSON(Response):
    """A compact JSON response (no spaces; non-ASCII kept as UTF-8)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return compact_json(content)


def compact_json(content: Any) -> bytes:
    """JSON without spaces, non-ASCII kept as UTF-8: the body of every JSON answer."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def accepted_body(item_id: str) -> bytes:
    """The MU's answer to an admitted item, as bytes (the fast path sends it raw)."""
    return b'{"message":"Processing DataItem","id":"%s"}' % item_id.encode()


def error_body(message: str) -> bytes:
    """`{"error": message}` as bytes, the body of every 4xx and 5xx answer."""
    return compact_json({"error": message})


class Admitter(Protocol):
    """Where an HTTP worker of a multi-process `aos serve` hands a checked item to be
    scheduled (aos.node.serve.sequencer.SequencerClient): the status and body to answer."""

    async def admit(self, raw: bytes) -> tuple[int, bytes]: ...


async def receive_body(
    scope: Scope, receive: Receive, limit: int, timeout: float = BODY_TIMEOUT
) -> bytes | None:
    """The whole body of a raw ASGI request, or None if the client went away; NodeError
    (413) from the Content-Length or as soon as the streamed bytes pass `limit`, (408)
    when the body has not arrived within `timeout` seconds. For the routes answered
    without Starlette's Request (the messenger's fast path, HyperBEAM)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            check_length(value, limit)
    chunks: list[bytes] = []
    total = 0
    more = True
    try:
        async with asyncio.timeout(timeout):
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
    except TimeoutError:
        raise body_timeout_error(timeout) from None
    return b"".join(chunks)


def error(message: str, status: int) -> JSON:
    # A body that was not read to its end (too large, too slow) leaves the connection
    # unusable for another request: close it after the answer.
    headers = {"Connection": "close"} if status in (408, 413) else None
    return JSON({"error": message}, status_code=status, headers=headers)


class Disconnected(NodeError):
    """The client went away before its request was read: nobody is left to answer (the
    handler logs nothing; the answer is never sent)."""

    status = 400


def check_length(declared: str | bytes | None, limit: int) -> None:
    """A Content-Length header against the body limit, before any byte is read."""
    if declared is None:
        return
    text = declared.decode("latin-1") if isinstance(declared, bytes) else declared
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise NodeError(f"Content-Length {text[:40]!r} is not a number of bytes")
    if int(text) > limit:
        raise NodeError(f"the body is {int(text)} bytes, over the limit of {limit}", status=413)


def body_timeout_error(timeout: float) -> NodeError:
    return NodeError(
        f"the request body did not arrive within {timeout:g} s; send it at once", status=408
    )


async def read_body(request: Request) -> bytes:
    limit: int = getattr(request.app.state, "max_body", MAX_ITEM_BYTES)
    timeout: float = getattr(request.app.state, "body_timeout", BODY_TIMEOUT)
    check_length(request.headers.get("content-length"), limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise NodeError(f"the body is over the limit of {limit} bytes", status=413)
                chunks.append(chunk)
    except TimeoutError:
        raise body_timeout_error(timeout) from None
    except ClientDisconnect:
        raise Disconnected("the client disconnected before sending the whole body") from None
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise NodeError(f"the body is not JSON a node accepts: {name} is not a number")


def json_depth_error(where: str) -> NodeError:
    return NodeError(f"{where} nests deeper than {MAX_JSON_DEPTH} levels")


def check_depth(value: Any, where: str) -> None:
    """NodeError if `value` nests lists and objects deeper than MAX_JSON_DEPTH (iterative:
    the check itself must not recurse)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise json_depth_error(where)
        stack.extend((child, depth + 1) for child in children)


def parse_json(body: bytes, where: str = "the body") -> Any:
    """JSON from a request, or NodeError (400): not JSON, NaN/Infinity, an integer too long
    to convert, or nesting deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise json_depth_error(where) from None
    except (UnicodeDecodeError, ValueError) as err:  # JSONDecodeError, or 5000-digit integers
        raise NodeError(f"{where} is not JSON: {err}") from None
    check_depth(value, where)
    return value


async def read_json(request: Request) -> Any:
    return parse_json(await read_body(request))


def param(request: Request, name: str, required: bool = False) -> str | None:
    value = request.query_params.get(name)
    if value is None and required:
        raise NodeError(f"query parameter {name!r} is required")
    return value


def int_param(
    request: Request,
    name: str,
    default: int | None = None,
    low: int = INT64_MIN,
    high: int = INT64_MAX,
) -> int | None:
    """Query parameter `name` as an integer in [low, high] (default: what SQLite holds)."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    return check_int(value, f"query parameter {name!r}", low, high)


def check_int(value: str, what: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """`value` as an integer in [low, high], else NodeError naming `what`."""
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise NodeError(f"{what} must be an integer, got {value[:80]!r}")
    if len(digits) > 20 or not low <= int(text) <= high:
        raise NodeError(
            f"{what} must be an integer, {low} or more and at most {high}, got {value[:80]!r}"
        )
    return int(text)


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


def database_error(exc: sqlite3.DatabaseError) -> StoreError:
    """What a damaged or unreadable database file means to a client (503: nothing the
    client did; the operator must look at the file)."""
    return StoreError(
        f"the node's database cannot be read ({exc}); its operator should stop the node and "
        "run `aos verify`"
    )


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
    if isinstance(exc, Disconnected):
        log.debug("client left during %s %s", request.method, request.url.path)
    if isinstance(exc, AosError):
        answer = error(str(exc), error_status(exc))
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            answer.headers["Retry-After"] = str(retry)
        return answer
    return error(str(exc), 500)


async def on_disconnect(request: Request, exc: Exception) -> Response:
    """A client that aborted its body: one debug line, no traceback (the answer is lost)."""
    log.debug("client left during %s %s", request.method, request.url.path)
    return error("the client disconnected", 400)


async def on_database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, sqlite3.DatabaseError)
    err = database_error(exc)
    log.error("database error on %s: %s", request.url.path, exc)
    return error(str(err), 503)


async def on_recursion(request: Request, exc: Exception) -> Response:
    log.warning("input nested too deeply on %s %s", request.method, request.url.path)
    return error("the request nests too deeply to be processed", 400)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.detail or "error", exc.status_code)


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return error(f"internal error: {type(exc).__name__}: {exc}", 500)


# Every class listed besides Exception is handled where it is raised (Starlette's
# ExceptionMiddleware); only Exception goes to the ServerErrorMiddleware, which logs a
# traceback and raises again (uvicorn then logs a second one): no client input may get there.
EXCEPTION_HANDLERS: dict[Any, Any] = {
    AosError: on_node_error,
    HTTPException: on_http_error,
    ClientDisconnect: on_disconnect,
    sqlite3.DatabaseError: on_database_error,
    RecursionError: on_recursion,
    Exception: on_crash,
}
