"""One-line bombs: each ends with an Error, and the process answers the next message.

Every C function whose work depends on its arguments is charged for that work before it runs
(lua/meter.lua, pattern.lua), so these end with a counted limit, the same way on every replay;
the few that no count can weigh (one VM instruction doing work proportional to a long string)
are stopped by the wall-clock watchdog and raise MessageStopped (quarantined by the evaluator,
see tests/log/test_quarantine.py). The budget here is smaller than the node's so the suite stays
quick; `BUDGET_AT_DEFAULTS` runs a sample under the default limits. Each bound on the time is
generous (the machine is shared): it only catches a hang.
"""

from __future__ import annotations

import re
import time

import pytest

from aos.errors import MessageStopped
from aos.limits import INSTRUCTION_LIMIT
from tests.support.bombs import BOMBS, BUDGET, HANG, UNCOUNTABLE
from tests.support.process import Proc


@pytest.mark.parametrize("name,code,expected", BOMBS, ids=[b[0] for b in BOMBS])
def test_bomb_ends_with_an_error(name: str, code: str, expected: str) -> None:
    # A process per bomb, so that what one leaves behind cannot change the next one's end.
    proc = Proc(instruction_limit=BUDGET, memory_limit=64 * 2**20)
    start = time.monotonic()
    result = proc.eval(code)
    assert time.monotonic() - start < HANG
    assert re.search(expected, result.get("Error") or ""), result.get("Error")
    assert result["Messages"] == []
    assert proc.value("1 + 1") == "2"


# A sample under the node's own limits (100 M instructions, 256 MiB).
BUDGET_AT_DEFAULTS = [
    "rep_of_empty_in_a_loop",
    "insert_at_front",
    "sort_in_a_loop",
    "utf8_len_of_a_long_string",
    "gsub_many_matches",
    "outbox_sharing_one_large_table",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", BUDGET_AT_DEFAULTS)
def test_bomb_under_the_default_limits(name: str) -> None:
    code = dict((b[0], b[1]) for b in BOMBS)[name]
    proc = Proc()
    start = time.monotonic()
    result = proc.eval(code)
    assert time.monotonic() - start < HANG
    assert result["Error"] == f"instruction limit exceeded ({INSTRUCTION_LIMIT} instructions)"
    assert proc.value("1 + 1") == "2"


@pytest.mark.parametrize(
    "name",
    ["insert_at_front", "os_date_in_a_loop", "pattern_question_marks", "tostring_new_tables"],
)
def test_a_replay_stops_a_bomb_at_the_same_count(name: str) -> None:
    code = dict((b[0], b[1]) for b in BOMBS)[name]
    first, second = Proc(instruction_limit=BUDGET), Proc(instruction_limit=BUDGET)
    a, b = first.eval(code), second.eval(code)
    assert a == b and a["GasUsed"] > BUDGET


@pytest.fixture(scope="module")
def watched() -> Proc:
    return Proc(memory_limit=64 * 2**20, watchdog=1)


@pytest.mark.parametrize("name,code", UNCOUNTABLE, ids=[u[0] for u in UNCOUNTABLE])
def test_the_watchdog_stops_what_no_count_weighs(watched: Proc, name: str, code: str) -> None:
    start = time.monotonic()
    with pytest.raises(MessageStopped, match="more than 1 s of wall-clock time"):
        watched.eval(code)
    assert time.monotonic() - start < HANG
    assert watched.value("1 + 1") == "2"


def test_the_watchdog_lets_a_message_under_its_time_finish(watched: Proc) -> None:
    result = watched.eval("local s = 0 for i = 1, 1e6 do s = s + i end return s")
    assert result["Output"]["data"] == "500000500000"


def test_a_chunk_outgrowing_the_memory_cap_as_it_compiles_ends_with_the_memory_error() -> None:
    # load runs its parser protected: the allocation failure came back as load's own
    # (nil, "not enough memory"), and the message then ended without any Error.
    proc = Proc(memory_limit=16 * 2**20)
    reader = (
        'local piece = string.rep("x=1 ", 2^14) local n = 0 '
        "local f, err = load(function() n = n + 1 if n < 1e4 then return piece end end) "
        "return tostring(err)"
    )
    for code in (reader, 'local f, err = load(string.rep("x=1 ", 2^20)) return tostring(err)'):
        result = proc.eval(code)
        assert result.get("Error") == "memory limit exceeded (16 MiB)", result
        assert proc.value("1 + 1") == "2"
