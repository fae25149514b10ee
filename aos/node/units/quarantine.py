"""Which message ended the evaluating OS process, and its quarantine once it did so too often.

A message can end the OS process that evaluates it in ways no Python code survives: a crash
below Lua, an abort, the kernel's OOM killer. The next evaluator (the restarted child of
`aos serve`, the next shell) would evaluate it again and end again, for ever. So the OS
process that holds the data directory's crank records, around every runtime call it makes,
which evaluation is running, in a small memory-mapped file (`evaluating.flight`): a write to
shared memory, no system call, and it survives the process's death in the kernel's page
cache. The next process to take the crank (Crank.on_lead) reads what was left running,
counts one death for each such evaluation in the store (`evaluator_deaths`), and after
QUARANTINE_DEATHS records its verdict (aos.log.verdicts): from then on every replay
takes the Error "quarantined: this message ended its evaluator N times" instead of running
it. A message whose result is already stored is never quarantined (history is not
rewritten); its deaths are logged.

The file holds one slot per evaluating thread (the crank's, and request threads that
evaluate on demand): a death is counted for every slot left running, so a message that was
evaluating on another thread at that moment is counted too, which a threshold of three makes
harmless. Only the crank holder writes; followers and `aos serve` workers never do.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from aos.log.verdicts import QUARANTINE_DEATHS, VerdictKey
from aos.node.store import Store

log = logging.getLogger("aos.node.units.quarantine")

FLIGHT_FILE = "evaluating.flight"
SLOTS = 64
_SLOT = 160
# state u8 (1 = running), OS pid u32, timestamp i64, ordinate i64, then the process id and
# the cron key, each as length u8 + bytes
_HEAD = struct.Struct("<BIqq")
_MAX_TEXT = 64


class FlightRecorder:
    """The memory-mapped slots of one data directory (see the module docstring)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FLIGHT_FILE
        size = SLOTS * _SLOT
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size != size:
                os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._local = threading.local()
        self._next = 0
        self._lock = threading.Lock()

    def _slot(self) -> int:
        slot: int | None = getattr(self._local, "slot", None)
        if slot is None:
            with self._lock:
                slot = self._next % SLOTS
                self._next += 1
            self._local.slot = slot
        return slot

    def begin(self, pid: str, key: VerdictKey) -> None:
        """This thread now runs evaluation `key` of `pid` (the state byte is written last,
        so a slot is never marked running with half its fields)."""
        base = self._slot() * _SLOT
        timestamp, ordinate, cron = key
        pid_raw = pid.encode()[:_MAX_TEXT]
        cron_raw = cron.encode()[:_MAX_TEXT]
        body = (
            _HEAD.pack(0, os.getpid(), timestamp, ordinate)
            + bytes([len(pid_raw)])
            + pid_raw
            + bytes([len(cron_raw)])
            + cron_raw
        )
        self._map[base : base + len(body)] = body
        self._map[base] = 1

    def end(self) -> None:
        self._map[self._slot() * _SLOT] = 0

    def left_running(self) -> list[tuple[str, VerdictKey]]:
        """Every (pid, key) whose slot says running, and clear them all."""
        found = []
        for slot in range(SLOTS):
            base = slot * _SLOT
            state, _, timestamp, ordinate = _HEAD.unpack_from(self._map, base)
            if state != 1:
                continue
            at = base + _HEAD.size
            pid_len = self._map[at]
            pid = self._map[at + 1 : at + 1 + pid_len].decode(errors="replace")
            at += 1 + pid_len
            cron_len = self._map[at]
            cron = self._map[at + 1 : at + 1 + cron_len].decode(errors="replace")
            found.append((pid, (timestamp, ordinate, cron)))
            self._map[base] = 0
        self._map.flush()
        return found

    def close(self) -> None:
        self._map.close()


class Watch:
    """The evaluator's watcher for one process (aos.log.evaluator.Watcher): records into
    the flight file while this OS process holds the crank."""

    __slots__ = ("pid", "recorder", "leading")

    def __init__(self, pid: str, recorder: FlightRecorder, leading: Callable[[], bool]) -> None:
        self.pid = pid
        self.recorder = recorder
        self.leading = leading

    def begin(self, key: VerdictKey) -> None:
        if self.leading():
            self.recorder.begin(self.pid, key)

    def end(self) -> None:
        if self.leading():
            self.recorder.end()


def count_deaths(store: Store, recorder: FlightRecorder) -> list[str]:
    """Called by a new crank holder: count the deaths the flight file shows, quarantine
    what reached the threshold; returns the processes affected (to evaluate again)."""
    processes = []
    for pid, key in recorder.left_running():
        try:
            deaths, quarantined = store.record_death(pid, key, QUARANTINE_DEATHS)
        except Exception as err:  # a damaged flight file must not stop the crank
            log.warning("could not count the evaluator death of %s at %s: %s", pid, key, err)
            continue
        what = f"cron tick {key[2]} at {key[0]}" if key[2] else f"nonce {key[1]}"
        if quarantined:
            log.error(
                "process %s, %s: ended its evaluator %d times; quarantined (its result is an"
                " Error, and no replay runs it again)",
                pid,
                what,
                deaths,
            )
        else:
            log.warning(
                "the evaluator ended while running process %s, %s (%d of %d before quarantine)",
                pid,
                what,
                deaths,
                QUARANTINE_DEATHS,
            )
        processes.append(pid)
    return processes
