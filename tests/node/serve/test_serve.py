"""`aos serve` as a real server, and the embedded client shared between threads."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from aos.bench.serving import free_port
from aos.commands.serve import urls
from tests.support.ao import Ao
from tests.support.hyperbeam import Hb


def test_urls() -> None:
    assert urls("http://h:1") == {
        "mu": "http://h:1/mu", "cu": "http://h:1/cu", "su": "http://h:1/su", "gateway": "http://h:1",
    }  # fmt: skip


@pytest.mark.e2e
def test_serve_prints_client_urls_and_serves_with_two_workers(node_dir: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aos", "serve", "--port", str(port), "--data-dir", str(node_dir),
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        while len(banner) < 30 and "aos NAME --url" not in (banner or [""])[-1]:  # the last
            banner.append(proc.stdout.readline())
        text = "".join(banner)
        base = f"http://127.0.0.1:{port}"
        assert f"MU       {base}/mu" in text and f"CU       {base}/cu" in text
        assert f"--mu-url {base}/mu" in text and "--legacy" in text
        assert f"aos NAME --url {base}" in text
        for _ in range(400):
            try:
                httpx.get(base + "/info", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        with httpx.Client(base_url=base, timeout=30) as http:
            ao = Ao(http)
            pid = ao.spawn()
            # requests land on either worker; only one evaluates, the other waits for it
            for i in range(10):
                assert ao.value(pid, f"n = (n or 0) + {i} return n") == str(sum(range(i + 1)))
            # and through the HyperBEAM routes, on whichever worker, into the same log
            hb = Hb(http, ao.signer)
            for i in range(10, 14):
                assert hb.push(pid, f"n = n + {i} return n") == i + 1
                assert hb.compute(pid, i + 1)["Output"]["data"] == str(sum(range(i + 1)))
            loc = http.post(
                "/graphql",
                json={
                    "query": '{ transactions(tags: [{name: "Type",'
                    ' values: ["Scheduler-Location"]}])'
                    " { edges { node { tags { name value } } } } }"
                },
            )
            urls_seen = {t["value"] for e in loc.json()["data"]["transactions"]["edges"]
                         for t in e["node"]["tags"] if t["name"] == "Url"}  # fmt: skip
            assert f"{base}/su" in urls_seen
    finally:
        proc.terminate()
        proc.wait(20)


def test_embedded_client_is_shared_safely_between_threads(ao: Ao) -> None:
    pid = ao.spawn()
    ids: list[str] = []
    errors: list[BaseException] = []

    def feed() -> None:  # like the shell's live feed, polling while the user types
        try:
            for _ in range(30):
                r = ao.http.get(f"/cu/results/{pid}", params={"sort": "DESC", "limit": 5})
                assert r.status_code == 200
        except BaseException as err:
            errors.append(err)

    t = threading.Thread(target=feed)
    t.start()
    for i in range(20):
        ids.append(ao.send(pid, f"return {i}"))
    t.join()
    assert not errors
    assert [ao.result(pid, m)["Output"]["data"] for m in ids] == [str(i) for i in range(20)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1, got 0"),
        (["--single-process", "--workers", "2"], "--single-process runs no workers"),
    ],
)
def test_serve_refuses_bad_worker_options_before_opening_anything(
    tmp_path: Path, argv: list[str], message: str
) -> None:
    data_dir = tmp_path / "never-made"
    result = subprocess.run(
        [sys.executable, "-m", "aos", "serve", "--data-dir", str(data_dir), *argv],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not data_dir.exists()


def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "aos", "serve", "--port", str(port),
             "--data-dir", str(tmp_path / "node")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.e2e
def test_ctrl_c_stops_every_process_of_aos_serve_without_a_traceback(node_dir: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aos", "serve", "--port", str(port), "--data-dir", str(node_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(400):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0
    assert "Traceback" not in out and "KeyboardInterrupt" not in out
    with pytest.raises(OSError):  # nothing listens any more: the workers are gone too
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
