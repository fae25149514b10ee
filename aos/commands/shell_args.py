"""The arguments of `aos [NAME|PROCESS_ID] [flags]`: the parser, and the checks of flags that
need no node.

`build_parser` is the one list of the shell's flags and their help; `dash_ids_as_values` lets
a process id that begins with "-" through argparse; `check_hyperbeam_flags` and
`check_units` refuse combinations of units that cannot work, before anything is opened.
"""

from __future__ import annotations

import argparse
import re

from aos import __version__
from aos.commands.console_flags import add_refused
from aos.config import Settings
from aos.errors import AosError
from aos.ids import is_id


def build_parser() -> argparse.ArgumentParser:
    # One style: a sentence, then (default: ...; env ...) where there is one.
    parser = argparse.ArgumentParser(
        prog="aos",
        description="The interactive Lua shell of the AO computer, with its own embedded ao node.",
        epilog="Subcommands: aos serve, aos wallet, aos verify, aos export, aos replay, "
        "aos test, aos bench (each has --help). Inside the shell, .help lists the "
        "dot-commands. The aos console's --legacy, --url/--mainnet, --scheduler, --module "
        "NAME and --dry-run work here; --sqlite, --monitor, --topup, --dev, --hyper and "
        "--address are refused with what to do instead. Settings also come from "
        "$XDG_CONFIG_HOME/aos/config.toml.",
        add_help=False,
    )
    add = parser.add_argument
    add("-h", "--help", action="help", help="Show this help and exit.")
    add(
        "target",
        nargs="?",
        metavar="NAME|PROCESS_ID",
        help="Your process by name, spawned if you have none of that name, or any process by "
        "its 43-character id (default: default).",
    )
    add(
        "--wallet",
        metavar="FILE",
        help="The JWK wallet to sign with; created when the default is missing "
        "(default: ~/.aos.json; env AOS_WALLET).",
    )
    add(
        "--module",
        metavar="ID|NAME",
        help="The module a new process is spawned with: an id, or a Name the gateway knows "
        "(default: this node's Lua module, aos-lua).",
    )
    add("--cron", metavar="N-UNIT", help="Spawn with a cron interval, e.g. 10-minutes.")
    add(
        "--tag-name",
        action="append",
        default=[],
        metavar="NAME",
        help="A tag of a new process, paired with the --tag-value at the same position.",
    )
    add(
        "--tag-value",
        action="append",
        default=[],
        metavar="VALUE",
        help="The value of the --tag-name at the same position.",
    )
    add("--data", metavar="FILE", help="Spawn with this file's contents as the process data.")
    add(
        "--load",
        action="append",
        default=[],
        metavar="FILE",
        help="Evaluate a Lua file and the modules it requires first (repeatable).",
    )
    add("--run", metavar="CODE", help="Evaluate CODE, print its result, and exit (1 on an error).")
    add(
        "--dryrun",
        "--dry-run",
        action="store_true",
        help="With --run: evaluate as a dry-run, so nothing is written to the log.",
    )
    add(
        "--json",
        action="store_true",
        help="Print results as JSON, without colour escapes (with --run, --load, piped input, "
        "--list, --watch).",
    )
    add(
        "--max-lines",
        metavar="N",
        type=_count,
        help="Show at most N lines of one result; .more shows the rest (default: 200 in the "
        "shell, no limit with --run; 0 is no limit; env AOS_MAX_LINES).",
    )
    add("--list", action="store_true", help="List your processes: name, id, created; exit.")
    add(
        "--watch",
        metavar="PROCESS_ID",
        help="Print what a process outputs, and where its handlers fail, as it happens.",
    )
    add(
        "--get-blueprints",
        nargs="?",
        const=".",
        metavar="DIR",
        help="Copy the blueprints shipped with aos into DIR and exit (default: the current "
        "folder).",
    )
    add(
        "--legacy",
        action="store_true",
        help="Accepted for the aos console: the legacy units (MU, SU, CU) are what this "
        "shell speaks.",
    )
    add(
        "--gateway-url",
        metavar="URL",
        help="The gateway of remote ao units; with --mu-url and --cu-url, no embedded node "
        "(env AOS_GATEWAY_URL).",
    )
    add("--cu-url", metavar="URL", help="The compute unit of remote ao units (env AOS_CU_URL).")
    add("--mu-url", metavar="URL", help="The messenger unit of remote ao units (env AOS_MU_URL).")
    add(
        "--su-url",
        metavar="URL",
        help="The scheduler unit of remote ao units (default: <base>/su when the MU and CU "
        "are <base>/mu and <base>/cu, as under aos serve; env AOS_SU_URL).",
    )
    add(
        "--url",
        "--mainnet",
        dest="url",
        metavar="URL",
        help="A HyperBEAM node (aos serve, or any mainnet node): speak the mainnet protocol "
        "(env AOS_URL).",
    )
    add(
        "--authority",
        metavar="ADDR",
        help="With --url: the spawn's Authority (default: the node's address).",
    )
    add(
        "--scheduler",
        metavar="ADDR",
        help="The Scheduler a new process names (default: the node's scheduler address).",
    )
    add(
        "--data-dir",
        metavar="DIR",
        help="The embedded node's data directory (default: $XDG_DATA_HOME/aos/node; env "
        "AOS_DATA_DIR).",
    )
    add("--no-live", action="store_true", help="Start with the live feed paused (.live starts it).")
    add(
        "--debug",
        action="store_true",
        help="Show tracebacks and every HTTP request (env AOS_DEBUG=1).",
    )
    add(
        "--version",
        action="version",
        version=f"aos {__version__} (aos-shell, Python)",
        help="Show the version and exit.",
    )
    add_refused(parser)
    return parser  # fmt: skip


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number 0 or more is needed, got {value!r}")
    return int(value)


