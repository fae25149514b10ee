"""The supervisor of a multi-process `aos serve`: it writes; children evaluate and serve.

This process runs the sequencer (the only writer of admitted items) and the WAL
checkpointer; it starts the evaluating child (aos.node.serve.crank_process) before the
uvicorn workers, so that the child is the one holding the directory's crank, and stops them
all when uvicorn's supervisor returns (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aos.node.units.node import Node


def serve_with_workers(
    node: Node, data_dir: Path, base: str, workers: int, server: dict[str, Any]
) -> None:
    """This process schedules; one child evaluates; `workers` children speak HTTP."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from aos.node.serve.crank_process import CrankProcess
    from aos.node.serve.sequencer import ENV_SOCKET, SequencerServer
    from aos.node.store.checkpointer import Checkpointer

    os.environ["AOS_NODE_DATA_DIR"] = str(data_dir)
    os.environ["AOS_NODE_PUBLIC_URL"] = base
    os.environ["AOS_NODE_BODY_TIMEOUT"] = str(node.settings.body_timeout)
    sequencer = SequencerServer(node.mu)
    os.environ[ENV_SOCKET] = sequencer.path
    crank = CrankProcess(data_dir, base)
    node.mu.wake = crank.wake
    node.store.leave_checkpoints()  # the crank process leaves them too
    checkpointer = Checkpointer(node.store)
    sequencer.start()
    checkpointer.start()
    try:
        crank.start()  # before the workers, so that it is the one holding the crank
        config = uvicorn.Config(
            "aos.node.serve.worker:app_from_env", factory=True, workers=workers, **server
        )
        # uvicorn.run keeps a single worker in this process; the supervisor is used
        # directly so that even one worker is its own process.
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        crank.stop()
        sequencer.close()
        checkpointer.stop()
        node.stop()
