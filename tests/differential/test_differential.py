"""Our process library against the official aos 2.0.6 module, message for message.

Every scenario of the corpus (tests/differential/corpus/) runs through the real module under
@permaweb/ao-loader (one node process for all of them) and through aos.runtime.LuaProcess;
each message's Output, Messages, Spawns, Assignments and Error must be equal, except on
messages marked with a key of the table "Differences from aos on purpose" in lua/README.md,
which must differ. Without node/npm the tests skip locally and fail in CI.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.differential.corpus import SCENARIOS
from tests.differential.corpus.blueprints import FIXTURE_RULES
from tests.differential.harness import (
    COMPARISON_RULES,
    Scenario,
    compare,
    explained_keys,
    run_ours,
)
from tests.differential.reference import run_reference

pytestmark = pytest.mark.interop

BY_NAME = {s.name: s for s in SCENARIOS}


@pytest.fixture(scope="session")
def reference() -> dict[str, list[dict[str, Any]]]:
    """The aos module's results for the whole corpus, computed once."""
    runs = run_reference([s.wire() for s in SCENARIOS])
    return {run["name"]: run["results"] for run in runs}


def test_corpus_is_large_enough() -> None:
    assert len(SCENARIOS) >= 40
    assert len(BY_NAME) == len(SCENARIOS), "scenario names must be unique"
    assert sum(len(s.steps) for s in SCENARIOS) >= 400


def test_every_explanation_is_in_the_readme_table() -> None:
    table = explained_keys()
    used = {step.explain for s in SCENARIOS for step in s.steps if step.explain}
    used |= set(COMPARISON_RULES) | set(FIXTURE_RULES.values())
    assert used <= set(table), f"not in lua/README.md's table: {sorted(used - set(table))}"
    assert set(table) <= used, f"rows no scenario shows: {sorted(set(table) - used)}"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_scenario_matches_aos(name: str, reference: dict[str, list[dict[str, Any]]]) -> None:
    scenario: Scenario = BY_NAME[name]
    theirs = reference[name]
    assert len(theirs) == len(scenario.steps)
    ours = run_ours(scenario)
    problems = []
    for step, i, diffs in compare(scenario, theirs, ours):
        if step.explain is None:
            problems += [str(d) for d in diffs]
        elif not diffs:
            problems.append(
                f"{name}#{i} ({step.label!r}) is marked {step.explain!r} but matches aos now"
            )
    assert not problems, "\n".join(problems)
