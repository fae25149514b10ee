"""`aos bench dataitem`: sign+serialize, parse and verify of a 1 KiB ANS-104 item.

Each operation runs `--runs` times after a short warm-up; the median and p90 are printed,
with the target from issue 3 for this 2-core machine next to them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from aos.dataitem import create, parse
from aos.protocol import ao_tags
from aos.wallet import Wallet

# (name, target in seconds)
TARGETS = {"sign+serialize": 3e-3, "parse": 20e-6, "verify": 0.2e-3}
TAGS = [*ao_tags("Message"), ("Action", "Eval"), ("SDK", "aos")]


def _measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(min(20, runs)):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))]


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos bench dataitem",
        description="Time sign+serialize, parse and verify of a 1 KiB data item.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help="Show this help and exit.")
    parser.add_argument("--runs", type=int, default=200, help="Timed runs per operation.")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)

    wallet = Wallet.generate()
    data = os.urandom(1024)
    target = wallet.address  # any 43-character id will do

    def sign() -> bytes:
        return create(signer=wallet, data=data, target=target, tags=TAGS).to_bytes()

    raw = sign()
    item = parse(raw)
    results = {
        "sign+serialize": _measure(sign, runs),
        "parse": _measure(lambda: parse(raw), runs),
        "verify": _measure(item.verify, runs),
    }
    print(f"data item of {len(raw)} bytes (1 KiB data, {len(TAGS)} tags), {runs} runs each")
    print(f"{'operation':<16}{'median':>12}{'p90':>12}{'target':>12}")
    ok = True
    for name, (median, p90) in results.items():
        target_s = TARGETS[name]
        met = median <= target_s
        ok = ok and met
        mark = "ok" if met else "SLOW"
        print(f"{name:<16}{_fmt(median):>12}{_fmt(p90):>12}{_fmt(target_s):>12}  {mark}")
    return 0 if ok else 1
