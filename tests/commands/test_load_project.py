"""`aos NAME --load` on an aos project as a user runs it: requires resolve from the main
file's folder as in aos (dots and slashes), and a missing module names the paths tried."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_aos


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_aos_project_with_lib_a_requiring_lib_b_loads(home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project / "main.lua", 'local a = require("lib.a")\nreturn a.greet("ao")\n')
    _write(project / "lib" / "a.lua",
           'local b = require("lib.b")\nlocal util = require("lib/util")\n'
           "return {greet = function(n) return util.shout(b.hello .. n) end}\n")  # fmt: skip
    _write(project / "lib" / "b.lua", 'return {hello = "hello, "}\n')
    _write(project / "lib" / "util.lua", "return {shout = function(s) return s .. '!' end}\n")
    result = run_aos("proj", "--load", str(project / "main.lua"), home=home)
    assert (result.returncode, result.stdout) == (0, "hello, ao!\n"), result.stderr


def test_a_missing_module_names_the_paths_tried(home: Path, tmp_path: Path) -> None:
    _write(tmp_path / "app" / "main.lua", 'local m = require("lib.missing")\nreturn m\n')
    result = run_aos("proj", "--load", str(tmp_path / "app" / "main.lua"), home=home)
    assert result.returncode == 1
    assert "module 'lib.missing' not found" in result.stderr
    assert "lib/missing.lua and lib/missing/init.lua" in result.stderr
