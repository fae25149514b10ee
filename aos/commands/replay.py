"""`aos replay PROCESS --to NONCE [--expr LUA] [--data-dir DIR]`: look into the past.

Replays the process's log up to message NONCE in a fresh runtime (from the newest good
snapshot at or before it, see docs/snapshots.md, else from nothing) and evaluates a Lua
expression on that state as a read-only Eval from the process owner, then prints its
output. Nothing is stored and the node's own state is not touched (the log is read from a
read-only connection). Without --expr it prints a summary of the state.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from aos.config import load_settings
from aos.errors import ProcessError, SnapshotRefused, VerifyError
from aos.log.reader import LogReader
from aos.log.snapshots import problem, snapshot_key
from aos.verify.cliargs import ids_as_positionals
from aos.verify.replay import Replayer
from aos.verify.source import find_process, read_log

# What `aos replay` shows when no expression is given: who the process is and what it holds.
SUMMARY = """\
local names = {}
for _, h in ipairs((Handlers and Handlers.list) or {}) do names[#names + 1] = tostring(h.name) end
local globals = 0
for _ in pairs(_G) do globals = globals + 1 end
return table.concat({
  "Name:     " .. tostring(Name),
  "Owner:    " .. tostring(Owner),
  "Inbox:    " .. tostring(#(Inbox or {})) .. " messages",
  "Handlers: " .. (#names > 0 and table.concat(names, ", ") or "(none)"),
  "Globals:  " .. tostring(globals),
}, "\\n")
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos replay",
        description=(
            "Evaluate a Lua expression on the state a process had after a given message, "
            "changing nothing."
        ),
    )
    parser.add_argument("process", help="the process id (or its Name tag).")
    parser.add_argument(
        "--to", type=int, required=True, metavar="NONCE", help="the last message to replay."
    )
    parser.add_argument("--expr", help="the Lua to evaluate (default: a summary of the state).")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the node's data directory (default: the embedded node's).",
    )
    return parser


def output_text(result: dict[str, Any]) -> str:
    """The printable part of an Eval result (Output.data, or Output itself)."""
    output = result.get("Output", "")
    if isinstance(output, dict):
        output = output.get("data", "")
    return output if isinstance(output, str) else str(output)


def _nearest_snapshot(
    reader: LogReader, data_dir: Path, pid: str, nonce: int, replayer: Replayer
) -> int:
    """Start `replayer` from the newest good snapshot at or before `nonce`; the nonce it
    starts after (-1: from nothing)."""
    key = snapshot_key(data_dir, create=False)
    row = reader.latest_snapshot(pid, at_most=nonce)
    spawn = reader.records(pid, to_nonce=0)
    while row is not None and spawn:
        if problem(key, row) is None:
            try:
                replayer.start_from(spawn[0], row)
                return row.nonce
            except (SnapshotRefused, ValueError):
                pass
        row = reader.latest_snapshot(pid, at_most=row.nonce - 1)
    return -1


def main(argv: list[str]) -> int:
    args = _parser().parse_args(ids_as_positionals(argv))
    if args.to < 0:
        raise VerifyError(f"--to {args.to}: a nonce is 0 or more (0 is the spawn)")
    data_dir = load_settings(data_dir=args.data_dir).data_dir
    pid = find_process(data_dir, args.process)
    # What the compute unit evaluates (the store's columns); `aos verify` checks them.
    process = read_log(data_dir, pid, to_nonce=0, check_columns=False).process
    reader = LogReader(data_dir)
    replayer = Replayer(process, verdicts=reader.verdicts(pid))  # as the node adopts them
    start = _nearest_snapshot(reader, data_dir, pid, args.to, replayer)
    records = reader.records(pid, to_nonce=args.to, after_nonce=start)
    last = records[-1][0].nonce if records else start
    if last < args.to:
        raise VerifyError(f"--to {args.to}: process {pid} has messages up to nonce {last} only")
    for _ in replayer.evaluate_records(records):
        pass
    result = replayer.evaluate_read_only(args.expr if args.expr is not None else SUMMARY)
    if result.get("Error"):
        raise ProcessError(f"at nonce {args.to}: {result['Error']}")
    text = output_text(result)
    if not sys.stdout.isatty():
        text = _ANSI.sub("", text)
    print(text)
    return 0
