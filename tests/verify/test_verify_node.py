"""`aos verify`, `aos export` and `aos replay` on a real log built through the embedded node.

One process with 1,000 messages (token transfers, word counts over maps with pairs, json,
spawns of child processes and their replies) is built once per module; every tampering
test works on its own copy of the data directory.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aos.cli import main as aos_main
from aos.log.reader import LogReader
from aos.verify.verifier import verify_store
from tests.support.nodelog import build_process

MESSAGES = 1000
FINAL = re.compile(r"verified final hash ([0-9a-f]{64})")
BAD = re.compile(r"first bad entry at nonce (\d+)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("node")
    pid = build_process(data_dir, MESSAGES)
    return data_dir, pid


@pytest.fixture
def copy(built: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the built data directory, free to tamper with."""
    data_dir, pid = built
    target = tmp_path / "node"
    shutil.copytree(data_dir, target)
    return target, pid


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = aos_main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out + err


def db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "node.sqlite3", isolation_level=None)


def message_at(conn: sqlite3.Connection, pid: str, nonce: int) -> str:
    row = conn.execute(
        "SELECT message_id FROM schedule WHERE process = ? AND nonce = ?", (pid, nonce)
    ).fetchone()
    return str(row[0])


def flip_blob(conn: sqlite3.Connection, table: str, column: str, key: str, value: str,
              offset: int) -> None:  # fmt: skip
    raw = bytearray(
        conn.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", (value,)).fetchone()[0]
    )
    raw[offset] ^= 0x01
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (bytes(raw), value))


# -- the clean log ----------------------------------------------------------------------------


def test_a_log_of_1000_messages_verifies_with_the_same_hash_twice(
    built: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = built
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 0, text
    assert "━" not in text  # no progress bar when the output is not a terminal
    first = FINAL.search(text)
    assert first is not None, text
    checked = int(re.search(r"(\d+) messages checked", text).group(1))  # type: ignore[union-attr]
    assert checked >= MESSAGES
    code2, text2 = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code2 == 0
    second = FINAL.search(text2)
    assert second is not None and second.group(1) == first.group(1)


def test_the_replay_ends_on_the_chain_hash_the_node_stored(built: tuple[Path, str]) -> None:
    data_dir, pid = built
    report = verify_store(data_dir, pid)
    assert report.ok, report.problem
    assert report.unevaluated == 0
    assert report.compared == report.replayed >= MESSAGES
    assert report.final_hash == report.stored_final_hash


def test_children_that_replied_verify_too(built: tuple[Path, str]) -> None:
    data_dir, _ = built
    conn = db(data_dir)
    kids = [
        r[0]
        for r in conn.execute(
            "SELECT p.id FROM processes p JOIN item_tags t ON t.name = 'Name'"
            " JOIN items i ON i.seq = t.seq AND i.id = p.id WHERE t.value LIKE 'kid%'"
        )
    ]
    conn.close()
    assert len(kids) == 2
    for kid in kids:
        report = verify_store(data_dir, kid)
        assert report.ok, report.problem
        assert report.replayed > 10  # it answered pings


# -- tampering --------------------------------------------------------------------------------


def test_one_byte_of_a_stored_message_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    mid = message_at(conn, pid, 500)
    flip_blob(conn, "items", "body", "id", mid, -1)  # the last byte of its data
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text) and BAD.search(text).group(1) == "500", text  # type: ignore[union-attr]
    assert mid in text


def test_one_byte_of_a_stored_owner_key_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # A signer's key is stored once for all its items (aos.log.stored): damaging it must
    # fail every item it signed, starting with the first one verify reads.
    data_dir, pid = copy
    conn = db(data_dir)
    mid = message_at(conn, pid, 321)
    signer = conn.execute("SELECT signer FROM items WHERE id = ?", (mid,)).fetchone()[0]
    flip_blob(conn, "owner_keys", "key", "signer", signer, 7)
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1, text
    assert "signature" in text, text


def test_one_byte_of_a_signature_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    mid = message_at(conn, pid, 700)
    flip_blob(conn, "items", "body", "id", mid, 2 + 20)  # inside the signature field
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "700", text  # type: ignore[union-attr]


