"""`aos verify` as a function: check a stored or exported log and replay it in a worker.

Three checks run, and the report names the earliest entry any of them finds wrong:

1. the signed log (aos.verify.logcheck): signatures, gap-free nonces, the hash chain, and
   (for a data directory) the store's columns against the signed bytes;
2. the stored results on their own (aos.verify.resultcheck): hashes and chain recomputed;
3. the replay: a worker OS process recomputes every result from nothing, and each result
   hash is compared with the stored one.

The log check runs here while the worker replays in its own process, so the two use both
cores. After a replay mismatch a second worker fetches that one full result, so the report
can show the stored and the replayed result side by side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aos.errors import VerifyError
from aos.log.reader import LogReader
from aos.verify import segments
from aos.verify.bundlefile import read_bundle
from aos.verify.logcheck import Problem, check_log
from aos.verify.protocol import Done, Failed, Payload, Replayed
from aos.verify.resultcheck import check_results
from aos.verify.runner import Worker, source_args
from aos.verify.source import StoredResult, check_integrity, log_bounds, read_verdicts

# Progress callback: (phase, done, total); phases are "log" and "replay".
Progress = Callable[[str, int, int], None]


@dataclass
class Report:
    """What a verification found. `ok` is True when nothing was wrong."""

    process_id: str
    entries: int = 0  # scheduled entries whose signatures and chain were checked
    replayed: int = 0  # results recomputed by the replay
    compared: int = 0  # results compared with a stored one
    final_hash: str | None = None  # the final chain hash of the replay
    stored_final_hash: str | None = None
    unevaluated: int = 0  # scheduled entries the node has not evaluated yet
    has_stored: bool = True  # False for a bundle: it carries no results to compare
    problem: Problem | None = None
    stored_result: Any = None  # both sides of the first differing result, for the diff
    replayed_result: Any = None
    # Results the node decided without running them (quarantined messages): the replay
    # adopted them; each as (timestamp, ordinate, cron key) -> the Error.
    verdicts: dict[tuple[int, int, str], str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _earliest(*problems: Problem | None) -> Problem | None:
    found = [p for p in problems if p is not None]
    if not found:
        return None
    return min(found, key=lambda p: -1 if p.nonce is None else p.nonce)


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def _show(args: list[str], index: int) -> Any:
    """The full replayed result number `index`, from a second, short-lived worker."""
    with Worker([*args, f"--show={index}"]) as worker:
        for event in worker.events():
            if isinstance(event, Payload):
                return event.value
    return None


def _compare(
    report: Report,
    worker: Worker,
    stored: list[StoredResult] | None,
    total: int,
    progress: Progress,
    stop_at: int | None,
) -> tuple[Problem | None, int | None]:
    """Read the worker's results and compare them; (first mismatch, its result index).

    `stop_at` is the nonce of a log problem: nothing from there on can be trusted, so the
    comparison (and the worker) stops there and the log problem is what gets reported.
    """
    for event in worker.events():
        if isinstance(event, Replayed):
            if stop_at is not None and event.ordinate >= stop_at:
                return None, None
            report.replayed = event.index + 1
            if event.index % 256 == 0:
                progress("replay", min(event.ordinate + 1, total), total)
            if stored is None or event.index >= len(stored):
                continue
            want = stored[event.index]
            key = (want.ordinate, want.cron or None, want.message_id)
            got = (event.ordinate, event.cron, event.message_id)
            if key != got:
                if (want.ordinate, want.cron or "") > (event.ordinate, event.cron or ""):
                    what = "the node stored no result for this evaluation (results are missing)"
                else:
                    what = (
                        f"the replay evaluated nonce {event.ordinate} "
                        f"{event.cron or event.message_id} where the node stored a result for "
                        f"nonce {want.ordinate} {want.cron or want.message_id}"
                    )
                # No side-by-side here: the two sides are different evaluations.
                return Problem(event.ordinate, event.message_id or None, what), None
            if want.result_hash != event.result_hash:
                return Problem(
                    event.ordinate,
                    event.message_id or None,
                    "the replayed result differs from the stored one "
                    f"(hash {event.result_hash[:16]}… instead of {want.result_hash[:16]}…)",
                ), event.index
            report.compared += 1
        elif isinstance(event, Done):
            report.final_hash = event.final_hash
            progress("replay", total, total)
        elif isinstance(event, Failed):
            if stop_at is not None:
                return None, None  # the log is broken already; that is the report
            raise VerifyError(f"the replay failed: {event.text}")
    return None, None


def verify_log(
    process_id: str,
    entries_total: int,
    check: Callable[[Callable[[int], None]], tuple[int, Problem | None]],
    args: list[str],
    stored: list[StoredResult] | None,
    progress: Progress,
    started: Worker | None = None,
) -> Report:
    """Shared by both modes: start the replay (unless `started`, already running with
    `args`), check the log meanwhile, compare."""
    report = Report(process_id, has_stored=stored is not None)
    # The worker starts first, so the replay runs while this process checks signatures.
    with started or Worker(args) as worker:
        checked, log_problem = check(lambda n: progress("log", n, entries_total))
        report.entries = checked
        results_problem = check_results(stored) if stored is not None else None
        bad = _earliest(log_problem, results_problem)
        stop_at = None if bad is None else (bad.nonce if bad.nonce is not None else -1)
        replay_problem, index = _compare(report, worker, stored, entries_total, progress, stop_at)
    if (
        replay_problem is None
        and stored is not None
        and report.final_hash is not None
        and len(stored) > report.replayed
    ):
        # Results the log cannot produce: their entries were removed from the log.
        extra = stored[report.replayed]
        replay_problem = Problem(
            extra.ordinate,
            extra.message_id or None,
            "the node stored this result, but the log does not schedule what produces it "
            "(its entry is missing)",
        )
    report.problem = _earliest(log_problem, results_problem, replay_problem)
    if report.problem is not None and report.problem is replay_problem and index is not None:
        assert stored is not None
        report.stored_result = stored[index].result()
        report.replayed_result = _show(args, index)
    if stored is not None:
        report.stored_final_hash = stored[-1].chain_hash if stored else None
    return report


def verify_store(
    data_dir: Path,
    process_id: str,
    *,
    progress: Progress = _no_progress,
    snapshots: bool = False,
    checked: bool = False,
) -> Report:
    """Verify a process in a node data directory (read-only), in units of work on every
    core (aos.verify.segments); with `snapshots`, the replay too starts from snapshots.
    First SQLite's full check of the file, unless the caller `checked` it already."""
    if not checked:
        check_integrity(data_dir)
    reader = LogReader(data_dir)
    with reader.snapshot() as conn:
        head = reader.head_nonce(conn, process_id)
    bounds = log_bounds(data_dir, process_id)
    if head is None or bounds is None:
        raise VerifyError(
            f"no process {process_id} in the node at {data_dir}; check the id and --data-dir"
        )
    last, horizon = bounds
    total = last + 1
    cuts = segments.usable_snapshots(data_dir, process_id, last) if snapshots else []
    units = segments.plan(last, horizon, cuts, segments.cores())
    report = Report(process_id)
    counted = {"check": 0, "replay": 0}

    def done(outcome: segments.Outcome) -> None:
        kind = outcome.unit.kind
        counted[kind] += outcome.unit.last - outcome.unit.first + 1
        progress("log" if kind == "check" else "replay", min(counted[kind], total), total)

    outcomes = segments.run_units(data_dir, process_id, units, total, segments.cores(), done)
    problems = [o.problem for o in outcomes if o.problem is not None]
    report.entries = sum(o.entries for o in outcomes if o.unit.kind == "check")
    report.replayed = sum(o.replayed for o in outcomes if o.unit.kind == "replay")
    report.compared = sum(o.compared for o in outcomes if o.unit.kind == "replay")
    final = next(o for o in outcomes if o.unit.kind == "replay" and o.unit.last == last)
    report.final_hash = final.final_hash
    if last != head:
        missing = f"the log ends at nonce {last}, but the process's head is nonce {head}"
        problems.append(Problem(last + 1, None, missing + ": entries are missing"))
    with reader.snapshot() as conn:
        stored_last = conn.execute(
            "SELECT position, ordinate, message_id, chain_hash FROM results WHERE process = ?"
            " ORDER BY position DESC LIMIT 1",
            (process_id,),
        ).fetchone()
        # Slots minus message results (each nonce has at most one: its ordinate, cron ''):
        # two index ranges. A NOT EXISTS per slot was planned as a scan of the process's
        # results for each one, 100,000 x 100,000 on a long log (minutes of a verify).
        report.unevaluated = conn.execute(
            "SELECT (SELECT count(*) FROM schedule WHERE process = ? AND nonce <= ?)"
            " - (SELECT count(*) FROM results WHERE process = ? AND ordinate <= ?"
            " AND cron = '')",
            (process_id, last, process_id, last),
        ).fetchone()[0]
        if stored_last is not None and stored_last["position"] > final.last_position >= -1:
            extra = reader.result_at(conn, process_id, final.last_position + 1)
            if extra is not None and final.problem is None:
                # Results the log cannot produce: their entries were removed from the log.
                problems.append(Problem(
                    extra["ordinate"], extra["message_id"] or None,
                    "the node stored this result, but the log does not schedule what produces it "
                    "(its entry is missing)",
                ))  # fmt: skip
        report.stored_final_hash = None if stored_last is None else stored_last["chain_hash"]
        report.problem = _earliest(*problems)
        mismatched = next(
            (o for o in outcomes if o.problem is report.problem and o.mismatch is not None), None
        )
        if mismatched is not None and mismatched.mismatch is not None:
            position, replayed = mismatched.mismatch
            row = reader.result_at(conn, process_id, position)
            report.stored_result = None if row is None else json.loads(row["result"])
            report.replayed_result = replayed
    report.verdicts = read_verdicts(data_dir, process_id)
    return report


def verify_bundle(path: Path, *, progress: Progress = _no_progress) -> Report:
    """Verify an exported bundle: signatures, nonce order, hash chain, then a replay."""
    process, entries = read_bundle(path)
    return verify_log(
        process.id,
        len(entries),
        lambda cb: check_log(process, entries, progress=cb),
        source_args(bundle=path),
        None,
        progress,
    )
