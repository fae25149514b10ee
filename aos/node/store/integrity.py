"""Is the node database fit to open? Checked before anything connects to write.

A damaged file used to be taken for an empty one (issue 12, point 9): 4 KiB zeroed in the
middle, or a file cut to 0 bytes, and `aos serve` started, `aos --list` said there were no
processes, and the shell spawned a new process into the damaged file. Now, before the
store connects:

  - a file of 0 bytes, or one with no tables, in a directory that holds the node's keys is
    refused: the keys are made after the log (Node), so such a directory had a log and
    lost it; without the keys it is a node being created, as it always was;
  - any other file must open as SQLite and pass PRAGMA quick_check (it reads every page, a
    fraction of a second per 50 MB; the full integrity_check is `aos verify`'s).

Every refusal is one sentence: what is wrong with which file, and what to do. The check
writes nothing: without a write-ahead log it opens the file `immutable` (no -wal or -shm
is created), with one `mode=ro` (which reads it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from aos.errors import StoreError
from aos.log.reader import one_line


def _remedy(data_dir: Path) -> str:
    return (
        f"restore it from a backup, or move {data_dir} away to start a new node there "
        "(nothing was written)"
    )


def check_database(path: Path, identity: Sequence[str] = ()) -> None:
    """StoreError (one sentence) if the database at `path` must not be opened; `identity`
    names the files whose presence in its directory means a node lived there."""
    if not path.exists():
        return
    data_dir = path.parent
    keys = [name for name in identity if (data_dir / name).exists()]
    size = path.stat().st_size
    if size == 0:
        if keys:
            raise StoreError(
                f"{path} is empty (0 bytes), but {data_dir} holds this node's keys "
                f"({', '.join(keys)}), so its log was lost: {_remedy(data_dir)}"
            )
        return
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "immutable=1"
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?{mode}", uri=True, timeout=30)
    except sqlite3.Error as err:
        raise StoreError(f"{path} cannot be opened ({err}): {_remedy(data_dir)}") from None
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        count = tables.fetchone()[0]
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} is damaged ({err}): {_remedy(data_dir)}") from None
    finally:
        conn.close()
    if problems != ["ok"]:
        detail = one_line(problems)
        raise StoreError(f"{path} is damaged (SQLite's quick_check: {detail}): {_remedy(data_dir)}")
    if count == 0 and keys:
        raise StoreError(
            f"{path} holds no node log (no tables), but {data_dir} holds this node's keys "
            f"({', '.join(keys)}): {_remedy(data_dir)}"
        )
