"""The default limits, in one place: what a message, a process and a request may use.

Leaf module. The runtime enforces the process limits (counted, never timed, so a replay hits
them at the same point; the watchdog is the one timed exception), the node clamps a
process's own Memory-Limit tag between the bounds, and the HTTP surface and the data-item
parser refuse anything larger than MAX_ITEM_BYTES.
"""

from __future__ import annotations

import os

MIB = 2**20

# Lua memory of one process: the default, and the range a Memory-Limit tag may ask for
# (a local node's cap keeps one process from taking the machine).
DEFAULT_MEMORY = 256 * MIB
MIN_MEMORY = 16 * MIB
MAX_MEMORY = 2**30
# Instructions one message may run (checked by a count hook).
INSTRUCTION_LIMIT = 100_000_000
# Seconds of wall clock one message may run before the watchdog stops it: the last line of
# defence behind the counted limits, and the one limit that is timed (see lua/README.md).
WATCHDOG_SECONDS = 10


def watchdog_seconds() -> int:
    """The watchdog the node's runtimes get: AOS_WATCHDOG (whole seconds, 0 turns it off)
    when it is set to such a number, else WATCHDOG_SECONDS. An environment variable, so that
    every OS process of `aos serve` (and a test) sees the same value."""
    value = os.environ.get("AOS_WATCHDOG", "").strip()
    return int(value) if value.isdigit() else WATCHDOG_SECONDS


# One data item, and so one HTTP body of the MU, the SU and the gateway's upload.
MAX_ITEM_BYTES = 10 * MIB
# Seconds a client has to send a whole request body: a stalled upload must not hold a
# connection and its memory for ever (the node answers 408 and drops the connection).
BODY_TIMEOUT = 30.0
# JSON in a request nests at most this deep (dry-run messages and GraphQL variables are a
# few levels deep), so nothing that walks it can run out of stack.
MAX_JSON_DEPTH = 64
