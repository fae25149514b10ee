"""Result hashes and the per-process result hash chain (leaf module: the node and `aos verify`).

A compute unit's result is committed to by the SHA-256 of its canonical JSON: only the
fields a process produces (Output, Messages, Spawns, Assignments, Error), sorted keys, no
whitespace, UTF-8. Gas and memory are left out because they are not part of what a process
says. The results of one process form a chain, so the last chain hash commits to the whole
history:

    chain_0 = sha256(32 zero bytes + result_hash_0)
    chain_n = sha256(chain_{n-1} + result_hash_n)          (raw 32-byte digests)

Both are handed around as lowercase hex strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

RESULT_FIELDS = ("Output", "Messages", "Spawns", "Assignments", "Error")
GENESIS_CHAIN = "00" * 32


# The very encoder `json.dumps(..., sort_keys=True, separators=(",", ":"),
# ensure_ascii=False)` builds on every call, built once: the bytes are identical (a test
# holds them equal to json.dumps) and a replay hashes one result per message.
_encode = json.JSONEncoder(
    skipkeys=False,
    ensure_ascii=False,
    check_circular=True,
    allow_nan=True,
    indent=None,
    separators=(",", ":"),
    default=None,
    sort_keys=True,
).encode
# The shape of most results (no outbox, no error): only Output needs encoding.
_PLAIN_HEAD = '{"Assignments":[],"Messages":[],"Output":'
_PLAIN_TAIL = ',"Spawns":[]}'


def canonical_result(result: Mapping[str, Any]) -> bytes:
    """The bytes that a result hash covers."""
    if (
        "Error" not in result
        and result.get("Messages") == []
        and result.get("Spawns") == []
        and result.get("Assignments") == []
        and "Output" in result
    ):
        return (_PLAIN_HEAD + _encode(result["Output"]) + _PLAIN_TAIL).encode()
    subset = {k: result[k] for k in RESULT_FIELDS if k in result}
    return _encode(subset).encode()


def result_hash(result: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical result."""
    return hashlib.sha256(canonical_result(result)).hexdigest()


def chain_hash(previous: str, this_result_hash: str) -> str:
    """Hex SHA-256 of the previous chain hash followed by this result hash (raw bytes)."""
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(this_result_hash)).hexdigest()


def chain(result_hashes: Iterable[str], start: str = GENESIS_CHAIN) -> str:
    """The final chain hash over `result_hashes`, starting from `start`."""
    current = start
    for rh in result_hashes:
        current = chain_hash(current, rh)
    return current
