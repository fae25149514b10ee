"""Every assignment on an SU page can be checked by a third party from the page alone.

Issue 12, point 11: the pages said `anchor: null` for assignments signed with a 32-byte anchor,
so the signed message could not be rebuilt. The check here is written from docs/protocol.md
§1.3-§1.6 with `cryptography` and hashlib directly (its own Avro tag encoding and deep hash),
never through aos.dataitem, so that a fault shared by the node's signer and verifier shows.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.support.ao import Ao


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _long(n: int) -> bytes:
    """Avro `long`: zigzag, then base-128 little-endian groups."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def avro_tags(tags: list[dict[str, str]]) -> bytes:
    """§1.4: one block of `count` records of (name, value), then a 0 terminator; no bytes at
    all for no tags."""
    if not tags:
        return b""
    out = bytearray(_long(len(tags)))
    for tag in tags:
        for text in (tag["name"], tag["value"]):
            raw = text.encode()
            out += _long(len(raw)) + raw
    return bytes(out + b"\x00")


def deep_hash(value: bytes | list[Any]) -> bytes:
    """§1.3, SHA-384."""

    def h(data: bytes) -> bytes:
        return hashlib.sha384(data).digest()

    if isinstance(value, bytes):
        return h(h(b"blob" + str(len(value)).encode()) + h(value))
    acc = h(b"list" + str(len(value)).encode())
    for child in value:
        acc = h(acc + deep_hash(child))
    return acc


def check(node: dict[str, Any], data: bytes) -> None:
    """Rebuild the signed message of one item of a page and verify its signature and id."""
    key, signature = unb64(node["owner"]["key"]), unb64(node["signature"])
    kind = {32: 2, 512: 1}[len(key)]  # §1.2: Ed25519 or Arweave RSA-4096
    target = unb64(node["target"]) if node.get("target") else b""
    anchor = node["anchor"].encode() if node.get("anchor") else b""
    message = deep_hash([b"dataitem", b"1", str(kind).encode(), key, target, anchor,
                         avro_tags(node["tags"]), data])  # fmt: skip
    if kind == 2:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    else:
        public = rsa.RSAPublicNumbers(65537, int.from_bytes(key, "big")).public_key()
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        public.verify(signature, message, pss, hashes.SHA256())
    assert b64(hashlib.sha256(signature).digest()) == node["id"]
    assert b64(hashlib.sha256(key).digest()) == node["owner"]["address"]


def test_every_assignment_and_message_of_a_page_verifies_independently(ao: Ao) -> None:
    rsa_user = Ao(ao.http, None)
    pid = ao.spawn(data="Handlers.add('p', function(m) return m.Action == 'P' end,"
                        " function(m) m.reply({ Data = 'pong' }) end)",
                   tags=[("On-Boot", "Data")])  # fmt: skip
    other = rsa_user.spawn()
    for i in range(3):
        ao.send(pid, f"return {i}")
    # a message pushed by the node (signed with its RSA wallet), and the reply it gets
    rsa_user.send(other, f"Send({{ Target = '{pid}', Action = 'P' }})")
    ao.drain()
    page = ao.http.get(f"/su/{pid}", params={"process-id": pid}).json()
    edges = page["edges"]
    assert len(edges) == 5
    assert any(len(unb64(e["node"]["message"]["owner"]["key"])) == 512 for e in edges)
    for edge in edges:
        assignment = edge["node"]["assignment"]
        assert assignment["anchor"] is not None and len(assignment["anchor"].encode()) == 32
        check(assignment, b"")
        message = edge["node"]["message"]
        check(message, message["data"].encode())
    # and the single-entry, latest and nonce-mode answers carry the same anchor
    last = edges[-1]["node"]["assignment"]
    one = ao.http.get(f"/su/{last['id']}", params={"process-id": pid}).json()["assignment"]
    assert one == last
    assert ao.http.get(f"/su/{pid}/latest").json()["assignment"] == last
    by_nonce = ao.http.get(f"/su/{pid}", params={"from-nonce": "-1"}).json()["edges"]
    assert [e["node"]["assignment"] for e in by_nonce] == [e["node"]["assignment"] for e in edges]


def test_a_tampered_field_fails_the_independent_check(ao: Ao) -> None:
    pid = ao.spawn()
    node = ao.http.get(f"/su/{pid}").json()["edges"][0]["node"]["assignment"]
    for field, value in (("anchor", "x" * 32), ("tags", node["tags"][:-1])):
        bad = dict(node, **{field: value})
        try:
            check(bad, b"")
        except InvalidSignature:
            continue
        raise AssertionError(f"a changed {field} still verified")
