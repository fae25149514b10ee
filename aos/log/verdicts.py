"""Verdicts: results the node decided without running the message, which every replay adopts.

The one record of a quarantine. Two things make the node decide a result instead of
computing it, and both are recorded the same way:

  - a message that keeps ending the OS process that evaluates it (a crash below Lua, the
    kernel's OOM killer) would otherwise be retried for ever: after QUARANTINE_DEATHS such
    ends the node records a verdict for it (aos.node.units.quarantine), with the Error
    `quarantine_error(deaths)`;
  - a message the runtime's wall-clock watchdog stopped (aos.errors.MessageStopped): where
    it stopped depends on timing, not on the log, so the evaluator that saw it rolls the
    state back to before it and the node records the verdict STOPPED_ERROR for it
    (aos.log.evaluator, then the compute unit writes it before the result).

A verdict's result is `verdict_result(error)`: that Error, no outbox, and the process's state
left as it was before the message, as for any Error. A verdict is keyed like a result, by
(timestamp, ordinate, cron key): a scheduled message is (its timestamp, its nonce, ""), a cron
tick (its timestamp, the nonce before it, its key), so a replay knows it at the point where it
would run the message, and skips the runtime there (aos.log.evaluator.Evaluator).

A verdict is the node's statement, not a function of the log: the compute unit, dry-runs,
`aos replay` and `aos verify` of a data directory read them from the store (table `verdicts`)
and adopt them, and verify names them in its report. An exported bundle carries none, so
replaying it runs the message again.
"""

from __future__ import annotations

from typing import Any

# (timestamp, ordinate, cron key): the key of a result and so of a verdict.
VerdictKey = tuple[int, int, str]

QUARANTINE_DEATHS = 3

STOPPED_ERROR = (
    "quarantined: the node stopped this evaluation because it ran longer than the wall-clock"
    " watchdog allows; it has no effect on the process's state, and every replay skips it"
)


def quarantine_error(deaths: int, cron: str = "") -> str:
    """The Error text of a message (or cron tick) that ended its evaluator `deaths` times."""
    what = "cron tick" if cron else "message"
    return f"quarantined: this {what} ended its evaluator {deaths} times"


def verdict_result(error: str) -> dict[str, Any]:
    """The raw result of an evaluation the node decided (aos.log.evaluator normalises it)."""
    return {"Output": "", "Messages": [], "Spawns": [], "Assignments": [], "Error": error}
