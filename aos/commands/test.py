"""`aos test [PATH ...]`: run the spec files of process code against in-memory processes.

Finds `*_spec.lua` and `test_*.lua` under each PATH (default ./spec and ./test), runs every
test against fresh processes of its own (aos.testing), prints one progress line, then each
failure and the summary; exit status 0 when nothing failed, 1 otherwise. Nothing is read
from or written to a data directory.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aos.errors import AosError
from aos.testing import report
from aos.testing.runner import Options, Outcome, discover, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos test",
        description="Run the spec files of your process code (*_spec.lua, test_*.lua) against "
        "throw-away processes in memory: offline, deterministic, fast. docs/testing.md "
        "documents describe/it, assert and ao_test.",
    )
    add = parser.add_argument
    add("paths", nargs="*", metavar="PATH", help="Spec files or directories (default: ./spec "
        "and ./test).")  # fmt: skip
    add("-k", dest="keyword", metavar="PATTERN", help="Run only the tests whose full name "
        "contains PATTERN (case-insensitive).")  # fmt: skip
    add("-x", "--exitfirst", action="store_true", help="Stop at the first failure.")
    add("--json", action="store_true", help="Print the results as one JSON document instead.")
    add("--junit", metavar="FILE", help="Also write the results as JUnit XML to FILE.")
    add("--cov", action="store_true", help="Print line coverage of the process files under "
        "test.")  # fmt: skip
    add("--debug", action="store_true", help="Show Python tracebacks of internal errors.")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    specs = discover(args.paths)
    options = Options(keyword=args.keyword, exitfirst=args.exitfirst, coverage=args.cov)
    out = sys.stdout
    style = report.Styler(out.isatty() and "NO_COLOR" not in os.environ and not args.json)

    def progress(outcome: Outcome) -> None:
        out.write(report.mark(outcome, style))
        out.flush()

    result = run(specs, options, None if args.json else progress)
    if args.junit:
        try:
            Path(args.junit).write_text(report.as_junit(result), encoding="utf-8")
        except OSError as err:
            raise AosError(f"--junit {args.junit}: cannot write it ({err})") from None
    if args.json:
        out.write(report.as_json(result) + "\n")
    else:
        out.write("\n")
        report.write_text(result, out, style)
    return 0 if result.ok else 1
