"""The default limits, in one place: what a message, a process and a request may use.

Leaf module. The runtime enforces the process limits (counted, never timed, so a replay hits
them at the same point), the node clamps a process's own Memory-Limit tag between the bounds,
and the HTTP surface and the data-item parser refuse anything larger than MAX_ITEM_BYTES.
"""

from __future__ import annotations

MIB = 2**20

# Lua memory of one process: the default, and the range a Memory-Limit tag may ask for
# (a local node's cap keeps one process from taking the machine).
DEFAULT_MEMORY = 256 * MIB
MIN_MEMORY = 16 * MIB
MAX_MEMORY = 2**30
# Instructions one message may run (checked by a count hook).
INSTRUCTION_LIMIT = 100_000_000
# One data item, and so one HTTP body of the MU, the SU and the gateway's upload.
MAX_ITEM_BYTES = 10 * MIB
