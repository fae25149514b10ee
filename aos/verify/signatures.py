"""Checking every signature of a log, on several cores when the log is long.

Signature checks are most of the cost of `aos verify` on the log side (~0.1 ms for each
Ed25519 or RSA signature, two per entry), and each is independent of the others, so a
long log is split into chunks checked by a pool of processes. The answer is the same as a
sequential check: the first entry (by position) with a bad signature.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # logcheck imports this module; the entry type is only named here
    from aos.verify.logcheck import LogEntry

PARALLEL_MIN = 4096  # below this, starting processes costs more than it saves
CHUNK = 512


def signature_defect(entry: LogEntry) -> str | None:
    """What is wrong with the signatures of one entry (None if both verify)."""
    if entry.assignment is not None and not entry.assignment.verify():
        return f"the signature of the assignment {entry.assignment.id} does not verify"
    if entry.item is not None and not entry.item.verify():
        return f"the signature of the message {entry.item.id} does not verify"
    return None


def _first_in_chunk(chunk: list[tuple[int, LogEntry]]) -> tuple[int, str] | None:
    for position, entry in chunk:
        what = signature_defect(entry)
        if what is not None:
            return position, what
    return None


def _sequential(
    entries: Sequence[LogEntry], progress: Callable[[int], None] | None
) -> tuple[int, str] | None:
    for position, entry in enumerate(entries):
        what = signature_defect(entry)
        if what is not None:
            return position, what
        if progress is not None and position % 256 == 255:
            progress(position + 1)
    return None


def first_bad_signature(
    entries: Sequence[LogEntry],
    *,
    progress: Callable[[int], None] | None = None,
    parallel_min: int = PARALLEL_MIN,
) -> tuple[int, str] | None:
    """(position, what) of the first entry whose assignment or message signature fails."""
    cores = os.cpu_count() or 1
    if len(entries) < parallel_min or cores < 2:
        return _sequential(entries, progress)
    pairs = list(enumerate(entries))
    chunks = [pairs[start : start + CHUNK] for start in range(0, len(pairs), CHUNK)]
    # fork: the children need nothing but the entries they are handed, and start at once.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=min(cores, 8), mp_context=context) as pool:
        done = 0
        for found in pool.map(_first_in_chunk, chunks):
            if found is not None:
                pool.shutdown(wait=False, cancel_futures=True)
                return found
            done = min(done + CHUNK, len(entries))
            if progress is not None:
                progress(done)
    return None
