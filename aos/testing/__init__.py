"""`aos test` and its Python face: process code tested offline, deterministically, fast.

    net         the in-memory ao: processes on a test clock, the messenger's crank
    process     one process of a net: its runtime, its log, replays of the log
    replays     what replays tell: lines run (coverage), handler tracebacks
    values      what the net's parts share: ids, tag values, TestNetError, error texts
    lua_source  the Lua the net writes: literals, the loader of a file and its requires
    runner      spec files run in their own sandboxed Lua state, bridged to a net
    report      what a run prints: progress, failures with diffs, the summary, JSON, JUnit
    coverage    line coverage of the process files under test
    pytest_plugin  the `ao_net` fixture (pytest -p aos.testing.pytest_plugin)

From pytest (or any Python):

    from aos.testing import Net
    net = Net()
    token = net.spawn(files=["token.lua"], owner="alice")
    token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="10")
    net.deliver()
    net.expect_sent(Target="bob", Action="Credit-Notice", Quantity="10")

docs/testing.md documents the Lua API of spec files and this one.
"""

from __future__ import annotations

from aos.testing.net import MU, SU, Net
from aos.testing.process import Process
from aos.testing.values import TestNetError

__all__ = ["MU", "SU", "Net", "Process", "TestNetError"]
