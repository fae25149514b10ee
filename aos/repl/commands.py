"""The dot-commands: one registry, filled by `@command`, from which `.help` is generated.

Each handler gets the `Repl` and the rest of the line. Handlers raise AosError for bad input
(a missing file, an unknown blueprint); the loop prints it as one red line and carries on.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from aos.errors import AosError
from aos.luafiles import blueprint_dir
from aos.render import TraceNode, inbox_table, lines_locator, trace_tree
from aos.repl.bundle import bundle
from aos.repl.inbox import read_inbox
from aos.repl.replay import replay
from aos.repl.trace import build_trace

if TYPE_CHECKING:
    from aos.repl.loop import Repl


class LineBack(Exception):
    """Raised by `Repl.read_line` for Backspace on an empty `.editor` line."""


Handler = Callable[["Repl", str], None]


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Handler


REGISTRY: dict[str, Command] = {}


def command(name: str, args: str = "", help: str = "") -> Callable[[Handler], Handler]:
    """Register a dot-command; `help` is one sentence ending with a period."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = Command(name, args, help, handler)
        return handler

    return register


def is_command(line: str) -> bool:
    """`.name …` is a dot-command; `.5 + 1` is Lua (a number may start with a dot)."""
    return len(line) > 1 and line[0] == "." and line[1].isalpha()


def dispatch(repl: Repl, line: str) -> None:
    name, _, arg = line.strip().partition(" ")
    cmd = REGISTRY.get(name)
    if cmd is None:
        raise AosError(f"unknown command {name}; .help lists the commands")
    cmd.handler(repl, arg.strip())


