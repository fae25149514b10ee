"""ANS-104 signature schemes: verification of types 1-4, and Ethereum keys.

`verify_signature` checks Arweave RSA-PSS (type 1, any salt length), Ed25519 (types 2 and 4)
and Ethereum (type 3) signatures; other types are never valid here.

Type-3 items are signed with `personal_sign`: secp256k1 over
`keccak256("\\x19Ethereum Signed Message:\\n" + len(message) + message)`, the signature being
`r || s || v` with `v` in {27, 28}. The owner is the 65-byte uncompressed public key.
coincurve (libsecp256k1) does the curve work; keccak comes from pycryptodome.

Ed25519 is libsodium's (PyNaCl): its verify is twice as fast as OpenSSL's here, and it is
the strict kind (non-canonical encodings and small-order keys are refused), which only
ever refuses signatures no honest signer makes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from aos.errors import DataItemError

if TYPE_CHECKING:  # coincurve is imported by the Ethereum functions themselves: most logs
    # never hold a type-3 item, and every start would pay its import
    from coincurve import PrivateKey

SIG_ARWEAVE = 1
SIG_ED25519 = 2
SIG_ETHEREUM = 3
SIG_SOLANA = 4

_PSS_VERIFY = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
_SHA256 = hashes.SHA256()


@lru_cache(maxsize=1024)
def _rsa_key(owner: bytes) -> rsa.RSAPublicKey:
    # Building the key object costs a few µs; ao traffic comes from few owners.
    return rsa.RSAPublicNumbers(65537, int.from_bytes(owner, "big")).public_key()


def verify_ed25519(signature: bytes, owner: bytes, message: bytes) -> bool:
    """An Ed25519 signature (64 bytes) of `message` by the 32-byte public key `owner`."""
    if len(signature) != 64 or len(owner) != 32:
        return False
    try:
        sodium.crypto_sign_open(bytes(signature) + bytes(message), bytes(owner))
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def verify_signature(signature_type: int, signature: bytes, owner: bytes, message: bytes) -> bool:
    """Check `signature` of `message` by `owner` for the given signature type."""
    try:
        if signature_type == SIG_ARWEAVE:
            _rsa_key(owner).verify(signature, message, _PSS_VERIFY, _SHA256)
            return True
        if signature_type in (SIG_ED25519, SIG_SOLANA):
            return verify_ed25519(signature, owner, message)
        if signature_type == SIG_ETHEREUM:
            return verify_ethereum(signature, owner, message)
    except (InvalidSignature, ValueError):
        return False
    return False


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak-256 (not NIST SHA3-256: the padding differs)."""
    # Imported here: pycryptodome takes ~40 ms to load and only Ethereum keys need it.
    from Crypto.Hash import keccak

    return keccak.new(data=data, digest_bits=256).digest()


def eip191_hash(message: bytes) -> bytes:
    """The digest that `personal_sign` signs for `message`."""
    prefix = b"\x19Ethereum Signed Message:\n%d" % len(message)
    return keccak256(prefix + message)


def eth_address(owner: bytes) -> str:
    """The EIP-55 checksummed `0x…` address of a 65-byte uncompressed public key."""
    if len(owner) != 65 or owner[0] != 4:
        raise DataItemError(
            f"an Ethereum owner is a 65-byte uncompressed key starting with 0x04, "
            f"got {len(owner)} bytes",
            field="owner",
        )
    hex_addr = keccak256(owner[1:])[-20:].hex()
    check = keccak256(hex_addr.encode()).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(check[i], 16) >= 8 else c for i, c in enumerate(hex_addr)
    )


def verify_ethereum(signature: bytes, owner: bytes, message: bytes) -> bool:
    """True if `signature` is owner's EIP-191 signature of `message`; never raises."""
    if len(signature) != 65 or len(owner) != 65 or owner[0] != 4:
        return False
    v = signature[64]
    if v not in (27, 28):
        return False
    from coincurve import PublicKey

    try:
        recovered = PublicKey.from_signature_and_message(
            signature[:64] + bytes((v - 27,)), eip191_hash(message), hasher=None
        )
    except Exception:  # coincurve raises plain Exception/ValueError for unrecoverable input
        return False
    # Comparing the whole key is equivalent to the SU's address comparison.
    return bool(recovered.format(compressed=False) == owner)


class EthereumSigner:
    """A secp256k1 key that signs data items as type 3 (used by tests and interop)."""

    signature_type: int = SIG_ETHEREUM

    def __init__(self, key: PrivateKey) -> None:
        self._key = key
        self.owner: bytes = key.public_key.format(compressed=False)

    @classmethod
    def generate(cls) -> EthereumSigner:
        from coincurve import PrivateKey

        return cls(PrivateKey())

    @classmethod
    def from_private_bytes(cls, secret: bytes) -> EthereumSigner:
        from coincurve import PrivateKey

        return cls(PrivateKey(secret))

    @property
    def address(self) -> str:
        return eth_address(self.owner)

    def sign(self, message: bytes) -> bytes:
        raw = self._key.sign_recoverable(eip191_hash(message), hasher=None)
        return bytes(raw[:64]) + bytes((raw[64] + 27,))
