"""`aos` as a user runs it: every way an id can be wrong (a sentence, exit 1, nothing
spawned or sent), the aos console's flags (accepted where they mean something, refused with
what to do instead), --json without escapes, --run and big outputs, and --help's style."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from aos.commands.shell_args import build_parser
from tests.support.cli import run_aos, shell_home
from tests.support.terminal import Terminal

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def pid(home: Path) -> str:
    made = run_aos("ids", "--run", "Count = 1; return ao.id", home=home)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def _processes(home: Path) -> set[str]:
    listed = run_aos("--list", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    return {p["id"] for p in json.loads(listed.stdout)}


def _error(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    lines = [x for x in stderr.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_an_id_one_character_short_or_long_is_refused_and_nothing_is_spawned(
    home: Path, pid: str
) -> None:
    before = _processes(home)
    for wrong in (pid[:-1], pid + "x"):
        result = run_aos(wrong, "--run", "return 1", home=home)
        assert result.returncode == 1 and result.stdout == ""
        assert _error(result) == (
            f"error: {wrong!r} is not a process id: an id has exactly 43 characters of "
            f"A-Z a-z 0-9 _ - and this has {len(wrong)}; copy it again (`aos --list` lists "
            "your processes)"
        )
    assert _processes(home) == before


def test_a_non_canonical_spelling_of_a_real_id_is_refused_before_anything_is_sent(
    home: Path, pid: str
) -> None:
    bent = pid[:-1] + ALPHABET[ALPHABET.index(pid[-1]) + 1]
    result = run_aos(bent, "--run", "Count = Count + 100", home=home)
    assert result.returncode == 1
    assert _error(result).startswith(f"error: {bent} is not a process id as nodes spell it")
    assert f"the same 32 bytes are {pid}" in result.stderr
    assert run_aos(pid, "--run", "return Count", home=home).stdout == "1\n"


def test_an_unknown_id_is_refused_by_run_watch_and_the_shell(home: Path, tmp_path: Path) -> None:
    unknown = "Zq3" + "A" * 40
    expected = f"error: no process {unknown} on the embedded node in {home / 'node'}; "
    for args in (["--run", "return 1"], ["--watch", unknown]):
        result = run_aos(*([unknown] if args[0] == "--run" else []), *args, home=home)
        assert result.returncode == 1 and _error(result).startswith(expected), result.stderr
        assert "`aos --list` lists your processes" in result.stderr
    term = Terminal([unknown], home, {"AOS_DATA_DIR": str(home / "node")}, timeout=120)
    term.expect(re.escape(f"no process {unknown} on the embedded node"))
    term.child.expect(pexpect.EOF)
    term.child.close()
    assert term.child.exitstatus == 1
    assert "Inbox" not in term.log.getvalue()  # no prompt was ever shown
    assert unknown not in _processes(home)


def test_an_unknown_id_through_url_is_refused_by_run_and_watch(tmp_path: Path) -> None:
    unknown = "Zq3" + "B" * 39 + "A"  # canonical: the last character sets no unused bit
    with shell_home(tmp_path, "url"):  # a config file names `aos serve` as --url
        for args in ([unknown, "--run", "return 1"], ["--watch", unknown]):
            result = run_aos(*args, home=tmp_path)
            assert result.returncode == 1, result.stderr
            assert _error(result).startswith(f"error: no process {unknown} on the units at ")
            assert "`aos --list` lists your processes" in result.stderr


def test_the_watch_of_a_malformed_id_is_a_sentence(home: Path) -> None:
    result = run_aos("--watch", "abcDEF123" * 4, home=home)
    assert result.returncode == 1
    assert "is not a process id: an id has exactly 43 characters" in _error(result)


def test_the_aos_console_flags_that_mean_something_here_work(home: Path, pid: str) -> None:
    legacy = run_aos(pid, "--legacy", "--run", "return 1 + 1", home=home)
    assert (legacy.returncode, legacy.stdout) == (0, "2\n"), legacy.stderr
    dry = run_aos(pid, "--dry-run", "--run", "Count = 99; return Count", home=home)
    assert dry.stdout == "99\n"
    assert run_aos(pid, "--run", "return Count", home=home).stdout == "1\n"
    named = run_aos("by-name", "--module", "aos-lua", "--run", "return ao._module", home=home)
    assert named.returncode == 0, named.stderr
    assert named.stdout.strip() == "ISShJH1ij-hPPt9St5UFFr_8Ys3Kj5cyg7zrMGt7H9s"


def test_a_module_name_the_gateway_does_not_know_is_refused_before_a_spawn(home: Path) -> None:
    before = _processes(home)
    result = run_aos("nomod", "--module", "no-such-module", "--run", "return 1", home=home)
    assert result.returncode == 1
    assert _error(result).startswith(
        "error: --module 'no-such-module': the gateway (/graphql on the embedded node in "
    )
    assert "knows no module with that Name" in result.stderr
    assert _processes(home) == before


def test_get_blueprints_copies_them_and_touches_nothing_else(tmp_path: Path) -> None:
    result = run_aos("--get-blueprints", str(tmp_path / "bp"), home=tmp_path)
    assert result.returncode == 0, result.stderr
    copied = sorted(p.name for p in (tmp_path / "bp").glob("*.lua"))
    assert "token.lua" in copied and "chatroom.lua" in copied
    assert result.stdout.startswith(f"copied {len(copied)} blueprints to {tmp_path / 'bp'}: ")
    assert not (tmp_path / ".aos.json").exists()


@pytest.mark.parametrize(
    ("flag", "says"),
    [
        ("--sqlite", "leave --sqlite out, or pass --module"),
        ("--monitor", "type .monitor"),
        ("--topup", "charge nothing"),
        ("--dev", "leave --dev out"),
        ("--hyper", "no effect in the aos console 2.x either"),
        ("--address", "`aos --list` lists your wallet's processes"),
    ],
)
def test_the_aos_console_flags_without_a_meaning_here_say_what_to_do(
    tmp_path: Path, flag: str, says: str
) -> None:
    result = run_aos("demo", flag, home=tmp_path)
    assert result.returncode == 1
    assert _error(result).startswith(f"error: {flag} ") and says in result.stderr
    assert not (tmp_path / ".aos.json").exists()


def test_a_compute_unit_alone_is_refused(tmp_path: Path) -> None:
    result = run_aos("demo", "--cu-url", "http://127.0.0.1:9/cu", "--run", "1", home=tmp_path)
    assert result.returncode == 1
    assert _error(result).startswith("error: --cu-url without --mu-url and --gateway-url: ")


def test_json_output_parses_and_holds_no_escape(home: Path, pid: str) -> None:
    code = 'print("\\27[31mred\\27[0m"); return {a = 1}'
    result = run_aos(pid, "--json", "--run", code, home=home)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["Output"]["data"].startswith("red")
    assert "\x1b" not in result.stdout and "\\u001b" not in result.stdout
    assert "\\27[" not in result.stdout  # nor the escaped copy in Output.test


def test_run_prints_a_big_result_whole_unless_asked(home: Path, pid: str) -> None:
    code = 'local t = {}; for i = 1, 5000 do t[i] = "r" .. i end; return table.concat(t, "\\n")'
    whole = run_aos(pid, "--run", code, home=home)
    assert whole.stdout.splitlines() == [f"r{i}" for i in range(1, 5001)]
    cut = run_aos(pid, "--run", code, "--max-lines", "10", home=home)
    assert cut.stdout.splitlines() == [f"r{i}" for i in range(1, 11)]
    assert "... 4,990 more lines" in cut.stderr and "--max-lines 10" in cut.stderr


def test_help_texts_are_sentences_that_name_defaults_and_variables() -> None:
    helps = {a.dest: a.help for a in build_parser()._actions if a.help and a.help != "==SUPPRESS=="}
    for dest, text in helps.items():
        assert text[0].isupper() and text.endswith("."), dest
    for dest, variable in [("wallet", "AOS_WALLET"), ("data_dir", "AOS_DATA_DIR"),
                           ("max_lines", "AOS_MAX_LINES"), ("cu_url", "AOS_CU_URL"),
                           ("debug", "AOS_DEBUG")]:  # fmt: skip
        assert f"env {variable}" in helps[dest], dest
    for dest in ("wallet", "module", "max_lines", "data_dir", "target"):
        assert "(default: " in helps[dest], dest


def test_code_that_is_not_utf8_is_refused_from_run_and_from_a_pipe(home: Path, pid: str) -> None:
    run = run_aos(pid, "--run", os.fsdecode(b"return 'caf\xe9'"), home=home)
    assert run.returncode == 1
    assert _error(run).startswith("error: --run CODE is not UTF-8 text (byte 0xe9 at line 1")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_"))}
    env.update(HOME=str(home), AOS_DATA_DIR=str(home / "node"), NO_COLOR="1")
    piped = subprocess.run([sys.executable, "-m", "aos", pid], input=b"return '\xff'\n",
                           capture_output=True, env=env, timeout=120)  # fmt: skip
    assert piped.returncode == 1
    assert b"error: the piped input is not UTF-8 text (byte 0xff" in piped.stderr
    assert b"Traceback" not in piped.stderr
