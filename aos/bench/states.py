"""`aos bench states`: what snapshots buy on a long process, and what they cost.

On a process with N messages (default 100,000; built once through the node's messenger,
or reused with --data-dir), as medians over repeated runs:

* attach: a cold OS process from start to the result of a new Eval (the node restores the
  newest snapshot and replays what came after it), and from the first prompt to it;
* dry-run: a read-only Eval on the live state, and the Eval right after it (the state
  returns to where it was, so the Eval needs no replay);
* replay: a dry-run at the nonce in the middle (`.replay N`, `to-nonce`), which starts
  from the nearest snapshot before it;
* memory: the shell's RSS after 100 dry-runs;
* flat cost: an Eval round trip at N messages against one at 1,000, the median of 60 in a
  row (the first 20 after attaching are printed too: they pay for warming the caches of
  a cold database file);
* with --many P: P processes of 100 messages each, all touched once: the compute unit's
  RSS and a dry-run answered by each afterwards.

Targets (issue 13): attach ≤ 0.3 s, dry-run ≤ 20 ms, the next Eval ≤ 20 ms, replay in the
middle ≤ 0.5 s, RSS after 100 dry-runs ≤ 150 MB, Eval at N within 20 % of at 1,000,
1,000 processes in ≤ 500 MB.
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

from aos.bench.verify import build
from aos.wallet import Ed25519Signer

# In a fresh interpreter: open the node, take the prompt, Eval, dry-runs, Evals, replay.
PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from aos.client.ao import AoClient
from aos.node.http.embedded import open_embedded
from aos.protocol import CU_PATH, EMBEDDED_BASE_URL as base, MU_PATH, SU_PATH
from aos.repl.connect import fetch_prompt
from aos.wallet import Ed25519Signer

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

data_dir, pid, key, tag = sys.argv[1:5]
middle = int(sys.argv[5])
with open_embedded(Path(data_dir)) as http:
    client = AoClient(http, mu_url=base + MU_PATH, cu_url=base + CU_PATH, su_url=base + SU_PATH,
                      gateway_url=base, wallet=Ed25519Signer.from_private_bytes(bytes.fromhex(key)),
                      result_tries=1)
    prompt = fetch_prompt(client, pid)
    tp = time.perf_counter()
    _, first = client.eval(pid, "return Count -- " + tag)
    t1 = time.perf_counter()
    dry, after, evals = [], [], []
    for i in range(int(sys.argv[6])):
        s = time.perf_counter()
        client.dryrun(pid, data="return Count", tags=[("Action", "Eval")])
        m = time.perf_counter()
        client.eval(pid, f"return Count -- {tag} {i}")
        e = time.perf_counter()
        dry.append(m - s); after.append(e - m)
    for i in range(60):
        s = time.perf_counter()
        client.eval(pid, f"return Count -- {tag} e{i}")
        evals.append(time.perf_counter() - s)
    s = time.perf_counter()
    replayed = client.dryrun(pid, data="return Count", tags=[("Action", "Eval")], to_nonce=middle)
    replay = time.perf_counter() - s
    for i in range(100):
        client.dryrun(pid, data="return #Inbox", tags=[("Action", "Eval")])
    rss = rss_mb()
print(json.dumps({"first": t1 - t0, "after_prompt": t1 - tp, "has_prompt": bool(prompt),
                  "dry": dry, "after": after, "evals": evals, "replay": replay, "rss": rss,
                  "first_output": first.data, "replayed": replayed.data}))
"""

MANY = r"""
import json, sys, time
from pathlib import Path
from aos.dataitem import create
from aos.node.units.node import Node
from aos.protocol import AOS_MODULE_ID, ao_tags
from aos.wallet import Ed25519Signer

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
signer = Ed25519Signer.generate()
node = Node(data_dir)
pids = []
start = time.perf_counter()
for p in range(count):
    spawn = create(signer=signer, data=" ", anchor=f"{p:032d}",
                   tags=[("Name", f"p{p}"), *ao_tags("Process"), ("Module", AOS_MODULE_ID),
                         ("Scheduler", node.su.address)])
    node.mu.accept(spawn.to_bytes())
    code = "Count = 0; Handlers.add('Inc', 'Inc', function() Count = Count + 1 end)"
    node.mu.accept(create(signer=signer, target=spawn.id, anchor=f"s{p:031d}", data=code,
                          tags=[("Action", "Eval"), *ao_tags("Message")]).to_bytes())
    for i in range(98):
        node.mu.accept(create(signer=signer, target=spawn.id, anchor=f"{p:016d}{i:016d}",
                              data=" ", tags=[("Action", "Inc"), *ao_tags("Message")]).to_bytes())
    pids.append(spawn.id)
built = time.perf_counter() - start
start = time.perf_counter()
for pid in pids:
    node.cu.evaluate_to(pid)
touched = time.perf_counter() - start
rss_touched = rss_mb()
start = time.perf_counter()
answers = 0
for pid in pids:
    out = node.cu.dry_run(pid, {"Owner": signer.address, "Data": "return Count",
                                "Tags": [{"name": "Action", "value": "Eval"}]})
    answers += out["Output"]["data"] == "98"
dry = time.perf_counter() - start
print(json.dumps({"built": built, "touched": touched, "rss_touched": rss_touched,
                  "rss_after": rss_mb(), "answers": answers, "dry": dry,
                  "lua_mb": node.cu.states.memory_used() / 2**20,
                  "evictions": node.cu.states.evictions, "restores": node.cu.states.restores}))
node.stop()
"""


