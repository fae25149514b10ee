"""`aos bench verify`: replay speed, and the time to attach to a process with a long log.

It builds a process with N messages (default 10,000: a counter handler, Evals iterating
maps with pairs, json) straight through the node's messenger (no HTTP, one Ed25519 key, so
building is quick), then measures, as medians over repeated runs:

* replay: messages per second of the replay loop `aos verify` runs in its worker (the
  node's evaluator in a fresh runtime, result hashes and chain included), on entries
  already read from the log;
* verify: messages per second of the whole `aos verify PROCESS` (read, parse, every
  signature, the hash chain, the replay in its own OS process, the comparison);
* attach: the time a cold OS process takes from opening the data directory to the
  result of a new Eval (the embedded node must replay the whole log first).

Targets (issue 7): replay ≥ 20,000 msg/s; attach ≤ 1 s with 10,000 messages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aos.dataitem import create
from aos.node.units.node import Node
from aos.protocol import AOS_MODULE_ID, ao_tags
from aos.verify.replay import Replayer
from aos.verify.source import read_log, read_records
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer

REPLAY_TARGET = 20_000  # messages per second
ATTACH_TARGET = 1.0  # seconds

SETUP = r"""
Count = 0
Handlers.add("Inc", Handlers.utils.hasMatchingTag("Action", "Inc"), function(msg)
  Count = Count + 1
end)
return "ready"
"""
EVAL = (
    "local t = {} for i = 1, 8 do t['k' .. i] = i + %d end "
    "local n = 0 for k, v in pairs(t) do n = n + v end return n"
)

# Run in a fresh interpreter: open the node, send one Eval, wait for its result.
ATTACH = r"""
import json, sys, time
t0 = time.perf_counter()
from aos.node.http.embedded import open_embedded
from aos.wallet import Ed25519Signer
from aos.client.ao import AoClient
from aos.protocol import CU_PATH, EMBEDDED_BASE_URL as base, MU_PATH, SU_PATH
with open_embedded(__import__("pathlib").Path(sys.argv[1])) as http:
    t1 = time.perf_counter()
    client = AoClient(http, mu_url=base + MU_PATH, cu_url=base + CU_PATH, su_url=base + SU_PATH,
                      gateway_url=base, wallet=Ed25519Signer.from_private_bytes(
                          bytes.fromhex(sys.argv[3])), result_tries=1)
    # The first prompt, the way the shell reads it (the latest stored result).
    from aos.repl.connect import fetch_prompt
    prompt = fetch_prompt(client, sys.argv[2])
    tp = time.perf_counter()
    # A new message each run (Ed25519 signatures are deterministic: the same text would be
    # the same, already evaluated, item).
    _, result = client.eval(sys.argv[2], "return Count -- " + sys.argv[4])
    t2 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "prompt": tp - t0, "first_result": t2 - t0,
                  "has_prompt": bool(prompt), "output": result.data}))
"""


def _tags(action: str) -> list[tuple[str, str]]:
    return [("Action", action), *ao_tags("Message")]


def build(data_dir: Path, messages: int, signer: Ed25519Signer) -> str:
    """A process with `messages` scheduled messages, all evaluated; returns its id."""
    node = Node(data_dir)
    try:
        spawn = create(
            signer=signer,
            data=" ",
            tags=[("Name", "bench"), *ao_tags("Process"), ("Module", AOS_MODULE_ID),
                  ("Scheduler", node.su.address)],
        )  # fmt: skip
        node.mu.accept(spawn.to_bytes())
        pid = spawn.id
        node.mu.accept(create(signer=signer, target=pid, data=SETUP, tags=_tags("Eval")).to_bytes())
        for i in range(messages - 2):
            # A distinct anchor per message: Ed25519 signatures are deterministic, so two
            # equal messages would be one item (and the node acknowledges the repeat only).
            anchor = f"{i:032d}"
            if i % 10 == 9:
                item = create(signer=signer, target=pid, data=EVAL % i, tags=_tags("Eval"),
                              anchor=anchor)  # fmt: skip
            else:
                item = create(signer=signer, target=pid, data=" ", tags=_tags("Inc"),
                              anchor=anchor)  # fmt: skip
            node.mu.accept(item.to_bytes())
        node.cu.evaluate_to(pid)
        return pid
    finally:
        node.stop()


def measure_replay(data_dir: Path, pid: str, runs: int) -> list[float]:
    """Messages per second of the worker's loop: evaluate, hash, chain (log already read)."""
    process = read_log(data_dir, pid, to_nonce=0, check_columns=False).process
    records = read_records(data_dir, pid)
    rates = []
    for _ in range(runs):
        replayer = Replayer(process)
        start = time.perf_counter()
        count = sum(1 for _ in replayer.evaluate_records(records))
        rates.append(count / (time.perf_counter() - start))
    return rates


