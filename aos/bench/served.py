"""`aos bench served`: one Eval round trip through `aos serve` on loopback, in both protocols.

Starts `aos serve` (the default, multi-process) over a fresh data directory and times what
one line typed in the shell costs, with the shell's own clients and an RSA wallet like the
user's: `AoClient.eval` against the legacy units (sign, POST /mu, GET /cu/result) and
`HyperBeamClient.eval` against the same server through `--url` (sign, POST
/<pid>~process@1.0/push, GET compute/results=<slot>). The two alternate round by round (AB,
then BA), so that load from other programs on the machine falls on both alike; each run
prints both medians and their ratio, and the summary gives the median of the runs.

Target (issue 15): the HyperBEAM round trip within 1.5x the legacy one.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import httpx

from aos.bench.serving import free_port, stop_server, wait_up
from aos.client import AoClient, HyperBeamClient
from aos.protocol import AOS_MODULE_ID, CU_PATH, MU_PATH, SU_PATH
from aos.wallet import Wallet

TARGET_RATIO = 1.5
WARMUP = 5


def _spawn(client: AoClient) -> str:
    authority = client.cu_address() or ""
    return client.spawn(
        module=AOS_MODULE_ID,
        scheduler=client.scheduler_address(),
        tags=[("Name", "bench"), ("Authority", authority)],
    )


def _timer(client: AoClient, pid: str) -> Callable[[int], float]:
    def once(i: int) -> float:
        start = time.perf_counter()
        _, result = client.eval(pid, f"x = {i} return x")
        elapsed = time.perf_counter() - start
        if result.data != str(i):
            raise RuntimeError(f"round {i} answered {result.raw!r}")
        return elapsed * 1000

    return once


def run(rounds: int, wallet: Wallet) -> dict[str, float]:
    """Medians (ms) of `rounds` interleaved round trips per protocol on a fresh node."""
    with tempfile.TemporaryDirectory(prefix="aos-bench-") as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "aos", "serve", "--port", str(port), "--data-dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_up(port, proc)
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(timeout=60) as a, httpx.Client(timeout=60) as b:
                legacy = AoClient(
                    a, mu_url=base + MU_PATH, cu_url=base + CU_PATH, su_url=base + SU_PATH,
                    gateway_url=base, wallet=wallet, retry_delay=0.01,
                )  # fmt: skip
                hyperbeam = HyperBeamClient(b, url=base, wallet=wallet, retry_delay=0.01)
                timers = {
                    "legacy": _timer(legacy, _spawn(legacy)),
                    "hyperbeam": _timer(hyperbeam, _spawn(hyperbeam)),
                }
                times: dict[str, list[float]] = {name: [] for name in timers}
                for i in range(rounds + WARMUP):
                    order = list(timers) if i % 2 == 0 else list(reversed(timers))
                    for name in order:
                        elapsed = timers[name](i)
                        if i >= WARMUP:
                            times[name].append(elapsed)
        finally:
            stop_server(proc)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aos bench served", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100, help="round trips per protocol.")
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh node.")
    args = parser.parse_args(argv)
    wallet = Wallet.generate()
    legacy: list[float] = []
    hyperbeam: list[float] = []
    for number in range(1, args.runs + 1):
        medians = run(args.rounds, wallet)
        legacy.append(medians["legacy"])
        hyperbeam.append(medians["hyperbeam"])
        print(
            f"run {number}: Eval round trip, median of {args.rounds}: legacy"
            f" {medians['legacy']:.2f} ms, HyperBEAM {medians['hyperbeam']:.2f} ms"
            f" ({medians['hyperbeam'] / medians['legacy']:.2f}x)"
        )
    a, b = statistics.median(legacy), statistics.median(hyperbeam)
    # The ratio of each run's own medians: the two were measured side by side, under the
    # same load, which the medians of different runs were not.
    ratio = statistics.median(h / g for g, h in zip(legacy, hyperbeam, strict=True))
    print(
        f"served Eval round trip (RSA sign + send + result), median of {args.runs} runs:"
        f" legacy {a:.2f} ms, HyperBEAM (--url) {b:.2f} ms; HyperBEAM/legacy {ratio:.2f}x"
        f" (target <= {TARGET_RATIO}x)"
    )
    return 0 if ratio <= TARGET_RATIO else 1
