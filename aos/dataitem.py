"""ANS-104 data items: parse, serialize, create (sign), verify, ids (docs/protocol.md §1).

Pure bytes in and out. Signing goes through the `Signer` protocol, which `aos.wallet`
satisfies, so this module never imports the wallet. Every malformation found while
parsing raises `DataItemError` naming the field and the byte offset; nothing else escapes
`parse`. The data payload is copied exactly once (a memoryview slice turned into bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aos.avro import MAX_TAG_BYTES as MAX_TAG_BYTES
from aos.avro import Tags, check_tags, decode_tags, encode_tags
from aos.deephash import data_item_message
from aos.errors import DataItemError
from aos.limits import MAX_ITEM_BYTES

# Re-exported: the signature types are part of this module's API.
from aos.signers import SIG_ARWEAVE as SIG_ARWEAVE
from aos.signers import SIG_ED25519 as SIG_ED25519
from aos.signers import SIG_ETHEREUM as SIG_ETHEREUM
from aos.signers import SIG_SOLANA as SIG_SOLANA
from aos.signers import eth_address, verify_signature

# type -> (signature length, owner length); arbundles src/constants.ts (docs/protocol.md §1.2).
SIG_CONFIG: dict[int, tuple[int, int]] = {
    1: (512, 512),
    2: (64, 32),
    3: (65, 65),
    4: (64, 32),
    5: (64, 32),
    6: (2052, 1025),
    7: (65, 42),
}

# The reference SU caps a POST body at 10 MiB.
DEFAULT_MAX_SIZE = MAX_ITEM_BYTES

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_COUNTS = struct.Struct("<QQ")


def b64url_encode(b: bytes) -> str:
    """base64url without padding, as Arweave writes ids, keys and addresses."""
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_decode(s: str) -> bytes:
    """Decode base64url with or without padding; DataItemError on anything else."""
    if not isinstance(s, str):
        raise DataItemError(f"expected base64url text, got {type(s).__name__}")
    body = s.rstrip("=")
    if len(body) % 4 == 1 or not _B64URL.fullmatch(body):
        raise DataItemError(f"not base64url: {s[:60]!r}")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise DataItemError(f"not base64url: {s[:60]!r}") from None


class Signer(Protocol):
    """Something that signs the 48-byte ANS-104 message (`aos.wallet.Wallet`, …)."""

    signature_type: int
    owner: bytes  # raw public key bytes, exactly as they go into the item

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True, repr=False)
class DataItem:
    """One parsed or created ANS-104 data item; raw fields as they are in the bytes."""

    signature_type: int
    signature: bytes
    owner: bytes
    target: bytes | None
    anchor: bytes | None
    tags: Tags
    raw_tags: bytes
    data: bytes

    def __repr__(self) -> str:
        # The default repr would print the whole payload (up to megabytes) in logs and
        # test failures; the id, the small fields and the data size say what it is.
        anchor = self.anchor_text if self.anchor_text is not None else self.anchor
        return (
            f"DataItem(id={self.id!r}, signature_type={self.signature_type}, "
            f"owner_address={self.owner_address!r}, target={self.target_id!r}, "
            f"anchor={anchor!r}, tags={self.tags!r}, data=<{len(self.data)} bytes>)"
        )

    @property
    def raw_id(self) -> bytes:
        return hashlib.sha256(self.signature).digest()

    @property
    def id(self) -> str:
        return b64url_encode(hashlib.sha256(self.signature).digest())

    @property
    def owner_address(self) -> str:
        """base64url(sha256(owner)), the address the SU reports for every type."""
        return b64url_encode(hashlib.sha256(self.owner).digest())

    @property
    def eth_address(self) -> str | None:
        """The EIP-55 address for a type-3 item (what MU and CU use), else None."""
        if self.signature_type != SIG_ETHEREUM:
            return None
        return eth_address(self.owner)

    @property
    def target_id(self) -> str | None:
        return None if self.target is None else b64url_encode(self.target)

    @property
    def anchor_text(self) -> str | None:
        """The anchor as text (arbundles writes UTF-8), None if absent or not UTF-8."""
        if self.anchor is None:
            return None
        try:
            return self.anchor.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def tag(self, name: str) -> str | None:
        """The value of the first tag called exactly `name`."""
        for tag_name, value in self.tags:
            if tag_name == name:
                return value
        return None

    def to_bytes(self) -> bytes:
        parts = [
            self.signature_type.to_bytes(2, "little"),
            self.signature,
            self.owner,
            b"\x00" if self.target is None else b"\x01" + self.target,
            b"\x00" if self.anchor is None else b"\x01" + self.anchor,
            _COUNTS.pack(len(self.tags), len(self.raw_tags)),
            self.raw_tags,
            self.data,
        ]
        return b"".join(parts)

    def signing_message(self) -> bytes:
        """The 48-byte deep hash that the signature covers (docs/protocol.md §1.3)."""
        return data_item_message(
            self.signature_type, self.owner, self.target, self.anchor, self.raw_tags, self.data
        )

    def verify(self) -> bool:
        """True if the signature is the owner's over this item; types 1-4, never raises."""
        return verify_signature(
            self.signature_type, self.signature, self.owner, self.signing_message()
        )


def _truncated(field: str, offset: int, need: int, have: int) -> DataItemError:
    return DataItemError(
        f"item is truncated: {field} needs {need} bytes but {have} remain",
        field=field,
        offset=offset,
    )


