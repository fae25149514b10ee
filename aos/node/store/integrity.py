"""Is the node database fit to open? Checked before anything connects to write.

A damaged file used to be taken for an empty one (issue 12, point 9): 4 KiB zeroed in the
middle, or a file cut to 0 bytes, and `aos serve` started, `aos --list` said there were no
processes, and the shell spawned a new process into the damaged file. Now, before the
store connects:

  - a file of 0 bytes, or one with no tables, in a directory that holds the node's keys is
    refused: the keys are made after the log (Node), so such a directory had a log and
    lost it; without the keys it is a node being created, as it always was;
  - any other file must open as SQLite and pass PRAGMA quick_check (it reads every page, a
    fraction of a second per 50 MB; the full integrity_check is `aos verify`'s);
  - except a file exactly as this node left it: when the last connection of a store
    closes cleanly (no write-ahead log left), `remember_clean` writes the file's device,
    inode, size, mtime and ctime beside it; an open that finds the same five (ctime
    cannot be set back by any tool: every write, rename or copy changes it) and no
    write-ahead log skips the scan. It cost 0.42 s of every attach at 100,000 messages
    (233 MB), the largest part of it. Damage while the node had the file open is not
    what this check is for (SQLite reports what it reads) and stays `aos verify`'s.

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


CLEAN_SUFFIX = ".clean"


def _fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def left_clean(path: Path) -> bool:
    """Whether the file at `path` is exactly as a clean close left it."""
    marker = path.with_name(path.name + CLEAN_SUFFIX)
    try:
        return not _has_wal(path) and marker.read_text() == _fingerprint(path)
    except (OSError, UnicodeDecodeError):
        return False


def remember_clean(path: Path) -> None:
    """After the store's last connection closed: record the file as it is now, unless
    another connection (another OS process) still has a write-ahead log open on it."""
    marker = path.with_name(path.name + CLEAN_SUFFIX)
    try:
        if not path.exists() or _has_wal(path):
            marker.unlink(missing_ok=True)
            return
        partial = marker.with_name(marker.name + ".part")
        partial.write_text(_fingerprint(path))
        partial.replace(marker)
    except OSError:
        pass  # (a read-only directory: the next open scans the file, as it always did)


def check_database(path: Path, identity: Sequence[str] = ()) -> None:
    """StoreError (one sentence) if the database at `path` must not be opened; `identity`
    names the files whose presence in its directory means a node lived there."""
    if not path.exists():
        return
    if left_clean(path):
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
    mode = "mode=ro" if _has_wal(path) else "immutable=1"
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
