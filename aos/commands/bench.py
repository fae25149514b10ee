"""`aos bench TARGET`: repeatable benchmarks that print medians and rates.

Each target lives in `aos/bench/<target>.py` and exposes `main(argv) -> int`.
"""

from __future__ import annotations

import argparse
import importlib

TARGETS = {
    "dataitem": "ANS-104 sign+serialize, parse and verify of a 1 KiB item",
    "runtime": "Lua process throughput (Eval and a user handler) and idle memory",
    "node": "signed messages per second through `aos serve`, embedded Eval latency",
    "served": "Eval round trip through `aos serve`: legacy units against --url (HyperBEAM)",
    "verify": "replay speed and time to attach to a long process",
    "states": "snapshots on a long process: attach, dry-run, replay, memory",
    "test": "aos test: seconds per 1,000 test messages in a suite, and start-up",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos bench",
        description="Run a benchmark and print its figures (medians over repeated runs).",
    )
    parser.add_argument(
        "target",
        choices=sorted(TARGETS),
        help="; ".join(f"{name}: {what}" for name, what in sorted(TARGETS.items())) + ".",
    )
    # Everything after the target belongs to the target's own parser (`aos bench node -h`).
    if argv and argv[0] in TARGETS:
        target, rest = argv[0], argv[1:]
    else:
        target, rest = parser.parse_args(argv).target, []
    module = importlib.import_module(f"aos.bench.{target}")
    result: int = module.main(rest)
    return result
