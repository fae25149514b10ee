"""Random process logs, evaluated straight through or snapshotted and restored between
every two messages: the property that snapshots are exact, checked across OS processes.

    python -m tests.support.snapshot_runs straight|observed|restored SEED COUNT

prints one JSON object: the result hashes, the final chain hash, and the snapshot hash at
every boundary where the state could be snapshotted (observed: snapshots taken and the
run goes on in the same state; restored: each snapshot restored into a fresh state, which
goes on instead). A log mixes what real processes do:
Evals that write globals, build tables with table keys, keep closures with shared
upvalues, print tables (ids), iterate with pairs, draw random numbers, fail after writing
(rolled back); handlers that count and that fail; spawns and sends; a Receive that waits
(no snapshot while it does) and the reply that wakes it; cron ticks between messages.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from aos.errors import SnapshotRefused
from aos.log.evaluator import Evaluated, Evaluator, ProcessInfo
from aos.log.records import Entry, Item
from aos.protocol import AOS_MODULE_ID
from aos.runtime import LuaProcess

PID = "P" * 42 + "A"
OWNER = "O" * 42 + "A"
PEER = "Q" * 42 + "A"
T0 = 1_800_000_000_000

SETUP = """
Counter = (function() local n = 0
  return { inc = function() n = n + 1; return n end, get = function() return n end } end)()
Keys = {}
Handlers.add("inc", "Inc", function(msg) Total = (Total or 0) + tonumber(msg.Data or "1") end)
Handlers.add("boom", "Boom", function(msg) Total = -1; error("boom " .. msg.Id) end)
Handlers.add("tick", "Tick", function(msg) Ticks = (Ticks or 0) + 1 end)
Handlers.add("ask", "Ask", function(msg)
  Send({ Target = msg.From, Action = "Question" })
  local reply = Receive({ Action = "Answer" })
  Answers = (Answers or "") .. reply.Data
end)
return "ready"
"""

EVALS = [
    "Keys[{{}}] = Counter.inc(); return Counter.get()",
    "local t = {{}} for k, v in pairs(Keys) do t[#t + 1] = v end return table.concat(t, ',')",
    "return tostring({{}}) .. tostring(Keys) .. tostring(print)",
    "return math.random(1000000)",
    "G{n} = {{ a = {n}, b = {{ {n}, {n} + 1, nil, 4 }} }}; return #G{n}.b",
    "F{n} = function(x) return (x or 0) + {n} end; return F{n}({n})",
    "W = 1; error('fails after a write {n}')",
    "Spawn('{module}', {{ Data = 'child {n}' }}); return 'spawned'",
    "Send({{ Target = '{peer}', Action = 'Note', Data = '{n}' }}); return 'sent'",
    "local co = coroutine.create(function() coroutine.yield(1) end) coroutine.resume(co)"
    " coroutine.resume(co) coroutine.resume(co) return coroutine.status(co)",
    "return #Inbox, #Handlers.list, Total",
    "return require('json').encode({{ x = {n}, y = {{ 1, 2 }} }})",
    "Holes = {{ 1, nil, 3, nil, 5 }}; Holes[7] = 7; return #Holes",
    "local s = '' for i = 1, {n} % 20 do s = s .. string.char(200 + i % 50) end Bin = s return #s",
]


def _item(item_id: str, data: str, tags: list[tuple[str, str]], owner: str = OWNER) -> Item:
    return Item(
        seq=0, id=item_id, signature_type=2, signature="sig", owner=owner, owner_key="key",
        target=PID, anchor=None, tags=[{"name": n, "value": v} for n, v in tags],
        data=data.encode(), created_at=0, block_height=1,
    )  # fmt: skip


def _entry(nonce: int, ts: int, message_id: str) -> Entry:
    return Entry(PID, nonce, ts, 1_300_000 + nonce // 10, 0, f"hc{nonce}", f"as{nonce}",
                 message_id, False)  # fmt: skip


def build_log(seed: int, count: int) -> list[tuple[Entry, Item]]:
    """A spawn, the set-up Eval, then `count` random messages (seeded, so every OS process
    builds the same log)."""
    rng = random.Random(seed)
    spawn_tags = [("Data-Protocol", "ao"), ("Type", "Process"), ("Module", AOS_MODULE_ID),
                  ("Scheduler", "s"), ("Authority", PEER), ("Cron-Interval", "7-seconds"),
                  ("Cron-Tag-Action", "Tick")]  # fmt: skip
    log = [(_entry(0, T0, PID), _item(PID, " ", spawn_tags))]
    log.append((_entry(1, T0 + 10, "S" * 43), _item("S" * 43, SETUP, [("Action", "Eval")])))
    ts = T0 + 10
    waiting = False
    for n in range(2, count + 2):
        ts += rng.randint(1, 4000)
        mid = hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:43]
        pick = rng.random()
        if waiting and pick < 0.3:
            # The answer the waiting Receive asked for.
            tags = [("Action", "Answer"), ("From-Process", PEER)]
            log.append((_entry(n, ts, mid), _item(mid, f"a{n}", tags, PEER)))
            waiting = False
        elif pick < 0.55:
            code = rng.choice(EVALS).format(n=n, module=AOS_MODULE_ID, peer=PEER)
            log.append((_entry(n, ts, mid), _item(mid, code, [("Action", "Eval")])))
        elif pick < 0.75:
            tags = [("Action", "Inc")]
            log.append((_entry(n, ts, mid), _item(mid, str(rng.randint(1, 9)), tags)))
        elif pick < 0.85:
            log.append((_entry(n, ts, mid), _item(mid, "", [("Action", "Boom")])))
        elif pick < 0.9 and not waiting:
            tags = [("Action", "Ask"), ("From-Process", PEER)]
            log.append((_entry(n, ts, mid), _item(mid, "", tags, PEER)))
            waiting = True
        else:
            tags = [("Action", "Note"), ("From-Process", PEER)]
            log.append((_entry(n, ts, mid), _item(mid, f"note {n}", tags, PEER)))
    return log


def _evaluator(info: ProcessInfo) -> Evaluator:
    return Evaluator(info, LuaProcess(), rebuild=LuaProcess)


def run(mode: str, seed: int, count: int) -> dict[str, Any]:
    log = build_log(seed, count)
    info = ProcessInfo.from_spawn(log[0][1], log[0][0])
    ev = _evaluator(info)
    done: list[Evaluated] = []
    snapshots: dict[int, str] = {}
    refused = 0
    for entry, item in log:
        done.extend(ev.step(entry, item))
        if mode in ("restored", "observed"):
            try:
                data, state = ev.snapshot()
            except SnapshotRefused:
                refused += 1
                continue
            snapshots[entry.nonce] = hashlib.sha256(data).hexdigest()
            if os.environ.get("AOS_SNAPSHOT_DUMP"):  # for looking into a difference
                where = Path(os.environ["AOS_SNAPSHOT_DUMP"]) / f"{mode}-{entry.nonce}.bin"
                where.write_bytes(data)
            if mode == "observed":
                continue
            runtime = LuaProcess(restore=data)
            ev.keeper.runtime.close()  # type: ignore[attr-defined]
            ev = Evaluator.restore(info, runtime, state, rebuild=LuaProcess)
    done.extend(ev.crons_until(log[-1][0].timestamp + 20_000))
    return {
        "hashes": [d.result_hash for d in done],
        "chain": done[-1].chain_hash,
        "errors": sum(1 for d in done if d.error),
        "snapshots": snapshots,
        "refused": refused,
    }


if __name__ == "__main__":
    mode, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(run(mode, seed, count)))
