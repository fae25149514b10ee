"""`aos serve`: run the local ao node over HTTP with uvicorn, for other terminals and tools.

Prints the URLs to give to clients (MU, CU, SU, gateway) and command lines that attach a
shell as printed: this shell's, and the official aos console's, in legacy mode and in its
default HyperBEAM mode (the node answers both protocols at once, docs/hyperbeam.md).
The data directory defaults to platformdirs' user data dir (`…/aos/node`), or AOS_DATA_DIR.

By default the node runs as three kinds of process: this one writes every admitted item
(aos.node.serve.sequencer) and checkpoints the WAL off that path (aos.node.store.checkpointer), one
evaluates and pushes (aos.node.serve.crank_process), and `--workers` uvicorn workers speak HTTP,
parse and verify. `--single-process` runs it all in this process (slower, simpler to debug).
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import TYPE_CHECKING

from aos.config import load_settings
from aos.errors import AosError
from aos.limits import BODY_TIMEOUT
from aos.protocol import AOS_MODULE_ID, CU_PATH, DEFAULT_PORT, MU_PATH, SU_PATH

if TYPE_CHECKING:
    pass


def urls(base: str) -> dict[str, str]:
    return {"mu": base + MU_PATH, "cu": base + CU_PATH, "su": base + SU_PATH, "gateway": base}


def client_lines(u: dict[str, str], scheduler: str, node_wallet: str) -> list[str]:
    """How to attach a shell, as command lines that work as printed: this shell, the
    official aos console in legacy mode, and `--url` for its HyperBEAM mode (ours too). The
    legacy console reads GATEWAY_URL when its modules load, before --gateway-url; it trusts
    pushed messages only with the node wallet as an Authority; and it takes its default
    module from package metadata that not every copy has."""
    return [
        "this shell (aos in Python):",
        f"  aos NAME --mu-url {u['mu']} --cu-url {u['cu']} --su-url {u['su']} "
        f"--gateway-url {u['gateway']}",
        "the aos console (Node.js), legacy mode:",
        f"  GATEWAY_URL={u['gateway']} aos NAME --legacy --gateway-url {u['gateway']} "
        f"--cu-url {u['cu']} --mu-url {u['mu']} --scheduler {scheduler} "
        f"--module {AOS_MODULE_ID} --tag-name Authority --tag-value {node_wallet}",
        "the aos console in its default HyperBEAM mode (and this shell's --url):",
        f"  aos NAME --url {u['gateway']}",
    ]


def check_port(host: str, port: int) -> None:
    """AosError naming the address if nothing can listen there (before anything starts)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as err:
        raise AosError(
            f"cannot listen on {host}:{port}: {err.strerror or err}; another server (an "
            "aos serve?) may have it: stop it or pass another --port"
        ) from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos serve",
        description="Run the local ao node (messenger, scheduler, compute unit, gateway).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="The interface to listen on (default: 127.0.0.1)."
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"The TCP port (default: {DEFAULT_PORT})."
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="The node's data directory (default: $XDG_DATA_HOME/aos/node; env AOS_DATA_DIR).",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        help="The uvicorn log level: debug, info or warning (default: warning).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP worker processes sharing the port; they parse and verify, this process "
        "schedules and one more evaluates. One suits two cores; add them on more (default: 1).",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=BODY_TIMEOUT,
        metavar="SECONDS",
        help="how long a client may take to send a request body before the node answers "
        f"408 and drops the connection (default {BODY_TIMEOUT:g}).",
    )
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="Run the whole node in this one process: slower, simpler to debug.",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise AosError(f"--workers must be at least 1, got {args.workers}")
    if args.single_process and args.workers != 1:
        raise AosError("--single-process runs no workers; leave out --workers")
    if not 0 < args.body_timeout <= 3600:
        raise AosError(
            f"--body-timeout must be between 0 and 3600 seconds, got {args.body_timeout}"
        )
    check_port(args.host, args.port)

    from aos.node.http.app import create_app
    from aos.node.http.wire import JsonErrorsProtocol

    # The same resolution as the shell, `aos verify`, `export` and `replay` (flag, then
    # AOS_DATA_DIR, then the config file, then XDG_DATA_HOME): they must open one node.
    data_dir = load_settings(data_dir=args.data_dir).data_dir
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{shown_host}:{args.port}"
    app = create_app(
        data_dir, public_url=base, body_timeout=args.body_timeout, dry_run_process=True
    )
    node = app.state.node
    u = urls(base)
    print(f"aos node on {base}  (data: {data_dir})")
    print(f"  MU       {u['mu']}")
    print(f"  CU       {u['cu']}")
    print(f"  SU       {u['su']}   scheduler address {node.su.address}")
    print(f"  gateway  {u['gateway']}")
    print(f"  node wallet {node.wallet.address}")
    for line in client_lines(u, node.su.address, node.wallet.address):
        print(line)
    sys.stdout.flush()
    server = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        # Malformed HTTP gets the node's JSON error instead of uvicorn's plain text.
        "http": JsonErrorsProtocol,
    }
    if args.single_process:
        import uvicorn

        uvicorn.run(app, **server)
    else:
        from aos.node.serve.supervisor import serve_with_workers

        serve_with_workers(app.state.node, data_dir, base, args.workers, server)
    return 0
