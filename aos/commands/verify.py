"""`aos verify PROCESS [--data-dir DIR]` and `aos verify --bundle FILE`.

Checks a process's signed log (signatures, gap-free nonces, the hash chain), the stored
results, and replays the whole log in a fresh runtime, comparing every result hash; on a
long log all of it runs in worker processes on every core, a range at a time. With
--snapshots the replay starts from the stored snapshots too (each checked, and each
segment must end at the next one's state). Prints `verified` and the final chain hash (exit 0), or
the first bad entry with the stored and replayed results side by side (exit 1). The progress bar
goes to stderr, and only on a terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aos.config import load_settings
from aos.verify.cliargs import ids_as_positionals
from aos.verify.diff import side_by_side
from aos.verify.source import check_integrity, find_process
from aos.verify.verifier import Report, verify_bundle, verify_store

PHASES = {"log": "signatures and hash chain", "replay": "replay"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos verify",
        description=(
            "Check a process's signed log and replay it from nothing in a fresh runtime, "
            "comparing every result with the stored one."
        ),
    )
    parser.add_argument("process", nargs="?", help="the process id (or its Name tag).")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the node's data directory (default: the embedded node's).",
    )
    parser.add_argument(
        "--bundle",
        type=Path,
        metavar="FILE",
        help="verify an exported bundle file instead (no node needed).",
    )
    parser.add_argument(
        "--snapshots",
        action="store_true",
        help="also cut the replay at the node's stored snapshots, so that it runs on every "
        "core; each segment must end at the next snapshot's state (default: one replay from "
        "nothing; snapshots are never trusted, only checked).",
    )
    return parser


def _run(args: argparse.Namespace, err: Console) -> Report:
    show = err.is_terminal
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not show, transient=True) as bar:
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if not show:
                return
            if phase not in tasks:
                tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

        if args.bundle is not None:
            return verify_bundle(args.bundle, progress=progress)
        data_dir = load_settings(data_dir=args.data_dir).data_dir
        check_integrity(data_dir)  # before anything reads it: a damaged file says so
        pid = find_process(data_dir, args.process)
        return verify_store(
            data_dir, pid, progress=progress, snapshots=args.snapshots, checked=True
        )


def print_report(report: Report, out: Console) -> None:
    """The verdict: counts, then `verified` and the final hash, or the first bad entry."""
    out.print(f"process {report.process_id}")
    compared = (
        f", {report.compared} compared with stored results"
        if report.has_stored
        else " (a bundle holds no results: its final hash is to be compared)"
    )
    out.print(
        f"{report.entries} messages checked (signatures, nonces, hash chain), "
        f"{report.replayed} results replayed{compared}"
    )
    if report.unevaluated:
        out.print(
            f"{report.unevaluated} scheduled messages have no stored result yet "
            "(the node has not evaluated them); they were replayed but not compared"
        )
    for (_, ordinate, cron), error in sorted(report.verdicts.items()):
        what = f"the cron tick {cron} after nonce {ordinate}" if cron else f"nonce {ordinate}"
        out.print(f"{what}: not replayed, the node's verdict stands: {error}")
    if report.problem is None:
        out.print(f"[bold green]verified[/] final hash {report.final_hash}")
        return
    out.print(f"[bold red]NOT verified[/]: first bad entry at {report.problem}")
    if report.stored_result is not None or report.replayed_result is not None:
        out.print(
            side_by_side(
                report.stored_result,
                report.replayed_result,
                title=f"result of nonce {report.problem.nonce}",
            )
        )


def main(argv: list[str]) -> int:
    args = _parser().parse_args(ids_as_positionals(argv))
    if (args.bundle is None) == (args.process is None):
        _parser().error("name a PROCESS, or a --bundle FILE (one of the two)")
    # soft_wrap: hashes and ids stay on one line however narrow the terminal (or pipe) is.
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True)
    report = _run(args, err)
    print_report(report, out)
    sys.stdout.flush()
    return 0 if report.ok else 1
