"""aos.bundle: ANS-104 binary bundles built, parsed and verified."""

from __future__ import annotations

import pytest

from aos.bundle import build_bundle, parse_bundle, verify_bundle
from aos.dataitem import DataItem, create
from aos.errors import DataItemError
from aos.signers import EthereumSigner
from aos.wallet import Ed25519Signer, Wallet


@pytest.fixture(scope="module")
def items() -> list[DataItem]:
    wallet = Wallet.generate()
    return [
        create(signer=wallet, data="process", tags=[("Type", "Process")]),
        create(signer=Ed25519Signer.generate(), data=b"", anchor="a" * 32),
        create(signer=EthereumSigner.generate(), data=bytes(range(256)), target=wallet.address),
    ]


def test_layout(items: list[DataItem]) -> None:
    raw = build_bundle(items)
    assert int.from_bytes(raw[:32], "little") == 3
    first = items[0].to_bytes()
    assert int.from_bytes(raw[32:64], "little") == len(first)
    assert raw[64:96] == items[0].raw_id
    body = 32 + 3 * 64
    assert raw[body : body + len(first)] == first
    assert len(raw) == body + sum(len(i.to_bytes()) for i in items)


def test_round_trip_and_verify(items: list[DataItem]) -> None:
    raw = build_bundle(items)
    assert parse_bundle(raw) == items
    assert verify_bundle(raw) == items
    assert parse_bundle(build_bundle([])) == []


def test_nested_bundle_as_data(items: list[DataItem]) -> None:
    signer = Ed25519Signer.generate()
    outer = create(
        signer=signer,
        data=build_bundle(items),
        tags=[("Bundle-Format", "binary"), ("Bundle-Version", "2.0.0")],
    )
    assert [i.id for i in verify_bundle(outer.data)] == [i.id for i in items]


def test_wrong_header_id(items: list[DataItem]) -> None:
    raw = bytearray(build_bundle(items))
    raw[64] ^= 1
    with pytest.raises(DataItemError, match="item 0 id does not match") as info:
        parse_bundle(bytes(raw))
    assert info.value.offset == 32


def test_bad_signature_is_named(items: list[DataItem]) -> None:
    bad = items[1]
    forged = DataItem(
        bad.signature_type, bad.signature, bad.owner, bad.target, bad.anchor, bad.tags,
        bad.raw_tags, b"forged",
    )  # fmt: skip
    raw = build_bundle([items[0], forged])
    assert len(parse_bundle(raw)) == 2
    with pytest.raises(DataItemError, match="item 1 .* invalid signature"):
        verify_bundle(raw)


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda raw: raw[:20], "truncated"),
        (lambda raw: raw[:-1], "truncated"),
        (lambda raw: raw + b"\x00", "unexpected bytes after the last item"),
        (lambda raw: (10**6).to_bytes(32, "little") + raw[32:], "claims 1000000 items"),
        (lambda raw: raw[:31] + b"\x01" + raw[32:], "absurdly large"),
        (lambda raw: raw[:32] + (5).to_bytes(32, "little") + raw[64:], "item 0"),
    ],
)
def test_malformed_bundles(items: list[DataItem], mutate: object, words: str) -> None:
    raw = build_bundle(items)
    with pytest.raises(DataItemError, match=words):
        parse_bundle(mutate(raw))  # type: ignore[operator]


def test_non_bytes() -> None:
    with pytest.raises(DataItemError, match="expected bytes"):
        parse_bundle([1, 2])  # type: ignore[arg-type]


def test_items_with_empty_tag_values_on_request() -> None:
    from aos.avro import encode_tags

    signer = Ed25519Signer.generate()
    item = create(signer=signer, data="x")
    raw_tags = encode_tags([("Empty", "")])
    forged = DataItem(2, item.signature, item.owner, None, None, (("Empty", ""),), raw_tags, b"x")
    raw = build_bundle([forged])
    with pytest.raises(DataItemError, match="tag value is empty"):
        parse_bundle(raw)
    assert parse_bundle(raw, allow_empty_tags=True) == [forged]
