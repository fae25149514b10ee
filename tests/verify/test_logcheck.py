"""The log checks on a hand-built signed log: a clean log passes; each kind of tampering is
reported at the first bad entry, with the nonce and what is wrong."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.verify.bundlefile import read_bundle, write_bundle
from aos.verify.logcheck import check_log
from tests.support.signed_log import assignment, build_log, flip, with_item


def test_a_clean_log_passes_every_check() -> None:
    process, entries = build_log(20)
    checked, problem = check_log(process, entries)
    assert problem is None
    assert checked == 21


def test_hash_chain_follows_the_scheduler_rule() -> None:
    import hashlib

    from aos.dataitem import b64url_decode, b64url_encode

    pid = b64url_encode(bytes(range(32)))
    assert first_hash_chain(pid) == b64url_encode(hashlib.sha256(bytes(range(32))).digest())
    aid = b64url_encode(bytes(32))
    hc = first_hash_chain(pid)
    want = hashlib.sha256(bytes(32) + b64url_decode(hc)).digest()
    assert next_hash_chain(aid, hc) == b64url_encode(want)


@pytest.mark.parametrize("offset_from_end", [1, 5])  # bytes of the data payload
def test_one_flipped_byte_in_a_message_is_named(offset_from_end: int) -> None:
    process, entries = build_log(10)
    raw_len = len(entries[7].item.to_bytes())  # type: ignore[union-attr]
    bad = flip(entries[7].item, raw_len - offset_from_end)  # type: ignore[arg-type]
    entries[7] = with_item(entries[7], bad)
    checked, problem = check_log(process, entries)
    assert checked == 7
    assert problem is not None and problem.nonce == 7
    assert "signature of the message" in problem.what


def test_a_flipped_signature_byte_is_named() -> None:
    process, entries = build_log(10)
    bad = flip(entries[4].item, 10)  # type: ignore[arg-type]  # inside the signature
    entries[4] = with_item(entries[4], bad)
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 4
    # The id is the hash of the signature, so the item no longer matches its assignment.
    assert "assignment schedules" in problem.what


def test_a_tampered_assignment_is_named() -> None:
    process, entries = build_log(10)
    a = entries[3].assignment
    assert a is not None
    bad = flip(a, 70)  # inside the Ed25519 signature
    entries[3] = replace(entries[3], assignment=bad)
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 3
    assert "assignment" in problem.what


def test_two_swapped_entries_are_named_at_the_first() -> None:
    process, entries = build_log(10)
    entries[5], entries[6] = entries[6], entries[5]
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 5
    assert "Nonce '6' at log position 5" in problem.what


def test_a_missing_entry_is_named() -> None:
    process, entries = build_log(10)
    del entries[2]
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 2


def test_a_re_signed_entry_with_a_wrong_chain_is_named() -> None:
    from aos.wallet import Ed25519Signer

    process, entries = build_log(5)
    e = entries[3]
    assert e.item is not None and e.assignment is not None
    # A validly signed assignment (by someone) whose Hash-Chain does not follow the rule.
    forged = assignment(Ed25519Signer.generate(), process.id, 3, "A" * 43, 1, e.item.id)
    entries[3] = replace(e, assignment=forged)
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 3


def test_a_missing_message_is_named() -> None:
    process, entries = build_log(5)
    entries[2] = with_item(entries[2], None)
    _, problem = check_log(process, entries)
    assert problem is not None and problem.nonce == 2 and "missing" in problem.what


def test_bundle_round_trip_keeps_the_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    process, entries = build_log(8)
    path = tmp_path / "p.bundle"
    count = write_bundle(path, process, entries)
    assert count == 1 + 8 * 2 + 1
    process2, entries2 = read_bundle(path)
    assert process2.id == process.id
    assert [e.assignment.id for e in entries2] == [e.assignment.id for e in entries]  # type: ignore[union-attr]
    assert [e.item.id for e in entries2] == [e.item.id for e in entries]  # type: ignore[union-attr]
    assert check_log(process2, entries2) == (9, None)


@pytest.mark.parametrize("bad_at", [0, 4, 11, 29])
def test_the_parallel_signature_check_names_the_same_first_entry(
    bad_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aos.verify.signatures as signatures

    monkeypatch.setattr(signatures, "CHUNK", 4)  # many chunks, so their order matters
    process, entries = build_log(30)
    for position in (bad_at, bad_at + 1):  # two bad entries: the first one is named
        raw_len = len(entries[position].item.to_bytes())  # type: ignore[union-attr]
        bad = flip(entries[position].item, raw_len - 1)  # type: ignore[arg-type]
        entries[position] = with_item(entries[position], bad)
    sequential = check_log(process, entries)
    parallel = check_log(process, entries, parallel_min=0)
    assert parallel == sequential
    assert parallel[1] is not None and parallel[1].nonce == bad_at


def test_the_parallel_check_passes_a_clean_log_and_reports_progress() -> None:
    process, entries = build_log(40)
    seen: list[int] = []
    assert check_log(process, entries, progress=seen.append, parallel_min=0) == (41, None)
    assert seen and seen[-1] == 41
