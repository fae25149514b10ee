"""The `aos` command: picks the subcommand, runs it, turns errors into exit codes.

`aos serve|wallet|bench|verify|export|replay|test ...` go to the module named in SUBCOMMANDS;
anything else (`aos [NAME|PROCESS_ID] [flags]`) starts the shell. Each command module has
`main(argv) -> int`. This is the only place that decides how an error reaches the user: an
`AosError` is one red line on stderr (exit 1); anything else is an internal error whose
traceback is shown only with `--debug`.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from aos.errors import AosError

SUBCOMMANDS: dict[str, str] = {
    "serve": "aos.commands.serve",
    "wallet": "aos.commands.wallet",
    "bench": "aos.commands.bench",
    "verify": "aos.commands.verify",
    "export": "aos.commands.export",
    "replay": "aos.commands.replay",
    "test": "aos.commands.test",
}
SHELL = "aos.commands.shell"


def _command(argv: Sequence[str]) -> tuple[Callable[[list[str]], int], list[str]]:
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        return module.main, list(argv[1:])
    module = importlib.import_module(SHELL)
    return module.main, list(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `aos` with `argv` (default: sys.argv[1:]) and return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("AOS_DEBUG") == "1"
    try:
        run, rest = _command(args)
        return run(rest)
    except AosError as err:
        if debug:
            traceback.print_exc()
        print(f"\x1b[31merror:\x1b[0m {err}" if _color() else f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # the last line of defence: never a bare traceback
        if debug:
            traceback.print_exc()
        else:
            print(
                f"internal error: {type(err).__name__}: {err} (run again with --debug for details)",
                file=sys.stderr,
            )
        return 2


def _color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ
