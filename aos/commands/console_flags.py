"""The official aos console's flags that mean nothing here, and `--get-blueprints`.

Users paste aos commands from tutorials. The console's flags that have a meaning here are
ordinary flags of `aos` (`--legacy`, `--module NAME`, `--dry-run`, ...); the ones below
(docs/compat.md §1.2) are accepted by the parser only to be refused with a sentence that
says what to do instead, rather than argparse's bare "unrecognized arguments".
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aos.errors import AosError
from aos.luafiles import blueprint_dir

REFUSED: dict[str, str] = {
    "--sqlite": "--sqlite spawns with the aos console's SQLite module, which this node does "
    "not run (it runs Lua processes only); leave --sqlite out, or pass --module with the id "
    "or Name of a module the gateway has",
    "--monitor": "--monitor is not needed on the command line: start the shell and type "
    ".monitor to have this process's cron messages run",
    "--topup": "--topup buys compute on a HyperBEAM node; the embedded node and aos serve "
    "charge nothing, so leave it out",
    "--dev": "--dev points the aos console at the ao dev network; this shell embeds its own "
    "node: leave --dev out, or name units with --mu-url, --cu-url and --gateway-url",
    "--hyper": "--hyper has no effect in the aos console 2.x either; leave it out",
    "--address": "--address (an undocumented aos console flag) is not needed: `aos --list` "
    "lists your wallet's processes, and any process id attaches to that process",
}


class _Refuse(argparse.Action):
    sentence = ""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        raise AosError(self.sentence)


def add_refused(parser: argparse.ArgumentParser) -> None:
    """Add the refused flags, hidden from --help (the README lists them)."""
    for flag, sentence in REFUSED.items():
        action = type(f"Refuse{flag.strip('-').title()}", (_Refuse,), {"sentence": sentence})
        parser.add_argument(flag, nargs="?", action=action, help=argparse.SUPPRESS)


def get_blueprints(folder: str) -> list[Path]:
    """Copy the shipped blueprints into `folder` (relative to the current directory), as
    the console's `--get-blueprints [DIR]` does; the files written."""
    source = blueprint_dir()
    files = sorted(source.glob("*.lua")) if source.is_dir() else []
    if not files:
        raise AosError(f"no blueprints are installed with this aos (looked in {source})")
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise AosError(f"--get-blueprints {folder}: that is a file, not a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(f, target / f.name)) for f in files]
    except OSError as err:
        raise AosError(f"--get-blueprints {folder}: cannot write there ({err})") from err
