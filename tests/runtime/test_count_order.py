"""What `pairs`, `next` and `tostring` count against the budget is the same in every OS process.

A message that passes its instruction limit in one replay must pass it in every replay, so
the count itself must be a function of the log. Tables keyed by objects are the hard case:
Lua's own order of such keys is the hash order of their addresses, which differs between
OS processes, and the runtime's ordering (lua/order.lua) must not count more or less for
it. The figure is taken in fresh OS processes, each with its own address layout.
"""

from __future__ import annotations

import subprocess
import sys

WORKLOAD = r"""
local t = {}
for i = 1, 300 do t[i] = i; t["k" .. i] = i end
local objs = {}
for i = 1, 200 do local o = {n = i % 7}; t[o] = i; objs[i] = o end
for i = 1, 20 do t[function() return i end] = i end
t[print] = 1; t[true] = 2; t[false] = 3; t[2.5] = 4; t[-3] = 5; t[10 ^ 6] = 6
local seq = {}
for i = 1, 500 do seq[i] = i end
local s, c = 0, 0
for round = 1, 10 do
  for k, v in pairs(t) do s = s + v; c = c + 1 end
  local k = next(t)
  while k ~= nil do k = next(t, k) end
  for k, v in pairs(seq) do s = s + v end
end
local names = {}
for i = 1, 50 do names[#names + 1] = tostring(objs[i]) end
return s .. ":" .. c .. ":" .. table.concat(names, ",")
"""

CHILD = f"""
from aos.runtime.limits import RuntimeLimits
from aos.runtime.state import library_sources, sandboxed_state

_, control, _ = sandboxed_state(RuntimeLimits(), library_sources())
chunk = control.load({WORKLOAD!r})
chunk = chunk[0] if isinstance(chunk, tuple) else chunk
control.begin(0)
ok, value = control.pcall(chunk)
used, error, _ = control.finish(None)
assert ok and error is None, (value, error)
print(used, value)
"""


def test_the_count_of_ordering_object_keys_is_the_same_in_every_os_process() -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        for _ in range(4)
    ]
    counts = {run.split()[0] for run in runs}
    values = {run.split(maxsplit=1)[1] for run in runs}
    assert len(values) == 1, values  # the same order and the same names, as before
    assert len(counts) == 1, counts
