"""Avro encoding of ANS-104 tags: an array of `{name, value}` records (docs/protocol.md §1.4).

The writer produces what arbundles and the reference SU produce: one block, the zigzag
varint count, each name and value as a length-prefixed byte string, then a terminating
`0x00` (and no bytes at all for no tags). The reader also accepts several blocks and
negative block counts (followed by the block's byte size), as the Avro spec allows.
Every malformation raises `DataItemError` with the byte offset inside the item.
"""

from __future__ import annotations

from collections.abc import Sequence

from aos.errors import DataItemError

Tags = tuple[tuple[str, str], ...]

# arbundles refuses items whose tag bytes exceed this (DataItem.verify).
MAX_TAG_BYTES = 4096
# ANS-104 limits, enforced when we create items (the network's parsers do not).
MAX_TAGS = 128
MAX_TAG_NAME = 1024
MAX_TAG_VALUE = 3072

# A varint longer than this cannot be a 64-bit Avro long.
_MAX_VARINT_BYTES = 10


def zigzag_varint(value: int) -> bytes:
    """Avro `long` encoding: zigzag, then little-endian base-128."""
    n = (value << 1) ^ (value >> 63)
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def check_tags(tags: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags as a list, or DataItemError for anything ANS-104 forbids (for creating)."""
    if len(tags) > MAX_TAGS:
        raise DataItemError(f"{len(tags)} tags, ANS-104 allows at most {MAX_TAGS}", field="tags")
    checked = []
    for i, pair in enumerate(tags):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise DataItemError(
                f"tag #{i + 1} must be a (name, value) pair, got {pair!r}", field="tags"
            )
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str):
            raise DataItemError(
                f"tag #{i + 1} name and value must be text, got {pair!r}", field="tags"
            )
        if not name or not value:
            raise DataItemError(
                f"tag #{i + 1} ({name!r}) has an empty {'name' if not name else 'value'}; "
                "ANS-104 needs non-empty names and values",
                field="tags",
            )
        if len(name.encode()) > MAX_TAG_NAME or len(value.encode()) > MAX_TAG_VALUE:
            raise DataItemError(
                f"tag #{i + 1} ({name[:40]!r}) is too long: names up to {MAX_TAG_NAME} bytes, "
                f"values up to {MAX_TAG_VALUE}",
                field="tags",
            )
        checked.append((name, value))
    return checked


def encode_tags(tags: Sequence[tuple[str, str]]) -> bytes:
    """The tag bytes of a data item: empty for no tags, else one Avro block and `0x00`."""
    if not tags:
        return b""
    parts = [zigzag_varint(len(tags))]
    for name, value in tags:
        for text in (name, value):
            raw = text.encode("utf-8")
            parts.append(zigzag_varint(len(raw)))
            parts.append(raw)
    parts.append(b"\x00")
    return b"".join(parts)


def _read_long(raw: bytes | memoryview, pos: int, base: int) -> tuple[int, int]:
    end = len(raw)
    if pos >= end:
        raise DataItemError("tag bytes end inside a number", field="tags", offset=base + pos)
    b = raw[pos]
    if b < 0x80:  # the common one-byte case, no loop
        return (b >> 1) ^ -(b & 1), pos + 1
    n = 0
    shift = 0
    start = pos
    while True:
        if pos >= end:
            raise DataItemError("tag bytes end inside a number", field="tags", offset=base + start)
        if pos - start >= _MAX_VARINT_BYTES:
            raise DataItemError(
                "number in tag bytes is longer than 10 bytes", field="tags", offset=base + start
            )
        b = raw[pos]
        n |= (b & 0x7F) << shift
        shift += 7
        pos += 1
        if b < 0x80:
            return (n >> 1) ^ -(n & 1), pos


def _read_text(
    raw: bytes | memoryview, pos: int, base: int, what: str, allow_empty: bool
) -> tuple[str, int]:
    start = pos
    size, pos = _read_long(raw, pos, base)
    if size == 0 and allow_empty:
        return "", pos
    if size <= 0:
        problem = "is empty" if size == 0 else f"has negative length {size}"
        raise DataItemError(f"tag {what} {problem}", field="tags", offset=base + start)
    end = pos + size
    if end > len(raw):
        raise DataItemError(
            f"tag {what} of {size} bytes runs past the tag bytes", field="tags", offset=base + start
        )
    try:
        text = str(raw[pos:end], "utf-8")
    except UnicodeDecodeError as err:
        raise DataItemError(
            f"tag {what} is not valid UTF-8", field="tags", offset=base + pos + err.start
        ) from None
    return text, end


def decode_tags(raw: bytes | memoryview, *, base: int = 0, allow_empty: bool = False) -> Tags:
    """Decode tag bytes; `base` is their offset in the item, used in error messages.

    Names and values must be UTF-8 and, unless `allow_empty`, non-empty (ANS-104; arbundles
    and the reference SU accept empty ones). The bytes must end exactly after the
    terminating zero block.
    """
    end = len(raw)
    if end == 0:
        return ()
    tags: list[tuple[str, str]] = []
    pos = 0
    while True:
        block_at = pos
        count, pos = _read_long(raw, pos, base)
        if count == 0:
            break
        size = -1
        if count < 0:
            count = -count
            size, pos = _read_long(raw, pos, base)
            if size < 0:
                raise DataItemError(
                    f"tag block byte size is negative ({size})", field="tags", offset=base + pos
                )
        # Each record takes at least two bytes, so a larger count cannot be honest.
        if count * 2 > end - pos:
            raise DataItemError(
                f"tag block claims {count} tags but only {end - pos} bytes follow",
                field="tags",
                offset=base + block_at,
            )
        items_at = pos
        for _ in range(count):
            name, pos = _read_text(raw, pos, base, "name", allow_empty)
            value, pos = _read_text(raw, pos, base, "value", allow_empty)
            tags.append((name, value))
        if size >= 0 and pos - items_at != size:
            raise DataItemError(
                f"tag block says {size} bytes but its records take {pos - items_at}",
                field="tags",
                offset=base + block_at,
            )
    if pos != end:
        raise DataItemError(
            f"{end - pos} unexpected bytes after the end of the tags",
            field="tags",
            offset=base + pos,
        )
    return tuple(tags)
