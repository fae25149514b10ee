"""The HyperBEAM flags of `aos` (--url, --mainnet, --authority, --scheduler): what they
refuse before any node work, and that an unreachable node is one clear line."""

from __future__ import annotations

from pathlib import Path

from aos.commands.shell_args import build_parser
from tests.support.cli import run_aos

DEAD = "http://127.0.0.1:9"  # nothing listens here: a test that reached it fails on it
ADDR = "A" * 43


def test_mainnet_is_the_consoles_spelling_of_url() -> None:
    args = build_parser().parse_args(["demo", "--mainnet", DEAD, "--authority", ADDR])
    assert (args.url, args.authority) == (DEAD, ADDR)


def test_url_and_legacy_units_are_one_or_the_other(tmp_path: Path) -> None:
    both = run_aos("demo", "--url", DEAD, "--mu-url", DEAD, "--run", "1", home=tmp_path)
    assert both.returncode == 1 and "give one or the other" in both.stderr
    assert not (tmp_path / ".aos.json").exists()  # refused before the wallet


def test_authority_and_scheduler_need_url_and_addresses(tmp_path: Path) -> None:
    alone = run_aos("demo", "--authority", ADDR, "--run", "1", home=tmp_path)
    assert alone.returncode == 1 and "use it with --url" in alone.stderr
    bad = run_aos("demo", "--url", DEAD, "--authority", f"{ADDR},nope", "--run", "1", home=tmp_path)
    assert bad.returncode == 1 and "--authority 'nope' is not an address" in bad.stderr
    sched = run_aos("demo", "--url", DEAD, "--scheduler", "x", "--run", "1", home=tmp_path)
    assert sched.returncode == 1 and "--scheduler 'x' is not an address" in sched.stderr
    assert not (tmp_path / ".aos.json").exists()
    bare = run_aos("demo", "--mainnet", home=tmp_path)
    assert bare.returncode == 2 and "expected one argument" in bare.stderr
    plain = run_aos("demo", "--url", "127.0.0.1:9", home=tmp_path)
    assert plain.returncode == 1 and "is not an http(s) URL" in plain.stderr


def test_an_unreachable_node_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_aos("demo", "--url", DEAD, "--run", "1", home=tmp_path)
    assert result.returncode == 1
    assert DEAD in result.stderr and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("created your wallet ")  # a fresh HOME: announced, then
    assert len(lines) == 2 and lines[1].startswith("error: ")  # the error in one line
    assert not (tmp_path / "node").exists()  # --url opens no embedded node


def test_a_gateway_with_url_is_where_names_are_looked_up_not_half_a_set_of_units(
    tmp_path: Path,
) -> None:
    gateway = "http://127.0.0.1:7"  # nothing listens here either
    result = run_aos("demo", "--url", DEAD, "--gateway-url", gateway, "--run", "1", home=tmp_path)
    assert result.returncode == 1
    assert "without --mu-url" not in result.stderr
    assert f"cannot reach {gateway}/graphql" in result.stderr  # the name lookup went there
