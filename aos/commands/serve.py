"""`aos serve`: run the local ao node over HTTP with uvicorn, for other terminals and tools.

Prints the URLs to give to clients (MU, CU, SU, gateway) and the aos console command line.
The data directory defaults to platformdirs' user data dir (`…/aos/node`), or AOS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aos.protocol import CU_PATH, DEFAULT_PORT, MU_PATH, SU_PATH


def default_data_dir() -> Path:
    env = os.environ.get("AOS_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("aos")) / "node"


def urls(base: str) -> dict[str, str]:
    return {"mu": base + MU_PATH, "cu": base + CU_PATH, "su": base + SU_PATH, "gateway": base}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos serve",
        description="Run the local ao node (messenger, scheduler, compute unit, gateway).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port.")
    parser.add_argument("--data-dir", type=Path, default=None, help="node data directory.")
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn log level (debug, info, warning)."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the port and the data directory (one of them "
        "evaluates; more workers admit more messages per second on several cores).",
    )
    args = parser.parse_args(argv)

    import uvicorn

    from aos.node.app import create_app

    data_dir = args.data_dir or default_data_dir()
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
    sys.stdout.flush()
    if args.workers > 1:
        from aos.node.crank_process import CrankProcess
        from aos.node.sequencer import ENV_SOCKET, SequencerServer

        os.environ["AOS_NODE_DATA_DIR"] = str(data_dir)
        os.environ["AOS_NODE_PUBLIC_URL"] = base
        # Three kinds of process: this one writes every admitted item (the workers hand
        # checked items to it over a Unix socket, aos.node.sequencer), one evaluates and
        # pushes (aos.node.crank_process, started before the workers so that it holds the
        # crank), and the uvicorn workers speak HTTP, parse and verify.
        sequencer = SequencerServer(node.mu)
        os.environ[ENV_SOCKET] = sequencer.path
        sequencer.start()
        crank = CrankProcess(data_dir, base)
        try:
            crank.start()
            uvicorn.run(
                "aos.node.app:app_from_env",
                factory=True,
                workers=args.workers,
                host=args.host,
                port=args.port,
                log_level=args.log_level,
                access_log=False,
                proxy_headers=False,
                server_header=False,
            )
        finally:
            crank.stop()
            sequencer.close()
            node.stop()
        return 0
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
    return 0
