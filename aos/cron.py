"""The cron tags of a process (docs/protocol.md §2.1): `Cron-Interval` and `Cron-Tag-*`.

One grammar for everyone who reads them: the shell checks a `--cron` flag with it before it
spawns, and the evaluator derives a process's cron ticks from its spawn tags with it. The
evaluator's reading is part of what a replay must reproduce, so this grammar only grows
in ways that keep every value it accepted meaning what it meant. It imports only
aos.protocol.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aos.protocol import LOCAL_BLOCK_MS

_UNIT_MS = {
    "millisecond": 1,
    "second": 1000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    "month": 30 * 86_400_000,
    "year": 365 * 86_400_000,
    "block": LOCAL_BLOCK_MS,
}
_INTERVAL = re.compile(r"^\s*(\d+)\s*-\s*([a-zA-Z]+?)s?\s*$")


def parse_interval(text: str) -> int:
    """Milliseconds of a Cron-Interval value like `10-minutes`; ValueError names the value."""
    m = _INTERVAL.match(text)
    if m is None or m.group(2).lower() not in _UNIT_MS:
        raise ValueError(f"Cron-Interval {text!r} is not N-unit (e.g. 10-minutes, 5-blocks)")
    ms = int(m.group(1)) * _UNIT_MS[m.group(2).lower()]
    if ms <= 0:
        raise ValueError(f"Cron-Interval {text!r} must be positive")
    return ms


@dataclass(frozen=True, slots=True)
class CronDef:
    index: int
    interval: str
    ms: int
    tags: list[dict[str, str]]

    @property
    def key_suffix(self) -> str:
        return f"{self.index}-{self.interval}"


def parse_crons(tags: Iterable[Mapping[str, str]]) -> list[CronDef]:
    """Cron definitions: each Cron-Interval starts one; Cron-Tag-X=V tags that follow it
    (or precede the first) become its message tags X=V. Malformed intervals are ignored."""
    defs: list[tuple[str, int, list[dict[str, str]]]] = []
    orphan: list[dict[str, str]] = []
    for t in tags:
        name, value = t["name"], t["value"]
        if name == "Cron-Interval":
            try:
                ms = parse_interval(value)
            except ValueError:
                continue
            defs.append((value, ms, list(orphan) if not defs else []))
        elif name.startswith("Cron-Tag-") and len(name) > len("Cron-Tag-"):
            tag = {"name": name[len("Cron-Tag-") :], "value": value}
            (defs[-1][2] if defs else orphan).append(tag)
    return [CronDef(i, v, ms, tg) for i, (v, ms, tg) in enumerate(defs)]
