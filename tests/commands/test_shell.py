"""`aos` end to end in a fresh HOME (issue 2's commands and the modes): every test runs on the
embedded node and again against `aos serve` through `--url` (HyperBEAM), set by the
config file in that HOME so that each command line is the same."""

from __future__ import annotations

import json
import os
import selectors
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import MODES, run_aos, shell_home


@pytest.fixture(scope="module", params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    mode: str = request.param
    return mode


@pytest.fixture(scope="module")
def home(mode: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with shell_home(tmp_path_factory.mktemp(f"home-{mode}"), mode) as home:
        yield home


def test_state_is_rebuilt_from_the_log_across_runs(home: Path) -> None:
    first = run_aos("demo", "--run", "x = (x or 0) + 1; return x", home=home)
    assert (first.returncode, first.stdout) == (0, "1\n"), first.stderr
    assert "spawned 'demo'" in first.stderr
    second = run_aos("demo", "--run", "x = (x or 0) + 1; return x", home=home)
    assert (second.returncode, second.stdout) == (0, "2\n"), second.stderr
    assert "spawned" not in second.stderr


def test_a_syntax_error_is_one_line_exit_1_and_changes_nothing(home: Path) -> None:
    run_aos("demo", "--run", "x = 2", home=home)
    bad = run_aos("demo", "--run", "return 1 +", home=home)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == ["error: line 1: unexpected symbol near <eof>"]
    after = run_aos("demo", "--run", "return x", home=home)
    assert after.stdout == "2\n"


def test_the_sandbox_hides_io_python_os_execute_and_loadfile(home: Path) -> None:
    result = run_aos(
        "demo",
        "--run",
        "return type(io) .. type(python) .. type(os.execute) .. type(loadfile)",
        home=home,
    )
    assert (result.returncode, result.stdout) == (0, "nilnilnilnil\n")


def test_wallet_is_created_0600_on_first_run(home: Path) -> None:
    run_aos("demo", "--run", "1", home=home)
    assert (home / ".aos.json").stat().st_mode & 0o777 == 0o600


def test_json_prints_the_whole_result(home: Path) -> None:
    result = run_aos("demo", "--run", 'print("hi"); return 7', "--json", home=home)
    body = json.loads(result.stdout)
    assert body["Output"]["data"].startswith("hi\n7")
    assert "prompt" in body["Output"] and result.returncode == 0
    error = run_aos("demo", "--run", "error('bad')", "--json", home=home)
    assert error.returncode == 1 and "bad" in json.loads(error.stdout)["Error"]


def test_list_shows_name_id_and_created(home: Path) -> None:
    run_aos("listed", "--run", "1", home=home)
    result = run_aos("--list", home=home)
    assert result.returncode == 0
    assert "listed" in result.stdout and "demo" in result.stdout and "UTC" in result.stdout
    as_json = json.loads(run_aos("--list", "--json", home=home).stdout)
    assert {p["name"] for p in as_json} >= {"listed", "demo"}


def test_piped_stdin_is_evaluated_as_one_chunk(home: Path) -> None:
    code = "local t = {}\nfor i = 1, 3 do\n  t[#t + 1] = i * 2\nend\nreturn table.concat(t, ',')\n"
    result = run_aos("demo", home=home, stdin=code)
    assert (result.returncode, result.stdout) == (0, "2,4,6\n"), result.stderr


def test_run_with_a_process_id_needs_no_name_lookup(home: Path) -> None:
    pid = run_aos("demo", "--run", "return ao.id", home=home).stdout.strip()
    result = run_aos(pid, "--run", "return Name", home=home)
    assert result.stdout == "demo\n"


def test_load_prints_results_and_stops_at_errors(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.lua"
    good.write_text("Greeting = 'hello'\nreturn Greeting\n")
    ok = run_aos("demo", "--load", str(good), home=home)
    assert (ok.returncode, ok.stdout) == (0, "hello\n"), ok.stderr


def test_load_is_repeatable_and_runs_each_file_in_order(home: Path, tmp_path: Path) -> None:
    (tmp_path / "a.lua").write_text("Seq = 'a'\nreturn Seq\n")
    (tmp_path / "b.lua").write_text("Seq = Seq .. 'b'\nreturn Seq\n")
    result = run_aos(
        "demo", "--load", str(tmp_path / "a.lua"), "--load", str(tmp_path / "b.lua"), home=home
    )
    assert (result.returncode, result.stdout) == (0, "a\nab\n"), result.stderr


def test_piped_stdin_with_json(home: Path) -> None:
    result = run_aos("demo", "--json", home=home, stdin="return 6 * 7")
    assert json.loads(result.stdout)["Output"]["data"] == "42"


def test_spawn_flags_reach_the_process_tags(home: Path, tmp_path: Path) -> None:
    data = tmp_path / "boot.lua"
    data.write_text("Booted = true")
    result = run_aos(
        "tagged",
        "--tag-name", "Color", "--tag-value", "blue",
        "--cron", "10-minutes",
        "--data", str(data),
        "--run", "return ao.env.Process.Tags.Color .. ' ' .. ao.env.Process.Tags['Cron-Interval']",
        home=home,
    )  # fmt: skip
    assert result.stdout == "blue 10-minutes\n", result.stderr


def test_watch_prints_what_another_process_makes_ours_print(home: Path) -> None:
    pid = run_aos("watched", "--run", "return ao.id", home=home).stdout.strip()
    watch = subprocess.Popen(
        [sys.executable, "-m", "aos", "--watch", pid],
        env=_watch_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)  # let the watcher take its starting cursor
        sent = run_aos(
            "sender", "--run", f'Send({{Target = "{pid}", Action = "Wave", Data = "o/"}})',
            home=home,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert watch.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(watch.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=30), "no live line within 30 s"
        line = watch.stdout.readline()
        assert "New Message From" in line and "Wave" in line
    finally:
        watch.terminate()
        watch.wait(timeout=10)


def _watch_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AOS_", "XDG_"))}
    env.update(
        HOME=str(home),
        AOS_DATA_DIR=str(home / "node"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def test_debug_traces_every_http_request(home: Path, mode: str) -> None:
    result = run_aos("demo", "--run", "1", "--debug", home=home)
    assert result.returncode == 0
    if mode == "embedded":
        assert "[http] POST http://aos.local/mu/ -> 202" in result.stderr
        assert "[http] GET http://aos.local/cu/result/" in result.stderr
    else:
        assert "~process@1.0/push -> 200" in result.stderr
        assert "~process@1.0/compute/results=" in result.stderr


def test_a_node_failure_is_one_line_and_its_log_stays_in_the_data_dir(tmp_path: Path) -> None:
    # A data directory made by an incompatible build: the user gets one sentence saying
    # which file and what to do, never the node's traceback.
    node = tmp_path / "node"
    node.mkdir()
    conn = sqlite3.connect(node / "node.sqlite3")
    conn.execute("CREATE TABLE items (seq INTEGER PRIMARY KEY, id TEXT)")
    conn.commit()
    conn.close()
    bad = run_aos("demo", "--run", "return 1", home=tmp_path)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "incompatible build" in lines[0] and "--data-dir" in lines[0]


def test_the_embedded_node_logs_to_its_data_dir_not_the_terminal(home: Path, mode: str) -> None:
    ok = run_aos("demo", "--run", "return 1", home=home)
    assert ok.returncode == 0, ok.stderr
    # with --url no embedded node is opened at all
    assert (home / "node" / "node.log").exists() == (mode == "embedded")
    assert "Traceback" not in ok.stderr
