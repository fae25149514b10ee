"""What a compute unit answers, as plain values: `Result` and a page of `/results`.

The CU passes `Output` through as the process returned it (docs/protocol.md §3.3.2), so several
shapes exist in the wild: aos 2.x `{data = "…", prompt = "…", print = true}`, pre-2.0 processes with
`data = {output = …, prompt = …}`, and bare strings. `Result.from_json` folds them into one shape;
`raw` keeps the original for `--json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]


def _text(value: Any) -> str:
    if value is None or value is False:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Result:
    """One evaluation: what the process printed, its prompt, its error and its outbox."""

    data: str = ""
    prompt: str | None = None
    print: bool = False
    error: str | None = None
    messages: list[JsonDict] = field(default_factory=list)
    spawns: list[JsonDict] = field(default_factory=list)
    assignments: list[JsonDict] = field(default_factory=list)
    raw: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def empty(self) -> bool:
        """True for a CU answer with neither Output nor Error (aos/ao#773: read again)."""
        return "Output" not in self.raw and self.error is None and not self.messages

    @classmethod
    def from_json(cls, obj: Any) -> Result:
        if not isinstance(obj, dict):
            return cls(error=f"the compute unit answered {_text(obj)[:200]!r}, not an object")
        error = obj.get("Error", obj.get("error"))
        output = obj.get("Output")
        data: Any = ""
        prompt: Any = None
        printed = False
        if isinstance(output, dict):
            data = output.get("data", "")
            prompt = output.get("prompt")
            printed = output.get("print") is True
            if isinstance(data, dict) and ("output" in data or "prompt" in data):
                prompt = data.get("prompt", prompt)  # a pre-2.0 process
                data = data.get("output", "")
        elif output is not None:
            data = output
        return cls(
            data=_text(data),
            prompt=prompt if isinstance(prompt, str) else None,
            print=printed,
            error=None if error in (None, "", False) else _text(error),
            messages=_list(obj.get("Messages")),
            spawns=_list(obj.get("Spawns")),
            assignments=_list(obj.get("Assignments")),
            raw=obj,
        )


def _list(value: Any) -> list[JsonDict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Edge:
    """One entry of `/results`: the opaque cursor and the evaluation."""

    cursor: str
    result: Result


@dataclass(frozen=True)
class Page:
    edges: list[Edge]
    has_next: bool


def tag_value(tags: Any, name: str) -> str | None:
    """The first value of tag `name` (case-insensitive) in a `[{name, value}]` list."""
    if isinstance(tags, dict):
        for key, value in tags.items():
            if key.lower() == name.lower():
                return str(value)
        return None
    for tag in tags or []:
        if isinstance(tag, dict) and str(tag.get("name", "")).lower() == name.lower():
            return str(tag.get("value", ""))
    return None
