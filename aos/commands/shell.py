"""`aos [NAME|PROCESS_ID] [flags]`: the shell, its one-shot modes, and how it is wired up.

This is the only place that joins the shell to a node: the embedded node (default), the ao units
named by --mu-url/--cu-url/--gateway-url (the legacy protocol), or a HyperBEAM node named by --url
(the mainnet protocol, docs/hyperbeam.md); the shell behind it does not know which. Local inputs
(--load files, --data, --cron, tag pairs) are checked before any node work, so a typo never costs a
spawn (docs/compat.md §5 item 4).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.text import Text

from aos import __version__
from aos.client import AoClient, HyperBeamClient, Result, TxInfo
from aos.commands.console_flags import add_refused, get_blueprints
from aos.config import Settings, load_settings
from aos.errors import AosError
from aos.ids import is_id
from aos.protocol import CU_PATH, EMBEDDED_BASE_URL, GATEWAY_PATH, MU_PATH, SU_PATH
from aos.render import (
    Locate,
    format_ms,
    handler_error_renderable,
    lines_locator,
    make_console,
    one_line_error,
    parse_error,
    process_table,
    without_escapes,
)
from aos.repl import utf8
from aos.repl.bundle import bundle, check_loadable
from aos.repl.connect import (
    SpawnOptions,
    check_id,
    check_id_or_name,
    fetch_prompt,
    is_process_id,
    resolve_process,
)
from aos.repl.live import HandlerError, LiveFeed
from aos.repl.more import DEFAULT_MAX_LINES, cut, describe
from aos.repl.state import NameRegistry, ShellState
from aos.wallet import Wallet

# Public ao legacynet units, used for any unit the user did not name in remote mode.
PUBLIC_MU = "https://mu.ao-testnet.xyz"
PUBLIC_CU = "https://cu.ao-testnet.xyz"
PUBLIC_GATEWAY = "https://arweave.net"


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


@dataclass(frozen=True)
class Units:
    mu: str
    cu: str
    gateway: str
    su: str | None
    hyperbeam: bool = False  # `mu` is then the HyperBEAM node's URL
    internal: tuple[str, str] | None = None  # (base URL, name) of units nobody typed


def scheduler_of(mu: str, cu: str) -> str | None:
    """`<base>/su` when the MU and CU are `<base>/mu` and `<base>/cu` (aos serve's layout)."""
    if mu.endswith("/mu") and cu.endswith("/cu") and mu[:-3] == cu[:-3]:
        return mu[:-3] + "/su"
    return None


@contextlib.contextmanager
def open_units(settings: Settings) -> Iterator[tuple[httpx.Client, Units]]:
    """An HTTP client and the unit URLs: remote units if named, else the embedded node."""
    if settings.url:
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            gateway = settings.gateway_url or settings.url
            yield http, Units(settings.url, settings.url, gateway, None, hyperbeam=True)
        return
    if settings.remote:
        mu, cu = settings.mu_url or PUBLIC_MU, settings.cu_url or PUBLIC_CU
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
            yield (
                http,
                Units(
                    mu=mu,
                    cu=cu,
                    gateway=settings.gateway_url or PUBLIC_GATEWAY,
                    su=settings.su_url or scheduler_of(mu, cu),
                ),
            )
        return
    from aos.node.http.embedded import open_embedded  # only the CLI layer touches the node

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    route_node_logs(settings.data_dir, debug=settings.debug)
    with open_embedded(settings.data_dir) as http:
        # The first line of node.log (whose file is made only now: a node refused before
        # this point, e.g. over a damaged database, leaves its directory untouched).
        logging.getLogger("aos.node").info("embedded node opened on %s", settings.data_dir)
        yield (
            http,
            Units(
                mu=EMBEDDED_BASE_URL + MU_PATH,
                cu=EMBEDDED_BASE_URL + CU_PATH,
                gateway=EMBEDDED_BASE_URL + GATEWAY_PATH,
                su=EMBEDDED_BASE_URL + SU_PATH,
                internal=(EMBEDDED_BASE_URL, f"the embedded node in {settings.data_dir}"),
            ),
        )


def _trace_http(http: httpx.Client) -> None:
    def log(response: httpx.Response) -> None:
        request = response.request
        print(f"[http] {request.method} {request.url} -> {response.status_code}", file=sys.stderr)

    http.event_hooks.setdefault("response", []).append(log)


def _read_stdin() -> str:
    """Piped input as text; bytes that are not UTF-8 are an error naming the first one."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    text = data if isinstance(data, str) else data.decode("utf-8", "surrogateescape")
    bad = utf8.problem(text, "the piped input")
    if bad is not None:
        raise AosError(bad)
    return text


def _stdin_piped() -> bool:
    try:
        return not sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


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


def make_client(
    http: httpx.Client, units: Units, wallet: Wallet, args: argparse.Namespace
) -> AoClient:
    """The client for the protocol the units speak; the shell gets the same interface."""
    if units.hyperbeam:
        return HyperBeamClient(
            http,
            url=units.mu,
            gateway_url=units.gateway,
            wallet=wallet,
            authority=args.authority,
            scheduler=args.scheduler,
        )
    return AoClient(
        http, mu_url=units.mu, cu_url=units.cu, gateway_url=units.gateway, su_url=units.su,
        wallet=wallet, internal=units.internal, spawn_scheduler=args.scheduler,
    )  # fmt: skip


def route_node_logs(data_dir: Path, *, debug: bool) -> None:
    """Where the embedded node's log goes: `node.log` in its data directory, or stderr too
    with --debug. Without this, Python's last-resort handler would print the node's
    warnings and tracebacks into the user's terminal; the user already gets each failure
    as one clear line from the client."""
    logger = logging.getLogger("aos.node")
    if any(getattr(h, "_aos_node_log", False) for h in logger.handlers):
        return
    # delay: the file is made with the first line logged, so a node that is refused
    # before it opens (a damaged database) leaves its directory as it was.
    handler: logging.Handler = logging.FileHandler(
        data_dir / "node.log", encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._aos_node_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    if debug:
        logger.addHandler(logging.StreamHandler())
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False


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
            _trace_http(http)
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


def tilde(path: Path) -> str:
    """`path` with the home folder written as ~, as people read and type it."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


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


class Shell:
    """One invocation of `aos` after validation: picks the mode and runs it."""

    def __init__(
        self,
        client: AoClient,
        settings: Settings,
        args: argparse.Namespace,
        spawn: SpawnOptions,
        loads: list[Path],
    ) -> None:
        self.client = client
        self.settings = settings
        self.args = args
        self.spawn = spawn
        self.loads = loads
        # file=None: rich looks up sys.stdout at each print, so the spinner's live display
        # can route results above itself
        self.out = make_console(None, color=settings.color)
        self.err = make_console(sys.stderr, color=settings.color and sys.stderr.isatty())
        self.state = ShellState(settings.state_dir)

    def notice(self, text: str) -> None:
        self.err.print(text, style="dim")

    def choose(self, found: list[TxInfo]) -> TxInfo:
        """Ask which of several processes with the same name to use (oldest first)."""
        from prompt_toolkit import prompt

        name = found[0].name
        self.err.print(f"{len(found)} of your processes are called {name!r}:")
        for number, tx in enumerate(found, start=1):
            version = tx.tag("aos-Version") or "?"
            created = format_ms(tx.created_ms)
            self.err.print(f"  {number}. {tx.id}  created {created}  aos-Version {version}")
        while True:
            answer = prompt(f"Which one? [1-{len(found)}] ", default="1").strip()
            if answer.isdigit() and 1 <= int(answer) <= len(found):
                return found[int(answer) - 1]
            self.err.print(f"type a number from 1 to {len(found)}", style="red")

    def where(self) -> str:
        if self.settings.remote:
            return f"the units at {self.client.su_url or self.client.mu_url}"
        return f"the embedded node in {self.settings.data_dir}"

    def check_exists(self, process: str) -> None:
        """Before anything is sent: an id no scheduler knows is a sentence, not a prompt."""
        if self.client.process_exists(process) is False:
            raise AosError(
                f"no process {process} on {self.where()}; `aos --list` lists your processes "
                "(and `aos NAME` spawns one)"
            )

    def run(self) -> int:
        if self.args.list:
            return self.list_processes()
        if self.args.watch:
            self.check_exists(self.args.watch)
            return self.watch(self.args.watch)
        name = self.args.target or "default"
        if is_process_id(name):
            self.check_exists(name)
        units = self.client.mu_url if self.settings.remote else str(self.settings.data_dir)
        process, spawned = resolve_process(
            self.client,
            name,
            registry=NameRegistry(self.settings.state_dir / "processes.json"),
            units=units,
            spawn=self.spawn,
            notice=self.notice,
            choose=self.choose if self.args.run is None and sys.stdin.isatty() else None,
        )
        if spawned:
            self.notice(f"spawned {name!r}: {process}")
        status = 0
        for path in self.loads:
            loaded = bundle(path)
            self.notice(f"loading {', '.join(loaded.files)}")
            status |= self.one_shot(process, loaded.code, loaded.locate, hint=loaded.not_found_note)
        if self.args.run is not None:
            return status | self.one_shot(
                process, self.args.run, lines_locator(self.args.run), dryrun=self.args.dryrun
            )
        if _stdin_piped():
            code = _read_stdin()
            if code.strip():
                status |= self.one_shot(process, code, lines_locator(code))
            return status
        if status:
            return status
        return self.interactive(process, name)

    def one_shot(
        self,
        process: str,
        code: str,
        locate: Locate,
        *,
        dryrun: bool = False,
        hint: Callable[[str], str | None] | None = None,
    ) -> int:
        """Evaluate once: the result on stdout, the error on stderr (and `hint`'s note on
        it, if any); 1 on an Error."""
        result: Result
        if dryrun:
            result = self.client.dry_eval(process, code)
        else:
            _, result = self.client.eval(process, code)
        if self.args.json:
            print(json.dumps(without_escapes(result.raw), ensure_ascii=False, sort_keys=True))
        elif result.data:
            self.print_limited(result.data)
        if result.error is not None:
            if not self.args.json:
                log = parse_error(result.error).log
                if log:  # what the chunk printed before it failed
                    self.out.print(Text.from_ansi(log))
                self.err.print(f"error: {one_line_error(result.error, locate)}", style="red")
                note = hint(result.error) if hint is not None else None
                if note is not None:
                    self.notice(note)
            return 1
        sys.stdout.flush()
        return 0

    def print_limited(self, text: str) -> None:
        """A one-shot result: all of it, unless --max-lines asked for a limit."""
        rows = self.args.max_lines or 0  # not the shell's default: --run is for scripts
        shown, rest = cut(text, rows, self.out.width)
        self.out.print(Text.from_ansi(shown))
        if rest < len(text):
            self.notice(f"... {describe(text, rest)} not shown (--max-lines {rows})")

    def list_processes(self) -> int:
        processes = self.client.list_processes()
        if self.args.json:
            print(
                json.dumps(
                    [{"name": p.name, "id": p.id, "created": p.created_ms} for p in processes]
                )
            )
        elif not processes:
            self.notice("you have no processes yet; `aos NAME` spawns one")
        else:
            self.out.print(process_table(processes))
        return 0

    def watch(self, process: str) -> int:
        self.notice(f"Watching: {process} (Ctrl-C to stop)")

        def show(result: Result) -> None:
            if self.args.json:
                print(json.dumps(without_escapes(result.raw), ensure_ascii=False, sort_keys=True))
            else:
                self.out.print(Text.from_ansi(result.data))
            sys.stdout.flush()

        def failed(failure: HandlerError) -> None:
            if self.args.json:
                body = {"Error": failure.error, "Nonce": failure.nonce,
                        "Action": failure.action, "From": failure.sender}  # fmt: skip
                print(json.dumps(without_escapes(body), ensure_ascii=False, sort_keys=True))
            else:
                self.out.print(
                    handler_error_renderable(failure.error, nonce=failure.nonce,
                                             action=failure.action, sender=failure.sender)
                )  # fmt: skip
            sys.stdout.flush()

        feed = LiveFeed(
            self.client, process, ShellState(self.state.root / "watch"), show,
            on_error=self.notice, on_failure=failed,
        )  # fmt: skip
        try:
            while True:
                feed.poll()
                time.sleep(feed.interval)
        except KeyboardInterrupt:
            return 0
        finally:
            feed.close()

    def interactive(self, process: str, name: str) -> int:
        from aos.repl.loop import Repl

        wallet = self.client.wallet.address
        where = (
            self.client.mu_url
            if self.settings.remote
            else f"embedded node in {tilde(self.settings.data_dir)}"
        )
        self.out.print(f"aos {__version__} · wallet {wallet} · {where}", style="dim")
        self.out.print(f"Your process {name!r}: {process}   (.help for commands)", style="dim")
        prompt = fetch_prompt(self.client, process)
        repl = Repl(
            self.client,
            process,
            console=self.out,
            state=self.state,
            prompt=prompt,
            name=name,
            color=self.settings.color,
            debug=self.settings.debug,
            live=not self.args.no_live,
            max_lines=DEFAULT_MAX_LINES
            if self.settings.max_lines is None
            else self.settings.max_lines,
            spinner=self.err,
        )
        return repl.run()
