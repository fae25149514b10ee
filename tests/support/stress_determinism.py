"""Determinism stress: one node log replayed in OS processes that differ in everything else.

    python -m tests.support.stress_determinism [--messages N] [--rounds R] [--hog]

The parent builds a process through a real node (spawn, an Eval from the owner that sets up
handlers, then Evals that depend on `Owner`, pairs over maps, json, tostring of tables,
sends, spawns, errors and the instruction limit, between plain handled messages), lets the
node evaluate it and store its result hash chain, then replays the log in child processes
that differ in PYTHONHASHSEED, locale (LC_ALL, and a process that calls
`setlocale(LC_ALL, "")` as an interactive program would), and garbage collection: a child
in "chaos" mode forces Python's gc (threshold 1 and random `gc.collect()`), full Lua
collections, and creates and drops lupa objects at random points between and around
messages. Every child must reproduce the node's final chain hash. Exit status 1 on any
difference, naming the variant.

Children run `python -m tests.support.stress_determinism --child DIR id=PID MODE SEED`.
"""

from __future__ import annotations

import argparse
import gc
import locale
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aos.dataitem import create
from aos.log.evaluator import ProcessInfo
from aos.log.runtimes import Runtime
from aos.protocol import AOS_MODULE_ID, DATA_PROTOCOL, VARIANT
from aos.wallet import Ed25519Signer

ROOT = Path(__file__).resolve().parents[2]

SETUP = r"""
Map = {} for i = 1, 40 do Map['key' .. i] = i * 3 end
Count = 0
Handlers.add("Inc", Handlers.utils.hasMatchingTag("Action", "Inc"), function(msg)
  Count = Count + 1
end)
Handlers.add("echo", "Echo", function(msg)
  msg.reply({Data = require("json").encode({seen = msg.Data, tags = msg.Tags})})
end)
return Owner
"""
# Evals only run as the owner: a replay that lost Owner gives other results at once.
SNIPPETS = [
    "return Owner .. ' ' .. Name .. ' ' .. Count",
    "local out = {} for k, v in pairs(Map) do out[#out + 1] = k .. '=' .. v end "
    "return table.concat(out, ',')",
    "return require('json').encode({b = Map, a = {1, 2, {z = 1, y = 2}}, ['A'] = 1, _x = 2})",
    "local t = {} for i = 1, 30 do t[tostring(i * 7 % 13) .. 'k'] = i end "
    "local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ' ')",
    "local t = {Zeta = 1, alpha = 2, Beta = 3, ['_u'] = 4, ['é'] = 5, ['e'] = 6} "
    "local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ' ')",
    "return tostring({}) .. ' ' .. tostring(print) .. ' ' .. string.format('%s', {})",
    "local keys = {} local t = {[{}] = 1, [{}] = 2, [print] = 3} "
    "for k in pairs(t) do keys[#keys + 1] = tostring(k) end return table.concat(keys, ' ')",
    "Map['k' .. math.random(1000)] = math.random() return math.random(1, 6)",
    "local w = setmetatable({}, {__mode = 'k'}) for i = 1, 50 do w[{}] = i end "
    "collectgarbage() local n = 0 for _ in pairs(w) do n = n + 1 end return n",
    "Send({Target = Owner, Action = 'Note', Data = require('json').encode(Map)})",
    "Spawn('MOD', {Data = 'child', Tags = {Kind = 'child'}})",
    "error({code = 1})",
    "return collectgarbage('count') .. ' ' .. os.time() .. ' ' .. os.date('%c')",
    "local s = {} for i = 1, 200 do s[#s + 1] = string.rep('x', i) end "
    "table.sort(s, function(a, b) return #a > #b end) return #s[1]",
    "return #Inbox",
    # an object held only by a weak table once a later message drops it: a checkpoint
    # taken in between must not keep it there
    "Keep = Keep or setmetatable({}, {__mode = 'k'}) Held = {} Keep[Held] = true return 1",
    "Held = nil collectgarbage() local n = 0 for _ in pairs(Keep or {}) do n = n + 1 end return n",
]


def _tags(action: str) -> list[tuple[str, str]]:
    return [("Action", action), ("Data-Protocol", DATA_PROTOCOL), ("Variant", VARIANT),
            ("Type", "Message")]  # fmt: skip


