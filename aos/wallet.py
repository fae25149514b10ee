"""Keys that sign data items: the Arweave RSA-4096 JWK wallet and an Ed25519 signer.

`Wallet` reads and writes the JWK file that Arweave wallets and the aos console use
(`~/.aos.json` by default): kty, n, e, d, p, q, dp, dq, qi, all base64url without padding.
Files are created with mode 0600 and never overwritten. Signing is RSA-PSS/SHA-256 with the
maximum salt length, as aoconnect's signer does in Node; the key object is built once.
`Ed25519Signer` (signature type 2) is for the local scheduler, which signs every assignment
and so needs a fast key.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl import bindings as sodium

from aos.dataitem import SIG_ARWEAVE, SIG_ED25519, b64url_decode, b64url_encode
from aos.errors import DataItemError, WalletError

KEY_BITS = 4096
PUBLIC_EXPONENT = 65537
_PSS_SIGN = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
_SHA256 = hashes.SHA256()
_REQUIRED = ("n", "e", "d", "p", "q")


def _int_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))


def _jwk_int(jwk: dict[str, Any], name: str, where: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise WalletError(f"{where}: JWK field {name!r} is missing or not text; is this a wallet?")
    try:
        return int.from_bytes(b64url_decode(value), "big")
    except DataItemError:
        raise WalletError(f"{where}: JWK field {name!r} is not base64url") from None


def _inconsistency(n: int, e: int, d: int, p: int, q: int, dp: int, dq: int, qi: int) -> str:
    """What is wrong with these RSA-CRT numbers, or "" (cheap integer checks only)."""
    if p < 3 or q < 3 or p * q != n:
        return "n is not p * q"
    if (e * d) % (p - 1) != 1 % (p - 1) or (e * d) % (q - 1) != 1 % (q - 1):
        return "d is not the inverse of e"
    if dp != d % (p - 1) or dq != d % (q - 1) or (qi * q) % p != 1:
        return "dp, dq or qi does not match p, q and d"
    return ""


def _write_new(path: Path, text: str) -> None:
    """Create `path` with mode 0600 holding `text`; WalletError if it exists.

    The text goes to a private temporary file that is then hard-linked into place, so a
    concurrent reader sees either no file or the whole wallet, and an existing file is
    never replaced (link fails on an existing name, unlike rename).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WalletError(f"cannot create wallet file {path}: {err.strerror}") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # a filesystem without hard links: exclusive create instead
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
    except FileExistsError:
        raise WalletError(
            f"{path} already exists; refusing to overwrite a wallet (choose another file)"
        ) from None
    except OSError as err:
        raise WalletError(f"cannot create wallet file {path}: {err.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


class Wallet:
    """An Arweave RSA-4096 key; a `aos.dataitem.Signer` with signature type 1."""

    signature_type: int = SIG_ARWEAVE

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        numbers = key.private_numbers()
        n = numbers.public_numbers.n
        if n.bit_length() != KEY_BITS or numbers.public_numbers.e != PUBLIC_EXPONENT:
            raise WalletError(
                f"an Arweave wallet is an RSA-{KEY_BITS} key with e = {PUBLIC_EXPONENT}; "
                f"this one has {n.bit_length()} bits and e = {numbers.public_numbers.e}"
            )
        self._key = key
        self.owner: bytes = n.to_bytes(KEY_BITS // 8, "big")
        self.address: str = b64url_encode(hashlib.sha256(self.owner).digest())
        self.jwk: dict[str, str] = {
            "kty": "RSA",
            "n": b64url_encode(self.owner),
            "e": _int_b64(PUBLIC_EXPONENT),
            "d": _int_b64(numbers.d),
            "p": _int_b64(numbers.p),
            "q": _int_b64(numbers.q),
            "dp": _int_b64(numbers.dmp1),
            "dq": _int_b64(numbers.dmq1),
            "qi": _int_b64(numbers.iqmp),
        }

    def __repr__(self) -> str:  # never show key material
        return f"Wallet(address={self.address!r})"

    @classmethod
    def generate(cls) -> Wallet:
        return cls(rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS))

    @classmethod
    def from_jwk(cls, jwk: Any, *, where: str = "wallet") -> Wallet:
        """Build from a parsed JWK; WalletError says what is wrong with it."""
        if not isinstance(jwk, dict):
            raise WalletError(f"{where}: expected a JSON object (an RSA JWK)")
        if jwk.get("kty") != "RSA":
            raise WalletError(
                f"{where}: not an RSA JWK (kty is {jwk.get('kty')!r}, expected 'RSA')"
            )
        n, e, d, p, q = (_jwk_int(jwk, name, where) for name in _REQUIRED)
        if n.bit_length() != KEY_BITS or e != PUBLIC_EXPONENT:
            raise WalletError(
                f"{where}: an Arweave wallet is an RSA-{KEY_BITS} key with e = {PUBLIC_EXPONENT}; "
                f"this one has {n.bit_length()} bits and e = {e}"
            )
        if p < 3 or q < 3 or p * q != n:
            raise WalletError(f"{where}: the RSA key numbers are inconsistent (n is not p * q)")
        try:
            # dp, dq, qi are optional in a JWK; derive them when absent.
            dp = _jwk_int(jwk, "dp", where) if "dp" in jwk else rsa.rsa_crt_dmp1(d, p)
            dq = _jwk_int(jwk, "dq", where) if "dq" in jwk else rsa.rsa_crt_dmq1(d, q)
            qi = _jwk_int(jwk, "qi", where) if "qi" in jwk else rsa.rsa_crt_iqmp(p, q)
        except ValueError as err:  # p and q share a factor: no CRT coefficient exists
            raise WalletError(f"{where}: the RSA key numbers are inconsistent ({err})") from None
        problem = _inconsistency(n, e, d, p, q, dp, dq, qi)
        if problem:
            raise WalletError(f"{where}: the RSA key numbers are inconsistent ({problem})")
        try:
            # OpenSSL's own check tests primality and takes ~250 ms for 4096 bits, which
            # every `aos` start would pay; the arithmetic checks above catch a corrupt file.
            key = rsa.RSAPrivateNumbers(
                p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n)
            ).private_key(unsafe_skip_rsa_key_validation=True)
        except ValueError as err:
            raise WalletError(f"{where}: the RSA key numbers are inconsistent ({err})") from None
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> Wallet:
        path = Path(path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WalletError(
                f"wallet file {path} does not exist (create one with `aos wallet new {path}`)"
            ) from None
        except (OSError, UnicodeDecodeError) as err:
            raise WalletError(f"cannot read wallet file {path}: {err}") from None
        try:
            jwk = json.loads(text)
        except json.JSONDecodeError as err:
            raise WalletError(f"{path} is not JSON ({err.msg} at line {err.lineno})") from None
        return cls.from_jwk(jwk, where=str(path))

    @classmethod
    def load_or_create(cls, path: Path) -> Wallet:
        """Load the wallet at `path`, or generate and save one (mode 0600) if missing."""
        path = Path(path).expanduser()
        if path.exists():
            return cls.load(path)
        wallet = cls.generate()
        try:
            wallet.save(path)
        except WalletError:
            if path.exists():  # another process created it first: use that one
                return cls.load(path)
            raise
        return wallet

    def save(self, path: Path) -> None:
        """Write the JWK to a new file with mode 0600; WalletError if it exists."""
        _write_new(Path(path).expanduser(), json.dumps(self.jwk))

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message, _PSS_SIGN, _SHA256)


class Ed25519Signer:
    """An Ed25519 key signing data items as type 2 (owner = 32-byte public key)."""

    signature_type: int = SIG_ED25519

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.owner: bytes = key.public_key().public_bytes_raw()
        # libsodium's form of the same key (seed || public key): it signs in 41 µs where
        # OpenSSL takes 57, and Ed25519 is deterministic, so the signatures are the same.
        self._sodium_key = key.private_bytes_raw() + self.owner
        self.address: str = b64url_encode(hashlib.sha256(self.owner).digest())

    def __repr__(self) -> str:
        return f"Ed25519Signer(address={self.address!r})"

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, b: bytes) -> Ed25519Signer:
        if len(b) != 32:
            raise WalletError(f"an Ed25519 private key is 32 bytes, got {len(b)}")
        return cls(Ed25519PrivateKey.from_private_bytes(b))

    def private_bytes(self) -> bytes:
        return self._key.private_bytes_raw()

    def sign(self, message: bytes) -> bytes:
        signed: bytes = sodium.crypto_sign(bytes(message), self._sodium_key)
        return signed[:64]
