"""The shell in daily use, typed into the real shell on a real node: big outputs and
`.more`, Ctrl-D in `.editor`, Ctrl-C twice, input that is not UTF-8, errors that name no
internal URL, `.replay` by id and `.inbox` nonces, an error inside an earlier chunk's
function, and the modes of the shell's files."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aos.client import AoClient
from aos.repl import loop
from tests.support.repl import Driver, spawn


def test_a_big_result_shows_max_lines_and_more_shows_the_rest(driver: Driver) -> None:
    lines = "\n".join(f"row {i}" for i in range(1, 1001))
    out = driver.run(
        [
            (
                None,
                'local t = {}; for i = 1, 1000 do t[i] = "row " .. i end; '
                'return table.concat(t, "\\n")\r',
            ),  # fmt: skip
            ("more lines", ".more 3\r"),
            ("row 203", ".more all\r"),
            ("row 1000", ".more\r"),
            ("nothing to show", ".exit\r"),
        ]
    )
    shown = [x for x in out.splitlines() if x.startswith("row ")]
    assert shown == lines.split("\n")  # every row once, in order, over three screens
    assert re.search(r"\.\.\. 800 more lines \([\d.]+ KB\): \.more shows 200 more, \.more all", out)
    assert "... 797 more lines" in out  # after .more 3
    assert "error: .more has nothing to show" in out


def test_ctrl_d_in_the_editor_evaluates_what_was_typed(driver: Driver) -> None:
    out = driver.run([(None, ".editor\r"), ("editor mode", "return 40 + 2\r\x04"),
                      ("42", ".exit\r")])  # fmt: skip
    assert "internal error" not in out


def test_ctrl_c_twice_leaves_only_soon_after_and_a_cleared_line_starts_over(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop, "EXIT_WINDOW_SECONDS", 1.0)

    def hints(count: int) -> Callable[[str], bool]:
        return lambda out: out.count("Ctrl-C again") >= count

    def later(_: str) -> bool:
        time.sleep(1.5)
        return True

    out = driver.run(
        [
            (None, "\x03"),  # on an empty line: the hint
            (hints(1), "abc\x03"),  # clears the typed line: counting starts over
            (None, "\x03"),  # so this one is a first again
            (hints(2), ""),
            (later, "\x03"),  # too late to be a second
            (hints(3), "return 'still here'\r"),
            ("still here", "\x03\x03"),  # two in a row leave
        ]
    )
    assert out.count("Ctrl-C again within 1 s") == 4


def test_input_that_is_not_utf8_is_one_sentence_and_nothing_is_sent(driver: Driver) -> None:
    out = driver.run([(None, b"return 'caf\xe9'\r"), ("not UTF-8", "return 'ok'\r"),
                      ("ok", ".exit\r")])  # fmt: skip
    assert "the input is not UTF-8 text (byte 0xe9 at line 1, column 12)" in out
    assert "internal error" not in out


def test_errors_name_the_embedded_node_not_its_internal_url(driver: Driver) -> None:
    out = driver.run([(None, ".replay 999\r"), ("error", ".exit\r")])
    assert "aos.local" not in out
    assert re.search(r"error: POST /\S+ on the embedded node answered 400: to-nonce 999", out)


def test_replay_takes_a_message_id_and_inbox_shows_each_messages_nonce(
    client: AoClient, state_dir: Path
) -> None:
    ours, other = spawn(client, state_dir), spawn(client, state_dir)
    five, _ = client.eval(ours, "Counter = 5")
    client.eval(ours, "Counter = 6")
    _, sent = client.eval(other, f'Send({{Target = "{ours}", Action = "Hi", Data = "one"}})')
    assert sent.error is None

    def delivered(_: str) -> bool:
        return int(client.dry_eval(ours, "return #Inbox").data or 0) >= 2

    # the same 32 bytes with one of the last character's two unused bits set
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bent = five[:-1] + alphabet[alphabet.index(five[-1]) + 1]
    out = Driver(client, ours, state_dir, live=False).run(
        [
            (delivered, ".inbox\r"),
            ("Nonce", f".replay {five} return Counter\r"),
            ("state after message", f".replay {bent} return 1\r"),
            ("error", ".exit\r"),
        ]
    )
    table = out[: out.index("state after")]
    assert re.search(r"│\s+2\s+│\s+3\s+│", table), table  # Inbox #2 is the log's nonce 3
    lines = out.splitlines()
    note = next(i for i, line in enumerate(lines) if line.startswith("(state after message"))
    assert lines[note - 1] == "5"  # Counter as it was right after that message
    assert f"error: {bent} is not a message id as nodes spell it" in out
    assert f"the same 32 bytes are {five}" in out


def test_an_error_in_a_function_from_an_earlier_chunk_shows_where(driver: Driver) -> None:
    out = driver.run(
        [
            (None, "function half(t)\r  local x = t.value\r  return x / 2\rend\r"),
            (None, "half({})\r"),
            ("error", ".exit\r"),
        ]
    )
    assert "attempt to perform arithmetic on a nil value (local 'x')" in out
    assert "in an earlier chunk: function half(t)" in out
    assert " 3 |      return x / 2" in out


def test_the_shells_files_are_readable_by_the_user_only(driver: Driver, state_dir: Path) -> None:
    driver.run([(None, "return 1\r"), ("1", ".exit\r")])
    files = [p for p in state_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".history" for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
