"""The differential corpus: every scenario the suite runs against the aos module.

Each submodule owns one area and exposes `SCENARIOS`, a list of harness.Scenario.
"""

from __future__ import annotations

from tests.differential.corpus import (
    ao_api,
    blueprints,
    handlers,
    libraries,
    odd,
    receive,
    rendering,
    sandbox,
)
from tests.differential.harness import Scenario

SCENARIOS: list[Scenario] = [
    *rendering.SCENARIOS,
    *libraries.SCENARIOS,
    *handlers.SCENARIOS,
    *ao_api.SCENARIOS,
    *receive.SCENARIOS,
    *odd.SCENARIOS,
    *sandbox.SCENARIOS,
    *blueprints.SCENARIOS,
]
