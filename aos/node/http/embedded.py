"""The node in-process: the same ASGI app behind an httpx client, no socket.

`open_embedded(data_dir)` is what the shell uses by default. The app runs on an event
loop in its own thread (started with the app's lifespan, so the crank thread runs); each
request is one hand-off to that loop and back. Starlette's TestClient did the same job
with several thread hops per request, ~2 ms of a trivial request against ~0.1 ms here,
which the shell pays on every line typed. The client may be shared between the shell's
thread and a background live-feed thread. An exception in the app comes back as a JSON
500 answer, never as an exception in the caller.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message

from aos.node.http.app import NodeApp, create_app
from aos.node.http.direct import answer
from aos.node.units.node import Node
from aos.protocol import EMBEDDED_BASE_URL

BASE_URL = EMBEDDED_BASE_URL


class LoopThread:
    """An asyncio event loop running in a daemon thread, with the app's lifespan."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="aos-node-loop")
        self._thread.daemon = True
        self._lifespan_in: asyncio.Queue[Message] | None = None
        self._lifespan_out: asyncio.Queue[Message] | None = None
        self._lifespan_task: Any = None

    def start(self) -> None:
        self._thread.start()
        try:
            self.run(self._startup())
        except BaseException:
            self._stop_loop()
            raise

    def close(self) -> None:
        try:
            self.run(self._shutdown())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def _startup(self) -> None:
        self._lifespan_in, self._lifespan_out = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        inbox, outbox = self._lifespan_in, self._lifespan_out
        self._lifespan_task = asyncio.ensure_future(self.app(scope, inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        message = await outbox.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the node did not start: {message.get('message', message)}")

    async def _shutdown(self) -> None:
        if self._lifespan_in is None or self._lifespan_out is None:
            return
        await self._lifespan_in.put({"type": "lifespan.shutdown"})
        await self._lifespan_out.get()
        await self._lifespan_task


class InProcessTransport(httpx.BaseTransport):
    """httpx transport calling an ASGI app on a LoopThread; the two requests of every
    shell line are answered on the caller's thread when they succeed (aos.node.http.direct)."""

    def __init__(self, loop: LoopThread, node: Node | None = None) -> None:
        self.loop = loop
        self.node = node

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.node is not None:
            direct = answer(self.node, request)
            if direct is not None:
                status, content = direct
                headers = [("content-type", "application/json")]
                return httpx.Response(status, headers=headers, content=content, request=request)
        body = request.read()
        url = request.url
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 0),
            "server": (url.host, url.port or 80),
            "state": {},
        }
        status, headers, content = self.loop.run(_call(self.loop.app, scope, body))
        return httpx.Response(status, headers=headers, content=content, request=request)


async def _call(app: ASGIApp, scope: dict[str, Any], body: bytes) -> tuple[int, Any, bytes]:
    sent = False
    status, headers, chunks = 500, [], []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a client that sent everything stays connected
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as err:  # the app's own 500 page went out first, if it could
        if not chunks:
            error = {"error": f"internal error: {type(err).__name__}: {err}"}
            return 500, [(b"content-type", b"application/json")], json.dumps(error).encode()
    return status, headers, b"".join(chunks)


class EmbeddedClient(httpx.Client):
    """An httpx.Client on the in-process node; `app` is the node's ASGI app (whose
    `state.node` tests and tools may reach into)."""

    def __init__(self, app: NodeApp, loop: LoopThread) -> None:
        super().__init__(transport=InProcessTransport(loop, app.node), base_url=BASE_URL)
        self.app = app


@contextmanager
def open_embedded(data_dir: Path, **settings: Any) -> Iterator[EmbeddedClient]:
    """An httpx.Client whose base_url http://aos.local is a node over `data_dir`."""
    settings.setdefault("public_url", BASE_URL)
    app = create_app(Path(data_dir), **settings)
    loop = LoopThread(app)
    loop.start()
    try:
        with EmbeddedClient(app, loop) as client:
            yield client
    finally:
        loop.close()
