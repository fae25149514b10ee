"""`aos bench test`: how fast `aos test` runs a suite, and how fast it starts.

Figures (medians over --runs runs):
  (a) a generated suite of --tests tests, each spawning a token and a shop process and
      sending them messages (transfers, and purchases the shop waits for with Receive,
      delivered between the two): seconds per 1,000 test messages, everything included
      (the runner state, every spawn, the bridge, the deliveries);
  (b) start-up: `aos test` on a one-test suite, as a new OS process: wall-clock and CPU
      seconds of that process.
Targets from issue 17: (a) <= 1 s per 1,000 messages; (b) <= 0.5 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aos.testing.runner import Options, discover, run

TARGET_PER_1000_S = 1.0
TARGET_START_S = 0.5

TOKEN = """
Balances = Balances or {}
Handlers.add("Mint", "Mint", function(msg)
  Balances[msg.Recipient] = (Balances[msg.Recipient] or 0) + tonumber(msg.Quantity)
end)
Handlers.add("Transfer", "Transfer", function(msg)
  local q = math.tointeger(tonumber(msg.Quantity))
  if (Balances[msg.From] or 0) < q then
    msg.reply({ Action = "Transfer-Error" })
    return
  end
  Balances[msg.From] = Balances[msg.From] - q
  Balances[msg.Recipient] = (Balances[msg.Recipient] or 0) + q
  Send({ Target = msg.From, Action = "Debit-Notice", Quantity = msg.Quantity })
  Send({ Target = msg.Recipient, Action = "Credit-Notice", Sender = msg.From,
    Quantity = msg.Quantity })
end)
"""
SHOP = """
Sales = Sales or 0
Handlers.add("Buy", "Buy", function(msg)
  local paid = Receive({ Action = "Credit-Notice", Sender = msg.From })
  Sales = Sales + 1
  Send({ Target = msg.From, Action = "Delivered", Quantity = paid.Quantity })
end)
"""
SPEC = """
describe("bench", function()
  for t = 1, {tests} do
    it("round " .. t, function()
      local token = ao_test.spawn{{ files = {{ "token.lua" }} }}
      local shop = ao_test.spawn{{ files = {{ "shop.lua" }} }}
      token:send{{ From = "owner", Action = "Mint", Recipient = "alice", Quantity = "100000" }}
      for i = 1, {transfers} do
        token:send{{ From = "alice", Action = "Transfer", Recipient = "bob", Quantity = "1" }}
      end
      for i = 1, {purchases} do
        shop:send{{ From = "alice", Action = "Buy" }}
        token:send{{ From = "alice", Action = "Transfer", Recipient = shop, Quantity = "5" }}
        ao_test.deliver()
      end
      assert.equal({purchases}, shop:get("Sales"))
    end)
  end
end)
"""
SMALL = """
describe("small", function()
  it("answers", function()
    local p = ao_test.spawn{ files = { "token.lua" } }
    p:send{ From = "owner", Action = "Mint", Recipient = "alice", Quantity = "1" }
    assert.equal(1, p:get("Balances.alice"))
  end)
end)
"""


def write_suite(folder: Path, spec: str) -> Path:
    (folder / "spec").mkdir(parents=True)
    (folder / "token.lua").write_text(TOKEN, encoding="utf-8")
    (folder / "shop.lua").write_text(SHOP, encoding="utf-8")
    (folder / "spec" / "bench_spec.lua").write_text(spec, encoding="utf-8")
    return folder


def suite_speed(folder: Path, runs: int) -> tuple[float, float, int, int]:
    """(median wall seconds, median CPU seconds per run, evaluations, tests passed)."""
    specs = discover([str(folder)])
    walls, cpus, evaluations, passed = [], [], 0, 0
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = run(specs, Options())
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        evaluations, passed = result.evaluations, result.count("passed")
        if not result.ok:
            raise SystemExit("aos bench test: the generated suite failed; this is a bug")
    return statistics.median(walls), statistics.median(cpus), evaluations, passed


def start_up(folder: Path, runs: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of `aos test` on a small suite."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "aos", "test", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if done.returncode != 0:
            raise SystemExit(f"aos bench test: the small suite failed:\n{done.stdout}")
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aos bench test", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Repetitions per figure.")
    parser.add_argument("--tests", type=int, default=10, help="Tests in the generated suite.")
    parser.add_argument("--transfers", type=int, default=40, help="Transfers per test.")
    parser.add_argument("--purchases", type=int, default=20, help="Purchases per test.")
    parser.add_argument("--no-start", action="store_true", help="Skip the start-up figure.")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.tests < 1:
        parser.error("--runs and --tests must be at least 1")
    # A test sends 1 mint, the transfers, and per purchase Buy + Transfer + the delivered
    # Credit-Notice (the notices to wallets are recorded, not evaluated).
    messages = args.tests * (1 + args.transfers + 3 * args.purchases)
    with tempfile.TemporaryDirectory(prefix="aos-bench-test-") as tmp:
        spec = SPEC.format(tests=args.tests, transfers=args.transfers, purchases=args.purchases)
        suite = write_suite(Path(tmp) / "suite", spec)
        wall, cpu, evaluations, passed = suite_speed(suite, args.runs)
        print(
            f"(a) suite: {passed} tests, {messages} test messages ({evaluations} evaluations "
            f"with spawns and loads) in {wall:.3f} s wall, {cpu:.3f} s CPU: "
            f"{wall / messages * 1000:.3f} s wall, {cpu / messages * 1000:.3f} s CPU per 1,000 "
            f"messages (target <= {TARGET_PER_1000_S:g} s), median of {args.runs}"
        )
        if not args.no_start:
            small = write_suite(Path(tmp) / "small", SMALL)
            wall, cpu = start_up(small, args.runs)
            print(
                f"(b) start-up: aos test on a one-test suite: {wall:.3f} s wall, {cpu:.3f} s "
                f"CPU (target <= {TARGET_START_S:g} s), median of {args.runs}"
            )
    return 0
