"""Interop with @dha-team/arbundles, the ANS-104 library aoconnect signs with.

A session fixture runs `npm install --no-audit --no-fund` here (node_modules is gitignored),
then `arb.js` verifies items we sign and signs items (with keys we generate) that we parse
and verify. Without node/npm the tests skip locally and fail when env CI is set.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from aos.avro import encode_tags
from aos.dataitem import DataItem, Signer, b64url_decode, b64url_encode, create, parse
from aos.errors import DataItemError
from aos.signers import EthereumSigner
from aos.wallet import Ed25519Signer, Wallet
from tests.support.npm import install_npm_packages

pytestmark = pytest.mark.interop

HERE = Path(__file__).resolve().parent
VECTORS = json.loads((HERE.parent.parent / "vectors" / "ans104.json").read_text())["items"]
TARGET = b64url_encode(bytes(range(32)))


@pytest.fixture(scope="session")
def arbundles() -> Path:
    """Install the pinned npm package once per session; the directory holding arb.js."""
    return install_npm_packages(HERE, "arbundles")


def run_arb(cwd: Path, command: str, payload: Any) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["node", "arb.js", command],
        cwd=cwd,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out: list[dict[str, Any]] = json.loads(result.stdout)
    return out


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def verify_in_arbundles(cwd: Path, items: Sequence[bytes]) -> list[dict[str, Any]]:
    return run_arb(cwd, "verify", [{"raw": b64(raw)} for raw in items])


@pytest.fixture(scope="module")
def wallet() -> Wallet:
    return Wallet.generate()


@pytest.fixture(scope="module")
def ed25519() -> Ed25519Signer:
    return Ed25519Signer.generate()


@pytest.fixture(scope="module")
def ethereum() -> EthereumSigner:
    return EthereumSigner.generate()


# name -> keyword arguments of create(); the same shapes are asked of arbundles below.
CASES: dict[str, dict[str, Any]] = {
    "everything": {
        "data": b"return 1 + 1",
        "target": TARGET,
        "anchor": "00000000000000000000000000000042",
        "tags": [("Data-Protocol", "ao"), ("Type", "Message"), ("Action", "Eval")],
    },
    "target-only": {"data": b"x", "target": TARGET},
    "anchor-only": {"data": b"x", "anchor": "a" * 32},
    "binary-anchor": {"data": b"x", "anchor": bytes(range(200, 232))},
    "tags-only": {"data": b"x", "tags": [("Name", "ünïcødé ✓"), ("Name", "twice")]},
    "binary-data": {"data": bytes(range(256)) * 4},
    "empty-data": {"data": b""},
    "empty-everything": {},
    "large-data": {"data": os.urandom(300_000)},
    "many-tags": {"tags": [(f"T{i}", "v" * 20) for i in range(100)]},
}
SIGNERS = ["arweave", "ed25519", "ethereum"]


@pytest.fixture(scope="module")
def ours_in_theirs(
    arbundles: Path, wallet: Wallet, ed25519: Ed25519Signer, ethereum: EthereumSigner
) -> dict[tuple[str, str], tuple[DataItem, dict[str, Any]]]:
    """Every case signed by us with every signer type, verified by arbundles in one run."""
    signers: dict[str, Signer] = {"arweave": wallet, "ed25519": ed25519, "ethereum": ethereum}
    items = {
        (kind, name): create(signer=signers[kind], **kwargs)
        for kind in SIGNERS
        for name, kwargs in CASES.items()
    }
    results = verify_in_arbundles(arbundles, [item.to_bytes() for item in items.values()])
    return {key: (item, res) for (key, item), res in zip(items.items(), results, strict=True)}


@pytest.mark.parametrize("kind", SIGNERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_items_we_sign_verify_in_arbundles(
    ours_in_theirs: dict[tuple[str, str], tuple[DataItem, dict[str, Any]]], kind: str, case: str
) -> None:
    item, theirs = ours_in_theirs[(kind, case)]
    assert theirs["valid"] is True, theirs
    assert theirs["id"] == item.id
    assert theirs["signatureType"] == item.signature_type
    assert base64.b64decode(theirs["owner"]) == item.owner
    assert base64.b64decode(theirs["target"]) == (item.target or b"")
    assert base64.b64decode(theirs["anchor"]) == (item.anchor or b"")
    assert [tuple(t) for t in theirs["tags"]] == list(item.tags)
    assert base64.b64decode(theirs["data"]) == item.data


def test_arbundles_rejects_our_items_when_tampered(arbundles: Path, wallet: Wallet) -> None:
    """The check above is not vacuous: a changed byte makes arbundles say invalid."""
    raw = create(signer=wallet, data=b"abc", tags=[("A", "b")]).to_bytes()
    tampered = [raw[:-1] + b"x", raw[:600] + bytes((raw[600] ^ 1,)) + raw[601:]]
    assert [r["valid"] for r in verify_in_arbundles(arbundles, tampered)] == [False, False]


def test_arbundles_accepts_every_vector(arbundles: Path) -> None:
    results = verify_in_arbundles(arbundles, [b64url_decode(v["raw"]) for v in VECTORS])
    assert [(r["valid"], r["id"]) for r in results] == [(True, v["id"]) for v in VECTORS]


def _sign_request(kwargs: dict[str, Any], signer: str) -> dict[str, Any]:
    anchor = kwargs.get("anchor")
    spec: dict[str, Any] = {"signer": signer, "data": b64(kwargs.get("data", b""))}
    if "target" in kwargs:
        spec["target"] = kwargs["target"]
    if isinstance(anchor, str):  # arbundles takes the anchor as text only
        spec["anchor"] = anchor
    if "tags" in kwargs:
        spec["tags"] = [list(t) for t in kwargs["tags"]]
    return spec


THEIR_CASES = {name: kw for name, kw in CASES.items() if not isinstance(kw.get("anchor"), bytes)}


@pytest.fixture(scope="module")
def theirs_in_ours(
    arbundles: Path, wallet: Wallet, ed25519: Ed25519Signer, ethereum: EthereumSigner
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every case signed by arbundles with keys we generated and handed over, in one run."""
    keys = [(kind, name) for kind in SIGNERS for name in THEIR_CASES]
    request = {
        "jwk": wallet.jwk,
        "ed25519": {"seed": ed25519.private_bytes().hex(), "pub": ed25519.owner.hex()},
        "ethereum": ethereum._key.secret.hex(),
        "items": [_sign_request(THEIR_CASES[name], kind) for kind, name in keys],
    }
    return dict(zip(keys, run_arb(arbundles, "sign", request), strict=True))


