"""The wall clock in milliseconds, and the local block heights derived from it.

A scheduler stamps each slot with `now_ms()` and a block height derived from it; nothing
in a process ever reads the clock itself (its `os.time` is the slot's timestamp). Local
blocks are two minutes long, anchored so that heights look like Arweave's (~1.3 M in
2024); the same millisecond gives the same height on every node and after every restart.
Leaf module (it imports only aos.protocol): the client stamps its spawns with it too.
"""

from __future__ import annotations

import time

from aos.protocol import LOCAL_BLOCK_MS as BLOCK_MS

_HEIGHT_ANCHOR_MS = 1_700_000_000_000
_HEIGHT_ANCHOR = 1_300_000


def now_ms() -> int:
    """Milliseconds since the epoch, from the wall clock."""
    return time.time_ns() // 1_000_000


def block_height_at(ms: int) -> int:
    """The local block current at `ms`."""
    return _HEIGHT_ANCHOR + (ms - _HEIGHT_ANCHOR_MS) // BLOCK_MS


def block_timestamp(height: int) -> int:
    """Seconds since the epoch at which local block `height` starts."""
    return (_HEIGHT_ANCHOR_MS + (height - _HEIGHT_ANCHOR) * BLOCK_MS) // 1000
