"""Start `aos serve` as a real subprocess on a free loopback port (crash and interop tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
