"""aos.deephash: the Arweave deep hash and the precomputed data-item message."""

from __future__ import annotations

from hashlib import sha384

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aos.deephash import data_item_message, deep_hash


def test_known_constants() -> None:
    # docs/protocol.md §1.8: deepHash(b"") starts fbf00cc4, deepHash([]) starts a69e7d37.
    assert deep_hash(b"").hex().startswith("fbf00cc4")
    assert deep_hash([]).hex().startswith("a69e7d37")


def test_blob_and_list_definitions() -> None:
    blob = b"hello"
    expected_blob = sha384(sha384(b"blob5").digest() + sha384(blob).digest()).digest()
    assert deep_hash(blob) == expected_blob
    acc = sha384(b"list2").digest()
    for child in (b"a", [b"b"]):
        acc = sha384(acc + deep_hash(child)).digest()
    assert deep_hash([b"a", [b"b"]]) == acc
    assert len(acc) == 48


def test_accepts_bytearray_and_memoryview() -> None:
    assert deep_hash(bytearray(b"xy")) == deep_hash(memoryview(b"xy")) == deep_hash(b"xy")


@settings(database=None)  # no .hypothesis/ directory in the repository
@given(
    sig_type=st.integers(1, 9),
    owner=st.binary(max_size=64),
    target=st.none() | st.binary(min_size=32, max_size=32),
    anchor=st.none() | st.binary(min_size=32, max_size=32),
    tags=st.binary(max_size=64),
    data=st.binary(max_size=256),
)
def test_data_item_message_is_the_generic_8_element_deep_hash(
    sig_type: int,
    owner: bytes,
    target: bytes | None,
    anchor: bytes | None,
    tags: bytes,
    data: bytes,
) -> None:
    generic = deep_hash(
        [b"dataitem", b"1", str(sig_type).encode(), owner, target or b"", anchor or b"", tags, data]
    )
    assert data_item_message(sig_type, owner, target, anchor, tags, data) == generic


@pytest.mark.parametrize("sig_type", [1, 2, 3])
def test_signature_type_changes_the_message(sig_type: int) -> None:
    others = {data_item_message(t, b"o", None, None, b"", b"d") for t in (1, 2, 3)}
    assert len(others) == 3
    assert data_item_message(sig_type, b"o", None, None, b"", b"d") in others
