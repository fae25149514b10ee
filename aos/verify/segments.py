"""`aos verify` of a data directory as independent units of work, on every core, in chunks.

A log is checked in two kinds of unit, each reading only its own range of the log from a
read-only connection, a chunk at a time, so memory stays flat however long the log is:

* a check unit takes nonces a..b: it parses the signed bytes, checks their structure, the
  hash chain (linked to entry a-1), every signature and the store's columns against the
  signed bytes, and the stored results of those nonces on their own (hash of the JSON,
  link in the result chain);
* a replay unit evaluates nonces a..b from nothing (a = 0) or from the stored snapshot at
  nonce a-1, compares every result hash with the stored one, and, when a snapshot is
  stored at b, checks that the state it reached hashes to that snapshot. A snapshot used
  as a start must carry the data directory's MAC and agree with the result chain.

Without snapshots the replay is one unit over the whole log, run while the check units
share the other cores; with them (`use_snapshots`) the replay is cut at snapshots too, so
that it, too, runs on all cores. The report names the earliest problem any unit found.
Small logs run in this process; long ones in a pool of worker processes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aos.dataitem import DataItem
from aos.errors import SnapshotRefused, VerifyError
from aos.log.evaluator import Evaluated
from aos.log.hashchain import first_hash_chain, next_hash_chain
from aos.log.keeper import RollbackFailed
from aos.log.reader import LogReader
from aos.log.resulthash import GENESIS_CHAIN, chain_hash, result_hash
from aos.log.snapshots import of_another_build, snapshot_key
from aos.log.snapshots import problem as snapshot_problem
from aos.verify.logcheck import LogEntry, Problem, check_entry, int_tag
from aos.verify.replay import Replayer
from aos.verify.signatures import signature_defect
from aos.verify.source import log_entry, parse_stored

CHUNK = 1000  # entries read, parsed and evaluated at a time
CHECK_UNIT = 5000  # entries per check unit
INLINE_MAX = 3000  # logs up to this long are verified in this process


@dataclass(frozen=True, slots=True)
class Unit:
    kind: str  # "check" or "replay"
    first: int
    last: int
    start_snapshot: int | None = None  # a replay that starts from the snapshot at first-1
    end_snapshot: int | None = None  # a stored snapshot at `last` to compare the state with
    horizon: int | None = None  # cron ticks after the last message (the final replay)


@dataclass
class Outcome:
    unit: Unit
    problem: Problem | None = None
    entries: int = 0
    replayed: int = 0
    compared: int = 0
    final_hash: str | None = None
    last_position: int = -1  # of the last evaluation replayed
    mismatch: tuple[int, Any] | None = None  # (position, replayed result) of a difference


# -- check units --------------------------------------------------------------------------
def _check(data_dir: Path, pid: str, unit: Unit) -> Outcome:
    out = Outcome(unit)
    reader = LogReader(data_dir)
    with reader.snapshot() as conn:
        if unit.first == 0:
            raw = reader.item_raw(conn, pid)
            process = parse_stored(raw, f"process item {pid}")
            if isinstance(process, str):
                out.problem = Problem(None, pid, process)
                return out
            if process.tag("Type") != "Process":
                out.problem = Problem(None, pid, "the first item is not a process (Type=Process)")
                return out
            if not process.verify():
                out.problem = Problem(
                    None, pid, "the signature of the process item does not verify"
                )
                return out
            chain, previous_ts = first_hash_chain(pid), 0
        else:
            previous = reader.slots(conn, pid, unit.first - 1, unit.first - 1)
            parsed = parse_stored(previous[0]["assignment_raw"], "assignment") if previous else ""
            if isinstance(parsed, str):
                # The unit that checks that entry says what is wrong with it.
                chain, previous_ts = "", 0
            else:
                chain = next_hash_chain(parsed.id, parsed.tag("Hash-Chain") or "")
                previous_ts = int_tag(parsed, "Timestamp") or 0
        start = unit.first
        while start <= unit.last and out.problem is None:
            end = min(start + CHUNK - 1, unit.last)
            rows = reader.slots(conn, pid, end, start)
            for position, row in zip(range(start, end + 1), rows, strict=False):
                entry: LogEntry = log_entry(row, check_columns=True)
                what = check_entry(pid, position, entry, chain, previous_ts) if chain else None
                if what is None and entry.defect is not None:
                    what = entry.defect
                if what is None:
                    what = signature_defect(entry)
                if what is not None:
                    out.problem = Problem(position, entry.message_id, what)
                    break
                assert entry.assignment is not None
                previous_ts = int_tag(entry.assignment, "Timestamp") or 0
                chain = next_hash_chain(entry.assignment.id, chain) if chain else ""
                out.entries += 1
            if len(rows) < end - start + 1 and out.problem is None:
                out.problem = Problem(start + len(rows), None, "entries are missing from the log")
            start = end + 1
        results_problem = _check_results(reader, conn, pid, unit.first, unit.last)
        out.problem = _earliest(out.problem, results_problem)
    return out


def _check_results(reader: LogReader, conn: Any, pid: str, first: int, last: int) -> Problem | None:
    """The stored results of nonces first..last on their own: each hash from its JSON, each
    chain hash from the one before it (which the unit before checks in turn)."""
    rows = reader.results_of_nonces(conn, pid, first, last)
    if not rows:
        return None
    before = reader.result_at(conn, pid, rows[0]["position"] - 1) if rows[0]["position"] else None
    if rows[0]["position"] > 0 and before is None:
        return Problem(rows[0]["ordinate"], rows[0]["message_id"] or None,
                       "stored results before this one are missing")  # fmt: skip
    chain = GENESIS_CHAIN if before is None else before["chain_hash"]
    expected_position = rows[0]["position"]
    for row in rows:
        where = (row["ordinate"], row["message_id"] or None)
        if row["position"] != expected_position:
            return Problem(*where, f"stored result number {expected_position} is at position "
                           f"{row['position']}: results are missing or out of order")  # fmt: skip
        try:
            value = json.loads(row["result"])
        except ValueError:
            return Problem(*where, "the stored result is not valid JSON")
        if not isinstance(value, dict):
            return Problem(*where, "the stored result is not a JSON object")
        if result_hash(value) != row["result_hash"]:
            return Problem(*where, "the stored result does not match its stored result hash")
        chain = chain_hash(chain, row["result_hash"])
        if chain != row["chain_hash"]:
            return Problem(
                *where, "the stored chain hash does not follow from the results before it"
            )
        expected_position += 1
    return None


# -- replay units -------------------------------------------------------------------------
def _replay(data_dir: Path, pid: str, unit: Unit) -> Outcome:
    out = Outcome(unit)
    reader = LogReader(data_dir)
    with reader.snapshot() as conn:
        raw = reader.item_raw(conn, pid)
    process = parse_stored(raw, f"process item {pid}")
    if isinstance(process, str):
        out.problem = Problem(None, pid, process)
        return out
    # The node's verdicts (quarantined messages, aos.log.verdicts) are adopted, as the
    # compute unit does; the report names them.
    replayer = Replayer(process, verdicts=reader.verdicts(pid))
    position = 0
    if unit.start_snapshot is not None:
        started = _start(reader, data_dir, pid, unit, replayer, process)
        if isinstance(started, Problem):
            out.problem = started
            return out
        position = started
    start = unit.first
    while start <= unit.last:
        end = min(start + CHUNK - 1, unit.last)
        records = reader.records(pid, to_nonce=end, after_nonce=start - 1)
        done = list(replayer.evaluate_records(records))
        if end == unit.last and unit.horizon is not None:
            done.extend(replayer.evaluate_records([], unit.horizon))
        found = _compare(reader, pid, position, done, out)
        if found is not None:
            out.problem = found
            return out
        position += len(done)
        if len(records) < end - start + 1:
            break  # a missing entry: the check unit of that range names it
        start = end + 1
    out.last_position = position - 1
    if unit.end_snapshot is not None:
        out.problem = _end_state(reader, pid, unit, replayer)
    return out


def _start(
    reader: LogReader, data_dir: Path, pid: str, unit: Unit, replayer: Replayer, process: DataItem
) -> int | Problem:
    """Start `replayer` from the snapshot at unit.first-1; the next position, or why not."""
    at = unit.first - 1
    row = reader.latest_snapshot(pid, at_most=at)
    if row is None or row.nonce != at:
        return Problem(at, None, "the snapshot this segment starts from is gone")
    why = snapshot_problem(snapshot_key(data_dir, create=False), row)
    if why is not None:
        return Problem(at, None, f"tampered snapshot: {why}")
    with reader.snapshot() as conn:
        stored = reader.result_at(conn, pid, row.position)
        spawn = reader.records(pid, to_nonce=0)
    if stored is None or stored["chain_hash"] != row.chain_hash or stored["ordinate"] != at:
        return Problem(at, None, "tampered snapshot: it does not agree with the result chain")
    try:
        replayer.start_from(spawn[0], row)
    except (SnapshotRefused, ValueError) as err:
        return Problem(at, None, f"the snapshot at nonce {at} cannot be restored: {err}")
    return row.position + 1


def _compare(
    reader: LogReader, pid: str, position: int, done: list[Evaluated], out: Outcome
) -> Problem | None:
    if not done:
        return None
    with reader.snapshot() as conn:
        stored = reader.results_between(conn, pid, position, position + len(done) - 1)
    for index, ev in enumerate(done):
        out.replayed += 1
        out.final_hash = ev.chain_hash
        if index >= len(stored):
            continue  # not evaluated by the node yet
        want = stored[index]
        key = (want["ordinate"], want["cron"] or "", want["message_id"])
        got = (ev.ordinate, ev.cron or "", ev.message_id)
        if key != got:
            if key[:2] > got[:2]:
                what = "the node stored no result for this evaluation (results are missing)"
            else:
                what = (
                    f"the replay evaluated nonce {ev.ordinate} {ev.cron or ev.message_id} "
                    f"where the node stored a result for nonce {want['ordinate']} "
                    f"{want['cron'] or want['message_id']}"
                )
            return Problem(ev.ordinate, ev.message_id or None, what)
        if want["result_hash"] != ev.result_hash:
            out.mismatch = (position + index, ev.result)
            return Problem(
                ev.ordinate,
                ev.message_id or None,
                "the replayed result differs from the stored one "
                f"(hash {ev.result_hash[:16]}… instead of {want['result_hash'][:16]}…)",
            )
        out.compared += 1
    return None


def _end_state(reader: LogReader, pid: str, unit: Unit, replayer: Replayer) -> Problem | None:
    """Whether the state the segment reached is the stored snapshot at its end."""
    row = reader.latest_snapshot(pid, at_most=unit.last)
    if row is None or row.nonce != unit.last:
        return None
    if of_another_build(snapshot_key(reader.data_dir, create=False), row):
        return None  # another runtime's tables: not comparable
    try:
        data = replayer.snapshot()
    except SnapshotRefused:
        return None  # (the node could not have stored one here either)
    if hashlib.sha256(data).hexdigest() != row.state_hash:
        return Problem(unit.last, None, "tampered snapshot: the stored snapshot at this nonce "
                       "is not the state the log gives")  # fmt: skip
    return None


def run_unit(data_dir: Path, pid: str, unit: Unit) -> Outcome:
    """One unit, in this process (also what the pool's workers run)."""
    try:
        return _check(data_dir, pid, unit) if unit.kind == "check" else _replay(data_dir, pid, unit)
    except VerifyError as err:
        return Outcome(unit, Problem(unit.first, None, str(err)))
    except RollbackFailed as err:
        # (a message that succeeded failed when evaluated again after a rollback: the
        # replay cannot go on from a state the log does not give)
        return Outcome(unit, Problem(unit.first, None, f"the replay could not go on: {err}"))


# -- planning and running -----------------------------------------------------------------
def usable_snapshots(data_dir: Path, pid: str, last: int) -> list[int]:
    """Nonces (< last) of stored snapshots this build can start a segment from: all but
    sound ones of another build of the runtime (a tampered one stays, to be named)."""
    reader = LogReader(data_dir)
    key = snapshot_key(data_dir, create=False)
    usable = []
    for n in reader.snapshot_nonces(pid):
        if 0 <= n < last:
            row = reader.latest_snapshot(pid, at_most=n)
            if row is not None and not of_another_build(key, row):
                usable.append(n)
    return usable


def plan(last: int, horizon: int | None, snapshots: list[int], cores: int) -> list[Unit]:
    """The units for nonces 0..last: check units of CHECK_UNIT entries, and the replay cut
    at (up to 2 × cores - 1 evenly chosen) snapshots."""
    units = []
    cuts: list[int] = []
    if snapshots and cores > 1:
        wanted = min(len(snapshots), 2 * cores - 1)
        for k in range(1, wanted + 1):
            target = last * k // (wanted + 1)
            best = min(snapshots, key=lambda n: abs(n - target))
            if best not in cuts:
                cuts.append(best)
        cuts.sort()
    start = 0
    for i, cut in enumerate([*cuts, last]):
        units.append(Unit(
            "replay", start, cut,
            start_snapshot=None if start == 0 else start - 1,
            end_snapshot=cut if i < len(cuts) else None,
            horizon=horizon if i == len(cuts) else None,
        ))  # fmt: skip
        start = cut + 1
    for first in range(0, last + 1, CHECK_UNIT):
        units.append(Unit("check", first, min(first + CHECK_UNIT - 1, last)))
    return units


def run_units(
    data_dir: Path,
    pid: str,
    units: list[Unit],
    total: int,
    cores: int,
    on_done: Callable[[Outcome], None],
) -> list[Outcome]:
    if total <= INLINE_MAX or cores < 2:
        outcomes = []
        for unit in units:
            outcome = run_unit(data_dir, pid, unit)
            on_done(outcome)
            outcomes.append(outcome)
        return outcomes
    # fork starts at once and shares what is imported; with other threads running (a node
    # in the same process, as in tests) a forked child could inherit a held lock.
    method = "fork" if threading.active_count() == 1 else "spawn"
    context = multiprocessing.get_context(method)
    outcomes = []
    with ProcessPoolExecutor(max_workers=cores, mp_context=context) as pool:
        futures = [pool.submit(run_unit, data_dir, pid, unit) for unit in units]
        for future in futures:
            outcome = future.result()
            on_done(outcome)
            outcomes.append(outcome)
    return outcomes


def cores() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _earliest(*problems: Problem | None) -> Problem | None:
    found = [p for p in problems if p is not None]
    if not found:
        return None
    return min(found, key=lambda p: -1 if p.nonce is None else p.nonce)
