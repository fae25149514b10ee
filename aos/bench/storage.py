"""`aos bench storage`: bytes of the log per message, by table, after N signed messages.

Runs the throughput bench of `aos bench node` (RSA-signed messages posted to `aos serve`,
every one scheduled and evaluated) over a data directory of its own, then reads how many
bytes each table and index of `node.sqlite3` takes (SQLite's dbstat, after a checkpoint)
and divides by N. What is measured is the file a user's disk holds: pages, not payload.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from aos.bench.node import throughput
from aos.log.schema import DB_NAME

TARGET_BYTES = 3000


def bytes_by_table(db: Path) -> dict[str, int]:
    """Bytes of pages per table and index (dbstat), or the whole file under "file"."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            return {"file": db.stat().st_size}
        return {name: int(size) for name, size in rows if size}
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aos bench storage", description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000, help="messages to post.")
    parser.add_argument("--ed25519", action="store_true", help="sign with Ed25519, not RSA.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aos-bench-storage-") as tmp:
        run = throughput(args.messages, 8, not args.ed25519, 1, data_dir=Path(tmp))
        if run["counted"] != args.messages or run["errors"]:
            print(f"only {run['counted']} of {args.messages} messages were evaluated")
            return 1
        sizes = bytes_by_table(Path(tmp) / DB_NAME)
    n = args.messages
    total = sum(sizes.values())
    print(f"{n} {run['signature']} messages, one process; bytes per message by table:")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        if size / n >= 1:
            print(f"  {name:32} {size / n:7.0f}")
    per = total / n
    print(f"storage: {per:.0f} bytes per message (target <= {TARGET_BYTES})")
    return 0 if per <= TARGET_BYTES else 1
