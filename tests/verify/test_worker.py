"""The replay worker in its own OS process, on a hand-built signed log exported as a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.verify.bundlefile import write_bundle
from aos.verify.protocol import Done, Failed, Payload, Replayed, format_replayed, parse_line
from aos.verify.runner import Worker, source_args
from aos.verify.verifier import verify_bundle
from tests.support.signed_log import build_log, flip, with_item


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    process, entries = build_log(30)
    path = tmp_path / "log.bundle"
    write_bundle(path, process, entries)
    return path


def test_protocol_lines_round_trip() -> None:
    r = Replayed(3, 2, None, "abc", "11" * 32, "22" * 32)
    assert parse_line(format_replayed(r)) == r
    cron = Replayed(4, 2, "0-5-minutes", "", "33" * 32, "44" * 32)
    assert parse_line(format_replayed(cron)) == cron
    assert isinstance(parse_line("garbage here"), Failed)


def test_the_worker_streams_one_line_per_result_then_done(bundle: Path) -> None:
    with Worker(source_args(bundle=bundle)) as worker:
        events = list(worker.events())
    replayed = [e for e in events if isinstance(e, Replayed)]
    assert [e.ordinate for e in replayed] == list(range(31))
    done = events[-1]
    assert isinstance(done, Done) and done.count == 31
    assert done.final_hash == replayed[-1].chain_hash


def test_the_worker_shows_one_full_result_and_evaluates_expressions(bundle: Path) -> None:
    with Worker([*source_args(bundle=bundle), "--show", "12"]) as worker:
        (event,) = list(worker.events())
    assert isinstance(event, Payload) and "Output" in event.value
    with Worker([*source_args(bundle=bundle), "--to-nonce", "7", "--expr", "return x"]) as w:
        (event,) = list(w.events())
    assert isinstance(event, Payload)
    assert event.value["Output"]["data"] == "7"


def test_a_missing_source_is_reported_not_crashed(tmp_path: Path) -> None:
    with Worker(source_args(bundle=tmp_path / "absent.bundle")) as worker:
        events = list(worker.events())
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "absent.bundle" in events[0].text


def test_verify_bundle_is_deterministic_across_processes(bundle: Path) -> None:
    first = verify_bundle(bundle)
    second = verify_bundle(bundle)
    assert first.ok and second.ok
    assert first.entries == 31 and first.replayed == 31
    assert first.final_hash is not None and first.final_hash == second.final_hash


def test_verify_bundle_names_a_tampered_message(tmp_path: Path) -> None:
    process, entries = build_log(12)
    entries[9] = with_item(entries[9], flip(entries[9].item, len(entries[9].item.to_bytes()) - 1))  # type: ignore[arg-type,union-attr]
    path = tmp_path / "bad.bundle"
    write_bundle(path, process, entries)
    report = verify_bundle(path)
    assert not report.ok
    assert report.problem is not None and report.problem.nonce == 9


def test_the_replay_reads_items_exactly_as_the_node_stores_them(tmp_path: Path) -> None:
    """aos.log.records.item_of (what a bundle replays) equals what the node's store gives
    back for the same signed item (what the compute unit evaluates), field by field."""
    import dataclasses

    from aos.dataitem import create
    from aos.log.records import item_of, new_item
    from aos.node.store import Store
    from aos.wallet import Ed25519Signer

    process, entries = build_log(3)
    signer = Ed25519Signer.generate()
    odd = create(signer=signer, target=process.id, anchor=bytes([0xFF] * 32), data=b"\x00\xff",
                 tags=[("Action", "Eval"), ("Action", "Twice")])  # fmt: skip
    store = Store(tmp_path)
    try:
        for item in [process, odd, *(e.item for e in entries)]:
            assert item is not None
            with store.write() as tx:
                tx.put_item(new_item(item, item.to_bytes()), 0)
            stored = store.item(item.id)
            assert stored is not None
            unstored = dataclasses.replace(stored, seq=0, created_at=0, block_height=0)
            assert unstored == item_of(item)
    finally:
        store.close()


def test_on_a_terminal_verify_shows_a_progress_bar_then_the_verdict(bundle: Path) -> None:
    import os
    import sys

    import pexpect

    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable, ["-m", "aos", "verify", "--bundle", str(bundle)],
        env=env, encoding="utf-8", timeout=60, dimensions=(40, 100),
    )  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    text = child.before or ""
    assert child.exitstatus == 0, text
    assert "verified" in text
    # rich draws the bar with box characters on a terminal (and nothing when piped).
    assert "replay" in text or "signatures" in text
    assert "━" in text
