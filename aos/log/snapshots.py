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
from functools import cache
from pathlib import Path
from typing import Any

import aos.runtime
from aos.log.records import SnapshotRow
from aos.luafiles import lua_dir

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


@cache
def runtime_build() -> str:
    """A fingerprint of the code that makes and reads process states: the runtime's Lua
    modules and its Python side. A snapshot holds the runtime's own tables too, so one made
    by another build is not the state this build would reach from the same log: it is
    never restored, and `aos verify --snapshots` neither cuts at it nor compares with it
    (it is not taken for tampering either)."""
    digest = hashlib.sha256()
    runtime = Path(aos.runtime.__file__).parent
    for path in [*sorted(lua_dir().glob("*.lua")), *sorted(runtime.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def from_this_build(row: SnapshotRow) -> bool:
    """Whether `row` was made by this build of the runtime (see runtime_build)."""
    try:
        return bool(json.loads(row.evaluator).get("runtime") == runtime_build())
    except (ValueError, AttributeError):
        return False


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
    state = {**state, "runtime": runtime_build()}
    evaluator = json.dumps(state, sort_keys=True, separators=(",", ":"))
    position = int(state["position"]) - 1  # the result the state follows
    state_hash = hashlib.sha256(data).hexdigest()
    mac = _mac(key, process, nonce, position, chain_hash, state_hash, evaluator)
    return SnapshotRow(process, nonce, position, chain_hash, state_hash, evaluator, data, mac)


def problem(key: bytes | None, row: SnapshotRow) -> str | None:
    """Why `row` must not be used (None when it may): no key, a MAC that does not verify,
    bytes that do not hash to `state_hash`, an evaluator state that is not one, or a state
    made by another build of the runtime."""
    why = _sealing_problem(key, row)
    if why is None and not from_this_build(row):
        return f"the snapshot at nonce {row.nonce} was made by another build of the runtime"
    return why


def of_another_build(key: bytes | None, row: SnapshotRow) -> bool:
    """Whether `row` is a sound snapshot (its MAC and hashes check) of another build: to
    be left aside, not reported as tampered."""
    return _sealing_problem(key, row) is None and not from_this_build(row)


def _sealing_problem(key: bytes | None, row: SnapshotRow) -> str | None:
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
