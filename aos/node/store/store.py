"""The node's SQLite log, the face: opening it, the read pool, the writer, transactions.

One file (`node.sqlite3`) in the data directory, in WAL mode with synchronous=NORMAL: a
commit is durable against a process crash (what "acknowledged" promises) without an fsync
per message. Several OS processes may open the same file: every write is one
`BEGIN IMMEDIATE` transaction, which takes SQLite's write lock, so all writers see one
global order. Inside one OS process a lock serialises writers first (datasette's
single-writer idea), so threads never spin in SQLite's busy handler against each other.

Reads borrow a connection from a small pool and give it back after the statement, so the
number of connections is bounded by how many reads run at once, never by how many threads
ever read (a server's thread pool replaces its threads over time: one connection per
thread grew without end). Everything returned is a dataclass, never a row.

Store's reads and writes of each table are mixins, one module each beside this one (items,
schedule, processes, results, pushes, verdicts, snapshots), which reach the database only
through `_rows`, `_one` and `write` (aos.node.store.access). The statements of a write
transaction are in aos.node.store.tx, the schema in aos.log.schema and its upgrades in
aos.node.store.migrate.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aos.errors import StoreError
from aos.log.schema import DB_NAME
from aos.node.store.integrity import check_database, remember_clean
from aos.node.store.items import Items
from aos.node.store.migrate import migrate
from aos.node.store.processes import Processes
from aos.node.store.pushes import Pushes
from aos.node.store.results import Results
from aos.node.store.schedule import Schedule
from aos.node.store.snapshots import Snapshots
from aos.node.store.tx import Tx
from aos.node.store.verdicts import Verdicts

log = logging.getLogger("aos.node.store")

AUTOCHECKPOINT_PAGES = 4000
# Read connections kept open for the next reads (more only while more reads run at once).
IDLE_READERS = 4
WAL_SIZE_LIMIT = 64 * 2**20
# How long opening a connection waits for another OS process's lock (see `_connect`).
SETUP_TIMEOUT_SECONDS = 30.0


class Store(Items, Schedule, Processes, Results, Pushes, Verdicts, Snapshots):
    """The SQLite log of one data directory. Thread-safe; several OS processes may share it."""

    def __init__(self, data_dir: Path, check: bool = True, identity: Sequence[str] = ()) -> None:
        """Open (or create) the log of `data_dir`. With `check`, a damaged or lost file
        is refused first (aos.node.store.integrity; `identity`: the node's key files)."""
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        if check:
            check_database(self.path, identity)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._idle: list[sqlite3.Connection] = []  # read connections not in use
        self._write_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        # The thread inside `batch()`, if any, and what runs once its batch has committed.
        self._batch_thread: int | None = None
        self._after_commit: dict[Hashable, Callable[[], None]] = {}
        self._closed = False
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.autocheckpoint = AUTOCHECKPOINT_PAGES
        self._migrate()

    # -- connections ---------------------------------------------------------------------
    def _connect(self, busy_timeout_ms: int = 30_000) -> sqlite3.Connection:
        try:
            # The set-up waits for a lock whatever `busy_timeout_ms` says: another OS
            # process holds the file for a moment while its last connection closes
            # (checkpointing and removing the WAL), and opening then must wait, not fail.
            conn = sqlite3.connect(
                self.path,
                timeout=SETUP_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint every ~16 MiB of WAL rather than 4: fewer fsyncs under load (0
            # when an aos.node.store.checkpointer does it on its own connection).
            conn.execute(f"PRAGMA wal_autocheckpoint={self.autocheckpoint}")
            # A WAL that grew during a burst is cut back to this when it starts over.
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the node database {self.path}: {err}") from err
        with self._all_lock:
            self._all.append(conn)
        return conn

    def leave_checkpoints(self) -> None:
        """Never checkpoint in a commit of this store (an aos.node.store.checkpointer, here or in
        another process, does it): a checkpoint syncs the WAL, which can take tens of ms,
        and a writer that waits for it holds up every message behind it."""
        self.autocheckpoint = 0
        with self._all_lock:
            for conn in self._all:
                conn.execute("PRAGMA wal_autocheckpoint=0")

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection for one statement (from the pool, or a new one). Inside a
        batch, its own thread reads on the writer: it must see what the batch wrote."""
        if self._batch_thread == threading.get_ident() and self._writer is not None:
            yield self._writer
            return
        with self._all_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._all_lock:
                if len(self._idle) < IDLE_READERS and conn in self._all:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                self._forget(conn)

    def _forget(self, conn: sqlite3.Connection) -> None:
        with self._all_lock:
            if conn in self._all:
                self._all.remove(conn)
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a read. The cursor is closed at once: a cursor left open (half read, or
        kept alive by a traceback) holds a WAL read snapshot, and every later read on
        that connection would see the log as it was then."""
        with self._reading() as conn:
            cur = conn.execute(sql, params)
            try:
                return cur.fetchall()
            finally:
                cur.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._reading() as conn:
            cur = conn.execute(sql, params)
            try:
                return cur.fetchone()
            finally:
                cur.close()

    def _migrate(self) -> None:
        with self.write() as tx:
            rewritten = migrate(tx.conn, self.path)
        if rewritten:
            # Give the old columns' pages back to the file system, once. Another OS process
            # that has the file open may hold a lock: then the free pages are simply
            # reused by the next writes.
            assert self._writer is not None
            try:
                self._writer.execute("VACUUM")
            except sqlite3.OperationalError:
                pass

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
            self._idle.clear()
        self._writer = None
        self._closed = True  # a write from a thread that outlived the node would reopen it
        # (the last connection's close checkpointed the WAL into the file and removed it,
        # unless another one is still open: then nothing is recorded)
        remember_clean(self.path)

    def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, waiting for another OS process's write lock in short steps.

        SQLite's own busy handler sleeps 1, 2, 5, 10 ms… between tries, which under two
        writing processes (aos serve --workers, two shells) costs more than the
        transactions themselves; this loop retries after 50 µs, backing off to 2 ms."""
        deadline = time.monotonic() + 30.0
        delay = 0.00005
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as err:
                busy = isinstance(err, sqlite3.OperationalError) and (
                    "locked" in str(err) or "busy" in str(err)
                )
                if not busy:  # e.g. a damaged file (DatabaseError): the caller's StoreError
                    raise StoreError(f"cannot write to {self.path}: {err}") from err
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self.path} stayed locked by another process for 30 s"
                    ) from err
            time.sleep(delay)
            delay = min(delay * 2, 0.002)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any exception.
        Writers of this OS process take turns on one connection (no busy waiting among
        threads); other OS processes are waited for in `_begin`. Inside a `batch()` on the
        same thread it is a savepoint of the batch's transaction instead."""
        if self._batch_thread == threading.get_ident():
            yield from self._savepoint()
            return
        with self._write_lock:
            conn = self._writer_conn()
            self._begin(conn)
            try:
                yield Tx(conn)
            except BaseException:
                self._rollback(conn)
                raise
            self._commit(conn)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group commit: every `write()` of this thread until the end is a savepoint of one
        transaction, committed once. A write that fails is undone alone (its savepoint);
        one commit fails or keeps them all. The COMMIT was ~210 µs of a message's ~470 µs
        of scheduling (pages of the same B-trees written again each time), so the sequencer
        schedules what has arrived together in one. `after_commit` work runs after it."""
        with self._write_lock:
            conn = self._writer_conn()
            self._begin(conn)
            self._batch_thread = threading.get_ident()
            try:
                yield
            except BaseException:
                self._after_commit.clear()
                self._rollback(conn)
                raise
            finally:
                self._batch_thread = None
            try:
                self._commit(conn)
            except StoreError:
                self._after_commit.clear()
                self._rollback(conn)
                raise
            pending, self._after_commit = self._after_commit, {}
        for run in pending.values():
            try:
                run()
            except Exception:  # the batch is committed: a failing follow-up must not hide it
                log.exception("work after a commit of %s failed", self.path)

    def after_commit(self, key: Hashable, run: Callable[[], None]) -> None:
        """Run `run` once what this thread has written is committed: now, or at the end of
        its batch (once per `key` in a batch: a process is woken once, not per message)."""
        if self._batch_thread == threading.get_ident():
            self._after_commit[key] = run
        else:
            run()

    def _savepoint(self) -> Iterator[Tx]:
        conn = self._writer_conn()
        if not conn.in_transaction:
            # SQLite rolled the batch's transaction back by itself (a full disk, an I/O
            # error): a SAVEPOINT now would start a transaction of its own, and its RELEASE
            # commit it, while the batch is answered as failed.
            raise StoreError(f"cannot write to {self.path}: the batch's transaction was lost")
        conn.execute("SAVEPOINT one_write")
        try:
            yield Tx(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO one_write")
                conn.execute("RELEASE one_write")
            raise
        conn.execute("RELEASE one_write")

    def _writer_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self.path} is closed: the node has stopped")
        if self._writer is None:
            self._writer = self._connect(busy_timeout_ms=0)
        return self._writer

    def _rollback(self, conn: sqlite3.Connection) -> None:
        """Roll back what is open, if anything is (SQLite may have rolled it back itself).
        A failure here must not hide the error that made us roll back, nor leave the writer
        inside a transaction: then the connection is closed (which rolls back) and the next
        write opens another."""
        if not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            if conn is self._writer:
                self._writer = None
            self._forget(conn)

    def _commit(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            # Never leave the writer inside a transaction: the next write would fail.
            self._rollback(conn)
            raise StoreError(f"cannot commit to {self.path}: {err}") from err