def measure_verify(data_dir: Path, pid: str, runs: int) -> list[float]:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        report = verify_store(data_dir, pid)
        elapsed = time.perf_counter() - start
        if not report.ok:
            raise SystemExit(f"the bench log did not verify: {report.problem}")
        rates.append(report.replayed / elapsed)
    return rates


def measure_attach(
    data_dir: Path, pid: str, signer: Ed25519Signer, runs: int
) -> list[tuple[float, float, float]]:
    """(seconds to the first Eval result, of which opening: imports and the node, seconds to
    the first prompt) per run."""
    times = []
    for run in range(runs):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                ATTACH,
                str(data_dir),
                pid,
                signer.private_bytes().hex(),
                str(run),
            ],  # fmt: skip
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(f"the attach run failed:\n{proc.stderr[-2000:]}")
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        if not figures["has_prompt"]:
            raise SystemExit("the attach run found no prompt in the stored results")
        times.append(
            (float(figures["first_result"]), float(figures["open"]), float(figures["prompt"]))
        )
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos bench verify", description="Replay speed and time to attach to a long process."
    )
    parser.add_argument("--messages", type=int, default=10_000, help="log length (default 10000).")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure (default 5).")
    args = parser.parse_args(argv)
    signer = Ed25519Signer.generate()
    if hasattr(os, "getloadavg"):
        print(f"load average before: {os.getloadavg()[0]:.2f} (figures need a quiet machine)")
    with tempfile.TemporaryDirectory(prefix="aos-bench-verify-") as tmp:
        data_dir = Path(tmp)
        start = time.perf_counter()
        pid = build(data_dir, args.messages, signer)
        print(f"built a process with {args.messages} messages in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        rates = measure_replay(data_dir, pid, args.runs)
        replay = statistics.median(rates)
        print(f"replay:  {replay:10,.0f} msg/s (median of {args.runs}, best {max(rates):,.0f}; "
              f"target ≥ {REPLAY_TARGET:,})  {'OK' if replay >= REPLAY_TARGET else 'BELOW TARGET'}",
              flush=True)  # fmt: skip
        verify = statistics.median(measure_verify(data_dir, pid, args.runs))
        print(f"verify:  {verify:10,.0f} msg/s end to end (signatures, chain, replay process)",
              flush=True)  # fmt: skip
        runs = measure_attach(data_dir, pid, signer, args.runs)
    prompt = statistics.median(p for _, _, p in runs)
    attach = statistics.median(total for total, _, _ in runs)
    best = min(total for total, _, _ in runs)
    opening = statistics.median(opened for _, opened, _ in runs)
    verdict = "OK" if prompt <= ATTACH_TARGET else "ABOVE TARGET"
    print(f"prompt:  {prompt:10.3f} s to the first prompt when attaching to {args.messages} "
          f"messages (median of {args.runs}; target ≤ {ATTACH_TARGET} s)  {verdict}")  # fmt: skip
    print(f"attach:  {attach:10.3f} s to the first Eval result (median, best {best:.3f} s), "
          f"of which {opening:.3f} s start-up (Python imports, opening the node); the rest is "
          "the compute unit replaying the log once and evaluating the Eval")  # fmt: skip
    return 0
