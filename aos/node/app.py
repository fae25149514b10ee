"""The node as one ASGI app: gateway at the root, MU/SU/CU under their URL prefixes.

Prefix routing is done here rather than with Starlette's Mount so that a POST to the bare
prefix (`/mu`, as aoconnect sends when MU_URL has no trailing slash) reaches the unit's
`/` route instead of a redirect. CORS is open, as on the reference units. The lifespan
starts the crank thread, so pushes work the same under uvicorn and in-process.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from aos.node import api_cu, api_mu, api_su, gateway
from aos.node.lifeline import exit_with_parent
from aos.node.node import DEFAULT_PUBLIC_URL, Node, NodeSettings
from aos.node.sequencer import SequencerClient, client_from_env
from aos.node.web import EXCEPTION_HANDLERS
from aos.protocol import CU_PATH, MU_PATH, SU_PATH


def _unit(routes: list[Any], node: Node) -> Starlette:
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)
    app.state.node = node
    app.state.max_body = node.settings.max_body
    return app


class NodeApp(Starlette):
    """The node's Starlette app, with the messenger's hot path (`POST /mu` without a query)
    answered before any middleware: it is what every message goes through."""

    fast_paths = frozenset({MU_PATH, MU_PATH + "/"})
    node: Node
    sequencer: SequencerClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in self.fast_paths
            and not scope["query_string"]
        ):
            await api_mu.fast_post(self.node, self.sequencer, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class PrefixRouter:
    """Middleware sending `/mu…`, `/su…`, `/cu…` to their units (prefix stripped); the rest
    (and the lifespan) goes on to the gateway app it wraps."""

    def __init__(self, app: ASGIApp, units: dict[str, ASGIApp], node: Node) -> None:
        self.units = units
        self.fallback = app
        self.node = node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            for prefix, app in self.units.items():
                if path == prefix or path.startswith(prefix + "/"):
                    rest = path[len(prefix) :] or "/"
                    child = dict(scope)
                    child["path"] = rest
                    child["raw_path"] = rest.encode()
                    child["root_path"] = scope.get("root_path", "") + prefix
                    await app(child, receive, send)
                    return
        await self.fallback(scope, receive, send)


def create_app(data_dir: Path, **settings: Any) -> NodeApp:
    """The node over `data_dir`. Settings: see aos.node.node.NodeSettings."""
    node = Node(Path(data_dir), NodeSettings(**settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        node.start()
        try:
            yield
        finally:
            node.stop()

    units: dict[str, ASGIApp] = {
        MU_PATH: _unit(api_mu.routes, node),
        SU_PATH: _unit(api_su.routes, node),
        CU_PATH: _unit(api_cu.routes, node),
    }
    app = NodeApp(
        routes=gateway.routes,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["*"],
            ),
            Middleware(PrefixRouter, units=units, node=node),
        ],
    )
    app.node = node
    app.state.node = node
    app.state.max_body = node.settings.max_body
    return app


def app_from_env() -> NodeApp:
    """Factory for `uvicorn --factory` workers (the HTTP workers of `aos serve`): the data dir
    and public URL come from AOS_NODE_DATA_DIR and AOS_NODE_PUBLIC_URL, the supervisor's
    scheduling socket from AOS_NODE_SEQUENCER. The worker ends when the supervisor does."""
    data_dir = os.environ.get("AOS_NODE_DATA_DIR")
    if not data_dir:
        raise RuntimeError("AOS_NODE_DATA_DIR is not set")
    app = create_app(
        Path(data_dir), public_url=os.environ.get("AOS_NODE_PUBLIC_URL", DEFAULT_PUBLIC_URL)
    )
    app.sequencer = client_from_env()
    exit_with_parent(os.getppid())
    return app
