"""Where the shell's units are and the client that speaks to them.

The only place that joins the shell to a node: the embedded node (default), the ao units
named by --mu-url/--cu-url/--gateway-url (the legacy protocol), or a HyperBEAM node named by
--url (the mainnet protocol, docs/hyperbeam.md). `open_units` opens the HTTP client and says
where the units are; `make_client` picks the client for their protocol, so the shell behind
it does not know which.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from aos.client import AoClient, HyperBeamClient
from aos.config import Settings
from aos.protocol import CU_PATH, EMBEDDED_BASE_URL, GATEWAY_PATH, MU_PATH, SU_PATH
from aos.wallet import Wallet

# Public ao legacynet units, used for any unit the user did not name in remote mode.
PUBLIC_MU = "https://mu.ao-testnet.xyz"
PUBLIC_CU = "https://cu.ao-testnet.xyz"
PUBLIC_GATEWAY = "https://arweave.net"


@dataclass(frozen=True)
class Units:
    mu: str
    cu: str
    gateway: str
    su: str | None
    hyperbeam: bool = False  # `mu` is then the HyperBEAM node's URL
    internal: tuple[str, str] | None = None  # (base URL, name) of units nobody typed


def scheduler_of(mu: str, cu: str) -> str | None:
    """`<base>/su` when the MU and CU are `<base>/mu` and `<base>/cu` (aos serve's layout)."""
    if mu.endswith("/mu") and cu.endswith("/cu") and mu[:-3] == cu[:-3]:
        return mu[:-3] + "/su"
    return None


@contextlib.contextmanager
def open_units(settings: Settings) -> Iterator[tuple[httpx.Client, Units]]:
    """An HTTP client and the unit URLs: remote units if named, else the embedded node."""
    if settings.url:
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            gateway = settings.gateway_url or settings.url
            yield http, Units(settings.url, settings.url, gateway, None, hyperbeam=True)
        return
    if settings.remote:
        mu, cu = settings.mu_url or PUBLIC_MU, settings.cu_url or PUBLIC_CU
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            yield (
                http,
                Units(
                    mu=mu,
                    cu=cu,
                    gateway=settings.gateway_url or PUBLIC_GATEWAY,
                    su=settings.su_url or scheduler_of(mu, cu),
                ),
            )
        return
    from aos.node.http.embedded import open_embedded  # only the CLI layer touches the node

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    route_node_logs(settings.data_dir, debug=settings.debug)
    with open_embedded(settings.data_dir) as http:
        # The first line of node.log (whose file is made only now: a node refused before
        # this point, e.g. over a damaged database, leaves its directory untouched).
        logging.getLogger("aos.node").info("embedded node opened on %s", settings.data_dir)
        yield (
            http,
            Units(
                mu=EMBEDDED_BASE_URL + MU_PATH,
                cu=EMBEDDED_BASE_URL + CU_PATH,
                gateway=EMBEDDED_BASE_URL + GATEWAY_PATH,
                su=EMBEDDED_BASE_URL + SU_PATH,
                internal=(EMBEDDED_BASE_URL, f"the embedded node in {settings.data_dir}"),
            ),
        )


def trace_http(http: httpx.Client) -> None:
    """Every request and its status on stderr as it is answered (--debug)."""

    def log(response: httpx.Response) -> None:
        request = response.request
        print(f"[http] {request.method} {request.url} -> {response.status_code}", file=sys.stderr)

    http.event_hooks.setdefault("response", []).append(log)


def make_client(
    http: httpx.Client, units: Units, wallet: Wallet, args: argparse.Namespace
) -> AoClient:
    """The client for the protocol the units speak; the shell gets the same interface."""
    if units.hyperbeam:
        return HyperBeamClient(
            http,
            url=units.mu,
            gateway_url=units.gateway,
            wallet=wallet,
            authority=args.authority,
            scheduler=args.scheduler,
        )
    return AoClient(
        http, mu_url=units.mu, cu_url=units.cu, gateway_url=units.gateway, su_url=units.su,
        wallet=wallet, internal=units.internal, spawn_scheduler=args.scheduler,
    )  # fmt: skip


def route_node_logs(data_dir: Path, *, debug: bool) -> None:
    """Where the embedded node's log goes: `node.log` in its data directory, or stderr too
    with --debug. Without this, Python's last-resort handler would print the node's
    warnings and tracebacks into the user's terminal; the user already gets each failure
    as one clear line from the client."""
    logger = logging.getLogger("aos.node")
    if any(getattr(h, "_aos_node_log", False) for h in logger.handlers):
        return
    # delay: the file is made with the first line logged, so a node that is refused
    # before it opens (a damaged database) leaves its directory as it was.
    handler: logging.Handler = logging.FileHandler(
        data_dir / "node.log", encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._aos_node_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    if debug:
        logger.addHandler(logging.StreamHandler())
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
