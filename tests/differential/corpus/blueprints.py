"""Each blueprint's whole flow: loaded by Eval, then driven by the messages a user sends."""

from __future__ import annotations

from aos.luafiles import lua_dir
from tests.differential.harness import Scenario

SCENARIOS: list[Scenario] = []
