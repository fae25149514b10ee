"""The node's two keys, kept in its data directory and created once.

`wallet.json` is the node's Arweave RSA wallet: it signs what the messenger pushes (docs/protocol.md
§2.3) and is the compute unit's address. `scheduler.key` is the scheduler's Ed25519 key (raw 32
bytes): it signs assignments, cheaply. Two OS processes starting on a fresh directory at the same
moment must end up with the same keys, so creation happens under an exclusive file lock and each
file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from aos.errors import WalletError
from aos.wallet import Ed25519Signer, Wallet

WALLET_FILE = "wallet.json"
SCHEDULER_FILE = "scheduler.key"
_LOCK_FILE = ".keys.lock"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_node_keys(data_dir: Path) -> tuple[Wallet, Ed25519Signer]:
    """The node wallet and scheduler key of `data_dir`, created on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / _LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            wallet_path = data_dir / WALLET_FILE
            if not wallet_path.exists():
                wallet = Wallet.generate()

                _write_atomic(wallet_path, json.dumps(wallet.jwk).encode())
            wallet = Wallet.load(wallet_path)
            key_path = data_dir / SCHEDULER_FILE
            if not key_path.exists():
                _write_atomic(key_path, Ed25519Signer.generate().private_bytes())
            raw = key_path.read_bytes()
            if len(raw) != 32:
                raise WalletError(
                    f"{key_path} is not a 32-byte Ed25519 key; move it away to make a new one"
                )
            return wallet, Ed25519Signer.from_private_bytes(raw)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
