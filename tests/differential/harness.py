"""The differential harness: one scenario, two processes, a per-message comparison.

A `Scenario` is a process message followed by messages with explicit Id, Owner, From, Tags,
Data, Timestamp and Block-Height, built the way aos.node.evaluator builds `msg` and `env`.
The same JSON messages go to the official aos module (reference.py runs it under node) and
to our aos.runtime.LuaProcess. `compare` puts the two results of a message side by side:
Output (data, prompt, print, test), outgoing Messages and Spawns (Target, Anchor, Data,
tags as a multiset), Assignments and Error.

A message may carry `explain=KEY`: a difference there is one we keep on purpose, and KEY
must be a row of the table in lua/README.md ("Differences from aos on purpose"). Such a
message must still differ (a stale explanation fails too); every other message must match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aos.protocol import AOS_MODULE_ID, MODULE_TAGS
from aos.runtime import LuaProcess

README = Path(__file__).resolve().parents[2] / "lua" / "README.md"

PROCESS_ID = "PROCESS" + "p" * 36
OWNER = "OWNER" + "o" * 38
AUTHORITY = "AUTHORITY" + "a" * 34
MODULE_ID = AOS_MODULE_ID
MODULE_OWNER = "MODULEOWNER" + "m" * 32
BASE_TIMESTAMP = 1_720_000_000_000
BASE_HEIGHT = 1_450_000


def tag_list(tags: dict[str, str] | list[tuple[str, str]] | None) -> list[dict[str, str]]:
    items = tags.items() if isinstance(tags, dict) else (tags or [])
    return [{"name": k, "value": v} for k, v in items]


@dataclass
class Step:
    """One message of a scenario (the JSON `msg`) and the difference it may show."""

    msg: dict[str, Any]
    explain: str | None = None
    label: str = ""


@dataclass
class Scenario:
    """A process and the messages it handles, in order.

    `eval` and `send` append messages; every message gets a fresh Id, a Timestamp one
    second after the previous one and the next Block-Height, unless given explicitly.
    """

    name: str
    process_tags: list[tuple[str, str]] = field(default_factory=list)
    process_data: str = ""
    owner: str = OWNER
    steps: list[Step] = field(default_factory=list)
    env: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        tags = [
            ("Data-Protocol", "ao"),
            ("Variant", "ao.TN.1"),
            ("Type", "Process"),
            ("Module", MODULE_ID),
            ("Scheduler", "SCHEDULER" + "s" * 34),
            ("SDK", "aoconnect"),
            ("Content-Type", "text/plain"),
            ("Name", "diff"),
            ("Authority", AUTHORITY),
        ]
        names = {n for n, _ in self.process_tags}
        tags = [t for t in tags if t[0] not in names or t[0] == "Authority"]
        tags += self.process_tags
        self.env = {
            "Process": {"Id": PROCESS_ID, "Owner": self.owner, "Tags": tag_list(tags)},
            "Module": {
                "Id": MODULE_ID,
                "Owner": MODULE_OWNER,
                "Tags": [{"name": n, "value": v} for n, v in MODULE_TAGS],
            },
        }
        self.steps.append(
            Step(
                self.message(
                    id=PROCESS_ID,
                    tags=tags,
                    data=self.process_data,
                    module=MODULE_ID,
                ),
                label="process",
            )
        )

    def message(
        self,
        *,
        tags: list[tuple[str, str]] | dict[str, str] | None = None,
        data: str = "",
        id: str | None = None,
        owner: str | None = None,
        frm: str | None = None,
        timestamp: int | None = None,
        height: int | None = None,
        target: str = PROCESS_ID,
        module: str | None = None,
    ) -> dict[str, Any]:
        n = len(self.steps)
        owner = owner or self.owner
        tag_dicts = tag_list(tags)
        from_process = next((t["value"] for t in tag_dicts if t["name"] == "From-Process"), None)
        msg: dict[str, Any] = {
            "Id": id or f"MSG{self.name[:12]:_<12}{n:029d}",
            "Signature": "SIG" + "x" * 40,
            "Owner": owner,
            "From": frm or from_process or owner,
            "Target": target,
            "Anchor": "",
            "Data": data,
            "Tags": tag_dicts,
            "Epoch": 0,
            "Nonce": n,
            "Timestamp": timestamp if timestamp is not None else BASE_TIMESTAMP + 1000 * n,
            "Block-Height": height if height is not None else BASE_HEIGHT + n,
            "Hash-Chain": "HASHCHAIN" + "h" * 34,
            "Cron": False,
            "Read-Only": False,
        }
        if from_process:
            msg["Forwarded-By"] = owner
        if module:
            msg["Module"] = module
        return msg

    def eval(self, code: str, *, explain: str | None = None, **fields: Any) -> Scenario:
        """An Eval from the process owner (what the shell sends for a typed line)."""
        tags = [("Action", "Eval")] + list(fields.pop("tags", []))
        self.steps.append(Step(self.message(tags=tags, data=code, **fields), explain, code))
        return self

    def send(
        self,
        tags: list[tuple[str, str]] | dict[str, str] | None = None,
        data: str = "",
        *,
        explain: str | None = None,
        **fields: Any,
    ) -> Scenario:
        """Any other message (by default from the owner)."""
        msg = self.message(tags=tags, data=data, **fields)
        self.steps.append(Step(msg, explain, json.dumps(tag_list(tags))[:80]))
        return self

    def from_process(
        self,
        sender: str,
        tags: list[tuple[str, str]] | dict[str, str] | None = None,
        data: str = "",
        *,
        explain: str | None = None,
        **fields: Any,
    ) -> Scenario:
        """A message another process sent, pushed by the authority (trusted by aos)."""
        tag_items = list(tags.items() if isinstance(tags, dict) else (tags or []))
        tag_items.append(("From-Process", sender))
        return self.send(tag_items, data, explain=explain, owner=AUTHORITY, **fields)

    def wire(self) -> dict[str, Any]:
        return {"name": self.name, "env": self.env, "messages": [s.msg for s in self.steps]}


# -- running ours --------------------------------------------------------------------------


def run_ours(scenario: Scenario) -> list[dict[str, Any]]:
    """Each message through a fresh aos.runtime.LuaProcess, as the compute unit runs it."""
    proc = LuaProcess()
    try:
        # A round trip through JSON: exactly the values the reference gets.
        wire = json.loads(json.dumps(scenario.wire()))
        return [proc.handle(msg, wire["env"]) for msg in wire["messages"]]
    finally:
        proc.close()


# -- comparing -----------------------------------------------------------------------------

# Differences on purpose that touch every message where they occur, so the comparison
# itself folds them (each is a row of the README table, under this key):
#   outbox-data  an outgoing message without Data has Data "" in ours, none in aos;
#   tag-values   a tag value given as a number or boolean is sent as its string in ours;
#   error-number an Error that is a number (Eval's `return x, 2`) is its string in ours;
#   pairs-order  outgoing Data that is JSON (json.encode of a table with several keys)
#                is compared as the value it encodes: the key order follows `pairs`.
COMPARISON_RULES = ("outbox-data", "tag-values", "error-number", "pairs-order")


def _data(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(value)
    return value


def _tags_multiset(tags: Any) -> list[tuple[str, str]]:
    if not isinstance(tags, list):
        return [("<not a list>", json.dumps(tags, sort_keys=True))]
    out = []
    for t in tags:
        if isinstance(t, dict):
            out.append((str(t.get("name")), json.dumps(_scalar_text(t.get("value")))))
        else:
            out.append(("<not a tag>", json.dumps(t, sort_keys=True)))
    return sorted(out)


def _outgoing(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return [{"<not a list>": items}]
    out = []
    for m in items:
        if not isinstance(m, dict):
            out.append({"<not a message>": m})
            continue
        out.append(
            {
                "Target": m.get("Target"),
                "Anchor": m.get("Anchor"),
                "Data": _data(m.get("Data")),
                "Tags": _tags_multiset(m.get("Tags")),
            }
        )
    return out


def _output(output: Any) -> Any:
    if isinstance(output, dict):
        return {k: output.get(k) for k in ("data", "prompt", "print", "test") if k in output}
    if output in (None, ""):
        return None
    return output


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The parts of a result a user can see, in a form both sides share."""
    if "Thrown" in result:
        # The module raised out of its handle: the compute unit records the message as
        # failed with that text, and our runtime reports an Error.
        return {"Error": result["Thrown"], "Output": None}
    error = result.get("Error")
    if isinstance(error, int | float) and not isinstance(error, bool):
        error = _scalar_text(error)
    out: dict[str, Any] = {"Error": error if error not in (None, "") else None}
    out["Output"] = _output(result.get("Output"))
    if out["Error"] is None:
        out["Messages"] = _outgoing(result.get("Messages"))
        out["Spawns"] = _outgoing(result.get("Spawns"))
        out["Assignments"] = result.get("Assignments") or []
    return out


