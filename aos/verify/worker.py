"""The replay worker: `python -m aos.verify.worker` (started by `aos verify` and `aos replay`).

It reads a log (a node data directory, read-only, or an exported bundle), replays it in a
fresh Lua runtime of its own and writes the events of aos.verify.protocol on stdout. From a
bundle it evaluates the signed items themselves; from a data directory it evaluates the
store's columns, exactly what the node's compute unit reads (and adopts the node's verdicts,
aos.log.verdicts, as the compute unit does), while the parent `aos verify`
compares each of those columns with the signed bytes (so both are covered, and no item is
parsed twice).

    --data-dir DIR --process PID | --bundle FILE      where the log is
    [--to-nonce N]      replay the entries up to nonce N only (the parent checked those)
    [--show INDEX]      write the full result number INDEX (a `j` line) instead of hashes
    [--expr LUA]        after the replay, evaluate LUA read-only and write its result (`j`)
    [--horizon MS]      after the last entry, also run the cron ticks up to this time

Running in its own OS process is the point: nothing of the node that computed the stored
results (its Lua state, its caches) can leak into the check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from aos.errors import AosError
from aos.log.resulthash import GENESIS_CHAIN
from aos.verify import protocol
from aos.verify.bundlefile import read_bundle
from aos.verify.replay import Replayer
from aos.verify.source import read_log, read_records, read_verdicts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aos.verify.worker")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--process")
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--to-nonce", type=int)
    parser.add_argument("--show", type=int)
    parser.add_argument("--expr")
    parser.add_argument("--horizon", type=int)
    return parser


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Replay as the arguments say, writing protocol lines to `out`."""
    if args.bundle is not None:
        process, entries = read_bundle(args.bundle)
        if args.to_nonce is not None:
            entries = entries[: args.to_nonce + 1]
        replayer = Replayer(process)
        evaluations = replayer.evaluations(entries, args.horizon)
    else:
        # The store's columns, which the parent checks against the signed bytes (see
        # aos.verify.source.read_records); only the spawn item is parsed here.
        process = read_log(args.data_dir, args.process, to_nonce=0, check_columns=False).process
        records = read_records(args.data_dir, args.process, to_nonce=args.to_nonce)
        replayer = Replayer(process, verdicts=read_verdicts(args.data_dir, args.process))
        evaluations = replayer.evaluate_records(records, args.horizon)
    count = 0
    final = GENESIS_CHAIN
    for ev in evaluations:
        index = count
        count += 1
        if args.show is not None:
            if index == args.show:
                out.write(protocol.format_payload(ev.result))
                return 0
            continue
        if args.expr is not None:
            continue
        final = ev.chain_hash
        out.write(
            protocol.format_replayed(
                protocol.Replayed(
                    index, ev.ordinate, ev.cron or None, ev.message_id, ev.result_hash, final
                )
            )
        )
    if args.expr is not None:
        out.write(protocol.format_payload(replayer.evaluate_read_only(args.expr)))
        return 0
    if args.show is not None:
        out.write(protocol.format_failed(f"the replay produced no result number {args.show}"))
        return 1
    out.write(protocol.format_done(count, final))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.bundle is None and (args.data_dir is None or args.process is None):
        sys.stdout.write(protocol.format_failed("name --bundle, or --data-dir and --process"))
        return 1
    try:
        return run(args, sys.stdout)
    except AosError as err:
        sys.stdout.write(protocol.format_failed(str(err)))
        return 1
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
