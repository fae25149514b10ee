"""Verdicts: results the node decided without running the message, which every replay adopts.

A message that keeps ending the OS process that evaluates it (a crash below Lua, the kernel's
OOM killer) would otherwise be retried for ever: each restart evaluates it again. After
QUARANTINE_DEATHS such ends the node records a verdict for it (aos.node.units.quarantine):
its result is `{"Error": quarantine_error(...)}` with no outbox, and the process's state is
left as it was before it, as for any Error. A verdict is keyed like a result, by (timestamp,
ordinate, cron key): a scheduled message is (its timestamp, its nonce, ""), a cron tick
(its timestamp, the nonce before it, its key), so a replay knows it at the point where it
would run the message, and skips the runtime there (aos.log.evaluator.Evaluator).

A verdict is the node's statement, not a function of the log: the compute unit, dry-runs and
`aos verify` of a data directory read them from the store and adopt them (verify names them
in its report); an exported bundle carries none, so replaying it runs the message again.
"""

from __future__ import annotations

# (timestamp, ordinate, cron key): the key of a result and so of a verdict.
VerdictKey = tuple[int, int, str]

QUARANTINE_DEATHS = 3


def quarantine_error(deaths: int, cron: str = "") -> str:
    """The Error text of a quarantined message (or cron tick)."""
    what = "cron tick" if cron else "message"
    return f"quarantined: this {what} ended its evaluator {deaths} times"
