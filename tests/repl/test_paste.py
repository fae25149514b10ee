"""Pastes and type-ahead through the real session: bursts folded into one key press, the
Enter rule applied line by line, a bracketed paste as one chunk (one Eval)."""

from __future__ import annotations

from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

from aos.client import AoClient, HyperBeamClient
from aos.repl.paste import Burst, fold, split_chunks
from aos.repl.session import _submit_now
from tests.support.repl import Driver


def _keys(text: str) -> list[KeyPress]:
    return [KeyPress(Keys.ControlM, "\r") if ch == "\r" else KeyPress(ch) for ch in text]


def test_a_run_of_text_keys_becomes_one_burst_and_single_keys_stay_keys() -> None:
    folded = fold([*_keys("ab\rc"), KeyPress(Keys.Up), KeyPress("x")])
    assert isinstance(folded[0], Burst) and folded[0].data == "ab\nc"
    assert [k.key for k in folded[1:]] == [Keys.Up, "x"]
    # a Tab that ends a burst asks for completion; one inside it was pasted
    tabbed = fold([*_keys("Han"), KeyPress(Keys.ControlI, "\t")])
    assert tabbed[0].data == "Han" and tabbed[1].key == Keys.ControlI
    inner = fold([KeyPress("a"), KeyPress(Keys.ControlI, "\t"), KeyPress("b")])
    assert inner[0].data == "a\tb"


def test_split_chunks_applies_the_enter_rule_line_by_line() -> None:
    text = "x = 1\nfunction f()\n  return 2\nend\nreturn f("
    chunks, rest = split_chunks("", text, _submit_now)
    assert chunks == ["x = 1", "function f()\n  return 2\nend"]
    assert rest == "return f("
    assert split_chunks("retu", "rn 1\n", _submit_now) == (["return 1"], "")
    assert split_chunks("", ".load a.lua\nx", _submit_now) == ([".load a.lua"], "x")


def test_lines_sent_together_each_evaluate_in_order(driver: Driver) -> None:
    out = driver.run(
        [(None, "return 'a'\rreturn 'b' .. 'b'\rt = {\r  3\r}\rreturn t[1]\r"),
         ("3", ".exit\r")]
    )  # fmt: skip
    assert out.split() == ["a", "bb", "3"]
    assert driver.repl is not None
    history = list(driver.repl.session.history.get_strings())
    assert history[-5:-1] == ["return 'a'", "return 'b' .. 'b'", "t = {\n  3\n}", "return t[1]"]


def test_a_bracketed_paste_of_several_statements_is_one_eval(
    driver: Driver, client: AoClient
) -> None:
    def logged() -> int:  # messages in the process's log, as the scheduler has it
        if isinstance(client, HyperBeamClient):
            return client.current_slot(driver.process) + 1
        page = client.request("GET", f"{client.su_url}/{driver.process}").json()
        return len(page["edges"])

    before = logged()
    out = driver.run(
        [(None, "\x1b[200~a = 20\nb = 22\nreturn a + b\n\x1b[201~"), ("42", ".exit\r")]
    )
    assert out.strip() == "42"
    assert logged() == before + 1


def test_a_paste_without_a_line_break_waits_for_enter(driver: Driver) -> None:
    out = driver.run(
        [(None, "\x1b[200~return 6 * 7\x1b[201~"), (None, " + 0\r"), ("42", ".exit\r")]
    )
    assert out.strip() == "42"


def test_lines_pasted_into_the_editor_are_its_lines(driver: Driver) -> None:
    out = driver.run(
        [(None, ".editor\r"), ("editor mode", "local a = 40\rreturn a + 2\r.done\r"),
         ("42", ".exit\r")]
    )  # fmt: skip
    assert "42" in out


def test_a_paste_of_a_dot_command_and_lua_runs_both_in_order(driver: Driver) -> None:
    out = driver.run([(None, ".dryrun\rreturn 'after'\r.dryrun\r"), ("disengaged", ".exit\r")])
    lines = out.split("\n")
    assert lines.index("after") > next(i for i, x in enumerate(lines) if "engaged" in x)
