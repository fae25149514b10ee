"""One test per rough edge of the aos console that we fix (docs/compat.md §2.2 and §5), on the
embedded node and through --url (HyperBEAM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import MODES, run_aos, shell_home


@pytest.fixture(scope="module", params=MODES)
def home(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    with shell_home(tmp_path_factory.mktemp(f"home-{request.param}"), request.param) as home:
        yield home


def _project(root: Path) -> Path:
    (root / "lib").mkdir(parents=True)
    (root / "main.lua").write_text('local util = require("lib.util")\nreturn util.half(nil)\n')
    (root / "lib" / "util.lua").write_text(
        "local M = {}\n\nfunction M.half(x)\n  return x / 2\nend\n\nreturn M\n"
    )
    return root / "main.lua"


def test_2_2_an_empty_result_prints_nothing_instead_of_the_output_table(home: Path) -> None:
    # aos prints `{ data: '', prompt: …, test: '{}' }` for `x = 1`.
    result = run_aos("demo", "--run", "x = 1", home=home)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_5_3_load_reports_the_process_error_and_exits_1(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.lua"
    bad.write_text("print('before')\nerror('broken on purpose')\n")
    result = run_aos("demo", "--load", str(bad), home=home)
    assert result.returncode == 1
    assert "broken on purpose" in result.stderr and "bad.lua:2" in result.stderr
    assert result.stdout == "before\n"  # what it printed before failing is kept


def test_5_4_a_missing_load_file_is_reported_before_anything_is_spawned(home: Path) -> None:
    result = run_aos("fresh", "--load", "missing.lua", home=home)
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "error: cannot load missing.lua: no such file; check the path"
        f" (relative to {Path.cwd()})"
    )
    assert "fresh" not in run_aos("--list", home=home).stdout


def test_5_8_errors_in_loaded_files_point_at_the_users_file_and_line(
    home: Path, tmp_path: Path
) -> None:
    result = run_aos("demo", "--load", str(_project(tmp_path / "proj")), home=home)
    assert result.returncode == 1
    assert "lib/util.lua:4: attempt to perform arithmetic on a nil value" in result.stderr
