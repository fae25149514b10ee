"""The factory of an HTTP worker of a multi-process `aos serve` (`uvicorn --factory`).

Each worker is a full node app over the shared data directory that hands the items it
checked to the supervisor's sequencer instead of writing them, and ends when the supervisor
does (a SIGKILLed supervisor must not leave workers holding the port).
"""

from __future__ import annotations

import os
from pathlib import Path

from aos.limits import BODY_TIMEOUT
from aos.node.http.app import NodeApp, create_app
from aos.node.serve.lifeline import exit_with_parent
from aos.node.serve.sequencer import client_from_env
from aos.node.units.node import DEFAULT_PUBLIC_URL


def app_from_env() -> NodeApp:
    """Factory for `uvicorn --factory` workers (the HTTP workers of `aos serve`): the data dir
    and public URL come from AOS_NODE_DATA_DIR and AOS_NODE_PUBLIC_URL, the supervisor's
    scheduling socket from AOS_NODE_SEQUENCER. The worker ends when the supervisor does."""
    data_dir = os.environ.get("AOS_NODE_DATA_DIR")
    if not data_dir:
        raise RuntimeError("AOS_NODE_DATA_DIR is not set")
    app = create_app(
        Path(data_dir),
        public_url=os.environ.get("AOS_NODE_PUBLIC_URL", DEFAULT_PUBLIC_URL),
        body_timeout=float(os.environ.get("AOS_NODE_BODY_TIMEOUT", BODY_TIMEOUT)),
        evaluates=False,  # the supervisor's evaluating process does (and is restarted)
        dry_run_process=True,
        check_store=False,  # the supervisor checked the file
    )
    app.sequencer = client_from_env()
    exit_with_parent(os.getppid())
    return app
