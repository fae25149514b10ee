"""Start `aos serve` as a real subprocess on a free loopback port (crash and interop tests)."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from aos.bench.serving import free_port


@functools.cache
def _session_keys() -> Path:
    from aos.node.units.keys import load_node_keys

    keys = Path(tempfile.mkdtemp(prefix="aos-test-keys-"))
    atexit.register(shutil.rmtree, keys, ignore_errors=True)
    load_node_keys(keys)
    return keys


def with_node_keys(data_dir: Path) -> Path:
    """`data_dir`, created holding this test session's node keys: a fresh node otherwise
    spends seconds generating its RSA-4096 wallet on a busy machine."""
    from aos.node.units.keys import SCHEDULER_FILE, WALLET_FILE

    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (WALLET_FILE, SCHEDULER_FILE):
        if not (data_dir / name).exists():
            shutil.copy(_session_keys() / name, data_dir / name)
    return data_dir


class Served:
    """`aos serve` over `data_dir` on `port`; start/kill/stop as the test needs."""

    def __init__(
        self,
        data_dir: Path | None,
        port: int | None = None,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        """`data_dir=None` passes no --data-dir: `aos serve` resolves it from `env` (the
        environment without AOS_DATA_DIR, plus `env`) as every command does."""
        self.data_dir = data_dir
        self.args = list(args)
        self.env = dict(env or {})
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        where = log_dir or (data_dir.parent if data_dir is not None else Path.cwd())
        self.log = where / f"serve-{self.port}.log"

    def start(self, timeout: float = 30) -> None:
        env = dict(os.environ)
        env.pop("AOS_DATA_DIR", None)
        env.update(self.env)
        where = [] if self.data_dir is None else ["--data-dir", str(self.data_dir)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aos",
                    "serve",
                    "--port",
                    str(self.port),
                    *where,
                    *self.args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"aos serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/info", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"aos serve did not answer on {self.url}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # SIGKILL: no shutdown code runs
            self.proc.wait(10)
            self.proc = None
            self.wait_port_closed()

    def wait_port_closed(self, timeout: float = 15) -> None:
        """Until nothing listens on the port (under --workers N the children of a killed
        supervisor notice it and end themselves)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"something still listens on port {self.port} after the kill")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


@contextmanager
def serving(data_dir: Path, args: Sequence[str] = (), **kwargs: Any) -> Iterator[Served]:
    """`aos serve` over `data_dir` (made holding the session's node keys) for a `with`
    block: started, then stopped however the block ends."""
    server = Served(with_node_keys(data_dir), args=args, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
