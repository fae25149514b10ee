"""`aos bench node` runs end to end and prints its figures (speed is not asserted)."""

from __future__ import annotations

import re

import pytest

from aos.bench import node, serving


@pytest.mark.e2e
def test_bench_node_counts_every_message_and_prints_rate_and_latency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    node.main(["--messages", "120", "--clients", "3", "--runs", "1", "--rounds", "5",
               "--ed25519"])  # fmt: skip
    out = capsys.readouterr().out
    run = r"run 1: 120 ed25519 messages to 1 process from 3 clients to 1 worker: .* msg/s"
    assert re.search(run, out)
    assert "(counted 120, errors 0)" in out and "MISMATCH" not in out
    assert re.search(r"throughput median: \d+ msg/s", out)
    assert re.search(r"embedded Eval round trip .*: p50 [\d.]+ ms, p99 [\d.]+ ms", out)


@pytest.mark.e2e
def test_bench_node_spreads_the_messages_over_processes_and_counts_them_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    node.main(["--messages", "60", "--clients", "3", "--runs", "1", "--rounds", "5",
               "--ed25519", "--processes", "4"])  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"run 1: 60 ed25519 messages to 4 processes from 3 clients", out)
    assert "(counted 60, errors 0)" in out and "target >= 3500" in out


def test_the_bench_client_reconnects_when_the_node_closed_an_idle_connection() -> None:
    import socket
    import threading

    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        first, _ = server.accept()
        first.recv(1024)
        first.sendall(answers[0])
        first.close()  # the idle keep-alive connection is closed by the server
        second, _ = server.accept()
        second.recv(1024)
        second.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nsure")
        second.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    conn = serving.Conn(port)
    assert conn.request("GET", "/") == (200, b"ok")
    assert conn.request("POST", "/mu", b"item") == (202, b"sure")
    conn.close()
    server.close()