def _probe(data_dir: Path, pid: str, signer: Ed25519Signer, tag: str, middle: int,
           rounds: int) -> dict[str, object]:  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(data_dir), pid, signer.private_bytes().hex(), tag,
         str(middle), str(rounds)],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"the probe failed:\n{proc.stderr[-3000:]}")
    figures: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="aos bench states",
        description="Attach, dry-run, replay and memory on a long process, with snapshots.",
    )
    parser.add_argument("--messages", type=int, default=100_000, help="log length (100000).")
    parser.add_argument("--runs", type=int, default=3, help="attach runs (default 3).")
    parser.add_argument("--rounds", type=int, default=20, help="dry-run + Eval pairs (20).")
    parser.add_argument(
        "--data-dir", type=Path, help="keep the built processes here and reuse them next time."
    )
    parser.add_argument("--many", type=int, default=0, help="also P processes of 100 messages.")
    args = parser.parse_args(argv)
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="aos-bench-states-"))
    root.mkdir(parents=True, exist_ok=True)
    made = root / "made.json"
    known = json.loads(made.read_text()) if made.is_file() else {}
    for size in (args.messages, 1000):
        if str(size) not in known:
            signer = Ed25519Signer.generate()
            start = time.perf_counter()
            pid = build(root / f"n{size}", size, signer)
            known[str(size)] = {"pid": pid, "key": signer.private_bytes().hex()}
            made.write_text(json.dumps(known))
            print(f"built a process with {size} messages in {time.perf_counter() - start:.1f} s",
                  flush=True)  # fmt: skip
    figures = {}
    for size in (args.messages, 1000):
        pid = known[str(size)]["pid"]
        signer = Ed25519Signer.from_private_bytes(bytes.fromhex(known[str(size)]["key"]))
        runs = [_probe(root / f"n{size}", pid, signer, f"{size}-{os.getpid()}-{r}", size // 2,
                       args.rounds) for r in range(args.runs)]  # fmt: skip
        figures[size] = runs
    big = figures[args.messages]
    small = figures[1000]
    first = statistics.median(float(r["first"]) for r in big)  # type: ignore[arg-type]
    after_prompt = statistics.median(float(r["after_prompt"]) for r in big)  # type: ignore[arg-type]
    dry = _ms([d for r in big for d in r["dry"]])  # type: ignore[attr-defined]
    after = _ms([d for r in big for d in r["after"]])  # type: ignore[attr-defined]
    replay = statistics.median(float(r["replay"]) for r in big)  # type: ignore[arg-type]
    rss = statistics.median(float(r["rss"]) for r in big)  # type: ignore[arg-type]
    eval_big = _ms([d for r in big for d in r["evals"]])  # type: ignore[attr-defined]
    eval_small = _ms([d for r in small for d in r["evals"]])  # type: ignore[attr-defined]
    warming = _ms([d for r in big for d in r["evals"][:20]])  # type: ignore[index]
    n = f"{args.messages:,}"
    print(
        f"attach:   {first:8.3f} s from start to the first Eval result at {n} messages"
        f" ({after_prompt * 1000:.1f} ms of it after the prompt; target ≤ 0.3 s)"
    )
    print(f"dry-run:  {dry:8.1f} ms (target ≤ 20), the Eval after it {after:.1f} ms (≤ 20)")
    print(f"replay:   {replay:8.3f} s for a dry-run at nonce {args.messages // 2:,} (≤ 0.5 s)")
    print(f"memory:   {rss:8.1f} MB RSS of the shell after 100 dry-runs (≤ 150 MB)")
    ratio = eval_big / eval_small
    print(
        f"flat:     Eval p50 {eval_big:.2f} ms at {n} messages, {eval_small:.2f} ms at 1,000"
        f" (ratio {ratio:.2f}; target ≤ 1.20); the first 20 after attaching {warming:.2f} ms"
        " (the caches of a cold database warm up)"
    )
    if args.many:
        proc = subprocess.run(
            [sys.executable, "-c", MANY, str(root / f"many{args.many}-{os.getpid()}"),
             str(args.many)], capture_output=True, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise SystemExit(f"the many-process run failed:\n{proc.stderr[-3000:]}")
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"many:     {args.many} processes × 100 messages: RSS {m['rss_touched']:.0f} MB"
            f" after touching each, {m['rss_after']:.0f} MB after a dry-run of each"
            f" ({m['answers']}/{args.many} answered right; {m['lua_mb']:.0f} MB of Lua live,"
            f" {m['evictions']} evictions, {m['restores']} restores; target ≤ 500 MB)"
        )
    return 0
