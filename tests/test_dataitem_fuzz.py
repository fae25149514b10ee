"""Property tests: whatever bytes reach `parse`, the only exception is DataItemError.

Inputs are random bytes and mutations of valid items (byte flips, truncation, insertion,
deletion, and rewrites of the tag section with Avro-like fragments, with the counts fixed up
so the decoder is reached). When parsing succeeds the item must serialize back to exactly
the input and `verify()` must answer without raising. With env CI set, each property runs at
least 2,000 examples (the "dataitem-ci" profile); locally fewer.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aos.avro import encode_tags, zigzag_varint
from aos.bundle import build_bundle, parse_bundle
from aos.dataitem import b64url_decode, create, parse
from aos.errors import DataItemError
from aos.wallet import Ed25519Signer

# About 3 s per property with the CI profile.
pytestmark = pytest.mark.slow

# database=None: tests must not write a .hypothesis/ directory into the repository.
settings.register_profile(
    "dataitem-ci",
    max_examples=2500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dataitem-dev", max_examples=300, deadline=None, database=None)
FUZZ = settings.get_profile("dataitem-ci" if os.environ.get("CI") else "dataitem-dev")

_VECTORS = json.loads((Path(__file__).parent / "vectors" / "ans104.json").read_text())["items"]
_SIGNER = Ed25519Signer.from_private_bytes(bytes(range(32)))
# Small type-2 items put the tag section within reach of random positions.
SEEDS: list[bytes] = [b64url_decode(v["raw"]) for v in _VECTORS] + [
    create(signer=_SIGNER).to_bytes(),
    create(signer=_SIGNER, data=b"\x00\xff", tags=[("A", "b")]).to_bytes(),
    create(
        signer=_SIGNER, data="d", target="A" * 43, anchor="z" * 32, tags=[("Name", "ü"), ("K", "v")]
    ).to_bytes(),
]
TYPE2_TAGS_AT = 2 + 64 + 32  # then target presence, anchor presence, counts


def _check(raw: bytes) -> None:
    try:
        item = parse(raw)
    except DataItemError as err:
        assert str(err)
        assert err.offset is None or 0 <= err.offset <= max(len(raw), 1 << 24)
        return
    assert item.to_bytes() == raw
    assert item.verify() in (True, False)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 0xFFFF]), st.binary(max_size=2500))
def test_random_body_after_a_signature_type(sig_type: int, body: bytes) -> None:
    _check(sig_type.to_bytes(2, "little") + body)


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(1, 255)),
    st.tuples(st.just("set"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 16), st.integers(1, 40)),
)


def _mutate(raw: bytes, op: tuple[str, int, int]) -> bytes:
    kind, where, arg = op
    pos = where % (len(raw) + 1)
    if kind == "truncate":
        return raw[:pos]
    if kind == "insert":
        return raw[:pos] + bytes((arg,)) + raw[pos:]
    if kind == "delete":
        return raw[:pos] + raw[pos + arg :]
    if not raw:
        return raw
    pos = min(pos, len(raw) - 1)
    value = raw[pos] ^ arg if kind == "flip" else arg
    return raw[:pos] + bytes((value,)) + raw[pos + 1 :]


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_valid_items(seed: bytes, ops: list[tuple[str, int, int]]) -> None:
    raw = seed
    for op in ops:
        raw = _mutate(raw, op)
    _check(raw)


avro_fragment = st.one_of(
    st.integers(-70, 70).map(zigzag_varint),
    st.integers(-(2**63), 2**63 - 1).map(zigzag_varint),
    st.binary(max_size=6),
    st.text(max_size=6).map(lambda s: zigzag_varint(len(s.encode())) + s.encode()),
    st.just(b"\x00"),
    st.just(b"\x80" * 11),
)


@FUZZ
@given(
    st.lists(avro_fragment, max_size=12),
    st.integers(-2, 2),
    st.booleans(),
    st.sampled_from([b"", b"data"]),
)
def test_rewritten_tag_sections(
    fragments: list[bytes], count_skew: int, fix_length: bool, data: bytes
) -> None:
    tags = b"".join(fragments)
    declared = max(0, len(fragments) // 3 + count_skew)
    length = len(tags) if fix_length else len(tags) + count_skew
    raw = (
        b"\x02\x00" + b"\x01" * 64 + b"\x02" * 32 + b"\x00\x00"
        + struct.pack("<QQ", declared, max(0, length)) + tags + data
    )  # fmt: skip
    _check(raw)


@FUZZ
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8)), max_size=6
    )
)
def test_valid_tag_sections_parse_back(tags: list[tuple[str, str]]) -> None:
    raw_tags = encode_tags(tags)
    raw = (
        b"\x02\x00" + b"\x01" * 64 + b"\x02" * 32 + b"\x00\x00"
        + struct.pack("<QQ", len(tags), len(raw_tags)) + raw_tags
    )  # fmt: skip
    assert parse(raw).tags == tuple(tags)


_BUNDLE = build_bundle([parse(s) for s in SEEDS[-3:]])


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=3))
def test_mutated_bundles(ops: list[tuple[str, int, int]]) -> None:
    raw = _BUNDLE
    for op in ops:
        raw = _mutate(raw, op)
    try:
        items = parse_bundle(raw)
    except DataItemError:
        return
    assert build_bundle(items) == raw
