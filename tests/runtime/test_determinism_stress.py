"""Determinism against everything around the runtime: locale, hash seeds, garbage collection.

The full stress run is `python -m tests.support.stress_determinism` (see that module); here
a shorter log goes through the same variants, and the locale guard is checked directly.
"""

from __future__ import annotations

import _locale
import locale
from collections.abc import Iterator
from pathlib import Path

import pytest

from aos.runtime import LuaProcess
from tests.support.process import Proc
from tests.support.stress_determinism import VARIANTS, build, run_child


@pytest.fixture
def restore_collation() -> Iterator[None]:
    before = _locale.setlocale(_locale.LC_COLLATE, None)
    yield
    _locale.setlocale(_locale.LC_COLLATE, before)


def _available(name: str) -> bool:
    before = _locale.setlocale(_locale.LC_COLLATE, None)
    try:
        _locale.setlocale(_locale.LC_COLLATE, name)
    except locale.Error:
        return False
    _locale.setlocale(_locale.LC_COLLATE, before)
    return True


SORT = (
    "local t = {Zeta = 1, alpha = 2, Beta = 3, _u = 4, ['é'] = 5, e = 6, ['10'] = 7, ['9'] = 8} "
    "local o = {} for k in pairs(t) do o[#o + 1] = k end "
    "local s = {'b', 'B', '_', 'a', 'A'} table.sort(s) "
    "return table.concat(o, ' ') .. ' | ' .. table.concat(s, ' ') .. ' | ' .. "
    "json.encode({b = 1, B = 2, _ = 3})"
)
BYTEWISE = ' 10 9 Beta Zeta _u alpha e é | A B _ a b | {"B":2,"_":3,"b":1}'


def test_a_process_orders_strings_bytewise_even_after_setlocale(restore_collation: None) -> None:
    # A program (a shell, say) may switch the whole OS process to the user's locale; Lua
    # compares strings with strcoll, so the runtime puts LC_COLLATE back to "C" itself.
    proc = Proc()
    _locale.setlocale(_locale.LC_COLLATE, "C.UTF-8")
    assert proc.value(SORT) == BYTEWISE.strip()
    assert _locale.setlocale(_locale.LC_COLLATE, None) == "C"


def test_a_new_runtime_resets_the_collation_before_loading(restore_collation: None) -> None:
    _locale.setlocale(_locale.LC_COLLATE, "C.UTF-8")
    LuaProcess().close()
    assert _locale.setlocale(_locale.LC_COLLATE, None) == "C"


@pytest.mark.skipif(not _available("en_US.UTF-8"), reason="en_US.UTF-8 locale not installed")
def test_a_dictionary_locale_does_not_change_the_order(restore_collation: None) -> None:
    proc = Proc()
    _locale.setlocale(_locale.LC_COLLATE, "en_US.UTF-8")
    assert proc.value(SORT) == BYTEWISE.strip()


@pytest.mark.slow
def test_one_log_replays_identically_under_locales_hash_seeds_and_gc_chaos(
    tmp_path: Path,
) -> None:
    from aos.verify.verifier import verify_store

    pid = build(tmp_path, 150)
    report = verify_store(tmp_path, pid)
    assert report.ok, report.problem
    expected = f"{report.replayed} {report.stored_final_hash}"
    got = {
        f"{mode} {extra}": run_child(tmp_path, pid, mode, seed, extra)
        for seed, (mode, extra) in enumerate(VARIANTS)
    }
    assert got == {variant: expected for variant in got}


TABLE_KEYS = (
    "import sys; from tests.support.process import Proc; print(Proc().value(sys.argv[1]))",
    "local t = {[{}] = 1, [{}] = 2, [print] = 3, [{a = 1}] = 4, [{a = 2}] = 5, "
    "[function() end] = 6, [{}] = 7} local o = {} "
    "for k, v in pairs(t) do o[#o + 1] = v end "
    "local r = Handlers.generateResolver({[{Action = 'X'}] = function() return 'x' end, "
    "[function(m) return true end] = function() return 'any' end}) "
    "return table.concat(o, ' ') .. ' ' .. r({Action = 'X', Tags = {Action = 'X'}})",
)


def test_pairs_over_table_and_function_keys_is_the_same_in_every_os_process() -> None:
    # Such keys hash by address, which differs between OS processes; before the sandbox
    # fingerprinted new keys, 8 runs of this gave 6 different orders.
    import subprocess
    import sys

    code, lua = TABLE_KEYS
    orders = {
        subprocess.run(
            [sys.executable, "-c", code, lua],
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(5)
    }
    # Functions before tables (by type), then by the value each key holds.
    assert orders == {"3 6 1 2 4 5 7 any"}


def test_when_the_node_took_its_checkpoints_does_not_change_a_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The keeper checkpoints by evaluation time. Built with a checkpoint after every
    # message and replayed with none, the log must give the same result hashes (a
    # checkpoint that held the process's dropped objects showed in a weak table).
    from aos.log import keeper
    from aos.verify.verifier import verify_store

    monkeypatch.setattr(keeper, "CHECKPOINT_RATIO", 0.0)
    pid = build(tmp_path, 120)
    monkeypatch.setattr(keeper, "CHECKPOINT_RATIO", 1e12)
    report = verify_store(tmp_path, pid)
    assert report.ok, report.problem
