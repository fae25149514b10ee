"""Rendering against a StringIO console: results, errors with gutters, tables, NO_COLOR."""

from __future__ import annotations

import io

from aos.client import Result, TxInfo
from aos.render import (
    ERROR_NOTE,
    InboxEntry,
    SourceLocation,
    TraceNode,
    inbox_table,
    lines_locator,
    make_console,
    one_line_error,
    parse_error,
    process_table,
    show_result,
    strip_ansi,
    trace_tree,
)


def render(obj: object, *, color: bool = False, width: int = 100) -> str:
    buf = io.StringIO()
    console = make_console(buf, color=color, width=width)
    console.print(obj)
    return buf.getvalue()


def shown(result: Result, **kw: object) -> str:
    buf = io.StringIO()
    show_result(make_console(buf, color=False, width=100), result, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def test_an_empty_result_prints_nothing_not_the_output_table() -> None:
    # docs/compat.md §2.2: aos prints `{ data: '', prompt: …, test: '{}' }` for `x = 1`.
    result = Result.from_json({"Output": {"data": "", "prompt": "p> ", "test": "{}"}})
    assert shown(result) == ""


def test_output_keeps_the_process_colours_only_with_colour() -> None:
    result = Result(data="\x1b[32mgreen\x1b[0m text")
    buf = io.StringIO()
    show_result(make_console(buf, color=True, width=80), result)
    assert "\x1b[32mgreen" in buf.getvalue()
    assert shown(result) == "green text\n"


def test_parse_error_strips_chunk_names_and_takes_the_last_line() -> None:
    raw = '[string ".handlers"]:362: [string "aos"]:3: attempt to compare number with nil'
    assert parse_error(raw).message == "attempt to compare number with nil"
    assert parse_error(raw).line == 3
    assert parse_error("no position here").line is None


def test_the_print_log_is_split_from_the_error() -> None:
    raw = 'one\ntwo\n\n\x1b[31merror:\n\x1b[0m[string ".handlers"]:209: [string "aos"]:2: boom'
    parsed = parse_error(raw)
    assert (parsed.log, parsed.message, parsed.line) == ("one\ntwo", "boom", 2)
    # The shell shows it as the aos console does: the print log is part of the message.
    text = shown(Result(error=raw), locate=lines_locator("print(1)\nerror('boom')"))
    assert text.splitlines()[:6] == ["", "one", "two", "", "error:", "boom"]


def test_a_syntax_error_is_one_line_with_its_line_number() -> None:
    raw = '[string "aos"]:1: unexpected symbol near <eof>'
    assert one_line_error(raw) == "line 1: unexpected symbol near <eof>"


def test_one_line_error_names_the_file_when_located() -> None:
    def locate(line: int) -> SourceLocation:
        return SourceLocation(4, "x = nil + 1", "lib/util.lua")

    assert one_line_error('[string "aos"]:19: boom\nmore', locate) == "lib/util.lua:4: boom more"


def test_errors_are_laid_out_as_the_aos_console_prints_them() -> None:
    # aos's src/services/errors.js: "\n" + message + gutter with the line + the note.
    code = "x = nil + 1"
    raw = (
        "\n\n\x1b[31merror:\n\x1b[0m"
        '[string ".handlers"]:723: [string "aos"]:1: attempt to perform arithmetic on a nil value'
    )
    assert shown(Result(error=raw), locate=lines_locator(code)) == (
        "\n\n\nerror:\nattempt to perform arithmetic on a nil value\n"
        "   |\n 1 |    x = nil + 1\n   |\n" + ERROR_NOTE + "\n"
    )


def test_the_line_is_the_last_position_and_a_missing_one_is_undefined() -> None:
    code = "local a = 1\nreturn a < nil"
    result = Result(error='[string "aos"]:2: attempt to compare nil with number')
    lines = shown(result, locate=lines_locator(code)).splitlines()
    assert lines[1:4] == ["attempt to compare nil with number", "   |", " 1 |    local a = 1"]
    # one position: aos takes "at line N" from the message, else line 1
    lines = shown(
        Result(error='[string "json"]:261: trailing garbage at line 2 col 1'),
        locate=lines_locator("a\nb"),
    ).splitlines()
    assert lines[3] == " 2 |    b"
    raw = '[string ".handlers"]:723: [string ".ao"]:367: msg should be a table'
    assert " 367 |    undefined" in shown(Result(error=raw), locate=lines_locator("ao.send(1)"))


def test_errors_in_loaded_files_name_the_file() -> None:
    result = Result(error='[string ".handlers"]:723: [string "aos"]:9: oops')
    text = shown(result, locate=lambda line: SourceLocation(2, "error('oops')", "lib/a.lua"))
    assert "  in lib/a.lua" in text and " 2 |    error('oops')" in text


def test_an_error_without_position_is_shown_as_is() -> None:
    assert shown(Result(error="Message is not trusted!")) == "Message is not trusted!\n"


def test_inbox_table_shows_from_action_tags_and_a_data_preview() -> None:
    entries = [
        InboxEntry("A" * 43, "Ping", {"Action": "Ping", "X-Color": "red", "Type": "Message"}, "hi"),
        InboxEntry("B" * 43, "", {}, "x" * 200),
    ]
    text = render(inbox_table(entries, total=7), width=120)
    assert "Inbox: 2 of 7 messages" in text
    assert "AAAAA…AAAAA" in text and "Ping" in text and "X-Color=red" in text
    assert "Type=Message" not in text and "…" in text
    assert " 6 " in text and " 7 " in text


def test_trace_tree_shows_each_message_with_its_result() -> None:
    root = TraceNode("m1", "P" * 43, "message", result=Result(data="sent"))
    root.children.append(
        TraceNode(
            "m2", "Q" * 43, "message", "Action=Ping", result=Result(error='[string "aos"]:1: bad')
        )
    )
    text = render(trace_tree(root))
    assert "message m1" in text and "sent" in text
    assert "Action=Ping" in text and "error: bad" in text


def test_process_table_lists_name_id_and_creation_time() -> None:
    tx = TxInfo("I" * 43, "owner", "", [("Name", "demo"), ("Timestamp", "1700000000000")])
    text = render(process_table([tx]), width=120)
    assert "demo" in text and "I" * 43 in text and "2023-11-14 22:13:20 UTC" in text


def test_no_colour_console_writes_no_escapes() -> None:
    assert "\x1b[" not in render(Result(data="x").data)
    assert strip_ansi("\x1b[31mred\x1b[0m") == "red"
