"""aos.wallet: JWK files (generate, save 0600, load, refuse overwrite) and signers."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from aos.dataitem import b64url_decode, b64url_encode, create, parse
from aos.errors import WalletError
from aos.wallet import Ed25519Signer, Wallet

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def wallet() -> Wallet:
    return Wallet.generate()


def test_generated_jwk_fields(wallet: Wallet) -> None:
    assert set(wallet.jwk) == {"kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"}
    assert wallet.jwk["kty"] == "RSA" and wallet.jwk["e"] == "AQAB"
    for name, value in wallet.jwk.items():
        if name != "kty":
            assert B64URL.match(value), name  # base64url, no padding
    assert len(b64url_decode(wallet.jwk["n"])) == 512
    assert wallet.owner == b64url_decode(wallet.jwk["n"])
    assert wallet.address == b64url_encode(hashlib.sha256(wallet.owner).digest())
    assert len(wallet.address) == 43
    assert repr(wallet) == f"Wallet(address={wallet.address!r})"  # no key material


def test_save_and_load(wallet: Wallet, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "wallet.json"
    wallet.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == wallet.jwk
    loaded = Wallet.load(path)
    assert loaded.address == wallet.address and loaded.jwk == wallet.jwk


def test_arweave_python_client_reads_our_file(wallet: Wallet, tmp_path: Path) -> None:
    arweave = pytest.importorskip("arweave")
    path = tmp_path / "w.json"
    wallet.save(path)
    theirs = arweave.Wallet(str(path))
    assert theirs.address == wallet.address
    # Their PSS signature (PyCryptodome) verifies against the key we generated.
    message = b"m" * 48
    signature = theirs.sign(message)
    public = rsa.RSAPublicNumbers(65537, int.from_bytes(wallet.owner, "big")).public_key()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    public.verify(signature, message, pss, hashes.SHA256())


def test_save_refuses_to_overwrite(wallet: Wallet, tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text("precious")
    with pytest.raises(WalletError, match="already exists; refusing to overwrite"):
        wallet.save(path)
    assert path.read_text() == "precious"


def test_save_leaves_no_temporary_files(wallet: Wallet, tmp_path: Path) -> None:
    wallet.save(tmp_path / "a.json")
    with pytest.raises(WalletError):
        wallet.save(tmp_path / "a.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_save_into_an_unwritable_place(wallet: Wallet, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WalletError, match="cannot create wallet file"):
        wallet.save(blocker / "w.json")


def test_load_or_create(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".aos.json"
    created = Wallet.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Wallet.load_or_create(path)
    assert again.address == created.address


def test_sign_uses_pss_with_maximum_salt(wallet: Wallet) -> None:
    message = b"x" * 48
    signature = wallet.sign(message)
    public = rsa.RSAPublicNumbers(65537, int.from_bytes(wallet.owner, "big")).public_key()
    salt_max = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=512 - 32 - 2)
    public.verify(signature, message, salt_max, hashes.SHA256())  # raises if not max salt


def test_jwk_without_crt_fields_loads(wallet: Wallet) -> None:
    jwk = {k: v for k, v in wallet.jwk.items() if k not in ("dp", "dq", "qi")}
    assert Wallet.from_jwk(jwk).jwk == wallet.jwk


def _write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("not json {", "is not JSON"),
        ([1, 2], "expected a JSON object"),
        ({"kty": "EC", "crv": "P-256"}, "not an RSA JWK (kty is 'EC'"),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "field 'd' is missing"),
        (
            {"kty": "RSA", "n": "!!", "e": "AQAB", "d": "a", "p": "a", "q": "a"},
            "'n' is not base64url",
        ),
    ],
)
def test_load_rejects_non_wallets(tmp_path: Path, content: Any, words: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(WalletError) as info:
        Wallet.load(path)
    assert words in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("n", "(n is not p * q)"),
        ("d", "(d is not the inverse of e)"),
        ("p", "(n is not p * q)"),
        ("qi", "(dp, dq or qi does not match p, q and d)"),
    ],
)
def test_load_rejects_inconsistent_numbers(
    wallet: Wallet, tmp_path: Path, field: str, words: str
) -> None:
    jwk = dict(wallet.jwk)
    value = int.from_bytes(b64url_decode(jwk[field]), "big")
    jwk[field] = b64url_encode((value + 2).to_bytes(512, "big").lstrip(b"\x00"))
    with pytest.raises(WalletError) as info:
        Wallet.load(_write(tmp_path, jwk))
    assert str(info.value).endswith(f"the RSA key numbers are inconsistent {words}")


def test_small_keys_are_not_arweave_wallets(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(WalletError, match="RSA-4096"):
        Wallet(key)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="does not exist .*aos wallet new"):
        Wallet.load(tmp_path / "nope.json")
    with pytest.raises(WalletError, match="cannot read"):
        Wallet.load(tmp_path)  # a directory
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe")
    with pytest.raises(WalletError, match="cannot read"):
        Wallet.load(tmp_path / "bin.json")


def test_wallet_signs_items_that_verify(wallet: Wallet) -> None:
    item = create(signer=wallet, data="hello", tags=[("A", "b")])
    assert parse(item.to_bytes()).verify()
    assert item.owner_address == wallet.address


def test_ed25519_signer() -> None:
    signer = Ed25519Signer.generate()
    same = Ed25519Signer.from_private_bytes(signer.private_bytes())
    assert same.owner == signer.owner and len(signer.owner) == 32
    assert signer.address == b64url_encode(hashlib.sha256(signer.owner).digest())
    item = create(signer=same, data="x")
    assert item.signature_type == 2 and item.verify()
    with pytest.raises(WalletError, match="32 bytes"):
        Ed25519Signer.from_private_bytes(b"short")


def _b64_int(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


_number = st.one_of(st.integers(0, 5), st.integers(0, 2**80), st.integers(2**4095, 2**4096 - 1))
_field = st.one_of(_number.map(_b64_int), st.text(max_size=8), st.integers(), st.none())


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.dictionaries(st.sampled_from(["n", "e", "d", "p", "q", "dp", "dq", "qi"]), _field),
    st.sampled_from(["RSA", "RSA", "RSA", "EC", None]),
)
def test_any_jwk_shaped_json_gives_only_wallet_error(jwk: dict[str, Any], kty: str | None) -> None:
    with pytest.raises(WalletError):
        Wallet.from_jwk({**jwk, "kty": kty})


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"p": "AA", "q": "AA"}, "n is not p * q"),
        ({"p": "AQ", "q": "AQ"}, "n is not p * q"),
        ({"e": "Aw"}, "e = 65537; this one has 4096 bits and e = 3"),
    ],
)
def test_degenerate_numbers(wallet: Wallet, fields: dict[str, str], words: str) -> None:
    jwk = {k: v for k, v in wallet.jwk.items() if k not in ("dp", "dq", "qi")}
    with pytest.raises(WalletError) as info:
        Wallet.from_jwk({**jwk, **fields})
    assert words in str(info.value)


def test_ed25519_signs_as_openssl_does_and_verifies_strictly() -> None:
    # libsodium signs and verifies (aos.signers); Ed25519 is deterministic, so its
    # signatures are OpenSSL's byte for byte, and each side accepts the other's.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from aos.signers import SIG_ED25519, verify_signature

    seed = bytes(range(32))
    signer = Ed25519Signer.from_private_bytes(seed)
    message = b"ans-104 deep hash: 48 bytes of SHA-384 output.."
    signature = signer.sign(message)
    openssl = Ed25519PrivateKey.from_private_bytes(seed)
    assert openssl.sign(message) == signature
    openssl.public_key().verify(signature, message)
    assert verify_signature(SIG_ED25519, signature, signer.owner, message)
    flipped = signature[:-1] + bytes([signature[-1] ^ 1])
    wrong = [(flipped, signer.owner), (signature, bytes(32)), (signature[:63], signer.owner),
             (signature, signer.owner[:31])]  # fmt: skip
    for sig, owner in wrong:
        assert not verify_signature(SIG_ED25519, sig, owner, message)