_DASH_ID = re.compile(r"^-[A-Za-z0-9_-]{42}$")


def dash_ids_as_values(argv: list[str]) -> list[str]:
    """`argv` in which process ids that begin with "-" (1 in 64) read as ids, not options.

    argparse takes any word that begins with "-" for an option. A 43-character id after an
    option that wants a value becomes `--option=ID`; one standing alone moves behind `--`.
    """
    out: list[str] = []
    loose: list[str] = []
    for arg in argv:
        if _DASH_ID.match(arg) and "--" not in out:
            if out and out[-1].startswith("--") and "=" not in out[-1] and out[-1] in _VALUED:
                out[-1] = f"{out[-1]}={arg}"
            else:
                loose.append(arg)
        else:
            out.append(arg)
    return [*out, "--", *loose] if loose else out


_VALUED = {
    "--watch", "--module", "--tag-value", "--tag-name", "--wallet", "--run", "--data",
    "--authority", "--scheduler",
}  # fmt: skip


def check_hyperbeam_flags(args: argparse.Namespace, url: str | None) -> None:
    """--url speaks HyperBEAM, --mu-url/--cu-url/--su-url name legacy units: one or the other;
    --authority belongs to a HyperBEAM node (`url`, from the flag, AOS_URL or the config
    file); --scheduler names a spawn's Scheduler in either protocol (the aos console's line
    for legacy units has it too). Both must be addresses."""
    if args.url is not None and (args.mu_url or args.cu_url or args.su_url):
        raise AosError(
            "--url names a HyperBEAM node; --mu-url, --cu-url and --su-url name legacy units: "
            "give one or the other"
        )
    for flag, value in (("--authority", args.authority), ("--scheduler", args.scheduler)):
        if value is None:
            continue
        if url is None and flag == "--authority":
            raise AosError(
                "--authority sets the spawn of a HyperBEAM process: use it with --url (a "
                "legacy spawn trusts the node and aos's authority already)"
            )
        parts = value.split(",") if flag == "--authority" else [value]
        for part in parts:
            if not is_id(part):
                raise AosError(
                    f"{flag} {part!r} is not an address (43 characters of A-Z a-z 0-9 _ -)"
                )


def check_units(settings: Settings) -> None:
    """Remote units come as a set: a CU alone would look processes up on the public gateway
    (and fail there later, obscurely). With --url, --gateway-url alone names where names
    are looked up."""
    if settings.url:
        return
    named = {"--mu-url": settings.mu_url, "--cu-url": settings.cu_url,
             "--gateway-url": settings.gateway_url}  # fmt: skip
    given = [flag for flag, url in named.items() if url]
    missing = [flag for flag, url in named.items() if not url]
    if given and missing:
        raise AosError(
            f"{' and '.join(given)} without {' and '.join(missing)}: name all three units "
            "(aos serve prints them; env AOS_MU_URL, AOS_CU_URL, AOS_GATEWAY_URL), or none "
            "to use the embedded node"
        )
