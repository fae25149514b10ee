"""`aos [NAME|PROCESS_ID] [flags]`: the shell command's entry point, and the order it is
wired up in.

`main` checks the arguments (aos.commands.shell_args), then the local inputs (--load files,
--data, --cron, tag pairs) before any node work, so a typo never costs a spawn (docs/compat.md
§5 item 4); then it opens the units (aos.commands.shell_units), loads or makes the wallet,
and hands the client to the session (aos.commands.shell_session).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from aos.commands.console_flags import get_blueprints
from aos.commands.shell_args import (
    build_parser,
    check_hyperbeam_flags,
    check_units,
    dash_ids_as_values,
)
from aos.commands.shell_session import Shell, tilde
from aos.commands.shell_units import make_client, open_units, trace_http
from aos.config import Settings, load_settings
from aos.errors import AosError
from aos.render import make_console
from aos.repl import utf8
from aos.repl.bundle import check_loadable
from aos.repl.connect import SpawnOptions, check_id, check_id_or_name
from aos.wallet import Wallet


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(dash_ids_as_values(argv))
    if args.get_blueprints is not None:
        copied = get_blueprints(args.get_blueprints)
        names = ", ".join(p.stem for p in copied)
        print(f"copied {len(copied)} blueprints to {Path(args.get_blueprints)}: {names}")
        return 0
    # Local inputs first: nothing below may fail on a typo after a process was spawned.
    loads: list[Path] = [Path(p) for p in args.load]
    for path in loads:
        check_loadable(path)
    spawn = SpawnOptions.from_flags(
        module=args.module,
        tag_names=args.tag_name,
        tag_values=args.tag_value,
        cron=args.cron,
        data_file=args.data,
    )
    if args.target is not None:
        args.target = check_id_or_name(args.target)
    if args.run is not None and args.target is None:
        raise AosError("--run needs a process name or id, e.g. aos demo --run '1 + 1'")
    if args.run is not None and (bad := utf8.problem(args.run, "--run CODE")):
        raise AosError(bad)
    if args.watch is not None:
        args.watch = check_id(args.watch)
    if args.dryrun and args.run is None:
        raise AosError("--dryrun works with --run; inside the shell, type .dryrun")
    settings = load_settings(
        wallet=args.wallet,
        data_dir=args.data_dir,
        mu_url=args.mu_url,
        cu_url=args.cu_url,
        gateway_url=args.gateway_url,
        su_url=args.su_url,
        url=args.url,
        max_lines=args.max_lines,
        debug=args.debug,
        isatty=sys.stdout.isatty(),
    )
    check_hyperbeam_flags(args, settings.url)
    check_units(settings)
    err = make_console(sys.stderr, color=settings.color and sys.stderr.isatty())
    # The units first: a node that refuses its data directory (a damaged database) ends
    # the command before anything is written, the user's wallet included.
    with open_units(settings) as (http, units):
        wallet = _wallet(settings, err)
        if settings.debug:
            trace_http(http)
        client = make_client(http, units, wallet, args)
        return Shell(client, settings, args, spawn, loads).run()


def _wallet(settings: Settings, err: Console) -> Wallet:
    """The user's wallet: one they named must exist; only the default one is created when
    missing (and the creation said, with its address)."""
    if settings.wallet_explicit:
        return Wallet.load(settings.wallet_path)
    created = not settings.wallet_path.exists()
    wallet = Wallet.load_or_create(settings.wallet_path)
    if created:
        err.print(
            f"created your wallet {tilde(settings.wallet_path)} (address {wallet.address}); "
            "keep a copy",
            style="dim",
        )
    return wallet
