"""Our blueprints against aos's, message for message, in every flow of corpus/blueprints.py.

aos_blueprints.json holds what aos's own blueprint sources produced in the real aos 2.0.6
module for each flow (recorded by record_blueprints.py: the sources are aos's, so only
their results are kept here). Our runtime, loading our blueprints, must produce the same
per message. Positions inside a blueprint (`[string "aos"]:N:`) are lines of its source,
which are ours: the comparison reads them as one (README row `blueprint-lines`). The
live half, our blueprints in the real module against our runtime, is test_differential's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from aos.repl.commands import blueprint_names
from tests.differential.corpus.blueprints import FIXTURE_RULES, NAMES, flows, ours
from tests.differential.harness import comparable, explained_keys, run_ours

FIXTURE = Path(__file__).resolve().parent / "aos_blueprints.json"
RECORDED: dict[str, list[dict[str, Any]]] = json.loads(FIXTURE.read_text())["flows"]
# Flows whose every message may differ, with the README key that says why.
EXPLAINED = {k: v for k, v in FIXTURE_RULES.items() if k != "*"}
_LINE = re.compile(r'\[string "aos"\]:\d+:')


def _fold_lines(value: Any) -> Any:
    if isinstance(value, str):
        return _LINE.sub('[string "aos"]:N:', value)
    if isinstance(value, list):
        return [_fold_lines(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fold_lines(v) for v in value)
    if isinstance(value, dict):
        return {k: _fold_lines(v) for k, v in value.items()}
    return value


def _normal(result: dict[str, Any]) -> Any:
    # Through JSON, as the fixture went: tuples become lists.
    return _fold_lines(json.loads(json.dumps(result)))


def test_load_blueprint_lists_all_ten() -> None:
    assert sorted(blueprint_names()) == sorted(NAMES)


def test_every_blueprint_has_a_recorded_flow() -> None:
    assert sorted(RECORDED) == sorted(f"blueprint-{n}" for n in NAMES)
    assert set(FIXTURE_RULES.values()) <= set(explained_keys())


@pytest.mark.parametrize("scenario", flows(ours), ids=lambda s: s.name)
def test_blueprint_flow_matches_aos(scenario: Any) -> None:
    theirs = RECORDED[scenario.name]
    assert len(theirs) == len(scenario.steps)
    results = run_ours(scenario)
    diffs = [
        f"#{i} ({step.label[:60]!r}):\n  aos : {_normal(t)}\n  ours: {_normal(comparable(o))}"
        for i, (step, t, o) in enumerate(zip(scenario.steps, theirs, results, strict=True))
        if _normal(t) != _normal(comparable(o))
    ]
    if scenario.name in EXPLAINED:
        assert diffs, f"{scenario.name} matches aos now: drop it from EXPLAINED"
    else:
        assert not diffs, "\n".join(diffs)
