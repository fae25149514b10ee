"""Rich renderables for what the shell shows: results, errors, inbox, traces, process lists.

Pure functions of values; the caller owns the `Console` (a terminal, a StringIO in tests), so
NO_COLOR and non-terminal output are decided once, where the console is made. Text a process
produced (ANSI colours included) is shown as the process produced it; without colour the
escapes are dropped, never printed raw.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from aos.client.gql import TxInfo
from aos.client.result import Result

# `[string "aos"]:12: ` as Lua names chunk positions; the last one is where the error is.
_CHUNK_POS = re.compile(r'\[string "[^"]*"\]:(\d+):\s?')
# aos puts what the chunk printed before the error, then a red "error:" line (docs/compat.md §2.6).
_ERROR_MARK = re.compile(r"(?:\x1b\[31m)?error:\n(?:\x1b\[0m)?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
ERROR_NOTE = "This error occurred while aos was evaluating the submitted code."


def make_console(file: IO[str] | None = None, *, color: bool, width: int | None = None) -> Console:
    """A console for shell output; `color=False` drops every style (NO_COLOR, pipes)."""
    return Console(
        file=file,
        color_system="standard" if color else None,
        no_color=not color,
        force_terminal=color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        width=width,
    )


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class SourceLocation:
    """Where a line of an evaluated chunk came from: a file (for `.load`) and its line."""

    line: int
    text: str | None = None
    file: str | None = None


Locate = Callable[[int], SourceLocation | None]


def lines_locator(source: str, file: str | None = None) -> Locate:
    """Locate lines in a chunk that was sent as typed (no bundling)."""
    lines = source.splitlines()

    def locate(line: int) -> SourceLocation | None:
        if 1 <= line <= len(lines):
            return SourceLocation(line, lines[line - 1], file)
        return None

    return locate


@dataclass(frozen=True)
class ParsedError:
    message: str
    line: int | None = None
    log: str = ""  # what the chunk printed before it failed


def parse_error(raw: str) -> ParsedError:
    """Split off the print log, strip Lua's chunk positions; the last gives the line."""
    log, body = "", raw
    marks = list(_ERROR_MARK.finditer(raw))
    if marks:
        log, body = raw[: marks[-1].start()].strip("\n"), raw[marks[-1].end() :]
    positions = _CHUNK_POS.findall(body)
    message = _CHUNK_POS.sub("", body).strip()
    return ParsedError(message, int(positions[-1]) if positions else None, log)


def one_line_error(raw: str, locate: Locate | None = None) -> str:
    """The error on one line, for `--run` and scripts: `line 1: unexpected symbol …`."""
    parsed = parse_error(strip_ansi(raw))
    text = " ".join(parsed.message.split())
    if parsed.line is None:
        return text
    where = locate(parsed.line) if locate else None
    if where and where.file:
        return f"{where.file}:{where.line}: {text}"
    return f"line {parsed.line}: {text}"


# What the aos console strips from an error and where it takes the line (services/errors.js
# of aos: every `[string "name"]:N: ` goes, the line is the last `:N:` of the raw text).
_AOS_POS = re.compile(r'\[string "[a-zA-Z0-9_.-]*"\]:[0-9]*: ')
_AOS_LINE = re.compile(r":([0-9]*):")
_AT_LINE = re.compile(r"(?<=at line )[0-9]+")


def aos_parse_error(raw: str) -> tuple[str, int] | None:
    """(message, line) as the aos console reads an Error, or None when it shows it raw."""
    if not raw:
        return "No message given by process.", 0
    message = _AOS_POS.sub("", raw)
    lines = _AOS_LINE.findall(raw)
    if not lines:
        return None
    if len(lines) == 1:
        at = _AT_LINE.search(message)
        return message, int(at.group(0)) if at else 1
    return message, int(lines[-1] or 0)


