"""aos.dataitem against the ANS-104 vectors, every validation rule, and round trips."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aos.avro import encode_tags
from aos.dataitem import (
    DEFAULT_MAX_SIZE,
    SIG_ARWEAVE,
    SIG_ED25519,
    SIG_ETHEREUM,
    DataItem,
    b64url_decode,
    b64url_encode,
    create,
    parse,
)
from aos.errors import DataItemError
from aos.signers import EthereumSigner, eth_address, keccak256
from aos.wallet import Ed25519Signer, Wallet

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "ans104.json").read_text(encoding="utf-8")
)["items"]
IDS = [v["name"] for v in VECTORS]
_ED25519 = Ed25519Signer.from_private_bytes(b"\x01" * 32)


@pytest.fixture(scope="module")
def wallet() -> Wallet:
    return Wallet.generate()


def raw_of(vector: dict[str, Any]) -> bytes:
    return b64url_decode(vector["raw"])


# --- the vectors ------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_parses_to_its_fields(vector: dict[str, Any]) -> None:
    item = parse(raw_of(vector))
    assert item.id == vector["id"]
    assert b64url_encode(item.raw_id) == vector["id"]
    assert item.owner_address == vector["owner_address"]
    assert item.signature_type == vector["signature_type"]
    if "target" in vector:
        assert item.target_id == vector["target"]
    if "anchor" in vector:
        assert item.anchor_text == vector["anchor"]
    if "tags" in vector:
        assert item.tags == tuple(tuple(t) for t in vector["tags"])
        assert item.raw_tags == encode_tags(item.tags)
    if "data_utf8" in vector:
        assert item.data == vector["data_utf8"].encode()
    if "deep_hash_hex" in vector:
        assert item.signing_message().hex() == vector["deep_hash_hex"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_verifies_and_reserializes_exactly(vector: dict[str, Any]) -> None:
    raw = raw_of(vector)
    item = parse(raw)
    assert item.verify()
    assert item.to_bytes() == raw


def test_spec_offsets_of_su_message() -> None:
    """docs/protocol.md §1.8: presence at 1026, tag count 5 at 1060, 72 tag bytes, data at 1148."""
    raw = raw_of(VECTORS[0])
    assert len(raw) == 1152 and raw[1026] == 1 and raw[1059] == 0
    assert struct.unpack_from("<QQ", raw, 1060) == (5, 72)
    assert raw[1148:] == b"6583"


def test_repr_is_short() -> None:
    item = parse(raw_of(VECTORS[0]))
    text = repr(item)
    assert text.startswith(f"DataItem(id={item.id!r}, signature_type=1,")
    assert "data=<4 bytes>" in text and len(text) < 400


def test_assignment_anchor_is_raw_bytes_not_text() -> None:
    item = parse(raw_of(VECTORS[1]))
    assert item.anchor is not None and len(item.anchor) == 32
    assert item.tag("Nonce") == "1" and item.tag("Missing") is None
    assert item.data == b""


def _flipped(raw: bytes, pos: int, mask: int) -> bytes:
    return raw[:pos] + bytes((raw[pos] ^ mask,)) + raw[pos + 1 :]


def _rejected(raw: bytes) -> bool:
    try:
        return not parse(raw).verify()
    except DataItemError:
        return True


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_any_flipped_byte_is_rejected(vector: dict[str, Any]) -> None:
    """Every byte position (signature, owner, presence, counts, tags, data), two masks."""
    raw = raw_of(vector)
    accepted = [
        (pos, mask)
        for pos in range(len(raw))
        for mask in (0x01, 0x80)
        if not _rejected(_flipped(raw, pos, mask))
    ]
    assert accepted == []


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_truncations_and_extensions_are_rejected(vector: dict[str, Any]) -> None:
    raw = raw_of(vector)
    for cut in (0, 1, 2, 100, 514, 1025, 1026, 1060, len(raw) - 1):
        assert _rejected(raw[:cut]), cut
    assert _rejected(raw + b"\x00")


# --- validation: one error class, naming field and offset --------------------------------


def _item_bytes(
    *,
    sig_type: int = 2,
    target: bytes = b"\x00",
    anchor: bytes = b"\x00",
    counts: tuple[int, int] | None = None,
    tags: bytes = b"",
    data: bytes = b"payload",
) -> bytes:
    """Hand-assembled type-2 item bytes (signature not valid), for parser tests."""
    n_tags, n_bytes = counts if counts is not None else (0, len(tags))
    return (
        sig_type.to_bytes(2, "little")
        + b"\x11" * 64
        + b"\x22" * 32
        + target
        + anchor
        + struct.pack("<QQ", n_tags, n_bytes)
        + tags
        + data
    )


def _error(raw: bytes, **kwargs: Any) -> DataItemError:
    with pytest.raises(DataItemError) as info:
        parse(raw, **kwargs)
    return info.value


def test_hand_assembled_item_parses() -> None:
    tags = encode_tags([("A", "b")])
    item = parse(_item_bytes(tags=tags, counts=(1, len(tags))))
    assert item.signature_type == SIG_ED25519 and item.tags == (("A", "b"),)
    assert item.data == b"payload" and not item.verify()


@pytest.mark.parametrize(
    ("raw", "field", "offset", "words"),
    [
        (b"", "signature type", 0, "truncated"),
        (b"\x01", "signature type", 0, "truncated"),
        (b"\x09\x00" + b"\x00" * 200, "signature type", 0, "unknown signature type 9"),
        (b"\x00\x00" + b"\x00" * 200, "signature type", 0, "unknown signature type 0"),
        (b"\x01\x00" + b"\x00" * 300, "signature", 2, "truncated"),
        (b"\x02\x00" + b"\x00" * 80, "owner", 66, "needs 33 bytes but 16 remain"),
    ],
)
def test_header_errors(raw: bytes, field: str, offset: int, words: str) -> None:
    err = _error(raw)
    assert (err.field, err.offset) == (field, offset)
    assert words in str(err)


def test_presence_bytes_must_be_zero_or_one() -> None:
    err = _error(_item_bytes(target=b"\x02"))
    assert (err.field, err.offset) == ("target presence", 98)
    assert "expected 0 or 1" in str(err)
    err = _error(_item_bytes(anchor=b"\xff"))
    assert (err.field, err.offset) == ("anchor presence", 99)


def test_present_target_must_have_32_bytes() -> None:
    err = _error(_item_bytes(target=b"\x01" + b"t" * 10, anchor=b"", counts=(0, 0), data=b""))
    assert err.field == "target" and err.offset == 99


def test_tag_count_must_match() -> None:
    tags = encode_tags([("A", "b"), ("C", "d")])
    err = _error(_item_bytes(tags=tags, counts=(3, len(tags))))
    assert err.field == "number of tags" and "says 3" in str(err) and "hold 2" in str(err)
    err = _error(_item_bytes(tags=b"", counts=(1, 0)))
    assert err.field == "number of tags"


def test_tag_bytes_over_4096_rejected() -> None:
    err = _error(_item_bytes(counts=(0, 4097), data=b"x" * 5000))
    assert err.field == "number of tag bytes" and "4096" in str(err)


def test_absurd_tag_byte_length_is_truncation() -> None:
    err = _error(_item_bytes(counts=(1, 4000), data=b"short"))
    assert err.field == "tags" and "truncated" in str(err)
    err = _error(_item_bytes(counts=(1, 2**64 - 1)))
    assert err.field == "number of tag bytes"


@pytest.mark.parametrize(
    ("tags", "words", "offset_in_tags"),
    [
        (b"\x02\x00\x04hi\x00", "name is empty", 1),
        (b"\x02\x04hi\x00\x00", "value is empty", 4),
        (b"\x02\x01\x04hi\x00", "negative length -1", 1),
        (b"\x02\x04\xff\xfe\x04hi\x00", "not valid UTF-8", 2),
        (b"\x02\x04hi\x04hi\x00\x00", "1 unexpected bytes", 8),
        (b"\x02\x04hi\x04hi", "end inside a number", 7),
        (b"\x02\x40hi\x04hi\x00", "runs past", 1),
        (b"\x7e\x04hi\x04hi\x00", "claims 63 tags", 0),
        (b"\x02" + b"\xff" * 11, "longer than 10 bytes", 1),
    ],
)
def test_bad_tag_bytes(tags: bytes, words: str, offset_in_tags: int) -> None:
    err = _error(_item_bytes(tags=tags, counts=(1, len(tags))))
    assert err.field == "tags"
    assert words in str(err)
    assert err.offset == 116 + offset_in_tags  # tags start after 2+64+32+1+1+16


def test_size_limit() -> None:
    raw = _item_bytes(data=b"x" * 1000)
    assert parse(raw, max_size=len(raw)).data == b"x" * 1000
    err = _error(raw, max_size=len(raw) - 1)
    assert err.field == "item" and "over the limit" in str(err)
    assert DEFAULT_MAX_SIZE == 10 * 1024 * 1024


def test_non_bytes_input() -> None:
    with pytest.raises(DataItemError, match="expected bytes"):
        parse("text")  # type: ignore[arg-type]
    with pytest.raises(DataItemError, match="contiguous"):
        parse(memoryview(_item_bytes())[::2])


def test_empty_tags_only_when_allowed() -> None:
    """ANS-104 forbids them, arbundles signs them: refused by default, accepted on request."""
    tags = b"\x04\x0aEmpty\x00\x02x\x02y\x00"
    raw = _item_bytes(tags=tags, counts=(2, len(tags)))
    assert "tag value is empty" in str(_error(raw))
    item = parse(raw, allow_empty_tags=True)
    assert item.tags == (("Empty", ""), ("x", "y")) and item.to_bytes() == raw


def test_b64url() -> None:
    assert b64url_encode(b"\xfb\xff") == "-_8"
    assert b64url_decode("-_8") == b"\xfb\xff" == b64url_decode("-_8=")
    for junk in ("a", "ab!c", "ab+/", "é"):
        with pytest.raises(DataItemError, match="not base64url"):
            b64url_decode(junk)


def test_parse_copies_the_payload_at_most_once() -> None:
    payload = b"\xab" * (8 * 1024 * 1024)
    raw = _item_bytes(data=payload)
    tracemalloc.start()
    try:
        item = parse(memoryview(raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert item.data == payload
    assert peak < len(payload) * 1.1


# --- create and round trips ---------------------------------------------------------------


def test_create_round_trip_with_every_field(wallet: Wallet) -> None:
    target = b64url_encode(bytes(range(32)))
    item = create(
        signer=wallet,
        data=bytes(range(256)),
        target=target,
        anchor="0" * 32,
        tags=[("Action", "Eval"), ("Name", "ünïcødé ✓"), ("Action", "Again")],
    )
    raw = item.to_bytes()
    again = parse(raw)
    assert again == item
    assert again.verify()
    assert again.signature_type == SIG_ARWEAVE and len(again.signature) == 512
    assert again.target_id == target and again.anchor_text == "0" * 32
    assert again.owner_address == wallet.address
    assert again.tag("Action") == "Eval"


def test_create_minimal(wallet: Wallet) -> None:
    item = create(signer=wallet)
    assert item.data == b"" and item.tags == () and item.raw_tags == b""
    assert item.target is None and item.anchor is None
    assert parse(item.to_bytes()) == item and item.verify()


def test_rsa_signatures_use_maximum_salt_and_differ(wallet: Wallet) -> None:
    a = create(signer=wallet, data="x")
    b = create(signer=wallet, data="x")
    assert a.id != b.id and a.verify() and b.verify()  # PSS is randomized


@pytest.mark.parametrize("kind", ["ed25519", "ethereum"])
def test_other_signature_types_round_trip(kind: str) -> None:
    signer = Ed25519Signer.generate() if kind == "ed25519" else EthereumSigner.generate()
    item = create(signer=signer, data=b"\x00\x01", tags=[("K", "v")], anchor=b"\x07" * 32)
    assert parse(item.to_bytes()) == item and item.verify()
    tampered = DataItem(
        item.signature_type, item.signature, item.owner, None, item.anchor, item.tags,
        item.raw_tags, b"\x00\x02",
    )  # fmt: skip
    assert not tampered.verify()


def test_ethereum_item_addresses() -> None:
    signer = EthereumSigner.generate()
    item = create(signer=signer, data="hi")
    assert item.signature_type == SIG_ETHEREUM
    assert item.eth_address == signer.address and item.eth_address.startswith("0x")
    assert len(item.owner_address) == 43
    assert parse(create(signer=Ed25519Signer.generate()).to_bytes()).eth_address is None


@settings(max_examples=40, deadline=None, database=None)
@given(
    data=st.binary(max_size=300),
    target=st.none() | st.binary(min_size=32, max_size=32).map(b64url_encode),
    anchor=st.none() | st.binary(min_size=32, max_size=32),
    tags=st.lists(
        st.tuples(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20)), max_size=8
    ),
)
def test_create_parse_round_trip_property(
    data: bytes, target: str | None, anchor: bytes | None, tags: list[tuple[str, str]]
) -> None:
    item = create(signer=_ED25519, data=data, target=target, anchor=anchor, tags=tags)
    again = parse(item.to_bytes())
    assert again == item and again.verify()
    assert (again.data, again.target_id, again.anchor, list(again.tags)) == (
        data, target, anchor, tags,
    )  # fmt: skip


def test_ethereum_bad_v_rejected() -> None:
    item = create(signer=EthereumSigner.generate(), data="hi")
    for v in (0, 1, 29):
        bad = DataItem(
            item.signature_type, item.signature[:64] + bytes((v,)), item.owner, None, None,
            (), b"", item.data,
        )  # fmt: skip
        assert not bad.verify()


def test_eip55_known_address() -> None:
    # The private-key example of the web3.js accounts documentation.
    secret = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    signer = EthereumSigner.from_private_bytes(secret)
    assert signer.address == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    with pytest.raises(DataItemError, match="65-byte uncompressed"):
        eth_address(b"\x02" + b"\x00" * 32)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"target": "short"}, "target must be a 43-character id"),
        ({"target": "!!!"}, "43-character id"),
        ({"anchor": "too short"}, "anchor must be exactly 32 bytes"),
        ({"anchor": b"\x00" * 33}, "anchor must be exactly 32 bytes"),
        ({"tags": [("", "v")]}, "empty name"),
        ({"tags": [("n", "")]}, "empty value"),
        ({"tags": [("n", 1)]}, "must be text"),
        ({"tags": [("n",)]}, "(name, value) pair"),
        ({"tags": [("n", "v")] * 129}, "at most 128"),
        ({"tags": [("n" * 1025, "v")]}, "too long"),
        ({"tags": [("n", "v" * 3073)]}, "too long"),
        ({"tags": [("n" * 1000, "v" * 3000), ("m", "w" * 100)]}, "over the limit of 4096"),
    ],
)
def test_create_rejects_bad_input(kwargs: dict[str, Any], words: str) -> None:
    signer = Ed25519Signer.generate()
    with pytest.raises(DataItemError) as info:
        create(signer=signer, **kwargs)
    assert words in str(info.value)


def test_create_rejects_a_signer_with_wrong_sizes() -> None:
    class Broken:
        signature_type = SIG_ED25519
        owner = b"\x00" * 31

        def sign(self, message: bytes) -> bytes:
            return b"\x00" * 64

    with pytest.raises(DataItemError, match="owner is 31 bytes"):
        create(signer=Broken())
    Broken.owner = b"\x00" * 32
    Broken.sign = lambda self, message: b"\x00" * 10  # type: ignore[method-assign]
    with pytest.raises(DataItemError, match="10 signature bytes"):
        create(signer=Broken())


def test_unverifiable_types_do_not_verify() -> None:
    item = parse(_item_bytes(sig_type=5))
    assert item.signature_type == 5 and not item.verify()
    rsa_junk = DataItem(1, b"\x00" * 512, b"\x00" * 512, None, None, (), b"", b"")
    assert not rsa_junk.verify()  # an even, zero modulus: no exception, just False


def test_bench_dataitem_prints_the_three_figures(capsys: pytest.CaptureFixture[str]) -> None:
    from aos.bench import dataitem as bench

    status = bench.main(["--runs", "3"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("data item of ") and "3 runs each" in lines[0]
    names = [line.split()[0] for line in lines[2:]]
    assert names == ["sign+serialize", "parse", "verify"]
    assert status in (0, 1)  # 1 only when a median misses its target
