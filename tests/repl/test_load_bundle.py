"""`.load` bundling: requires resolved relative to the requiring file, and the source map."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.errors import AosError
from aos.repl.bundle import bundle


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_modules_resolve_relative_to_the_file_that_requires_them(tmp_path: Path) -> None:
    main = write(tmp_path / "main.lua", 'local u = require("lib.util")\nreturn u.f(1)\n')
    write(tmp_path / "lib" / "util.lua", 'local h = require("helper")\nreturn {f = h.g}\n')
    write(tmp_path / "lib" / "helper.lua", "return {g = function(x) return x end}\n")
    write(tmp_path / "helper.lua", "error('the wrong helper')\n")  # aos would pick this one
    loaded = bundle(main)
    assert loaded.files == ["lib/helper.lua", "lib/util.lua", "main.lua"]
    assert "the wrong helper" not in loaded.code
    assert '_G.package.loaded["helper"]' in loaded.code
    assert loaded.code.index('package.loaded["helper"]') < loaded.code.index(
        'package.loaded["lib.util"]'
    )


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
