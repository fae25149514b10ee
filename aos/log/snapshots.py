"""Stored snapshots: sealing a process state for the store, and checking one before use.

A snapshot is an optimisation, never a source of truth (docs/snapshots.md): whoever uses
one checks it first, and anything wrong with it means "replay from an earlier point".
Restoring a snapshot loads Lua bytecode, and Lua does not verify bytecode, so a snapshot
is used only when its MAC verifies with the data directory's snapshot key
(`snapshot.key`, 32 random bytes, mode 0600, created on first use): bytes written by
anyone without that key are never loaded. The MAC covers every field. `state_hash` (the
SHA-256 of the bytes) is what segment checks of `aos verify` compare, and `chain_hash`
ties the snapshot to the result chain at its position.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from aos.log.records import SnapshotRow

KEY_FILE = "snapshot.key"


def snapshot_key(data_dir: Path, *, create: bool) -> bytes | None:
    """The data directory's snapshot key; made if `create` and missing, else None."""
    path = Path(data_dir) / KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        key = path.read_bytes()
    return key if len(key) == 32 else None


def _mac(key: bytes, process: str, nonce: int, position: int, chain_hash: str,
         state_hash: str, evaluator: str) -> str:  # fmt: skip
    fields = json.dumps([process, nonce, position, chain_hash, state_hash, evaluator])
    return hmac.new(key, fields.encode(), hashlib.sha256).hexdigest()


def seal(
    key: bytes,
    process: str,
    nonce: int,
    chain_hash: str,
    state: dict[str, Any],
    data: bytes,
) -> SnapshotRow:
    """A snapshot row for the store from an evaluator's `snapshot()`."""
    evaluator = json.dumps(state, sort_keys=True, separators=(",", ":"))
    position = int(state["position"]) - 1  # the result the state follows
    state_hash = hashlib.sha256(data).hexdigest()
    mac = _mac(key, process, nonce, position, chain_hash, state_hash, evaluator)
    return SnapshotRow(process, nonce, position, chain_hash, state_hash, evaluator, data, mac)


def problem(key: bytes | None, row: SnapshotRow) -> str | None:
    """Why `row` must not be used (None when it may): no key, a MAC that does not verify,
    bytes that do not hash to `state_hash`, an evaluator state that is not one."""
    if key is None:
        return "there is no snapshot key in the data directory"
    expected = _mac(key, row.process, row.nonce, row.position, row.chain_hash,
                    row.state_hash, row.evaluator)  # fmt: skip
    if not hmac.compare_digest(expected, row.mac):
        return f"the snapshot at nonce {row.nonce} does not carry this data directory's MAC"
    if hashlib.sha256(row.data).hexdigest() != row.state_hash:
        return f"the bytes of the snapshot at nonce {row.nonce} do not match its hash"
    try:
        state = json.loads(row.evaluator)
        if int(state["position"]) - 1 != row.position or state["chain"] != row.chain_hash:
            return f"the snapshot at nonce {row.nonce} disagrees with its evaluator state"
    except (ValueError, KeyError, TypeError):
        return f"the evaluator state of the snapshot at nonce {row.nonce} is malformed"
    return None


def evaluator_state(row: SnapshotRow) -> dict[str, Any]:
    """The evaluator state of a checked row."""
    state: dict[str, Any] = json.loads(row.evaluator)
    return state