def test_one_byte_of_an_assignment_signature_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    aid = conn.execute(
        "SELECT assignment_id FROM schedule WHERE process = ? AND nonce = 250", (pid,)
    ).fetchone()[0]
    flip_blob(conn, "schedule", "assignment_raw", "assignment_id", aid, 2 + 5)
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "250", text  # type: ignore[union-attr]


def test_one_byte_of_a_stored_result_is_caught_and_shown_side_by_side(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    ordinate, result = conn.execute(
        "SELECT ordinate, result FROM results WHERE process = ? AND ordinate = 600 AND cron = ''",
        (pid,),
    ).fetchone()
    # Rename one key inside the stored JSON: the canonical result (and its hash) changes.
    tampered = result.replace("Messages", "Messagez", 1)
    conn.execute(
        "UPDATE results SET result = ? WHERE process = ? AND ordinate = ? AND cron = ''",
        (tampered, pid, ordinate),
    )
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "600", text  # type: ignore[union-attr]
    assert "does not match its stored result hash" in text


def test_a_stored_result_rehashed_to_look_consistent_is_caught_by_the_replay(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A forger who also fixes the hash and the whole chain is still caught: by the replay."""
    import json

    from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash

    data_dir, pid = copy
    conn = db(data_dir)
    rows = conn.execute(
        "SELECT position, ordinate, result FROM results WHERE process = ? ORDER BY position",
        (pid,),
    ).fetchall()
    chain = GENESIS_CHAIN
    for position, ordinate, text in rows:
        value = json.loads(text)
        if ordinate == 450:
            value["Output"] = {"data": "forged", "prompt": "aos> "}
            text = json.dumps(value, separators=(",", ":"))
        rh = result_hash(value)
        chain = chain_hash(chain, rh)
        conn.execute(
            "UPDATE results SET result = ?, result_hash = ?, chain_hash = ?"
            " WHERE process = ? AND position = ?",
            (text, rh, chain, pid, position),
        )
    conn.close()
    code, out = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(out).group(1) == "450", out  # type: ignore[union-attr]
    assert "replayed result differs" in out
    assert "forged" in out  # the stored side of the side-by-side diff
    assert "stored" in out and "replayed" in out


def test_two_swapped_log_entries_are_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    conn.execute("BEGIN")
    conn.execute("UPDATE schedule SET nonce = -5 WHERE process = ? AND nonce = 400", (pid,))
    conn.execute("UPDATE schedule SET nonce = 400 WHERE process = ? AND nonce = 401", (pid,))
    conn.execute("UPDATE schedule SET nonce = 401 WHERE process = ? AND nonce = -5", (pid,))
    conn.execute("COMMIT")
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "400", text  # type: ignore[union-attr]


def test_two_swapped_messages_are_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Swapping which message two slots point at (the assignments stay) is caught too."""
    data_dir, pid = copy
    conn = db(data_dir)
    a, b = message_at(conn, pid, 800), message_at(conn, pid, 801)
    conn.execute("BEGIN")
    conn.execute("UPDATE schedule SET message_id = '-' WHERE process = ? AND nonce = 800", (pid,))
    conn.execute("UPDATE schedule SET message_id = ? WHERE process = ? AND nonce = 801", (a, pid))
    conn.execute("UPDATE schedule SET message_id = ? WHERE process = ? AND nonce = 800", (b, pid))
    conn.execute("COMMIT")
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "800", text  # type: ignore[union-attr]


# -- export, bundle, replay ---------------------------------------------------------------------


def test_export_then_verify_bundle_in_a_fresh_directory_gives_the_same_final_hash(
    built: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = built
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 0
    node_hash = FINAL.search(text).group(1)  # type: ignore[union-attr]
    bundle = tmp_path / "process.bundle"
    assert aos_main(["export", pid, "-o", str(bundle), "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    # A separate OS process in a fresh directory, with a data dir that does not exist:
    # the bundle alone must be enough.
    fresh = tmp_path / "elsewhere"
    fresh.mkdir()
    moved = fresh / "p.bundle"
    shutil.move(bundle, moved)
    env_dir = fresh / "no-node-here"
    proc = subprocess.run(
        [sys.executable, "-m", "aos", "verify", "--bundle", str(moved)],
        cwd=fresh,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "AOS_DATA_DIR": str(env_dir)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle_hash = FINAL.search(proc.stdout).group(1)  # type: ignore[union-attr]
    assert bundle_hash == node_hash
    assert not env_dir.exists()


def test_a_tampered_bundle_names_the_bad_entry(
    built: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from aos.bundle import build_bundle, parse_bundle

    data_dir, pid = built
    bundle = tmp_path / "p.bundle"
    assert aos_main(["export", pid, "-o", str(bundle), "--data-dir", str(data_dir)]) == 0
    items = parse_bundle(bundle.read_bytes())
    # items: spawn, assignment 0, then (message, assignment) per nonce: swap nonces 10 and 11.
    i10, i11 = 2 + 2 * 9, 2 + 2 * 10
    items[i10 : i10 + 2], items[i11 : i11 + 2] = items[i11 : i11 + 2], items[i10 : i10 + 2]
    bundle.write_bytes(build_bundle(items))
    capsys.readouterr()
    code, text = verify(capsys, "--bundle", str(bundle))
    assert code == 1
    assert BAD.search(text).group(1) == "10", text  # type: ignore[union-attr]


def test_replay_evaluates_an_expression_on_a_past_state(
    built: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = built
    conn = db(data_dir)
    # Find the nonce of the first "x0 = ..." Eval and its value.
    rows = [
        (entry.nonce, item.data.decode("utf-8", "replace"))
        for entry, item in LogReader(data_dir).records(pid)
    ]
    head_before = conn.execute("SELECT count(*) FROM results").fetchone()[0]
    conn.close()
    assigns = [(n, d) for n, d in rows if d and d.startswith("x0 = ")]
    (n1, d1), (n2, d2) = assigns[0], assigns[1]
    assert aos_main(["replay", pid, "--to", str(n1), "--expr", "return x0",
                     "--data-dir", str(data_dir)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == d1.split("= ")[1]
    assert aos_main(["replay", pid, "--to", str(n2 - 1), "--expr", "return x0",
                     "--data-dir", str(data_dir)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == d1.split("= ")[1]
    assert aos_main(["replay", pid, "--to", str(n2), "--expr", "return x0",
                     "--data-dir", str(data_dir)]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == d2.split("= ")[1]
    # The default expression summarises the state; nothing was stored by any of this.
    assert aos_main(["replay", pid, "--to", "5", "--data-dir", str(data_dir)]) == 0
    summary = capsys.readouterr().out
    assert "Name:" in summary and "verified" in summary and "Tally" in summary
    conn = db(data_dir)
    assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == head_before
    conn.close()


def test_replay_past_the_end_is_a_clear_error(
    built: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = built
    assert aos_main(["replay", pid, "--to", "999999", "--data-dir", str(data_dir)]) == 1
    assert "has messages up to nonce" in capsys.readouterr().err


def test_verify_of_an_unknown_process_is_a_clear_error(
    built: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, _ = built
    code, text = verify(capsys, "nope", "--data-dir", str(data_dir))
    assert code == 1
    assert "no process with id or Name 'nope'" in text


def test_a_deleted_last_entry_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    head = conn.execute("SELECT head_nonce FROM processes WHERE id = ?", (pid,)).fetchone()[0]
    conn.execute("DELETE FROM schedule WHERE process = ? AND nonce = ?", (pid, head))
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == str(head), text  # type: ignore[union-attr]


def test_a_deleted_result_is_caught(
    copy: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = copy
    conn = db(data_dir)
    conn.execute("DELETE FROM results WHERE process = ? AND ordinate = 123 AND cron = ''", (pid,))
    conn.close()
    code, text = verify(capsys, pid, "--data-dir", str(data_dir))
    assert code == 1
    assert BAD.search(text).group(1) == "123", text  # type: ignore[union-attr]
    assert "stored no result" in text


def test_a_process_can_be_named_by_its_name_tag(
    built: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, pid = built
    code, text = verify(capsys, "verified", "--data-dir", str(data_dir))
    assert code == 0 and f"process {pid}" in text
