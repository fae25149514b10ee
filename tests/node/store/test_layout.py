"""Schema 4 keeps each item once: its signed bytes, the owner key once per signer.

The bytes read back are exactly the bytes signed, for every signature type of the
vectors and for the node's unsigned module record; a directory that an older build
wrote (the old columns, rebuilt by tests.support.old_layout) is upgraded in place with
nothing lost: same items, same GraphQL answers, `aos verify` passes, the file shrinks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aos.cli import main as aos_main
from aos.dataitem import b64url_decode, create, parse
from aos.errors import StoreError
from aos.log.records import new_item
from aos.log.schema import DB_NAME, SCHEMA_VERSION
from aos.log.stored import fields, join_owner, split_owner
from aos.node.store import Store
from aos.node.units.su import Scheduler
from aos.wallet import Ed25519Signer, Wallet
from tests.support.nodelog import build_process
from tests.support.old_layout import to_version_3

VECTORS = Path(__file__).parents[2] / "vectors" / "ans104.json"


def vectors() -> list[bytes]:
    return [b64url_decode(v["raw"]) for v in json.loads(VECTORS.read_text())["items"]]


@pytest.mark.parametrize("raw", vectors(), ids=lambda r: f"type{r[0]}-{len(r)}b")
def test_the_signed_bytes_come_back_exactly_and_decode_like_the_parser(raw: bytes) -> None:
    item = parse(raw, allow_empty_tags=True)
    key, body = split_owner(raw)
    assert key == item.owner and len(body) == len(raw) - len(item.owner)
    assert join_owner(body, key) == raw
    f = fields(body)
    assert f.signature_type == item.signature_type
    assert f.target == item.target_id and f.anchor == item.anchor_text
    assert [(t["name"], t["value"]) for t in f.tags] == list(item.tags)
    assert f.data == item.data


def test_damaged_stored_bytes_are_a_store_error_not_a_crash() -> None:
    raw = create(signer=Ed25519Signer.generate(), data="x", tags=[("A", "b")]).to_bytes()
    key, body = split_owner(raw)
    for bad in (body[:1], body[:70], b"\x63\x00" + body[2:]):
        with pytest.raises(StoreError):
            fields(bad)
    with pytest.raises(StoreError, match="owner key is 31 bytes"):
        join_owner(body, key[:31])


def test_an_rsa_item_costs_its_key_once(tmp_path: Path) -> None:
    wallet = Wallet.generate()
    su = Scheduler(Store(tmp_path), Ed25519Signer.generate())
    items = [create(signer=wallet, data=str(i), tags=[("N", str(i))]) for i in range(3)]
    with su.store.write() as tx:
        for item in items:
            tx.put_item(new_item(item, item.to_bytes()), 0)
    store = su.store
    assert store._one("SELECT count(*) FROM owner_keys")[0] == 1
    for item in items:
        assert store.item_raw(item.id) == item.to_bytes()
        stored = store.item(item.id)
        assert stored is not None and stored.owner == item.owner_address
        assert stored.tags == [{"name": "N", "value": item.tag("N")}]
    sizes = [r[0] for r in store._rows("SELECT length(body) FROM items WHERE signer > 0")]
    assert all(size < 600 for size in sizes)  # 512 bytes of key not repeated per item


def test_an_old_directory_is_upgraded_in_place_with_nothing_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "node"
    pid = build_process(data_dir, 120, children=1)
    before = Store(data_dir)
    ids = [r[0] for r in before._rows("SELECT id FROM items ORDER BY seq")]
    items = {i: before.item(i) for i in ids}
    raws = {i: before.item_raw(i) for i in ids}
    before.index_pending()
    tags = before._rows("SELECT seq, name, value FROM item_tags ORDER BY seq, name, value")
    before.close()
    to_version_3(data_dir / DB_NAME)
    old_size = (data_dir / DB_NAME).stat().st_size

    after = Store(data_dir)
    try:
        assert after._one("PRAGMA user_version")[0] == SCHEMA_VERSION
        assert [r[0] for r in after._rows("SELECT id FROM items ORDER BY seq")] == ids
        assert {i: after.item(i) for i in ids} == items  # the module record too
        assert {i: after.item_raw(i) for i in ids} == raws
        assert after._rows("SELECT seq, name, value FROM item_tags ORDER BY seq, name, value") == (
            tags
        )
    finally:
        after.close()
    assert (data_dir / DB_NAME).stat().st_size < old_size  # vacuumed once
    assert aos_main(["verify", pid, "--data-dir", str(data_dir)]) == 0, capsys.readouterr().out
