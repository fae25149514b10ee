"""`aos` as a user runs it (a subprocess, HOME and AOS_DATA_DIR in tmp_path): the flags,
their errors, and the checks made before any node work (docs/compat.md §5 item 4)."""

from __future__ import annotations

from pathlib import Path

from aos.commands.shell_args import build_parser
from tests.support.cli import run_aos

# An address nothing listens on: a test that reached the network would fail on it.
DEAD = ["--mu-url", "http://127.0.0.1:9", "--cu-url", "http://127.0.0.1:9",
        "--gateway-url", "http://127.0.0.1:9"]  # fmt: skip


def test_version_and_help(tmp_path: Path) -> None:
    version = run_aos("--version", home=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("aos ")
    helped = run_aos("--help", home=tmp_path)
    assert helped.returncode == 0
    for flag in ("--wallet", "--run", "--load", "--json", "--list", "--watch", "--cu-url"):
        assert flag in helped.stdout


def test_help_strings_end_with_periods() -> None:
    for action in build_parser()._actions:
        if action.help and action.help != "==SUPPRESS==":
            assert action.help.endswith("."), action.option_strings


def test_an_unknown_flag_is_a_usage_error(tmp_path: Path) -> None:
    result = run_aos("--frobnicate", home=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --frobnicate" in result.stderr


def test_a_missing_load_file_fails_before_any_node_work(tmp_path: Path) -> None:
    result = run_aos("demo", "--load", "nope.lua", *DEAD, home=tmp_path)
    assert result.returncode == 1
    assert "cannot load nope.lua: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".aos.json").exists()  # not even the wallet was touched


def test_a_bad_cron_fails_before_any_node_work(tmp_path: Path) -> None:
    result = run_aos("demo", "--cron", "every-minute", *DEAD, home=tmp_path)
    assert result.returncode == 1
    assert "--cron 'every-minute' is not an interval" in result.stderr
    assert not (tmp_path / ".aos.json").exists()


def test_unpaired_tags_and_a_missing_data_file_are_refused(tmp_path: Path) -> None:
    tags = run_aos("demo", "--tag-name", "A", *DEAD, home=tmp_path)
    assert tags.returncode == 1 and "1 --tag-name but 0 --tag-value" in tags.stderr
    data = run_aos("demo", "--data", "gone.txt", *DEAD, home=tmp_path)
    assert data.returncode == 1 and "--data gone.txt: no such file" in data.stderr


def test_run_without_a_name_never_falls_back_to_default(tmp_path: Path) -> None:
    result = run_aos("--run", "1 + 1", *DEAD, home=tmp_path)
    assert result.returncode == 1
    assert "--run needs a process name or id" in result.stderr


def test_an_unreachable_unit_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_aos("demo", "--run", "1", *DEAD, home=tmp_path)
    assert result.returncode == 1
    assert "http://127.0.0.1:9" in result.stderr and "Traceback" not in result.stderr
    first, error = result.stderr.strip().splitlines()  # the new wallet's notice, the error
    assert first.startswith("created your wallet ~/.aos.json (address ")
    assert error.startswith("error: cannot reach http://127.0.0.1:9/")


def test_a_named_wallet_must_exist(tmp_path: Path) -> None:
    result = run_aos("demo", "--run", "1", "--wallet", str(tmp_path / "none.json"), *DEAD,
                     home=tmp_path)  # fmt: skip
    assert result.returncode == 1 and "none.json" in result.stderr
    assert not (tmp_path / "none.json").exists() and not (tmp_path / ".aos.json").exists()


def test_a_process_id_that_begins_with_a_dash_is_read_as_an_id() -> None:
    from aos.commands.shell_args import build_parser, dash_ids_as_values

    pid = "-" + "b" * 42
    args = build_parser().parse_args(dash_ids_as_values([pid, "--run", "1 + 1"]))
    assert (args.target, args.run) == (pid, "1 + 1")
    args = build_parser().parse_args(dash_ids_as_values(["--watch", pid]))
    assert args.watch == pid