def build(data_dir: Path, messages: int) -> str:
    """A process with `messages` entries through a real node, evaluated; returns its id."""
    from aos.node.units.node import Node

    signer = Ed25519Signer.generate()
    node = Node(data_dir)
    try:
        spawn = create(
            signer=signer,
            data=" ",
            tags=[("Name", "stress"), ("Data-Protocol", DATA_PROTOCOL), ("Variant", VARIANT),
                  ("Type", "Process"), ("Module", AOS_MODULE_ID),
                  ("Scheduler", node.su.address)],
        )  # fmt: skip
        node.mu.accept(spawn.to_bytes())
        pid = spawn.id
        node.mu.accept(create(signer=signer, target=pid, data=SETUP, tags=_tags("Eval")).to_bytes())
        for i in range(messages - 2):
            anchor = f"{i:032d}"
            if i == 30:
                data, action = "while true do end", "Eval"  # once: it takes a second
            elif i % 3 == 0:
                data, action = SNIPPETS[(i // 3) % len(SNIPPETS)], "Eval"
            elif i % 7 == 1:
                data, action = f"echo {i}", "Echo"
            elif i % 11 == 2:
                data, action = f"plain {i}", "Note"
            else:
                data, action = " ", "Inc"
            item = create(signer=signer, target=pid, data=data, tags=_tags(action), anchor=anchor)
            node.mu.accept(item.to_bytes())
        node.cu.evaluate_to(pid)
        return pid
    finally:
        node.stop()


class ChaosRuntime:
    """A LuaProcess with Python and Lua garbage collections and lupa object churn at
    random points around every message."""

    def __init__(self, info: ProcessInfo, seed: int) -> None:
        from aos.log.runtimes import default_runtime

        self.inner: Any = default_runtime(info)
        self.rng = random.Random(seed)
        self.junk: list[Any] = []

    def _chaos(self) -> None:
        r = self.rng.random()
        if r < 0.2:
            gc.collect()
        elif r < 0.35:
            self.inner.collect_garbage()
        elif r < 0.6:
            # lupa objects whose references are freed later, at Python GC time.
            rt = self.inner._runtime
            self.junk.append(rt.table_from({"k": self.rng.random(), "l": [1, 2, 3]}))
            if len(self.junk) > self.rng.randrange(1, 20):
                self.junk.clear()

    def handle(self, msg: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self._chaos()
        result: dict[str, Any] = self.inner.handle(msg, env)
        self._chaos()
        return result


def child(data_dir: Path, pid: str, mode: str, seed: int) -> str:
    """Replay the log; the final chain hash and the count, as one line."""
    from aos.verify.replay import Replayer
    from aos.verify.source import read_log, read_records

    if mode == "setlocale":
        locale.setlocale(locale.LC_ALL, "")
    factory = None
    if mode == "chaos":
        gc.set_threshold(1, 1, 1)

        def factory(info: ProcessInfo) -> Runtime:
            return ChaosRuntime(info, seed)

    process = read_log(data_dir, pid, to_nonce=0, check_columns=False).process
    records = read_records(data_dir, pid)
    final, count = "", 0
    for ev in Replayer(process, factory).evaluate_records(records):
        final, count = ev.chain_hash, count + 1
    return f"{count} {final}"


VARIANTS = [
    ("plain", {"PYTHONHASHSEED": "1", "LC_ALL": "C"}),
    ("setlocale", {"PYTHONHASHSEED": "2", "LC_ALL": "C.UTF-8"}),
    ("chaos", {"PYTHONHASHSEED": "3", "LC_ALL": "C.UTF-8"}),
    ("chaos", {"PYTHONHASHSEED": "random", "LANG": "en_US.UTF-8", "LC_ALL": ""}),
]


def run_child(data_dir: Path, pid: str, mode: str, seed: int, extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANG"}
    env.update({k: v for k, v in extra.items() if v})
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.stress_determinism", "--child", str(data_dir),
         "id=" + pid, mode, str(seed)],  # an id may start with "-", which argparse would take
                                           # for an option
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"child {mode} {extra} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.stress_determinism")
    parser.add_argument("--child", nargs=4, metavar=("DIR", "PID", "MODE", "SEED"))
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hog", action="store_true", help="run a CPU hog meanwhile")
    args = parser.parse_args(argv)
    if args.child:
        d, pid, mode, seed = args.child
        print(child(Path(d), pid.removeprefix("id="), mode, int(seed)))
        return 0
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.hog else None
    try:
        with tempfile.TemporaryDirectory(prefix="aos-stress-") as tmp:
            data_dir = Path(tmp)
            pid = build(data_dir, args.messages)
            from aos.verify.verifier import verify_store

            report = verify_store(data_dir, pid)
            expected = f"{report.replayed} {report.stored_final_hash}"
            print(f"node: {expected} (aos verify: {'ok' if report.ok else report.problem})")
            bad = 0 if report.ok else 1
            for rnd in range(args.rounds):
                for mode, extra in VARIANTS:
                    got = run_child(data_dir, pid, mode, rnd * 100 + len(mode), extra)
                    same = got == expected
                    bad += not same
                    print(f"round {rnd} {mode:9} {extra}: {'same' if same else 'DIFFERENT ' + got}")
            print("all equal" if not bad else f"{bad} differences")
            return 1 if bad else 0
    finally:
        if hog is not None:
            hog.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