@pytest.mark.parametrize("kind", SIGNERS)
@pytest.mark.parametrize("case", sorted(THEIR_CASES))
def test_items_arbundles_signs_parse_and_verify_here(
    theirs_in_ours: dict[tuple[str, str], dict[str, Any]],
    wallet: Wallet,
    ed25519: Ed25519Signer,
    ethereum: EthereumSigner,
    kind: str,
    case: str,
) -> None:
    theirs = theirs_in_ours[(kind, case)]
    raw = base64.b64decode(theirs["raw"])
    item = parse(raw)
    assert item.id == theirs["id"]
    assert item.verify()
    assert item.to_bytes() == raw
    expected = CASES[case]
    owner = {"arweave": wallet.owner, "ed25519": ed25519.owner, "ethereum": ethereum.owner}[kind]
    assert item.owner == owner
    assert item.data == expected.get("data", b"")
    assert item.target_id == expected.get("target")
    assert item.anchor_text == expected.get("anchor")
    assert list(item.tags) == list(expected.get("tags", []))
    # Our Avro writer produces arbundles' tag bytes exactly.
    assert encode_tags(item.tags) == item.raw_tags


def test_empty_tag_values_from_arbundles(arbundles: Path, ed25519: Ed25519Signer) -> None:
    """arbundles signs empty tag values; we refuse them unless allow_empty_tags."""
    request = {
        "ed25519": {"seed": ed25519.private_bytes().hex(), "pub": ed25519.owner.hex()},
        "items": [{"signer": "ed25519", "data": "", "tags": [["Empty", ""]]}],
    }
    (signed,) = run_arb(arbundles, "sign", request)
    raw = base64.b64decode(signed["raw"])
    with pytest.raises(DataItemError, match="tag value is empty"):
        parse(raw)
    item = parse(raw, allow_empty_tags=True)
    assert item.id == signed["id"] and item.verify() and item.tags == (("Empty", ""),)
