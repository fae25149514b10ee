"""crypto.cipher.aes: aos's own vectors, and every mode and key size against `cryptography`."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.support.plain_lua import new_lua

try:  # CFB and OFB moved in cryptography 44
    from cryptography.hazmat.decrepit.ciphers.modes import CFB, OFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB, OFB  # type: ignore[assignment,unused-ignore]

RT = new_lua(binary=True)
RT.execute('crypto = require(".crypto")')
ENCRYPT = RT.eval("function(...) return crypto.cipher.aes.encrypt(...).asString() end")
DECRYPT = RT.eval("function(...) return crypto.cipher.aes.decrypt(...).asString() end")


def test_aos_process_test_vectors() -> None:
    # aos's "run aes cipher successfully": "ao" under a 128-bit key in the five modes
    got = RT.execute(
        """local out = {}
for _, mode in ipairs({ "CBC", "ECB", "CFB", "OFB", "CTR" }) do
  local iv = mode == "ECB" and "" or "super_secret_shh"
  local e = crypto.cipher.aes.encrypt("ao", "super_secret_shh", iv, mode, 128).asHex()
  out[#out + 1] = e
  out[#out + 1] = crypto.cipher.aes.decrypt(e, "super_secret_shh", iv, mode, 128).asHex()
end
return table.concat(out, ", ")"""
    )
    plain = "616F0000000000000000000000000000"
    assert got.decode().split(", ") == [
        "A3B9E6E1FBD9D46930E5F76807C84B8E",
        plain,
        "3FF54BD61AD1AA06BC367A10575CC7C5",
        plain,
        "1DA7169C093D6B23160B6785B28E4BED",
        plain,
        "1DA7169C093D6B23160B6785B28E4BED",
        plain,
        "1DA7169C093D6B23160B6785B28E4BED",
        plain,
    ]


def _mode(name: str, iv: bytes) -> Any:
    if name == "ECB":
        return modes.ECB()
    if name == "CBC":
        return modes.CBC(iv)
    if name == "CFB":
        return CFB(iv)
    if name == "OFB":
        return OFB(iv)
    return modes.CTR(iv)


@pytest.mark.parametrize("key_bits", [128, 192, 256])
@pytest.mark.parametrize("mode", ["ECB", "CBC", "CFB", "OFB", "CTR"])
def test_modes_and_key_sizes_match_cryptography(key_bits: int, mode: str) -> None:
    for n in (1, 16, 17, 64):
        key, iv, data = os.urandom(key_bits // 8), os.urandom(16), os.urandom(n)
        padded = data + b"\0" * (-len(data) % 16)
        expected = Cipher(algorithms.AES(key), _mode(mode, iv)).encryptor().update(padded)
        lua_iv = b"" if mode == "ECB" else iv
        got = ENCRYPT(data, key, lua_iv, mode.encode(), key_bits)
        assert got == expected
        assert DECRYPT(got.hex().encode(), key, lua_iv, mode.encode(), key_bits) == padded


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ('"x", "short"', b"a 128-bit key must be 16 bytes, got 5 bytes"),
        ('"x", string.rep("k", 16), "", "CBC"', b"mode CBC needs a 16-byte iv"),
        ('"x", string.rep("k", 16), "", "XTS"', b"unknown mode 'XTS'"),
        ('"x", string.rep("k", 16), "", "ECB", 100', b"keyLength must be 128, 192 or 256"),
    ],
)
def test_bad_arguments_are_named(args: str, fragment: bytes) -> None:
    ok, err = RT.execute(f"return pcall(crypto.cipher.aes.encrypt, {args})")
    assert ok is False and fragment in err


def test_submodules_can_be_required_alone() -> None:
    assert RT.execute('return require(".crypto.util.hex").stringToHex("ao")') == b"616f"
    code = 'local st = require(".crypto.util.stream") return st.toHex(st.fromString("a"))'
    assert RT.execute(code) == b"61"
