"""WAL checkpoints on their own thread, so that the node's writer never waits for one.

SQLite runs a checkpoint inside the commit that takes the WAL past its limit, and the
checkpoint syncs the WAL to disk first: under load on a small machine that is tens of ms
per ~16 MiB, during which the one writing thread admits nothing (measured: a quarter of
the writer's wall time in `aos bench node`). Here a thread checkpoints on its own
connection every `interval`: PASSIVE, which copies and syncs while the writer goes on
appending (and does nothing when nothing is new). SQLite starts the WAL from the top again
at the first write after a checkpoint that reached its end, which under a steady stream
of writes may not happen for a while; once the WAL holds `restart_frames`, a RESTART
forces it (see RESTART_FRAMES), and the store caps the file's size after each reset.

Used with Store.leave_checkpoints on every store that writes to the directory at rate.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from aos.node.store.store import Store

log = logging.getLogger("aos.node.store.checkpointer")


# RESTART makes new writes wait while it copies what PASSIVE has not yet and waits for
# readers, so it is kept rare: only once the WAL holds this many frames (256 MiB), after a
# burst that PASSIVE never caught up with. Measured on 6,000 scheduled messages: RESTART at
# 4,000 frames stalled single writes up to 23-37 ms, at this size never past 4-9 ms.
RESTART_FRAMES = 65_536
# A RESTART waits at most this long for a reader (a long `aos verify` may hold one) ...
RESTART_WAIT_MS = 50
# ... and after such a failure none is tried again for this long.
RESTART_BACKOFF = 5.0


class Checkpointer:
    def __init__(
        self, store: Store, interval: float = 0.2, restart_frames: int = RESTART_FRAMES
    ) -> None:
        self.path = store.path
        self.interval = interval
        self.restart_frames = restart_frames
        self._next_restart = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aos-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        return conn

    def _run(self) -> None:
        conn = self.connect()
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.run_once(conn)
                except sqlite3.Error as err:  # the next round tries again
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
        if frames >= self.restart_frames and time.monotonic() >= self._next_restart:
            done = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            if done is None or done[0]:  # busy: a reader kept its snapshot
                self._next_restart = time.monotonic() + RESTART_BACKOFF
        return frames
