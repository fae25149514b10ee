"""`aos bench node`: signed messages per second through `aos serve`, and embedded Eval latency.

Throughput: starts `aos serve` on a free loopback port over a fresh data directory, spawns
a process with a counting handler (or P of them, `--processes`), pre-signs N messages
spread round-robin over them (signing is the client's cost and is excluded), posts them
from a few client threads on keep-alive connections, and stops the clock when the compute
unit has evaluated the last one of every process: verification, scheduling, the durable
write and evaluation are all inside the measured time. The counts are checked against N,
so nothing is counted that was not evaluated. Targets (issue 18): 4,000 msg/s into one
process, 3,500 over 1,000 processes, an embedded round trip p50 of 5 ms.

Latency: an embedded node (in-process, as the shell uses it); each round trip is sign with
an RSA wallet + POST to the MU + GET the result, like one line typed in the shell.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from aos.bench.serving import Conn, free_port, stop_server, tree_cpu_seconds, wait_up
from aos.dataitem import DataItem, create
from aos.protocol import AOS_MODULE_ID, ao_tags
from aos.wallet import Ed25519Signer, Wallet

# Issue 18: into one process, spread over 1,000, and one embedded round trip.
TARGET_RATE = 4000.0
TARGET_SPREAD_RATE = 3500.0
TARGET_P50_MS = 5.0
COUNTER = (
    "Handlers.add('count', function(m) return m.Action == 'Count' end,"
    " function(m) Count = (Count or 0) + 1 end)"
)


def _tags(kind: str, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    return [*extra, *ao_tags(kind)]


Job = tuple[dict[str, str] | None, bytes | None, tuple[str, ...], int, int]


def _signer(jwk: dict[str, str] | None, ed_key: bytes | None) -> Wallet | Ed25519Signer:
    return (
        Wallet.from_jwk(jwk) if jwk is not None else Ed25519Signer.from_private_bytes(ed_key or b"")
    )


def _sign_batch(job: Job) -> list[bytes]:
    """Messages start..start+count, message i to process pids[i % len(pids)]."""
    jwk, ed_key, pids, start, count = job
    signer = _signer(jwk, ed_key)
    return [
        create(
            signer=signer,
            data=str(i),
            target=pids[i % len(pids)],
            tags=_tags("Message", [("Action", "Count")]),
        ).to_bytes()
        for i in range(start, start + count)
    ]


def _sign_spawns(job: Job) -> list[bytes]:
    """Spawns start..start+count of counting processes; pids = (node, scheduler) addresses."""
    jwk, ed_key, (authority, scheduler), start, count = job
    signer = _signer(jwk, ed_key)
    tags = [("On-Boot", "Data"), ("Authority", authority), ("Module", AOS_MODULE_ID),
            ("Scheduler", scheduler)]  # fmt: skip
    return [
        create(
            signer=signer, data=COUNTER, tags=_tags("Process", [("Name", f"bench{i}"), *tags])
        ).to_bytes()
        for i in range(start, start + count)
    ]


def _in_pool(
    work: Any, signer: Wallet | Ed25519Signer, pids: Sequence[str], n: int, workers: int
) -> list[bytes]:
    jwk = signer.jwk if isinstance(signer, Wallet) else None
    ed = signer.private_bytes() if isinstance(signer, Ed25519Signer) else None
    size = (n + workers - 1) // workers
    jobs: list[Job] = [(jwk, ed, tuple(pids), s, min(size, n - s)) for s in range(0, n, size)]
    with ProcessPoolExecutor(workers) as pool:
        return [raw for part in pool.map(work, jobs) for raw in part]


def presign(
    signer: Wallet | Ed25519Signer, pids: str | Sequence[str], n: int, workers: int
) -> list[bytes]:
    """`n` signed Count messages, spread round-robin over `pids`, signed on `workers` cores."""
    return _in_pool(_sign_batch, signer, [pids] if isinstance(pids, str) else pids, n, workers)


def throughput(
    n: int,
    clients: int,
    rsa: bool,
    workers: int,
    data_dir: Path | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    """One run of the throughput bench, in `data_dir` if given (kept), else a temporary one;
    the `n` messages go round-robin to `processes` counting processes."""
    with contextlib.ExitStack() as stack:
        tmp = (
            str(data_dir)
            if data_dir is not None
            else stack.enter_context(tempfile.TemporaryDirectory(prefix="aos-bench-"))
        )
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "aos", "serve", "--port", str(port), "--data-dir", tmp,
             "--workers", str(workers)],
            # Never a pipe nobody reads: a chatty server would block on a full one.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        conn: Conn | None = None
        try:
            wait_up(port, proc)
            conn = Conn(port)
            signer: Wallet | Ed25519Signer = Wallet.generate() if rsa else Ed25519Signer.generate()
            node_address = json.loads(conn.request("GET", "/cu/")[1])["address"]
            su_address = json.loads(conn.request("GET", "/su/")[1])["address"]
            cores = os.cpu_count() or 2
            spawns = _in_pool(_sign_spawns, signer, [node_address, su_address], processes, cores)
            for raw in spawns:
                status, body = conn.request("POST", "/mu", raw)
                assert status == 202, body
            pids = [_id_of(raw) for raw in spawns]
            t_sign = time.perf_counter()
            raws = presign(signer, pids, n, cores)
            t_sign = time.perf_counter() - t_sign
            shares = [raws[i::clients] for i in range(clients)]
            errors: list[str] = []

            def post_all(share: list[bytes]) -> None:
                with Conn(port) as c:
                    for raw in share:
                        st, b = c.request("POST", "/mu", raw)
                        if st != 202:
                            errors.append(f"{st} {b[:200]!r}")

            cpu0 = tree_cpu_seconds(proc.pid)
            client0 = time.process_time()
            t0 = time.perf_counter()
            _on_threads(post_all, shares)
            t_posted = time.perf_counter() - t0
            # the clock stops when every process's last message has its result
            _on_threads(partial(_await_results, port), _spread(pids, clients))
            elapsed = time.perf_counter() - t0
            cpu1 = tree_cpu_seconds(proc.pid)
            client_cpu = time.process_time() - client0
            server_cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
            count = sum(_dry_run_count(conn, pid, signer.address) for pid in pids)
            return {
                "messages": n,
                "processes": processes,
                "clients": clients,
                "workers": workers,
                "signature": "rsa-4096" if rsa else "ed25519",
                "errors": len(errors),
                "presign_s": round(t_sign, 2),
                "posted_s": round(t_posted, 3),
                "evaluated_s": round(elapsed, 3),
                "rate": n / elapsed,
                "counted": count,
                "server_cpu_ms": None if server_cpu is None else server_cpu * 1000 / n,
                "client_cpu_ms": client_cpu * 1000 / n,
            }
        finally:
            if conn is not None:
                conn.close()
            stop_server(proc)


def _spread(items: list[Any], parts: int) -> list[list[Any]]:
    return [share for share in (items[i::parts] for i in range(parts)) if share]


def _on_threads(work: Callable[[Any], None], shares: list[Any]) -> None:
    """`work(share)` for each share on a thread of its own; the first failure is raised."""
    failures: list[BaseException] = []

    def run(share: Any) -> None:
        try:
            work(share)
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def _await_results(port: int, pids: list[str]) -> None:
    """Read the result of each process's last scheduled message: the CU answers once it is
    evaluated (and the messages before it, which are evaluated in order). An HTTP worker
    answers 503 when the evaluating process has not got there within its wait: asked again."""
    with Conn(port) as c:
        for pid in pids:
            status, body = c.request("GET", f"/su/{pid}/latest")
            assert status == 200, body
            last = json.loads(body)["message"]["id"]
            deadline = time.monotonic() + 600
            while True:
                status, body = c.request("GET", f"/cu/result/{last}?process-id={pid}")
                if status != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            assert status == 200, body


def _id_of(raw: bytes) -> str:
    from aos.dataitem import parse

    return parse(raw).id


def _dry_run_count(conn: Conn, pid: str, owner: str) -> int:
    body = json.dumps(
        {
            "Owner": owner,
            "Target": pid,
            "Data": "return Count or 0",
            "Tags": [{"name": "Action", "value": "Eval"}],
        }
    ).encode()
    res = json.loads(
        conn.request("POST", f"/cu/dry-run?process-id={pid}", body, "application/json")[1]
    )
    return int(res["Output"]["data"])


def embedded_latency(rounds: int) -> dict[str, float]:
    from aos.node.http.embedded import open_embedded

    with tempfile.TemporaryDirectory(prefix="aos-bench-") as tmp:
        wallet = Wallet.generate()
        with open_embedded(Path(tmp)) as c:
            node_address = c.get("/cu/").json()["address"]
            spawn = create(
                signer=wallet,
                data=" ",
                tags=_tags(
                    "Process",
                    [
                        ("Name", "bench"),
                        ("Authority", node_address),
                        ("Module", AOS_MODULE_ID),
                        ("Scheduler", c.get("/su/").json()["address"]),
                    ],
                ),
            )
            c.post("/mu", content=spawn.to_bytes())
            pid = spawn.id
            c.get(f"/cu/result/{pid}", params={"process-id": pid})
            times: list[float] = []
            for i in range(rounds + 10):
                t0 = time.perf_counter()
                item: DataItem = create(
                    signer=wallet,
                    data=f"x = {i} return x",
                    target=pid,
                    tags=_tags("Message", [("Action", "Eval")]),
                )
                r = c.post("/mu", content=item.to_bytes())
                res = c.get(f"/cu/result/{item.id}", params={"process-id": pid}).json()
                dt = time.perf_counter() - t0
                assert r.status_code == 202 and res["Output"]["data"] == str(i), res
                if i >= 10:  # warm-up rounds are not counted
                    times.append(dt * 1000)
            times.sort()
            return {
                "p50_ms": statistics.median(times),
                "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
            }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aos bench node", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=3000, help="messages to post.")
    parser.add_argument(
        "--clients", type=int, default=8, help="client threads (keep-alive connections)."
    )
    parser.add_argument("--rounds", type=int, default=200, help="embedded Eval round trips.")
    parser.add_argument("--ed25519", action="store_true", help="sign with Ed25519, not RSA.")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median shown).")
    parser.add_argument("--workers", type=int, default=1, help="`aos serve --workers`.")
    parser.add_argument(
        "--processes", type=int, default=1, help="spread the messages over P processes (1)."
    )
    args = parser.parse_args(argv)
    if args.processes < 1 or args.processes > args.messages:
        parser.error("--processes must be between 1 and --messages")
    target = TARGET_RATE if args.processes == 1 else TARGET_SPREAD_RATE

    rates = []
    for run in range(args.runs):
        t = throughput(
            args.messages, args.clients, not args.ed25519, args.workers, processes=args.processes
        )
        rates.append(t["rate"])
        ok = t["counted"] == args.messages and t["errors"] == 0
        print(
            f"run {run + 1}: {t['messages']} {t['signature']} messages"
            f" to {t['processes']} process{'es' if t['processes'] != 1 else ''}"
            f" from {t['clients']} clients"
            f" to {t['workers']} worker{'s' if t['workers'] != 1 else ''}:"
            f" posted in {t['posted_s']} s, all evaluated in {t['evaluated_s']} s ->"
            f" {t['rate']:.0f} msg/s (counted {t['counted']}{'' if ok else ' MISMATCH'},"
            f" errors {t['errors']})"
        )
        if t["server_cpu_ms"] is not None:
            cores = os.cpu_count() or 1
            bound = cores * 1000 / (t["server_cpu_ms"] + t["client_cpu_ms"])
            print(
                f"  CPU per message: node {t['server_cpu_ms']:.3f} ms, client"
                f" {t['client_cpu_ms']:.3f} ms -> {bound:.0f} msg/s if this machine's"
                f" {cores} cores were all ours (load average now {os.getloadavg()[0]:.1f})"
            )
    rate = statistics.median(rates)
    print(f"throughput median: {rate:.0f} msg/s (target >= {target:.0f})")
    lat = embedded_latency(args.rounds)
    print(
        f"embedded Eval round trip (RSA sign + POST + result): p50 {lat['p50_ms']:.2f} ms,"
        f" p99 {lat['p99_ms']:.2f} ms (target p50 <= {TARGET_P50_MS:.0f} ms)"
    )
    return 0 if rate >= target and lat["p50_ms"] <= TARGET_P50_MS else 1
