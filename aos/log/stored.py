"""How an item is kept in the log's `items` table: its signed bytes, once, without the owner key.

Since schema 4 the raw ANS-104 bytes are the only copy of an item (before, each item was
stored raw and again as decoded columns: 4.1 KB of a message's 7.1 KB). What used to be a
column (signature, owner, target, anchor, tags, data) is read from the bytes when a row is
read. One thing is taken out: the owner field, which is the same for every item of a
signer (512 bytes for an RSA key, more than the rest of a typical message) and is kept
once in `owner_keys`; `join_owner` puts it back, byte for byte, so `item_raw` returns
exactly what was signed and its id still checks.

The node's built-in module record is the one item without a signature; it is kept as a
small JSON record under signer 0 (`UNSIGNED`).

Nothing here does I/O: the store and the read-only reader call these on their rows.
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache

from aos.avro import decode_tags
from aos.dataitem import SIG_CONFIG, b64url_decode, b64url_encode
from aos.errors import StoreError

UNSIGNED = 0  # items.signer of the one unsigned record (no owner_keys row)
_COUNTS = struct.Struct("<QQ")


def _owner_span(body: bytes | memoryview) -> tuple[int, int]:
    """(offset, length) of the owner field in an item whose first two bytes are its type."""
    if len(body) < 2:
        raise StoreError("a stored item is shorter than its signature type")
    config = SIG_CONFIG.get(body[0] | (body[1] << 8))
    if config is None:
        raise StoreError(f"a stored item has the unknown signature type {body[0] | body[1] << 8}")
    signature_length, owner_length = config
    return 2 + signature_length, owner_length


def split_owner(raw: bytes) -> tuple[bytes, bytes]:
    """(owner key, the item's bytes without it) of a parsed, valid item."""
    at, length = _owner_span(raw)
    return raw[at : at + length], raw[:at] + raw[at + length :]


def join_owner(body: bytes, key: bytes) -> bytes:
    """The signed bytes again, from what `split_owner` gave."""
    at, length = _owner_span(body)
    if len(key) != length:
        raise StoreError(
            f"a stored owner key is {len(key)} bytes, its signature type needs {length}"
        )
    return body[:at] + key + body[at:]


# Most messages of a process repeat the same tag bytes (Action=Eval, the ao block …):
# decoding each distinct text once takes 15-25% off a cold replay. The lists are shared
# between Items, so nothing may mutate an Item's tags (nothing does: readers copy).
@lru_cache(maxsize=4096)
def _tag_dicts(raw_tags: bytes) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in decode_tags(raw_tags, allow_empty=True)]


class Fields:
    """The decoded fields of a stored item (what the `Item` record carries)."""

    __slots__ = ("signature_type", "signature", "target", "anchor", "tags", "data")

    def __init__(
        self,
        signature_type: int,
        signature: str,
        target: str | None,
        anchor: str | None,
        tags: list[dict[str, str]],
        data: bytes,
    ) -> None:
        self.signature_type = signature_type
        self.signature = signature
        self.target = target
        self.anchor = anchor
        self.tags = tags
        self.data = data


def fields(body: bytes) -> Fields:
    """Read the fields of a stored body (the bytes without the owner): a slicer, not the
    full parser, because these bytes were parsed and checked when they were stored.
    StoreError if they are damaged."""
    try:
        mv = memoryview(body)
        at, _ = _owner_span(mv)
        signature_type = mv[0] | (mv[1] << 8)
        signature = b64url_encode(bytes(mv[2:at]))
        pos = at
        target, pos = _optional(mv, pos)
        anchor_bytes, pos = _optional(mv, pos)
        _, tag_length = _COUNTS.unpack_from(mv, pos)
        pos += 16
        if pos + tag_length > len(mv):
            raise ValueError("tags run past the end")
        tags = _tag_dicts(bytes(mv[pos : pos + tag_length]))
        data = bytes(mv[pos + tag_length :])
    except (ValueError, IndexError, struct.error) as err:
        raise StoreError(f"a stored item is damaged ({err}); run aos verify") from err
    anchor = None
    if anchor_bytes is not None:
        try:
            anchor = anchor_bytes.decode("utf-8")
        except UnicodeDecodeError:
            anchor = None
    return Fields(
        signature_type,
        signature,
        None if target is None else b64url_encode(target),
        anchor,
        tags,
        data,
    )


def _optional(mv: memoryview, pos: int) -> tuple[bytes | None, int]:
    """A presence byte and, if it is 1, 32 bytes."""
    if mv[pos] == 0:
        return None, pos + 1
    if mv[pos] != 1 or pos + 33 > len(mv):
        raise ValueError(f"bad optional field at byte {pos}")
    return bytes(mv[pos + 1 : pos + 33]), pos + 33


# -- the unsigned record ---------------------------------------------------------------------
def unsigned_body(
    owner: str, tags: list[dict[str, str]], data: bytes, signature_type: int
) -> bytes:
    """The JSON that stands for an item without signed bytes (the built-in module)."""
    record = {
        "owner": owner,
        "signature_type": signature_type,
        "tags": tags,
        "data": b64url_encode(data),
    }
    return json.dumps(record, sort_keys=True).encode()


def unsigned_fields(body: bytes) -> tuple[str, Fields]:
    """(owner address, fields) of an unsigned record."""
    try:
        record = json.loads(body)
        return record["owner"], Fields(
            int(record["signature_type"]),
            "",
            None,
            None,
            list(record["tags"]),
            b64url_decode(record["data"]),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise StoreError(f"the stored record of an unsigned item is damaged ({err})") from err
