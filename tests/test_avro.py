"""aos.avro: tag encoding as arbundles writes it, decoding as the Avro spec allows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aos.avro import decode_tags, encode_tags, zigzag_varint
from aos.errors import DataItemError


def test_spec_example() -> None:
    # docs/protocol.md §1.4: [{Action: Eval}] -> 02 0c "Action" 08 "Eval" 00
    assert (
        encode_tags([("Action", "Eval")]).hex()
        == "020c" + b"Action".hex() + "08" + b"Eval".hex() + "00"
    )


def test_no_tags_is_no_bytes() -> None:
    assert encode_tags([]) == b""
    assert decode_tags(b"") == ()


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "00"), (-1, "01"), (1, "02"), (-2, "03"), (63, "7e"), (64, "8001"), (300, "d804")],
)
def test_zigzag_varint(value: int, encoded: str) -> None:
    assert zigzag_varint(value).hex() == encoded


def _text(s: str) -> bytes:
    raw = s.encode()
    return zigzag_varint(len(raw)) + raw


def test_several_blocks_and_negative_counts() -> None:
    rec_a = _text("A") + _text("1")
    rec_b = _text("B") + _text("2")
    rec_c = _text("C") + _text("3")
    raw = (
        zigzag_varint(1) + rec_a
        + zigzag_varint(-2) + zigzag_varint(len(rec_b + rec_c)) + rec_b + rec_c
        + b"\x00"
    )  # fmt: skip
    assert decode_tags(raw) == (("A", "1"), ("B", "2"), ("C", "3"))


def test_negative_count_with_wrong_byte_size() -> None:
    rec = _text("A") + _text("1")
    raw = zigzag_varint(-1) + zigzag_varint(len(rec) + 1) + rec + b"\x00"
    with pytest.raises(DataItemError, match="tag block says 5 bytes but its records take 4"):
        decode_tags(raw)


def test_negative_byte_size() -> None:
    rec = _text("A") + _text("1")
    with pytest.raises(DataItemError, match="byte size is negative"):
        decode_tags(zigzag_varint(-1) + zigzag_varint(-3) + rec + b"\x00")


def test_missing_terminator() -> None:
    raw = encode_tags([("A", "1")])[:-1]
    with pytest.raises(DataItemError, match="end inside a number") as info:
        decode_tags(raw, base=100)
    assert info.value.offset == 100 + len(raw)


def test_long_varints_decode() -> None:
    name = "n" * 200
    raw = encode_tags([(name, "v" * 3000)])
    assert raw[1:3] == zigzag_varint(200)
    assert decode_tags(raw) == ((name, "v" * 3000),)


tag_text = st.text(min_size=1, max_size=40)


@settings(database=None)  # no .hypothesis/ directory in the repository
@given(st.lists(st.tuples(tag_text, tag_text), max_size=20))
def test_round_trip(tags: list[tuple[str, str]]) -> None:
    assert decode_tags(encode_tags(tags)) == tuple(tags)


@settings(database=None)  # no .hypothesis/ directory in the repository
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_data_item_error(raw: bytes) -> None:
    try:
        decode_tags(raw)
    except DataItemError as err:
        assert err.field == "tags" and err.offset is not None and 0 <= err.offset <= len(raw)