def help_table() -> Table:
    table = Table(title="Commands", title_justify="left", show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for cmd in REGISTRY.values():
        table.add_row(f"{cmd.name} {cmd.args}".strip(), cmd.help)
    return table


def _one_path(arg: str, what: str) -> Path:
    try:
        parts = shlex.split(arg)
    except ValueError as err:
        raise AosError(f"{what}: cannot read the file name {arg!r} ({err})") from err
    if len(parts) != 1:
        raise AosError(f"{what} takes one file name, e.g. {what} main.lua")
    return Path(parts[0]).expanduser()


@command(".help", help="Show this list of commands.")
def _help(repl: Repl, arg: str) -> None:
    repl.print(help_table())
    repl.info("Type Lua to evaluate it in your process; Esc-Enter submits an unfinished chunk.")


@command(
    ".load", "FILE", "Evaluate FILE with the local modules it requires (errors name file:line)."
)
def _load(repl: Repl, arg: str) -> None:
    if not arg:
        raise AosError(".load needs a file name, e.g. .load main.lua")
    loaded = bundle(_one_path(arg, ".load"))
    tree = Tree(Text(f"Loading {loaded.files[-1]}", style="bold"))
    for file in loaded.files[:-1]:
        tree.add(file)
    repl.print(tree)
    result = repl.evaluate(loaded.code, loaded.locate)
    note = loaded.not_found_note(result.error) if result and result.error else None
    if note is not None:
        repl.info(note)


def blueprint_names() -> list[str]:
    folder = blueprint_dir()
    return sorted(p.stem for p in folder.glob("*.lua")) if folder.is_dir() else []


@command(".load-blueprint", "NAME", "Evaluate a blueprint shipped with aos (token, chatroom, ...).")
def _load_blueprint(repl: Repl, arg: str) -> None:
    names = blueprint_names()
    if arg not in names:
        known = ", ".join(names) or "none installed"
        raise AosError(
            f".load-blueprint needs a valid blueprint name (got {arg!r}; known: {known})"
        )
    path = blueprint_dir() / f"{arg}.lua"
    repl.info(f"Loading blueprint {arg}")
    source = path.read_text(encoding="utf-8")

    repl.evaluate(source, lines_locator(source, f"blueprints/{arg}.lua"))


@command(
    ".editor", help="Type a multi-line chunk; .done (or Ctrl-D) evaluates it, .cancel drops it."
)
def _editor(repl: Repl, arg: str) -> None:
    repl.info(
        "<editor mode> use '.done' (or Ctrl-D) to submit, '.cancel' to cancel, '.delete' to "
        "drop a line"
    )
    lines: list[str] = []
    pending = ""
    while True:
        try:
            line, pending = repl.read_line(pending), ""
        except LineBack:
            pending = lines.pop() if lines else ""
            continue
        except EOFError:  # Ctrl-D ends the editor as .done does (and as Node.js's .editor)
            break
        word = line.strip()
        if word == ".done":
            break
        if word == ".cancel":
            repl.info("editor cancelled")
            return
        if word == ".delete":
            if lines:
                lines.pop()
            continue
        if word == ".print":
            repl.print(Text("\n".join(lines)))
            continue
        lines.append(line)
    code = "\n".join(lines)
    if code.strip():
        repl.session.history.append_string(code)
        repl.evaluate(code)


@command(".pad", help="Edit a scratch file in $EDITOR; it is evaluated when you save a change.")
def _pad(repl: Repl, arg: str) -> None:
    path = repl.state.pad_path(repl.process)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    editor = os.environ.get("EDITOR") or ("notepad" if os.name == "nt" else "vi")
    try:
        with repl.keys.released():  # the editor needs the terminal as it normally is
            status = subprocess.call([*shlex.split(editor), str(path)])
    except OSError as err:
        raise AosError(f"cannot start the editor {editor!r} ($EDITOR): {err}") from err
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise AosError(f"{path} is not UTF-8 text ({err}); nothing evaluated") from err
    if status != 0:
        repl.warn(f"{editor} exited with status {status}; nothing evaluated")
    elif hashlib.sha256(source.encode()).hexdigest() == before:
        repl.info("pad unchanged; nothing evaluated")
    else:
        from aos.render import lines_locator

        repl.evaluate(source, lines_locator(source, path.name))


@command(".dryrun", help="Toggle dry-run mode: chunks are evaluated but not written to the log.")
def _dryrun(repl: Repl, arg: str) -> None:
    repl.dryrun = not repl.dryrun
    repl.info(
        "Dryrun mode engaged (nothing is written)" if repl.dryrun else "Dryrun mode disengaged"
    )


@command(".inbox", "[N]", "Show the latest N messages of the Inbox (default 10).")
def _inbox(repl: Repl, arg: str) -> None:
    if arg and not arg.isdigit():
        raise AosError(f".inbox takes a count, e.g. .inbox 5 (got {arg!r})")
    count = int(arg) if arg else 10
    answer = repl.wait("[Reading Inbox...]", lambda: read_inbox(repl.client, repl.process, count))
    if answer is None:
        return
    total, entries = answer
    if not entries:
        repl.info("Inbox is empty")
        return
    repl.print(inbox_table(entries, total=total))


@command(".monitor", help="Ask the messenger to run this process's cron messages.")
def _monitor(repl: Repl, arg: str) -> None:
    repl.client.monitor(repl.process)
    repl.info("monitoring: cron messages will be pushed")


@command(".unmonitor", help="Stop the messenger running this process's cron messages.")
def _unmonitor(repl: Repl, arg: str) -> None:
    repl.client.unmonitor(repl.process)
    repl.info("monitoring stopped")


@command(".live", help="Show what other messages make your process print (on by default).")
def _live(repl: Repl, arg: str) -> None:
    repl.feed.start()
    repl.info("live feed on")


@command(".pause", help="Stop showing live output; it is caught up on .live.")
def _pause(repl: Repl, arg: str) -> None:
    repl.feed.stop()
    repl.info("live feed paused")


@command(".trace", "[ID]", "Show the messages and spawns a message caused (default: the last).")
def _trace(repl: Repl, arg: str) -> None:
    message = arg or repl.last_message
    if not message:
        raise AosError(".trace needs a message id; none was sent in this session yet")

    def work() -> TraceNode:
        # a message sent to another process is traced from there (its recipient)
        found = [tx for tx in repl.client.transactions([message]) if tx.id == message]
        target = found[0].recipient if found and found[0].recipient else repl.process
        return build_trace(repl.client, message, target)

    tree = repl.wait("[Tracing...]", work)

    if tree is not None:
        repl.print(trace_tree(tree))


@command(
    ".replay",
    "NONCE|ID [EXPR]",
    "Evaluate EXPR (default: a state summary) as the process was after that message.",
)
def _replay(repl: Repl, arg: str) -> None:
    replay(repl, arg)


@command(".more", "[N|all]", "Show more of the last result that was too long: N lines, or all.")
def _more(repl: Repl, arg: str) -> None:
    if repl.more is None:
        raise AosError(".more has nothing to show: the last result was shown whole")
    if arg and arg != "all" and not arg.isdigit():
        raise AosError(f".more takes a number of lines or all, e.g. .more 50 (got {arg!r})")
    text, start = repl.more
    rows = 0 if arg == "all" else int(arg) if arg else repl.max_lines or 0
    repl.show_text(text, start, rows)


@command(".exit", help="Leave the shell (Ctrl-D and Ctrl-C twice do too).")
def _exit(repl: Repl, arg: str) -> None:
    repl.request_exit()