def parse(
    raw: bytes | bytearray | memoryview,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    allow_empty_tags: bool = False,
) -> DataItem:
    """Parse one binary data item; raises DataItemError (field, offset) and nothing else.

    Empty tag names or values break ANS-104 and are refused unless `allow_empty_tags`
    (arbundles signs and accepts them, so items from the wider network may carry them).
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise DataItemError(f"expected bytes, got {type(raw).__name__}")
    mv = as_byte_view(raw)
    size = len(mv)
    if size > max_size:
        raise DataItemError(
            f"item is {size} bytes, over the limit of {max_size}", field="item", offset=max_size
        )
    if size < 2:
        raise _truncated("signature type", 0, 2, size)
    signature_type = mv[0] | (mv[1] << 8)
    config = SIG_CONFIG.get(signature_type)
    if config is None:
        raise DataItemError(
            f"unknown signature type {signature_type} (expected 1-7)",
            field="signature type",
            offset=0,
        )
    sig_len, owner_len = config
    pos = 2
    if size < pos + sig_len:
        raise _truncated("signature", pos, sig_len, size - pos)
    if size < pos + sig_len + owner_len + 1:
        at = pos + sig_len
        raise _truncated("owner", at, owner_len + 1, size - at)
    signature = bytes(mv[pos : pos + sig_len])
    pos += sig_len
    owner = bytes(mv[pos : pos + owner_len])
    pos += owner_len
    target, pos = _optional32(mv, pos, "target")
    anchor, pos = _optional32(mv, pos, "anchor")
    if size < pos + 16:
        raise _truncated("tag counts", pos, 16, size - pos)
    tag_count, tag_len = _COUNTS.unpack_from(mv, pos)
    pos += 16
    if tag_len > MAX_TAG_BYTES:
        raise DataItemError(
            f"tag bytes length {tag_len} is over the limit of {MAX_TAG_BYTES}",
            field="number of tag bytes",
            offset=pos - 8,
        )
    if size < pos + tag_len:
        raise _truncated("tags", pos, tag_len, size - pos)
    raw_tags = bytes(mv[pos : pos + tag_len])
    tags = decode_tags(raw_tags, base=pos, allow_empty=allow_empty_tags)
    if len(tags) != tag_count:
        raise DataItemError(
            f"number of tags says {tag_count} but the tag bytes hold {len(tags)}",
            field="number of tags",
            offset=pos - 16,
        )
    pos += tag_len
    return DataItem(
        signature_type, signature, owner, target, anchor, tags, raw_tags, bytes(mv[pos:])
    )


def as_byte_view(raw: bytes | bytearray | memoryview) -> memoryview:
    """A flat byte view of `raw` without copying; DataItemError for strided views."""
    if not isinstance(raw, memoryview):
        return memoryview(raw)
    try:
        return raw.cast("B")
    except TypeError:
        raise DataItemError("expected contiguous bytes, got a strided memoryview") from None


def _optional32(mv: memoryview, pos: int, field: str) -> tuple[bytes | None, int]:
    if pos >= len(mv):
        raise _truncated(f"{field} presence", pos, 1, 0)
    flag = mv[pos]
    if flag == 0:
        return None, pos + 1
    if flag != 1:
        raise DataItemError(
            f"{field} presence byte is {flag}, expected 0 or 1",
            field=f"{field} presence",
            offset=pos,
        )
    if len(mv) < pos + 33:
        raise _truncated(field, pos + 1, 32, len(mv) - pos - 1)
    return bytes(mv[pos + 1 : pos + 33]), pos + 33


def _id32(value: str | bytes, field: str) -> bytes:
    try:
        raw = value if isinstance(value, bytes) else b64url_decode(value)
    except DataItemError:
        raw = b""
    if len(raw) != 32:
        raise DataItemError(
            f"{field} must be a 43-character id (32 bytes), got {value!r}", field=field
        )
    return raw


def create(
    *,
    signer: Signer,
    data: bytes | str = b"",
    target: str | None = None,
    anchor: bytes | str | None = None,
    tags: Sequence[tuple[str, str]] = (),
) -> DataItem:
    """Build and sign a data item. `target` is a base64url id; `anchor` exactly 32 bytes
    (text is UTF-8 encoded, as arbundles does). Bad input raises DataItemError."""
    config = SIG_CONFIG.get(signer.signature_type)
    if config is None:
        raise DataItemError(f"signer has unknown signature type {signer.signature_type}")
    if len(signer.owner) != config[1]:
        raise DataItemError(
            f"signer owner is {len(signer.owner)} bytes, "
            f"type {signer.signature_type} needs {config[1]}",
            field="owner",
        )
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    target_raw = None if target is None else _id32(target, "target")
    anchor_raw: bytes | None = None
    if anchor is not None:
        anchor_raw = anchor.encode("utf-8") if isinstance(anchor, str) else bytes(anchor)
        if len(anchor_raw) != 32:
            raise DataItemError(
                f"anchor must be exactly 32 bytes, got {len(anchor_raw)}", field="anchor"
            )
    checked = check_tags(tags)
    raw_tags = encode_tags(checked)
    if len(raw_tags) > MAX_TAG_BYTES:
        raise DataItemError(
            f"tags take {len(raw_tags)} bytes encoded, over the limit of {MAX_TAG_BYTES}",
            field="tags",
        )
    message = data_item_message(
        signer.signature_type, signer.owner, target_raw, anchor_raw, raw_tags, payload
    )
    signature = signer.sign(message)
    if len(signature) != config[0]:
        raise DataItemError(
            f"signer returned {len(signature)} signature bytes, type {signer.signature_type} "
            f"needs {config[0]}",
            field="signature",
        )
    return DataItem(
        signer.signature_type,
        bytes(signature),
        bytes(signer.owner),
        target_raw,
        anchor_raw,
        tuple(checked),
        raw_tags,
        payload,
    )
