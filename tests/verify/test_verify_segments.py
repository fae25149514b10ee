"""`aos verify --snapshots`: the replay cut at stored snapshots, run in worker processes;
a snapshot is checked, never trusted (its MAC, its hash, the state the segment before it
reaches), and tampering with one is found and named."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from aos.log import snapshots
from aos.log.evaluator import ProcessInfo
from aos.log.reader import LogReader
from aos.log.snapshots import seal, snapshot_key
from aos.node.units.node import Node
from aos.verify import segments
from aos.verify.verifier import verify_store
from tests.support.nodelog import build_process

MESSAGES = 1200
EVERY = 250


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[int]]:
    """A process with snapshots stored every EVERY nonces (made by a replay here)."""
    data_dir = tmp_path_factory.mktemp("node")
    pid = build_process(data_dir, MESSAGES)
    node = Node(data_dir)
    try:
        store = node.store
        spawn, first = store.item(pid), store.entries(pid, -1, 0, 1)[0]
        assert spawn is not None
        ev = node.cu.states.fresh(ProcessInfo.from_spawn(spawn, first))
        key = snapshot_key(data_dir, create=True)
        assert key is not None
        saved = []
        for entry, item in store.entries_with_items(pid, -1, None, 1 << 30):
            ev.step(entry, item)
            if entry.nonce % EVERY == EVERY - 1:
                data, state = ev.snapshot()
                store.put_snapshot(seal(key, pid, entry.nonce, ev.chain, state, data))
                saved.append(entry.nonce)
    finally:
        node.stop()
    return data_dir, pid, saved


@pytest.fixture
def copy(built: tuple[Path, str, list[int]], tmp_path: Path) -> tuple[Path, str, list[int]]:
    data_dir, pid, saved = built
    target = tmp_path / "node"
    shutil.copytree(data_dir, target)
    return target, pid, saved


@pytest.fixture(autouse=True)
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The log is short: run it in the worker pool all the same (as a long one would).
    monkeypatch.setattr(segments, "INLINE_MAX", 10)


def test_the_segments_verify_and_agree_with_the_plain_replay(
    built: tuple[Path, str, list[int]],
) -> None:
    data_dir, pid, saved = built
    plain = verify_store(data_dir, pid)
    cut = verify_store(data_dir, pid, snapshots=True)
    assert plain.ok and cut.ok, (plain.problem, cut.problem)
    assert cut.final_hash == plain.final_hash == plain.stored_final_hash
    assert cut.replayed == plain.replayed and cut.entries == plain.entries
    assert len(segments.plan(MESSAGES, None, saved, 2)) > len(segments.plan(MESSAGES, None, [], 2))


def _cuts(data_dir: Path, pid: str) -> list[int]:
    """The snapshots the replay is cut at (those a tampering must hit to be seen)."""
    report = verify_store(data_dir, pid)
    last = report.entries - 1
    units = segments.plan(last, None, segments.usable_snapshots(data_dir, pid, last),
                          segments.cores())  # fmt: skip
    return [u.last for u in units if u.kind == "replay" and u.end_snapshot is not None]


def _tamper(data_dir: Path, nonce: int, sql: str, *args: object) -> None:
    conn = sqlite3.connect(data_dir / "node.sqlite3")
    conn.execute(sql, (*args, nonce))
    conn.commit()
    conn.close()


def test_a_snapshot_changed_without_the_key_is_named(copy: tuple[Path, str, list[int]]) -> None:
    data_dir, pid, saved = copy
    at = _cuts(data_dir, pid)[0]
    _tamper(data_dir, at, "UPDATE snapshots SET data = data || x'00' WHERE nonce = ?")
    report = verify_store(data_dir, pid, snapshots=True)
    assert not report.ok and report.problem is not None
    assert report.problem.nonce == at and "tampered snapshot" in report.problem.what
    assert verify_store(data_dir, pid).ok  # the plain replay never reads snapshots


def test_a_snapshot_resealed_with_the_key_but_wrong_is_caught_by_the_segment_before(
    copy: tuple[Path, str, list[int]],
) -> None:
    data_dir, pid, saved = copy
    at = _cuts(data_dir, pid)[-1]
    # Someone with the key stores the state of another nonce under this one: the MAC
    # verifies, but the segment before it does not end in that state. The node may have
    # stored snapshots of its own while the log was built (they are timed), so the other
    # nonce is the stored snapshot just before, whoever made it.
    conn = sqlite3.connect(data_dir / "node.sqlite3")
    stored = [
        n
        for (n,) in conn.execute(
            "SELECT nonce FROM snapshots WHERE process = ? ORDER BY nonce", (pid,)
        )
    ]
    before = stored[stored.index(at) - 1]
    other = conn.execute("SELECT data FROM snapshots WHERE nonce = ?", (before,)).fetchone()[0]
    row = conn.execute(
        "SELECT chain_hash, evaluator FROM snapshots WHERE nonce = ?", (at,)
    ).fetchone()
    conn.close()
    key = snapshot_key(data_dir, create=False)
    assert key is not None
    fake = seal(key, pid, at, row[0], json.loads(row[1]), bytes(other))
    _tamper(data_dir, at, "UPDATE snapshots SET data = ?, state_hash = ?, mac = ?"
            " WHERE nonce = ?", fake.data, fake.state_hash, fake.mac)  # fmt: skip
    report = verify_store(data_dir, pid, snapshots=True)
    assert not report.ok and report.problem is not None
    assert report.problem.nonce == at
    assert "not the state the log gives" in report.problem.what


def test_a_snapshot_of_another_runtime_build_is_left_aside_not_called_tampered(
    copy: tuple[Path, str, list[int]],
) -> None:
    # A snapshot holds the runtime's own tables, so one stored by an older aos is not the
    # state this build reaches from the same log; sound (MAC and hashes check), it must be
    # neither restored nor compared, nor reported as tampering (it was, after an upgrade).
    data_dir, pid, saved = copy
    key = snapshot_key(data_dir, create=False)
    assert key is not None
    conn = sqlite3.connect(data_dir / "node.sqlite3")
    for nonce, chain, position, state_hash, evaluator in conn.execute(
        "SELECT nonce, chain_hash, position, state_hash, evaluator FROM snapshots"
        " WHERE process = ?",
        (pid,),
    ).fetchall():
        old = json.dumps({**json.loads(evaluator), "runtime": "an older build"},
                         sort_keys=True, separators=(",", ":"))  # fmt: skip
        mac = snapshots._mac(key, pid, nonce, position, chain, state_hash, old)
        conn.execute("UPDATE snapshots SET evaluator = ?, mac = ? WHERE process = ? AND nonce = ?",
                     (old, mac, pid, nonce))  # fmt: skip
    conn.commit()
    conn.close()
    row = LogReader(data_dir).latest_snapshot(pid)
    assert row is not None and snapshots.of_another_build(key, row)
    assert "another build of the runtime" in (snapshots.problem(key, row) or "")
    assert segments.usable_snapshots(data_dir, pid, MESSAGES) == []
    report = verify_store(data_dir, pid, snapshots=True)
    assert report.ok, report.problem
