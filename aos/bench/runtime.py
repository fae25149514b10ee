"""`aos bench runtime`: Lua process throughput, idle memory, and how fast limits stop.

Figures (medians over --runs runs):
  (a) Eval `1+1` messages per second;
  (b) Action=Inc messages per second, handled by a user handler that counts;
  idle memory: Lua bytes of a spawned, collected process, and the RSS growth per extra
  idle process over --processes processes;
  limits: seconds until `while true do end` and a 1 MiB-string memory bomb are stopped
  under the default limits.
Targets from issue 4: (b) >= 20,000 msg/s; an idle process <= 2 MiB.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path
from typing import Any

from aos.runtime import LuaProcess

PID = "BENCH_PROCESS_000000000000000000000000000000"
OWNER = "BENCH_OWNER_00000000000000000000000000000000"
MODULE = "BENCH_MODULE_0000000000000000000000000000000"
ENV: dict[str, Any] = {
    "Process": {"Id": PID, "Owner": OWNER, "Tags": [{"name": "Name", "value": "bench"}]},
    "Module": {"Id": MODULE, "Owner": OWNER, "Tags": []},
}
TARGET_MSG_S = 20_000
TARGET_IDLE = 2 * 2**20


def message(n: int, tags: dict[str, str], data: str = "") -> dict[str, Any]:
    """A message shaped like the compute unit's (docs/protocol.md §4.1)."""
    return {
        "Id": f"MSG{n:041d}",
        "Signature": "S" * 683,
        "Owner": OWNER,
        "From": OWNER,
        "Target": PID,
        "Anchor": "",
        "Data": data,
        "Tags": [{"name": k, "value": v} for k, v in tags.items()],
        "Epoch": 0,
        "Nonce": n,
        "Timestamp": 1_700_000_000_000 + n,
        "Block-Height": 1_500_000 + n // 100,
        "Hash-Chain": "H" * 43,
        "Cron": False,
        "Read-Only": False,
        "Module": MODULE,
    }


def spawn() -> LuaProcess:
    proc = LuaProcess()
    tags = {"Data-Protocol": "ao", "Variant": "ao.TN.1", "Type": "Process", "Name": "bench"}
    proc.handle(dict(message(0, tags), Id=PID), ENV)
    return proc


def rate(proc: LuaProcess, msgs: list[dict[str, Any]]) -> tuple[float, float]:
    """(wall-clock, CPU-time) messages per second; CPU time ignores other load."""
    start, cpu = time.perf_counter(), time.process_time()
    for msg in msgs:
        proc.handle(msg, ENV)
    wall_s = time.perf_counter() - start
    cpu_s = max(time.process_time() - cpu, 1e-9)
    return len(msgs) / wall_s, len(msgs) / cpu_s


def throughput(count: int, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    proc = spawn()
    setup = "Count = 0; Handlers.add('Inc', 'Inc', function(msg) Count = Count + 1 end)"
    proc.handle(message(1, {"Action": "Eval"}, setup), ENV)
    n = 10
    evals, incs = [], []
    for _ in range(runs):
        batch = [message(n + i, {"Action": "Eval"}, "1+1") for i in range(count)]
        n += count
        evals.append(rate(proc, batch))
        batch = [
            message(n + i, {"Action": "Inc", "Data-Protocol": "ao", "Type": "Message"})
            for i in range(count)
        ]
        n += count
        incs.append(rate(proc, batch))

    def median(rates: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)

    return median(evals), median(incs)


def rss() -> int:
    """Resident set size of this OS process in bytes (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def idle_memory(processes: int) -> tuple[int, float]:
    first = spawn()
    first.collect_garbage()
    lua_bytes = first.memory_used()
    gc.collect()
    before = rss()
    keep = [spawn() for _ in range(processes)]
    for proc in keep:
        proc.collect_garbage()
    gc.collect()
    growth = (rss() - before) / processes
    return lua_bytes, growth


def limit_seconds(code: str) -> tuple[float, str]:
    proc = spawn()
    start = time.perf_counter()
    result = proc.handle(message(5, {"Action": "Eval"}, code), ENV)
    return time.perf_counter() - start, str(result.get("Error", ""))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aos bench runtime", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per run")
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is reported)")
    parser.add_argument("--processes", type=int, default=50, help="idle processes to measure")
    parser.add_argument(
        "--no-limits", action="store_true", help="skip the default-limit stop times"
    )
    args = parser.parse_args(argv)
    if min(args.messages, args.runs, args.processes) < 1:
        parser.error("--messages, --runs and --processes must be at least 1")

    eval_rate, inc_rate = throughput(args.messages, args.runs)
    lua_bytes, growth = idle_memory(args.processes)

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(
        f"(a) Eval 1+1            {eval_rate[0]:10,.0f} msg/s wall, {eval_rate[1]:10,.0f} msg/s "
        f"CPU (medians of {args.runs} x {args.messages})"
    )
    print(
        f"(b) Action=Inc handler  {inc_rate[0]:10,.0f} msg/s wall, {inc_rate[1]:10,.0f} msg/s "
        f"CPU (target >= {TARGET_MSG_S:,} wall: {mark(inc_rate[0] >= TARGET_MSG_S)})"
    )
    print(
        f"idle process: Lua memory {lua_bytes / 2**20:.2f} MiB; RSS growth per process "
        f"{growth / 2**20:.2f} MiB over {args.processes} "
        f"(target <= 2 MiB: {mark(max(lua_bytes, growth) <= TARGET_IDLE)})"
    )
    if not args.no_limits:
        loop_s, loop_err = limit_seconds("while true do end")
        print(f"limit: while true do end stopped in {loop_s:.2f} s ({loop_err})")
        bomb_s, bomb_err = limit_seconds(
            "local t = {} while true do t[#t + 1] = string.rep('x', 2^20) .. #t end"
        )
        print(f"limit: 1 MiB strings forever stopped in {bomb_s:.2f} s ({bomb_err})")
    return 0
