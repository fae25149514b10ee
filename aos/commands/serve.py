"""`aos serve`: run the local ao node over HTTP with uvicorn, for other terminals and tools.

Prints the URLs to give to clients (MU, CU, SU, gateway) and the aos console command lines,
legacy and HyperBEAM (the node answers both protocols at once, docs/hyperbeam.md).
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
from aos.protocol import CU_PATH, DEFAULT_PORT, MU_PATH, SU_PATH

if TYPE_CHECKING:
    pass


def urls(base: str) -> dict[str, str]:
    return {"mu": base + MU_PATH, "cu": base + CU_PATH, "su": base + SU_PATH, "gateway": base}


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
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port.")
    parser.add_argument("--data-dir", default=None, help="node data directory.")
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn log level (debug, info, warning)."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP worker processes sharing the port (they parse and verify; this process "
        "schedules and one more evaluates). One suits two cores; add them on more.",
    )
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="run the whole node in this one process (slower; simpler to debug).",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise AosError(f"--workers must be at least 1, got {args.workers}")
    if args.single_process and args.workers != 1:
        raise AosError("--single-process runs no workers; leave out --workers")
    check_port(args.host, args.port)

    from aos.node.http.app import create_app

    # The same resolution as the shell, `aos verify`, `export` and `replay` (flag, then
    # AOS_DATA_DIR, then the config file, then XDG_DATA_HOME): they must open one node.
    data_dir = load_settings(data_dir=args.data_dir).data_dir
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    base = f"http://{shown_host}:{args.port}"
    app = create_app(data_dir, public_url=base)
    node = app.state.node
    u = urls(base)
    print(f"aos node on {base}  (data: {data_dir})")
    print(f"  MU       {u['mu']}")
    print(f"  CU       {u['cu']}")
    print(f"  SU       {u['su']}   scheduler address {node.su.address}")
    print(f"  gateway  {u['gateway']}")
    print(f"  node wallet {node.wallet.address}")
    print("aos console:")
    print(
        f"  aos NAME --legacy --gateway-url {u['gateway']} --cu-url {u['cu']} "
        f"--mu-url {u['mu']} --scheduler {node.su.address} "
        f"--tag-name Authority --tag-value {node.wallet.address}"
    )
    print(f"  aos NAME --url {base}   (its default HyperBEAM mode; this shell's --url too)")
    sys.stdout.flush()
    server = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
    }
    if args.single_process:
        import uvicorn

        uvicorn.run(app, **server)
    else:
        from aos.node.serve.supervisor import serve_with_workers

        serve_with_workers(app.state.node, data_dir, base, args.workers, server)
    return 0
