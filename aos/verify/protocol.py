"""The line protocol between `aos verify` and its replay worker (`python -m aos.verify.worker`).

The worker replays a log in a fresh runtime in its own OS process and writes one line per
event on stdout, fields separated by single spaces (ids and hashes never contain spaces;
JSON payloads come last and are written without newlines):

    r INDEX ORDINATE CRON MESSAGE_ID RESULT_HASH CHAIN_HASH   one evaluated result
    d COUNT FINAL_CHAIN_HASH                                  replay finished
    j JSON                                                    a full result (--show / --expr)
    e TEXT                                                    the worker failed (then exit 1)

INDEX counts results from 0 in evaluation order; CRON is `-` for a scheduled message.
The parent only reads; the worker needs nothing on stdin, so a pipe that fills up simply
slows the worker down to the parent's pace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NO_CRON = "-"


@dataclass(frozen=True, slots=True)
class Replayed:
    """One result as the worker computed it."""

    index: int
    ordinate: int
    cron: str | None
    message_id: str
    result_hash: str
    chain_hash: str


@dataclass(frozen=True, slots=True)
class Done:
    """The end of a replay: how many results and the final chain hash."""

    count: int
    final_hash: str


@dataclass(frozen=True, slots=True)
class Payload:
    """A full JSON value sent by the worker (a result, or the output of an expression)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Failed:
    """The worker could not replay (the text says why)."""

    text: str


Event = Replayed | Done | Payload | Failed


def format_replayed(r: Replayed) -> str:
    cron = r.cron if r.cron else NO_CRON
    return (
        f"r {r.index} {r.ordinate} {cron} {r.message_id or NO_CRON} "
        f"{r.result_hash} {r.chain_hash}\n"
    )


def format_done(count: int, final_hash: str) -> str:
    return f"d {count} {final_hash}\n"


def format_payload(value: Any) -> str:
    return "j " + json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def format_failed(text: str) -> str:
    return "e " + " ".join(text.split()) + "\n"


def parse_line(line: str) -> Event:
    """One worker line as an event; a garbled line becomes `Failed` naming it."""
    kind, _, rest = line.rstrip("\n").partition(" ")
    try:
        if kind == "r":
            index, ordinate, cron, mid, rh, ch = rest.split(" ")
            return Replayed(
                int(index),
                int(ordinate),
                None if cron == NO_CRON else cron,
                "" if mid == NO_CRON else mid,
                rh,
                ch,
            )
        if kind == "d":
            count, final = rest.split(" ")
            return Done(int(count), final)
        if kind == "j":
            return Payload(json.loads(rest))
        if kind == "e":
            return Failed(rest)
    except ValueError:
        pass
    return Failed(f"the replay worker wrote an unreadable line: {line[:200]!r}")
