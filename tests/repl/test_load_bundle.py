"""`.load` bundling: requires resolved from the main file's folder as aos does, the paths
tried for a missing module, and the source map."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.errors import AosError
from aos.repl.bundle import bundle


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_require_resolves_from_the_main_files_folder_as_in_aos(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", 'local a = require("lib.a")\nreturn a.f(1)\n')
    write(tmp_path / "lib" / "a.lua", 'local b = require("lib.b")\nreturn {f = b.g}\n')
    write(tmp_path / "lib" / "b.lua", "return {g = function(x) return x end}\n")
    write(tmp_path / "lib" / "lib" / "b.lua", "error('relative to lib/a.lua: not aos')\n")
    loaded = bundle(main)
    assert loaded.files == ["lib/b.lua", "lib/a.lua", "main.lua"]
    assert "not aos" not in loaded.code
    assert loaded.code.index('package.loaded["lib.b"]') < loaded.code.index(
        'package.loaded["lib.a"]'
    )


def test_slash_spellings_and_init_files_are_modules_too(tmp_path: Path) -> None:
    main = write(
        tmp_path / "main.lua", 'require("lib/util")\nrequire("lib.util")\nrequire("pkg")\n'
    )
    write(tmp_path / "lib" / "util.lua", "Count = (Count or 0) + 1\nreturn {}\n")
    write(tmp_path / "pkg" / "init.lua", "return {}\n")
    loaded = bundle(main)
    assert loaded.files == ["lib/util.lua", "pkg/init.lua", "main.lua"]
    assert loaded.code.count("Count = (Count or 0) + 1") == 1  # one file, run once
    assert '_G.package.loaded["lib.util"] = _G.package.loaded["lib/util"]' in loaded.code


def test_a_module_with_no_file_keeps_the_paths_tried(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", 'require("lib.gone")\nrequire("json")\n')
    loaded = bundle(main)
    assert loaded.missing["lib.gone"] == ["lib/gone.lua", "lib/gone/init.lua"]
    note = loaded.not_found_note("[string \"aos\"]:1: module 'lib.gone' not found: ...")
    assert note is not None and "lib/gone.lua and lib/gone/init.lua" in note
    assert loaded.not_found_note("attempt to call a nil value") is None


def test_every_bundle_line_maps_back_to_its_file_and_line(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", "local m = require('mod')\nreturn m.x\n")
    write(tmp_path / "mod.lua", "local M = {}\nM.x = nil + 1\nreturn M\n")
    loaded = bundle(main)
    lines = loaded.code.split("\n")
    for number, text in enumerate(lines, start=1):
        where = loaded.locate(number)
        if where is not None:
            assert where.text == text
    target = lines.index("M.x = nil + 1") + 1
    where = loaded.locate(target)
    assert where is not None and (where.file, where.line) == ("mod.lua", 2)
    last = loaded.locate(lines.index("return m.x") + 1)
    assert last is not None and (last.file, last.line) == ("main.lua", 2)


def test_unknown_and_process_modules_are_left_to_the_process(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", "local j = require('json')\nlocal c = require('.crypto')\n")
    loaded = bundle(main)
    assert loaded.files == ["main.lua"] and loaded.code == main.read_text()


def test_cycles_and_repeats_are_bundled_once(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", "require('a')\nrequire('b')\n")
    write(tmp_path / "a.lua", "require('b')\nreturn 1\n")
    write(tmp_path / "b.lua", "require('a')\nreturn 2\n")
    assert bundle(main).files == ["b.lua", "a.lua", "main.lua"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AosError, match="no such file"):
        bundle(tmp_path / "nope.lua")
