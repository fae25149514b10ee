"""Building a real process log through the embedded node, for the verify tests and bench.

One Ed25519 key signs everything (fast: ~50 µs per message instead of ~3 ms for RSA), and
the process it spawns runs a mix of what real processes do: token transfers (the token
blueprint when it is there), handlers counting words in maps and iterating them with
pairs, json encoding, replies, and child processes that answer pings (process to process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from aos.client.ao import AoClient
from aos.luafiles import blueprint_dir
from aos.node.http.embedded import open_embedded
from aos.node.store import Store
from aos.protocol import AOS_MODULE_ID, CU_PATH, MU_PATH, SU_PATH
from aos.wallet import Ed25519Signer

BASE = "http://aos.local"

HANDLERS = r"""
Counts = Counts or {}
Handlers.add("Tally", Handlers.utils.hasMatchingTag("Action", "Tally"), function(msg)
  local word = msg.Tags.Word or "?"
  Counts[word] = (Counts[word] or 0) + 1
  local parts = {}
  for k, v in pairs(Counts) do parts[#parts + 1] = k .. "=" .. v end
  print(table.concat(parts, ","))
  msg.reply({ Data = require("json").encode(Counts) })
end)
Handlers.add("Pong", Handlers.utils.hasMatchingTag("Action", "Pong"), function(msg)
  Pongs = (Pongs or 0) + 1
end)
-- Notes sent to a child and assigned here are let in, and counted.
ao.addAssignable("notes", { Action = "Note" })
Handlers.add("Note", Handlers.utils.hasMatchingTag("Action", "Note"), function(msg)
  Notes = (Notes or 0) + 1
  print("note " .. msg.Data)
end)
return "ok"
"""

CHILD = r"""
Handlers.add("Ping", Handlers.utils.hasMatchingTag("Action", "Ping"), function(msg)
  msg.reply({ Action = "Pong", Data = "pong " .. msg.Data })
end)
"""

FALLBACK_TOKEN = r"""
Balances = Balances or { [ao.id] = 1000000000, [Owner] = 1000000000 }
Handlers.add("Transfer", Handlers.utils.hasMatchingTag("Action", "Transfer"), function(msg)
  local qty = tonumber(msg.Tags.Quantity)
  if (Balances[msg.From] or 0) >= qty then
    Balances[msg.From] = Balances[msg.From] - qty
    Balances[msg.Tags.Recipient] = (Balances[msg.Tags.Recipient] or 0) + qty
    msg.reply({ Action = "Debit-Notice", Quantity = tostring(qty) })
  end
end)
"""

EVALS = [
    'local t = {} for i = 1, 30 do t["k" .. i] = i * %d end '
    "local s = {} for k, v in pairs(t) do s[#s + 1] = k .. ':' .. v end "
    "return table.concat(s, ' ')",
    'return require("json").encode({ n = %d, list = { 1, 2, 3 }, map = { a = 1, b = { c = 2 } } })',
    "local m = {} for i = 1, %d %% 17 + 1 do m[tostring(i)] = { i } end "
    'return #require("json").encode(m)',
]


def token_source() -> str:
    path = blueprint_dir() / "token.lua"
    return path.read_text(encoding="utf-8") if path.is_file() else FALLBACK_TOKEN


def client_for(http: object, signer: Ed25519Signer) -> AoClient:
    return AoClient(
        http,  # type: ignore[arg-type]
        mu_url=BASE + MU_PATH,
        cu_url=BASE + CU_PATH,
        su_url=BASE + SU_PATH,
        gateway_url=BASE,
        wallet=signer,
        result_tries=1,
    )


def settle(data_dir: Path, timeout: float = 60.0) -> None:
    """Wait until the node has evaluated every slot and pushed every outbox."""
    store = Store(data_dir)
    try:
        deadline = time.monotonic() + timeout
        while store.processes_needing_work():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node in {data_dir} did not settle in {timeout} s")
            time.sleep(0.05)
    finally:
        store.close()


def build_process(
    data_dir: Path,
    messages: int,
    *,
    children: int = 2,
    on_progress: Callable[[int], None] | None = None,
) -> str:
    """Spawn a process and send it about `messages` messages; returns its id."""
    signer = Ed25519Signer.generate()
    with open_embedded(data_dir) as http:
        client = client_for(http, signer)
        scheduler = client.scheduler_address()
        # The node's wallet signs what its messenger pushes: processes must trust it.
        authority = ("Authority", client.cu_address() or "")
        pid = client.spawn(
            module=AOS_MODULE_ID, scheduler=scheduler, tags=[("Name", "verified"), authority]
        )
        client.eval(pid, token_source())
        # Give the sender the process's own supply, so its transfers succeed.
        client.eval(pid, "Balances[Owner] = Balances[ao.id]")
        client.eval(pid, HANDLERS)
        kids = []
        for k in range(children):
            kid = client.spawn(
                module=AOS_MODULE_ID, scheduler=scheduler, tags=[("Name", f"kid{k}"), authority]
            )
            client.eval(kid, CHILD)
            kids.append(kid)
        sent = 3 + children
        i = 0
        while sent < messages:
            kind = i % 5
            # Ed25519 signatures are deterministic: a Seq tag keeps equal messages distinct
            # (an identical item would only be acknowledged again, not scheduled twice).
            seq = ("Seq", str(i))
            if kind == 0:
                client.message(
                    pid,
                    tags=[("Action", "Transfer"), ("Recipient", kids[i % len(kids)]),
                          ("Quantity", str(1 + i % 7)), seq],
                )  # fmt: skip
            elif kind == 1:
                client.message(pid, tags=[("Action", "Tally"), ("Word", f"w{i % 13}"), seq])
            elif kind == 2:
                code = EVALS[i % len(EVALS)] % i
                client.message(pid, data=code, tags=[("Action", "Eval"), seq])
            elif kind == 3 and kids:
                # Process to process: the child answers with Pong, pushed back into pid.
                kid = kids[i % len(kids)]
                client.message(
                    pid, data=f'Send({{ Target = "{kid}", Action = "Ping", Data = "{i}" }})',
                    tags=[("Action", "Eval"), seq],
                )  # fmt: skip
            elif i % 250 == 9:
                # A spawn by the process itself: the node creates the child and pushes a
                # Spawned notice back into pid's log.
                client.message(
                    pid, data=f'Spawn(ao.env.Module.Id, {{ Data = "", Name = "grandkid{i}" }})',
                    tags=[("Action", "Eval"), seq],
                )  # fmt: skip
            elif i % 97 == 13:
                # An Error result: its state change is kept, its outbox dropped (lua/README).
                client.message(
                    pid, data=f'Booms = (Booms or 0) + 1; Send({{ Target = ao.id, Data = "x" }}); '
                    f'error("boom {i}")',
                    tags=[("Action", "Eval"), seq],
                )  # fmt: skip
            elif i % 50 == 4 and kids:
                # An assignment (docs/protocol.md §3.2.5): a note sent to a child is also scheduled
                # on pid.
                note = client.message(kids[0], data=f"note {i}", tags=[("Action", "Note"), seq])
                client.assign(pid, note)
            else:
                client.message(pid, data=f"x{i % 3} = {i}", tags=[("Action", "Eval"), seq])
            sent += 1
            i += 1
            if on_progress is not None and sent % 100 == 0:
                on_progress(sent)
        settle(data_dir)
    return pid
