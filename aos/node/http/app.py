"""The node as one ASGI app: gateway at the root, MU/SU/CU under their URL prefixes, and
the HyperBEAM paths (`/push`, `/~meta@1.0/…`, `/<pid>~process@1.0/…`) beside them.

Prefix routing is done here rather than with Starlette's Mount so that a POST to the bare
prefix (`/mu`, as aoconnect sends when MU_URL has no trailing slash) reaches the unit's
`/` route instead of a redirect. CORS is open, as on the reference units. The lifespan
starts the crank thread, so pushes work the same under uvicorn and in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from aos.node.http import cu as cu_routes
from aos.node.http import gateway
from aos.node.http import mu as mu_routes
from aos.node.http import su as su_routes
from aos.node.http.bounds import EvaluationGate
from aos.node.http.hbpath import claims
from aos.node.http.hyperbeam import HyperBeamApp
from aos.node.http.replica import Replica
from aos.node.http.web import EXCEPTION_HANDLERS, Admitter
from aos.node.units.node import Node, NodeSettings
from aos.protocol import CU_PATH, MU_PATH, SU_PATH


def _unit(
    routes: list[Any], node: Node, gate: EvaluationGate, replica: Replica | None
) -> Starlette:
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)
    app.state.node = node
    app.state.gate = gate
    app.state.replica = replica
    app.state.max_body = node.settings.max_body
    app.state.body_timeout = node.settings.body_timeout
    return app


class NodeApp(Starlette):
    """The node's Starlette app, with the messenger's hot path (`POST /mu` without a query)
    answered before any middleware: it is what every message goes through."""

    fast_paths = frozenset({MU_PATH, MU_PATH + "/"})
    node: Node
    sequencer: Admitter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in self.fast_paths
            and not scope["query_string"]
        ):
            await mu_routes.fast_post(self.node, self.sequencer, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class PrefixRouter:
    """Middleware sending `/mu…`, `/su…`, `/cu…` to their units (prefix stripped), the
    HyperBEAM paths to their app (path unchanged); the rest (and the lifespan) goes on to
    the gateway app it wraps."""

    def __init__(
        self, app: ASGIApp, units: dict[str, ASGIApp], node: Node, hyperbeam: ASGIApp
    ) -> None:
        self.units = units
        self.fallback = app
        self.node = node
        self.hyperbeam = hyperbeam

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
            if scope["type"] == "http" and claims(path):
                await self.hyperbeam(scope, receive, send)
                return
        await self.fallback(scope, receive, send)


def create_app(data_dir: Path, **settings: Any) -> NodeApp:
    """The node over `data_dir`. Settings: see aos.node.units.node.NodeSettings."""
    node = Node(Path(data_dir), NodeSettings(**settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        node.start()
        if replica is not None:
            replica.warm()
        try:
            yield
        finally:
            gate.close()
            if replica is not None:
                replica.close()
            node.stop()

    replica = Replica(node.data_dir) if node.settings.dry_run_process else None
    gate = EvaluationGate(
        node.settings.evaluation_threads,
        node.settings.evaluations_per_process,
        node.settings.evaluations_total,
    )
    units: dict[str, ASGIApp] = {
        MU_PATH: _unit(mu_routes.routes, node, gate, replica),
        SU_PATH: _unit(su_routes.routes, node, gate, replica),
        CU_PATH: _unit(cu_routes.routes, node, gate, replica),
    }
    # The worker of a multi-process `aos serve` sets app.sequencer after this returns, so
    # the HyperBEAM app asks for it at each push.
    holder: list[NodeApp] = []
    hyperbeam = HyperBeamApp(
        node, lambda: holder[0].sequencer if holder else None, gate=gate, replica=replica
    )
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
            Middleware(PrefixRouter, units=units, node=node, hyperbeam=hyperbeam),
        ],
    )
    holder.append(app)
    app.node = node
    app.state.node = node
    app.state.gate = gate  # shared by the units (one set of counts per HTTP process)
    app.state.replica = replica
    app.state.max_body = node.settings.max_body
    app.state.body_timeout = node.settings.body_timeout
    return app