@dataclass
class Difference:
    scenario: str
    index: int
    label: str
    explain: str | None
    field: str
    theirs: Any
    ours: Any

    def __str__(self) -> str:
        return (
            f"{self.scenario}#{self.index} ({self.label!r}) {self.field}:\n"
            f"  aos : {self.theirs!r}\n  ours: {self.ours!r}"
        )


def compare(
    scenario: Scenario, theirs: list[dict[str, Any]], ours: list[dict[str, Any]]
) -> Iterator[tuple[Step, int, list[Difference]]]:
    """For each message: its step, its index and the fields that differ (maybe none)."""
    for i, step in enumerate(scenario.steps):
        a, b = comparable(theirs[i]), comparable(ours[i])
        diffs = [
            Difference(scenario.name, i, step.label, step.explain, k, a.get(k), b.get(k))
            for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)
        ]
        yield step, i, diffs


# -- the table of differences on purpose ---------------------------------------------------

_ROW = re.compile(r"^\|\s*`([a-z0-9-]+)`\s*\|(.+)\|(.+)\|\s*$")


def explained_keys(readme: Path = README) -> dict[str, str]:
    """{key: what differs} from the table under "Differences from aos on purpose"."""
    text = readme.read_text(encoding="utf-8")
    start = text.index("## Differences from aos on purpose")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    rows = {}
    for line in section.splitlines():
        m = _ROW.match(line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def evals(name: str, codes: list[str | tuple[str, str]], **kwargs: Any) -> Scenario:
    """A scenario of Evals, one per line of code (the common shape of a corpus entry); a
    (code, key) pair is an Eval whose difference is explained under that key."""
    s = Scenario(name, **kwargs)
    for code in codes:
        if isinstance(code, tuple):
            s.eval(code[0], explain=code[1])
        else:
            s.eval(code)
    return s
