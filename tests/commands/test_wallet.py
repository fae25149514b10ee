"""`aos wallet new|address` through the real `aos` entry point."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from aos.cli import main
from aos.commands import wallet as wallet_command
from aos.wallet import Wallet


def test_new_then_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.json"
    assert main(["wallet", "new", str(path)]) == 0
    address = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", address)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Wallet.load(path).address == address
    assert main(["wallet", "address", "--wallet", str(path)]) == 0
    assert capsys.readouterr().out.strip() == address


def test_new_refuses_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.json"
    path.write_text("{}")
    assert main(["wallet", "new", str(path)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err
    assert path.read_text() == "{}"


def test_address_defaults_to_home_aos_json(
    private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["wallet", "address"]) == 1
    assert ".aos.json does not exist" in capsys.readouterr().err
    wallet = Wallet.generate()
    wallet.save(private_home / ".aos.json")
    assert main(["wallet", "address"]) == 0
    assert capsys.readouterr().out.strip() == wallet.address


def test_address_of_a_non_wallet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"kty": "oct", "k": "abc"}))
    assert main(["wallet", "address", "--wallet", str(path)]) == 1
    assert "not an RSA JWK" in capsys.readouterr().err


def test_help_texts_end_with_a_period() -> None:
    parser = wallet_command._parser()
    texts = [parser.description]
    for action in parser._actions:
        texts.append(action.help)
        for choice in getattr(action, "choices", None) or {}:
            sub = action.choices[choice]  # type: ignore[index]
            texts.append(sub.description)
            texts.extend(a.help for a in sub._actions)
        for pseudo in getattr(action, "_choices_actions", []):
            texts.append(pseudo.help)
    assert texts and all(t and t.rstrip().endswith(".") for t in texts), texts
