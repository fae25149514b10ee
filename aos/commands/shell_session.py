"""The shell session: one invocation of `aos` after its arguments were checked and its
client made.

`Shell.run` picks the mode: --list, --watch, the --load files and --run code or piped input
evaluated once each, else the interactive prompt (aos.repl.loop). It reaches the process only
through the client it is given.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from aos import __version__
from aos.client import AoClient, Result, TxInfo
from aos.config import Settings
from aos.errors import AosError
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
from aos.repl.bundle import bundle
from aos.repl.connect import SpawnOptions, fetch_prompt, is_process_id, resolve_process
from aos.repl.live import HandlerError, LiveFeed
from aos.repl.more import DEFAULT_MAX_LINES, cut, describe
from aos.repl.state import NameRegistry, ShellState


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


def tilde(path: Path) -> str:
    """`path` with the home folder written as ~, as people read and type it."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


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
