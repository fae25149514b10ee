"""What our sandbox keeps from a process on purpose (each row of the table in lua/README.md,
"Differences from aos on purpose", is shown by at least one message here)."""

from __future__ import annotations

from tests.differential.harness import Scenario

SCENARIOS: list[Scenario] = [
    Scenario("sandbox-differences")
    .eval("return type(io)", explain="sandbox-io")
    .eval("return type(os.getenv)", explain="sandbox-os")
    .eval("return type(string.dump)", explain="sandbox-dump")
    .eval("return load(string.char(27) .. 'Lua')", explain="sandbox-binary-load")
    .eval("return type(debug.sethook)", explain="sandbox-debug")
    .eval("return collectgarbage('count') > 0", explain="gc-count")
    .eval("return type(json)", explain="json-global")
    .eval("return tostring({}):sub(1, 7)")
    .eval("return tostring(function() end)", explain="tostring-address")
    .eval("return {zeta = 1, alpha = 2, mid = 3, beta = 4}", explain="pairs-order")
    .eval("return type(require('json'))")
    .eval("return type(print)")
    .eval("return _VERSION"),
]
