"""The in-process transport: one loop thread, the app's lifespan, errors as JSON 500s."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from aos.node.http.embedded import InProcessTransport, LoopThread


async def echo_or_fail(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app: echoes method, path, query and body; /boom raises."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    body = (await receive())["body"]
    if scope["path"] == "/boom":
        raise ValueError("the app broke")
    text = f"{scope['method']} {scope['path']} {scope['query_string'].decode()} {body.decode()}"
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"x-thread", threading.current_thread().name.encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b" [end]"})


@pytest.fixture
def client() -> Any:
    loop = LoopThread(echo_or_fail)
    loop.start()
    with httpx.Client(transport=InProcessTransport(loop), base_url="http://aos.local") as c:
        yield c
    loop.close()


def test_requests_reach_the_app_on_its_loop_thread(client: httpx.Client) -> None:
    r = client.post("/a/b", params={"x": "1 2"}, content=b"payload")
    assert r.status_code == 201
    assert r.text == "POST /a/b x=1+2 payload [end]"
    assert r.headers["x-thread"] == "aos-node-loop"


def test_an_exception_in_the_app_is_a_json_500_not_an_exception_here(
    client: httpx.Client,
) -> None:
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error: ValueError: the app broke"}


def test_a_failed_start_is_one_clear_error() -> None:
    async def refuses(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no data directory"})

    loop = LoopThread(refuses)
    with pytest.raises(RuntimeError, match="the node did not start: no data directory"):
        loop.start()
    assert loop.loop.is_closed()  # and its thread is gone
