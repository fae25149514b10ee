"""A damaged node database is refused, never taken for a new node (issue 12, point 9).

Each damage case, for `aos serve`, `aos --list` and the shell: exit 1, one sentence naming
the file and what to do, and not a byte of the data directory changed (no -wal or -shm
created either). `aos verify` runs SQLite's full check.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from aos.bench.serving import free_port
from aos.dataitem import create
from aos.protocol import AOS_MODULE_ID
from aos.wallet import Ed25519Signer
from tests.support.ao import ao_tags
from tests.support.cli import run_aos

pytestmark = pytest.mark.e2e

PAGE = 4096


def _node_with_a_log(data: Path) -> str:
    """A node directory with one process and enough messages for a few hundred pages,
    closed cleanly (its write-ahead log checkpointed into the file and removed)."""
    from aos.node.units.node import Node

    node = Node(data)
    owner = Ed25519Signer.generate()
    try:
        tags = ao_tags("Process", [("Module", AOS_MODULE_ID), ("Scheduler", node.su.address)])
        spawn = create(signer=owner, data=" ", tags=tags)
        node.mu.accept(spawn.to_bytes())
        for i in range(300):
            msg = create(signer=owner, data="x" * 500 + str(i), target=spawn.id,
                         tags=ao_tags("Message", [("Action", "Note")]))  # fmt: skip
            node.mu.accept(msg.to_bytes())
        return spawn.id
    finally:
        node.stop()


def _zero_4k(raw: bytes) -> bytes:
    middle = len(raw) // 2 // PAGE * PAGE
    return raw[:middle] + b"\0" * PAGE + raw[middle + PAGE :]


def _flip_20(raw: bytes) -> bytes:
    """20 flipped bytes: the first byte (the b-tree page type) of 20 pages in the middle."""
    out = bytearray(raw)
    first = len(raw) // 2 // PAGE
    for page in range(first, first + 20):
        out[page * PAGE] ^= 0xFF
    return bytes(out)


def _schemaless(raw: bytes) -> bytes:
    """A sound SQLite file that holds no table (as if someone made a new one)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA user_version = 7")
        return conn.serialize()
    finally:
        conn.close()


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "4 KiB zeroed in the middle": _zero_4k,
    "0 bytes": lambda raw: b"",
    "20 flipped bytes": _flip_20,
    "a file with no tables": _schemaless,
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("pristine") / "node"
    _node_with_a_log(data)  # the node makes its keys after its log, as a user's does
    assert not (data / "node.sqlite3-wal").exists()
    return data


def _snapshot(data: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data.iterdir()}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_database_is_refused_in_one_sentence(
    pristine: Path, tmp_path: Path, damage: str
) -> None:
    home = tmp_path / "home"
    data = home / "node"
    shutil.copytree(pristine, data)
    db = data / "node.sqlite3"
    db.write_bytes(DAMAGE[damage](db.read_bytes()))
    before = _snapshot(data)
    runs = {
        "serve": ("serve", "--port", str(free_port())),
        "--list": ("--list",),
        "shell": (),
    }
    for what, args in runs.items():
        done = run_aos(*args, home=home, stdin="return 1\n")
        assert done.returncode == 1, (what, done.stdout[-500:], done.stderr[-500:])
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (what, done.stderr)
        sentence = lines[0]
        assert str(db) in sentence and "restore it from a backup" in sentence, sentence
        assert "Traceback" not in done.stdout + done.stderr
        assert _snapshot(data) == before, f"{what} changed the data directory"


def test_aos_verify_runs_the_full_check(pristine: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    data = home / "node"
    shutil.copytree(pristine, data)
    db = data / "node.sqlite3"
    pid = sqlite3.connect(db).execute("SELECT id FROM processes").fetchone()[0]
    assert run_aos("verify", pid, "--data-dir", str(data), home=home).returncode == 0
    db.write_bytes(_zero_4k(db.read_bytes()))
    done = run_aos("verify", pid, "--data-dir", str(data), home=home)
    assert done.returncode == 1 and "damaged" in done.stderr, done.stderr


def test_keys_without_a_database_are_a_new_node(tmp_path: Path, pristine: Path) -> None:
    """The other side of the rule: a directory that has the keys and no file yet (made by
    hand, or by a test) starts a new node, as it always did."""
    from aos.node.units.keys import SCHEDULER_FILE, WALLET_FILE

    home = tmp_path / "home"
    data = home / "node"
    data.mkdir(parents=True)
    for name in (WALLET_FILE, SCHEDULER_FILE):
        shutil.copy(pristine / name, data / name)
    done = run_aos("--list", home=home)
    assert done.returncode == 0, done.stderr
    assert (data / "node.sqlite3").stat().st_size > 0


def test_damage_in_place_after_a_clean_close_is_refused(pristine: Path, tmp_path: Path) -> None:
    # A clean close records the file so the next open can skip the scan; 4 KiB zeroed in
    # place afterwards (same inode, same size, the times set back) must not pass for it.
    home = tmp_path / "home"
    data = home / "node"
    shutil.copytree(pristine, data)
    assert run_aos("--list", home=home).returncode == 0
    db = data / "node.sqlite3"
    assert (data / "node.sqlite3.clean").exists()
    before = db.stat()
    with db.open("r+b") as f:
        f.seek(before.st_size // 2 // PAGE * PAGE)
        f.write(b"\0" * PAGE)
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    done = run_aos("--list", home=home)
    assert done.returncode == 1 and "is damaged" in done.stderr, done.stderr
