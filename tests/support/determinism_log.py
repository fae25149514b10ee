"""A 500-message log that exercises everything order- or address-sensitive, and its hash.

Run as `python -m tests.support.determinism_log` to print the sha256 of every result of
the log (json.dumps with sorted keys), evaluated in a fresh LuaProcess.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.support.process import Proc

SETUP = [
    "Map = {} for i = 1, 40 do Map['key' .. i] = i * 3 end",
    "Mixed = {1, 2, 3, alpha = 'a', beta = {x = 1, y = {2, 3}}, [true] = 'yes', [10] = 'ten'}",
    'Handlers.add("count", "Count", function(msg) Counted = (Counted or 0) + 1 '
    "print('counted ' .. Counted) end)",
    'Handlers.add("echo", "Echo", function(msg) msg.reply({Data = json.encode({seen = msg.Data, '
    "tags = msg.Tags})}) end)",
    'json = require("json")',
]

SNIPPETS = [
    "local out = {} for k, v in pairs(Map) do out[#out + 1] = k .. '=' .. v end "
    "return table.concat(out, ',')",
    "return json.encode(Map)",
    "return json.encode(Mixed.beta) .. tostring(next(Map))",
    "local keys = {} for k in pairs(Mixed) do keys[#keys + 1] = tostring(k) end "
    "return table.concat(keys, ' ')",
    "return tostring({}) .. ' ' .. tostring(print) .. ' ' .. string.format('%s', {})",
    "Mixed",
    "Map['k' .. math.random(1000)] = math.random() return math.random(1, 6)",
    "return os.time() .. ' ' .. os.date('%Y-%m-%d %H:%M:%S')",
    'Send({Target = "OTHER", Action = "Note", Data = {n = math.random(100), map = Map}})',
    "local t = {} for i = 1, 30 do t[tostring(i * 7 % 13) .. 'k'] = i end return json.encode(t)",
    "error({code = 1})",
    "while true do end",
    "Spawn('MOD', {Data = {a = 1, b = {2}}, Tags = {Kind = 'child'}})",
    "local co = coroutine.wrap(function() for k in pairs(Map) do coroutine.yield(k) end end) "
    "return co() .. co() .. co()",
    "Dump(Mixed)",
    "Inbox[#Inbox]",
]


def build_log() -> list[tuple[str, dict[str, str], str]]:
    """(kind, tags, data) triples: Evals, handled actions, and plain Inbox messages."""
    log: list[tuple[str, dict[str, str], str]] = [
        ("eval", {"Action": "Eval"}, code) for code in SETUP
    ]
    i = 0
    while len(log) < 500:
        i += 1
        kind = i % 5
        if kind in (0, 1):
            log.append(("eval", {"Action": "Eval"}, SNIPPETS[i % len(SNIPPETS)]))
        elif kind == 2:
            log.append(("msg", {"Action": "Count"}, ""))
        elif kind == 3:
            log.append(("msg", {"Action": "Echo", "Kind": f"k{i}", "Zeta": "z"}, f"data {i}"))
        else:
            log.append(("msg", {"Note": str(i)}, json.dumps({"i": i, "list": [1, 2, 3]})))
    return log


def results() -> list[dict[str, Any]]:
    proc = Proc(instruction_limit=2_000_000)
    out = [proc.spawn_result]
    for _kind, tags, data in build_log():
        out.append(proc.send(tags, data))
    return out


def digest() -> str:
    h = hashlib.sha256()
    for result in results():
        h.update(json.dumps(result, sort_keys=True).encode())
    return h.hexdigest()


if __name__ == "__main__":
    print(digest())