def error_renderable(raw: str, locate: Locate | None = None) -> RenderableType:
    """The error laid out as the aos console prints it: a blank line, the message (the
    process's text without chunk positions, print log included), the file when the code
    came from one, the line in a gutter, and the note. `undefined` stands for a line the
    submitted code does not have, as in aos."""
    parsed = aos_parse_error(raw)
    if parsed is None:
        return Text.from_ansi(raw, style="red")
    message, line = parsed
    where = locate(line) if locate and line > 0 else None
    number = where.line if where is not None else line
    content = where.text if where is not None and where.text is not None else "undefined"
    pad = " " * len(str(number))
    text = Text("\n")
    text.append_text(Text.from_ansi(message, style="bold"))
    text.append("\n")
    if where is not None and where.file:
        text.append(f"  in {where.file}\n", style="dim")
    text.append(f" {pad} |\n {number} |    ", style="blue")
    text.append(content.rstrip("\r"))
    text.append(f"\n {pad} |\n", style="blue")
    text.append(ERROR_NOTE, style="dim")
    return text


def show_result(console: Console, result: Result, locate: Locate | None = None) -> None:
    """Print what an evaluation produced: its output, its error, or nothing at all.

    An empty result (`x = 1`) prints nothing, unlike aos, which dumps the Output table.
    """
    if result.data:
        console.print(Text.from_ansi(result.data))
    if result.error is not None:
        console.print(error_renderable(result.error, locate))


@dataclass
class InboxEntry:
    from_: str
    action: str
    tags: dict[str, str]
    data: str


# Protocol tags every message carries; the table shows the ones that say something.
_HIDDEN_TAGS = {
    "data-protocol",
    "variant",
    "type",
    "from-process",
    "from-module",
    "pushed-for",
    "content-type",
    "sdk",
}


def inbox_table(entries: Sequence[InboxEntry], *, total: int | None = None) -> Table:
    """The latest Inbox messages: from, action, other tags, a preview of the data."""
    shown = len(entries)
    title = f"Inbox: {shown} of {total} messages" if total is not None else "Inbox"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("From", style="green", no_wrap=True)
    table.add_column("Action", style="blue")
    table.add_column("Tags")
    table.add_column("Data", overflow="fold")
    first = (total or shown) - shown + 1
    for offset, entry in enumerate(entries):
        tags = ", ".join(
            f"{k}={v}"
            for k, v in entry.tags.items()
            if k.lower() not in _HIDDEN_TAGS and k.lower() != "action"
        )
        table.add_row(
            str(first + offset),
            short_id(entry.from_),
            entry.action or "-",
            tags,
            _preview(entry.data),
        )
    return table


def _preview(data: str, width: int = 60) -> str:
    flat = " ".join(strip_ansi(data).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def short_id(value: str) -> str:
    return value if len(value) <= 12 else f"{value[:5]}…{value[-5:]}"


@dataclass
class TraceNode:
    """One message or spawn in a trace, with its result when it was computed."""

    id: str
    process: str
    kind: str  # "message" or "spawn"
    label: str = ""
    result: Result | None = None
    children: list[TraceNode] = field(default_factory=list)
    note: str = ""


def trace_tree(root: TraceNode) -> Tree:
    tree = Tree(_trace_label(root))
    _add_children(tree, root)
    return tree


def _add_children(tree: Tree, node: TraceNode) -> None:
    for child in node.children:
        _add_children(tree.add(_trace_label(child)), child)


def _trace_label(node: TraceNode) -> Text:
    text = Text()
    text.append(node.kind, style="bold magenta" if node.kind == "spawn" else "bold")
    text.append(f" {node.id}", style="cyan")
    text.append(f" → {short_id(node.process)}", style="green")
    if node.label:
        text.append(f" {node.label}", style="blue")
    if node.result is not None:
        if node.result.error is not None:
            text.append("  error: ", style="red")
            text.append(_preview(parse_error(node.result.error).message))
        elif node.result.data:
            text.append("  ")
            text.append(_preview(node.result.data), style="dim")
    if node.note:
        text.append(f"  ({node.note})", style="yellow")
    return text


def process_table(processes: Sequence[TxInfo]) -> Table:
    """`aos --list`: name, id and creation time of each process."""
    table = Table(title="Your processes", title_justify="left")
    table.add_column("Name", style="green")
    table.add_column("Process id", style="cyan", no_wrap=True)
    table.add_column("Created")
    for tx in processes:
        table.add_row(tx.name or "-", tx.id, format_ms(tx.created_ms))
    return table


def format_ms(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
