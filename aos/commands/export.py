"""`aos export PROCESS -o FILE [--data-dir DIR]`: a process's whole log as an ANS-104 bundle.

The bundle holds the spawn item, then each scheduled message followed by the assignment
that scheduled it, in nonce order (aos.verify.bundlefile); `aos verify --bundle FILE` checks
and replays it anywhere, with no node.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aos.config import load_settings
from aos.verify.bundlefile import write_bundle
from aos.verify.cliargs import ids_as_positionals
from aos.verify.source import find_process, read_log


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos export",
        description="Write a process's spawn item, messages and assignments as one bundle.",
    )
    parser.add_argument("process", help="the process id (or its Name tag).")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE", help="the bundle file."
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the node's data directory (default: the embedded node's).",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(ids_as_positionals(argv))
    data_dir = load_settings(data_dir=args.data_dir).data_dir
    pid = find_process(data_dir, args.process)
    log = read_log(data_dir, pid)
    count = write_bundle(args.output, log.process, log.entries)
    print(
        f"wrote {count} items ({len(log.entries)} scheduled entries) of process {pid} "
        f"to {args.output}"
    )
    return 0
