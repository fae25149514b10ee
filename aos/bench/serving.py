"""A bench's side of an `aos serve` it started: a free port, waiting for it, a lean
keep-alive HTTP client, the server's CPU time, and stopping it.

Shared by the benches that measure a served node (aos.bench.node, aos.bench.served).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Conn:
    """A keep-alive HTTP/1.1 connection on a plain socket, one request at a time.

    The bench's clients share the machine's cores with the node, so they are kept lean:
    http.client parses every response's headers with the email package, which cost
    ~0.1 ms of the cores per message here. This sends a prepared request and reads the
    status, Content-Length and body; nothing else is needed of the node's answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = self._connect()
        self.buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if body is not None:
            head += (
                f"Content-Type: {content_type or 'application/octet-stream'}\r\n"
                f"Content-Length: {len(body)}\r\n"
            )
        request = head.encode() + b"\r\n" + (body or b"")
        try:
            self.sock.sendall(request)
            return self._response()
        except (ConnectionError, BrokenPipeError):
            # the node closed an idle keep-alive connection: reconnect once (posting an
            # item again is harmless: the node acknowledges a duplicate without scheduling)
            self.sock.close()
            self.sock = self._connect()
            self.buf = b""
            self.sock.sendall(request)
            return self._response()

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("the bench client reads only Content-Length answers")
        while len(self.buf) < length:
            self._fill()
        payload, self.buf = self.buf[:length], self.buf[length:]
        return status, payload

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the node closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def tree_cpu_seconds(pid: int) -> float | None:
    """User+system CPU seconds of `pid` and its children (Linux /proc), None elsewhere."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        pids = [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(c) for c in children.read_text().split()]
        total = 0
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError):
        return None


def wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("aos serve exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("aos serve did not start")


def stop_server(proc: subprocess.Popen[Any]) -> None:
    """End an `aos serve` started by a bench: politely, then by force after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
