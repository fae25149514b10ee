"""The shell driven through prompt_toolkit's pipe input against a real embedded node."""

from __future__ import annotations

import time
from pathlib import Path

from aos.client import AoClient
from tests.support.repl import Driver, spawn


def test_one_line_is_evaluated_and_an_empty_result_prints_nothing(driver: Driver) -> None:
    out = driver.run([(None, "x = 1\r"), (None, "1 + 41\r"), ("42", ".exit\r")])
    assert out.strip() == "42"  # `x = 1` printed nothing, not aos's Output table


def test_a_multi_line_function_definition_continues_until_it_is_complete(driver: Driver) -> None:
    out = driver.run(
        [
            (None, "function double(a)\r  return a * 2\rend\r"),
            (None, "double(21)\r"),
            ("42", ".exit\r"),
        ]
    )
    assert "42" in out and "error" not in out
    assert driver.repl is not None
    history = list(driver.repl.session.history.get_strings())
    assert "function double(a)\n  return a * 2\nend" in history


def test_the_editor_collects_lines_until_done(driver: Driver) -> None:
    out = driver.run(
        [
            (None, ".editor\r"),
            ("editor mode", "local y = 20\rif y then\rreturn y + 1\r"),
            (None, "end\r.done\r"),
            ("21", ".editor\rerror('never')\r.cancel\r"),
            ("editor cancelled", ".exit\r"),
        ]
    )
    assert "21" in out and "never" not in out
    assert driver.repl is not None
    history = list(driver.repl.session.history.get_strings())
    assert "local y = 20\nif y then\nreturn y + 1\nend" in history  # the chunk, once
    assert "local y = 20" not in history and ".done" not in history


def test_backspace_on_an_empty_editor_line_brings_the_last_line_back(driver: Driver) -> None:
    out = driver.run([(None, ".editor\rreturn 1\r\x7f0\r.done\r"), ("10", ".exit\r")])
    assert out.strip().endswith("10")


def test_tab_completes_Han_to_Handlers(driver: Driver) -> None:
    def completed(_: str) -> bool:
        return driver.repl is not None and driver.repl.session.default_buffer.text == "Handlers"

    out = driver.run([(None, "Han\t"), (completed, "\r"), ("_eval", ".exit\r")])
    assert "_default" in out


def test_completion_offers_table_fields(client: AoClient, state_dir: Path) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from aos.repl.completion import LuaCompleter, ProcessNames

    pid = spawn(client, state_dir)
    names = ProcessNames.for_process(client, pid)
    completer = LuaCompleter(names)
    words = [c.text for c in completer.get_completions(Document("Handlers.ad"), CompleteEvent())]
    assert "add" in words
    handlers = [
        c.text for c in completer.get_completions(Document('Handlers.remove("_ev'), CompleteEvent())
    ]
    assert handlers == ["_eval"]


def test_history_is_kept_per_process_across_sessions(client: AoClient, state_dir: Path) -> None:
    pid = spawn(client, state_dir)
    first = Driver(client, pid, state_dir, live=False)
    first.run([(None, "6 * 7\r"), ("42", ".exit\r")])
    second = Driver(client, pid, state_dir, live=False)

    def loaded(_: str) -> bool:  # prompt_toolkit loads the history file in the background
        if second.repl is None or not list(second.repl.session.history.get_strings()):
            return False
        time.sleep(0.2)
        return True

    # Up, Up (past `.exit`), Enter
    out = second.run([(loaded, "\x1b[A\x1b[A\r"), ("42", ".exit\r")])
    assert out.strip() == "42"
    assert (state_dir / "history").is_dir()
    other = Driver(client, spawn(client, state_dir), state_dir, live=False)
    assert other.run([(None, "\x1b[A\x1b[A\r.exit\r")]).strip() == ""  # its own history


def test_load_reports_a_runtime_error_at_the_right_file_and_line(
    driver: Driver, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "lib").mkdir(parents=True)
    (project / "main.lua").write_text('local util = require("lib.util")\nreturn util.half(nil)\n')
    (project / "lib" / "util.lua").write_text(
        "local M = {}\n\nfunction M.half(x)\n  return x / 2\nend\n\nreturn M\n"
    )
    out = driver.run([(None, f".load {project / 'main.lua'}\r"), ("error", ".exit\r")])
    assert "attempt to perform arithmetic on a nil value" in out
    assert "  in lib/util.lua" in out
    assert " 4 |      return x / 2" in out  # aos's gutter: " N |    " then the line


def test_load_of_a_missing_file_is_one_error_line_and_the_shell_goes_on(driver: Driver) -> None:
    out = driver.run([(None, ".load /no/such.lua\r1 + 1\r"), ("2", ".exit\r")])
    assert "error: cannot load /no/such.lua: no such file" in out


def test_inbox_and_live_feed_after_another_process_messaged_ours(
    client: AoClient, state_dir: Path
) -> None:
    ours = spawn(client, state_dir)
    driver = Driver(client, ours, state_dir, live=True)

    def send_from_other(_: str) -> bool:
        other = spawn(client, state_dir)
        _, result = client.eval(
            other, f'Send({{Target = "{ours}", Action = "Ping", Data = "hello there"}})'
        )
        assert result.error is None, result.error
        return True

    def delivered(_: str) -> bool:
        # wait until our process has the message (the MU pushes it in the background)
        return int(client.dry_eval(ours, "#Inbox").data or 0) >= 2

    out = driver.run(
        [
            (None, "1 + 1\r"),
            ("2", ""),
            (send_from_other, ""),
            (delivered, ".inbox\r"),
            ("hello there", ""),
            ("New Message From", ".exit\r"),
        ]
    )
    assert "Ping" in out
    time.sleep(0)


def test_unknown_dot_commands_and_help(driver: Driver) -> None:
    out = driver.run(
        [(None, ".frob\r.help\r"), (".load-blueprint", ".5 + 1\r"), ("1.5", ".exit\r")]
    )
    assert "error: unknown command .frob; .help lists the commands" in out
    for name in (".load", ".editor", ".pad", ".dryrun", ".inbox", ".monitor", ".live", ".trace"):
        assert name in out


def test_dryrun_mode_writes_nothing(driver: Driver) -> None:
    out = driver.run(
        [
            (None, "n = 1\r.dryrun\r"),
            ("engaged", "n = n + 1; return n\r"),
            ("2", ".dryrun\r"),
            ("disengaged", "return n\r"),
            (lambda o: o.rstrip().endswith("1"), ".exit\r"),
        ]
    )
    assert out.rstrip().endswith("1")


def test_exit_ways_all_return_cleanly(driver: Driver) -> None:
    driver.run([(None, "\x04")])  # Ctrl-D
    driver.run([(None, "\x03\x03")])  # Ctrl-C twice
    out = driver.run([(None, "12\x03"), (None, "7 * 6\r"), ("42", ".exit\r")])
    assert "12" not in out  # Ctrl-C cleared the typed line instead of leaving
