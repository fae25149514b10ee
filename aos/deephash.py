"""The Arweave deep hash (SHA-384), as used to build the ANS-104 signing message.

A blob `b` hashes to `H(H(b"blob" + len) + H(b))`; a list `L` starts from
`H(b"list" + len)` and folds in each child with `acc = H(acc + deep_hash(child))`.
Lengths are decimal ASCII. `data_item_message` is the hot path of signing and verifying,
so the hashes of the constant parts are computed once at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha384
from typing import TypeAlias

DeepHashable: TypeAlias = "bytes | bytearray | memoryview | Sequence[DeepHashable]"


def _blob(data: bytes | bytearray | memoryview) -> bytes:
    tag = sha384(b"blob%d" % len(data)).digest()
    return sha384(tag + sha384(data).digest()).digest()


def deep_hash(value: DeepHashable) -> bytes:
    """The 48-byte deep hash of a blob or a (nested) list of blobs."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _blob(value)
    acc = sha384(b"list%d" % len(value)).digest()
    for child in value:
        acc = sha384(acc + deep_hash(child)).digest()
    return acc


# The first three elements of every data item's list are constants per signature type, so
# the accumulator after them is precomputed: one sha384 per element saved on every call.
_LIST8 = sha384(b"list8").digest()


def _prefix(signature_type: int) -> bytes:
    acc = _LIST8
    for part in (b"dataitem", b"1", str(signature_type).encode()):
        acc = sha384(acc + _blob(part)).digest()
    return acc


_PREFIXES: dict[int, bytes] = {t: _prefix(t) for t in range(1, 8)}
_EMPTY_BLOB = _blob(b"")


def data_item_message(
    signature_type: int,
    owner: bytes | memoryview,
    target: bytes | memoryview | None,
    anchor: bytes | memoryview | None,
    raw_tags: bytes | memoryview,
    data: bytes | memoryview,
) -> bytes:
    """The ANS-104 signing message: deep hash of the 8-element list (docs/protocol.md §1.3)."""
    acc = _PREFIXES.get(signature_type)
    if acc is None:
        acc = _prefix(signature_type)
    for part in (owner, target, anchor, raw_tags, data):
        element = _EMPTY_BLOB if not part else _blob(part)
        acc = sha384(acc + element).digest()
    return acc
