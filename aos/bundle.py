"""ANS-104 binary bundles: many data items in one blob (docs/protocol.md §1.9).

Layout: u256 LE item count N; N headers of (u256 LE item size, 32-byte raw id); then the
items back to back. Readers use the low 8 bytes of each u256; we require the high bytes to
be zero, since a non-zero value would be a size no machine can hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from aos.dataitem import DEFAULT_MAX_SIZE, DataItem, as_byte_view, parse
from aos.errors import DataItemError

_U256 = 32
_HEADER = 64


def _u256(value: int) -> bytes:
    return value.to_bytes(_U256, "little")


def build_bundle(items: Sequence[DataItem]) -> bytes:
    """Serialize `items` as a binary bundle."""
    blobs = [item.to_bytes() for item in items]
    parts = [_u256(len(blobs))]
    for item, blob in zip(items, blobs, strict=True):
        parts.append(_u256(len(blob)))
        parts.append(item.raw_id)
    parts.extend(blobs)
    return b"".join(parts)


def _read_u256(mv: memoryview, pos: int, field: str) -> int:
    if len(mv) < pos + _U256:
        raise DataItemError(f"bundle is truncated: {field} needs 32 bytes", field=field, offset=pos)
    if any(mv[pos + 8 : pos + _U256]):
        raise DataItemError(f"bundle {field} is absurdly large", field=field, offset=pos)
    return int.from_bytes(mv[pos : pos + 8], "little")


def parse_bundle(
    raw: bytes | bytearray | memoryview,
    *,
    max_item_size: int = DEFAULT_MAX_SIZE,
    allow_empty_tags: bool = False,
) -> list[DataItem]:
    """Parse a binary bundle; DataItemError on bad bytes, a wrong id, or trailing bytes.

    Error offsets are positions in the bundle. Signatures are not checked here: call
    `verify()` on each item (or `verify_bundle`). `allow_empty_tags` is passed to `parse`.
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise DataItemError(f"expected bytes, got {type(raw).__name__}")
    mv = as_byte_view(raw)
    count = _read_u256(mv, 0, "item count")
    pos = _U256 + count * _HEADER
    if pos > len(mv):
        raise DataItemError(
            f"bundle claims {count} items but is only {len(mv)} bytes",
            field="item count",
            offset=0,
        )
    items: list[DataItem] = []
    for i in range(count):
        head = _U256 + i * _HEADER
        size = _read_u256(mv, head, f"item {i} size")
        raw_id = bytes(mv[head + _U256 : head + _HEADER])
        if len(mv) < pos + size:
            raise DataItemError(
                f"bundle is truncated: item {i} needs {size} bytes", field=f"item {i}", offset=pos
            )
        try:
            item = parse(
                mv[pos : pos + size], max_size=max_item_size, allow_empty_tags=allow_empty_tags
            )
        except DataItemError as err:
            at = pos + err.offset if err.offset is not None else pos
            raise DataItemError(f"item {i}: {err}", field=f"item {i}", offset=at) from None
        if item.raw_id != raw_id:
            raise DataItemError(
                f"item {i} id does not match the bundle header", field=f"item {i} id", offset=head
            )
        items.append(item)
        pos += size
    if pos != len(mv):
        raise DataItemError(
            f"{len(mv) - pos} unexpected bytes after the last item", field="bundle", offset=pos
        )
    return items


def verify_bundle(raw: bytes | bytearray | memoryview) -> list[DataItem]:
    """Parse a bundle and check every signature; DataItemError names the first bad item."""
    items = parse_bundle(raw)
    for i, item in enumerate(items):
        if not item.verify():
            raise DataItemError(f"item {i} ({item.id}) has an invalid signature", field=f"item {i}")
    return items
