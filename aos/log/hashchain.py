"""The hash chain of a process's schedule (docs/protocol.md §3.2.6).

Every assignment carries a Hash-Chain value that links it to the one before, so a log
cannot be reordered or cut without breaking the chain: the scheduler computes it when it
appends a slot, and `aos verify` recomputes it from the signed assignments.

    HC0 = sha256(process id)            HCn = sha256(assignment id(n-1) || HC(n-1))

(raw bytes of the base64url ids and values; the result is base64url again).
"""

from __future__ import annotations

import hashlib

from aos.dataitem import b64url_decode, b64url_encode


def first_hash_chain(process_id: str) -> str:
    """HC0: the hash chain value of a process's first scheduled entry."""
    return b64url_encode(hashlib.sha256(b64url_decode(process_id)).digest())


def next_hash_chain(previous_assignment_id: str, previous_hash_chain: str) -> str:
    """HCn from the previous entry's assignment id and hash chain value."""
    joined = b64url_decode(previous_assignment_id) + b64url_decode(previous_hash_chain)
    return b64url_encode(hashlib.sha256(joined).digest())
