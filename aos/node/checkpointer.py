"""WAL checkpoints on their own thread, so that the node's writer never waits for one.

SQLite runs a checkpoint inside the commit that takes the WAL past its limit, and the
checkpoint syncs the WAL to disk first: under load on a small machine that is tens of ms
per ~16 MiB, during which the one writing thread admits nothing (measured: a quarter of
the writer's wall time in `aos bench node`). Here a thread checkpoints on its own
connection every `interval`: PASSIVE, which copies and syncs while the writer goes on
appending (and does nothing when nothing is new), then, once the WAL holds more than
`restart_frames`, RESTART, which waits for the writer between two transactions and copies
only what arrived meanwhile, so that the next write starts the WAL from the top again (a
WAL that is never checkpointed to its end only grows).

Used with Store.leave_checkpoints on every store that writes to the directory at rate.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from aos.node.store import AUTOCHECKPOINT_PAGES, Store

log = logging.getLogger("aos.node.checkpointer")


class Checkpointer:
    def __init__(
        self, store: Store, interval: float = 0.2, restart_frames: int = AUTOCHECKPOINT_PAGES
    ) -> None:
        self.path = store.path
        self.interval = interval
        self.restart_frames = restart_frames
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aos-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0.5, isolation_level=None)
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.run_once(conn)
                except sqlite3.Error as err:  # busy: the next round tries again
                    log.debug("checkpoint skipped: %s", err)
            self.run_once(conn)  # leave the WAL checkpointed on a clean stop
        except sqlite3.Error as err:
            log.debug("last checkpoint skipped: %s", err)
        finally:
            conn.close()

    def run_once(self, conn: sqlite3.Connection) -> int:
        """One round; returns how many WAL frames there were."""
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        frames = int(row[1]) if row else 0
        if frames >= self.restart_frames:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        return frames
