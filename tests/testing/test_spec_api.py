"""The Lua API of spec files (describe/it, the hooks, assert, ao_test), run by the real runner
against real processes, checked through the outcomes it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from aos.testing.runner import Outcome, Run
from tests.support.specs import report_text, run_suite, spec, write_suite


def outcomes(tmp_path: Path, files: dict[str, str]) -> list[Outcome]:
    return run_suite(write_suite(tmp_path, files)).outcomes


def by_name(result: list[Outcome]) -> dict[str, Outcome]:
    return {o.name: o for o in result}


# -- declaring and running tests ---------------------------------------------------------
def test_groups_name_tests_and_hooks_run_outer_first_before_inner_first_after(
    tmp_path: Path,
) -> None:
    result = outcomes(
        tmp_path,
        spec("""
            local log = {}
            describe("outer", function()
              before_each(function() log[#log + 1] = "b-outer" end)
              after_each(function() log[#log + 1] = "a-outer" end)
              describe("inner", function()
                before_each(function() log[#log + 1] = "b-inner" end)
                after_each(function() log[#log + 1] = "a-inner" end)
                it("fails", function()
                  log[#log + 1] = "test"
                  error("boom")
                end)
              end)
              it("sees the order", function()
                assert.same({ "b-outer", "b-inner", "test", "a-inner", "a-outer", "b-outer" }, log)
              end)
            end)
        """),
    )
    assert [(o.name, o.status, o.line) for o in result] == [
        ("outer inner fails", "failed", 8),
        ("outer sees the order", "passed", 13),
    ]
    failed = result[0]
    assert failed.error and failed.where == "spec/t_spec.lua:10"
    assert failed.message == "boom" and failed.source == 'error("boom")'


def test_pending_tests_are_skipped_three_ways(tmp_path: Path) -> None:
    result = outcomes(
        tmp_path,
        spec("""
            describe("later", function()
              it("has no body yet")
              pending("is declared pending")
              it("stops itself", function()
                pending("the token is not ready")
                error("not reached")
              end)
            end)
        """),
    )
    assert [(o.name, o.status, o.message) for o in result] == [
        ("later has no body yet", "skipped", ""),
        ("later is declared pending", "skipped", ""),
        ("later stops itself", "skipped", "the token is not ready"),
    ]


def test_k_selects_by_name_case_insensitively_and_x_stops_at_the_first_failure(
    tmp_path: Path,
) -> None:
    files = spec("""
        describe("token", function()
          it("Transfer one", function() error("one") end)
          it("transfer two", function() error("two") end)
          it("mints", function() end)
        end)
    """)
    suite = write_suite(tmp_path, files)
    assert [o.name for o in run_suite(suite, keyword="TRANSFER").outcomes] == [
        "token Transfer one",
        "token transfer two",
    ]
    stopped = run_suite(suite, exitfirst=True)
    assert [o.name for o in stopped.outcomes] == ["token Transfer one"] and stopped.stopped
    assert report_text(stopped).endswith("0 passed, 1 failed (stopped at the first failure, -x)\n")


def test_the_spec_state_is_a_process_like_sandbox_with_the_test_clock(tmp_path: Path) -> None:
    result = outcomes(
        tmp_path,
        spec("""
            it("runs sandboxed", function()
              assert.equal(nil, io)
              assert.equal(1700000000000, os.time())
              ao_test.advance(5000)
              assert.equal(1700000005000, os.time())
              assert.equal("table: 0x", tostring({}):sub(1, 9))
              assert.equal('{"a":1}', require("json").encode({ a = 1 }))
            end)
        """),
    )
    assert result[0].status == "passed", result[0].message


def test_an_endless_loop_in_a_spec_ends_with_the_instruction_limit(tmp_path: Path) -> None:
    result = outcomes(tmp_path, spec('it("loops", function() while true do end end)'))
    assert result[0].status == "failed" and result[0].error
    assert result[0].message == "instruction limit exceeded (100000000 instructions)"


# -- assert ------------------------------------------------------------------------------
ASSERTIONS = """
    it("equal", function() assert.equal("90", "100") end)
    it("equal with a message", function() assert.equal(1, 2, "the balance") end)
    it("not_equal", function() assert.not_equal(3, 3) end)
    it("same", function() assert.same({ a = { 1, 2 } }, { a = { 1, 3 } }) end)
    it("truthy", function() assert.truthy(nil) end)
    it("falsy", function() assert.falsy(0) end)
    it("error without one", function() assert.error(function() end) end)
    it("error with another text", function()
      assert.error(function() error("no such account") end, "insufficient")
    end)
    it("error_matches", function()
      assert.error_matches(function() error("no such account") end, "^insufficient")
    end)
    it("matches", function() assert.matches("^%d+$", "12a") end)
    it("plain assert", function() assert(1 == 2, "one is not two") end)
    it("passes", function()
      assert.equal(1, 1)
      assert.same({ 1, { b = 2 } }, { 1, { b = 2 } })
      assert.truthy(0)
      assert.falsy(false)
      assert.matches(":21: no such account$", assert.error(function() error("no such account") end))
      assert.error(function() error("no such account") end, "no such account")
      assert.error_matches(function() error("no such account") end, "such")
      assert.matches("a.c", "xa.cx", nil, true)
      assert.not_equal(1, 2)
      assert(true)
    end)
"""


def test_assertions_say_what_failed_with_expected_and_actual(tmp_path: Path) -> None:
    got = by_name(outcomes(tmp_path, spec(ASSERTIONS)))
    table = {
        name: (o.status, o.message, o.expected, o.actual)
        for name, o in got.items()
        if name != "same"
    }
    assert table == {
        "equal": ("failed", "assert.equal failed: the values differ", '"90"', '"100"'),
        "equal with a message": ("failed", "assert.equal failed: the balance", "1", "2"),
        "not_equal": ("failed", "assert.not_equal failed: the values are equal", None, "3"),
        "truthy": ("failed", "assert.truthy failed: the value is nil", None, "nil"),
        "falsy": ("failed", "assert.falsy failed: the value is 0", None, "0"),
        "error without one": (
            "failed",
            "assert.error failed: the function returned without an error",
            None,
            None,
        ),
        "error with another text": (
            "failed",
            "assert.error failed: another error was raised",
            '"insufficient"',
            '"no such account"',
        ),
        "error_matches": (
            "failed",
            'assert.error_matches failed: the error does not match "^insufficient"',
            None,
            '"spec/t_spec.lua:12: no such account"',
        ),
        "matches": ("failed", 'assert.matches failed: no match for "^%d+$"', None, '"12a"'),
        "plain assert": ("failed", "one is not two", None, None),
        "passes": ("passed", "", None, None),
    }
    same = got["same"]
    assert same.message == 'assert.same failed: they differ at ["a"][2]'
    assert (same.expected, same.actual) == ("{a = {1, 2}}", "{a = {1, 3}}")
    assert same.expected_block == "{\n  a = {\n    1,\n    2,\n  },\n}"
    assert all(not o.error for o in got.values())


def test_a_diff_of_tables_marks_the_lines_that_differ(tmp_path: Path) -> None:
    result = run_suite(
        write_suite(
            tmp_path,
            spec("""
                it("balances", function()
                  assert.same({ alice = "90", bob = "10" }, { alice = "100", bob = "10" })
                end)
            """),
        )
    )
    assert report_text(result) == (
        "\n"
        "FAILED spec/t_spec.lua:1: balances\n"
        "  spec/t_spec.lua:2\n"
        '      assert.same({ alice = "90", bob = "10" }, { alice = "100", bob = "10" })\n'
        '  assert.same failed: they differ at ["alice"]\n'
        '    expected: {alice = "90", bob = "10"}\n'
        '    actual:   {alice = "100", bob = "10"}\n'
        "    diff (- expected, + actual):\n"
        "        {\n"
        '      -   alice = "90",\n'
        '      +   alice = "100",\n'
        '          bob = "10",\n'
        "        }\n"
        "\n"
        "0 passed, 1 failed\n"
    )


def test_a_failure_inside_a_helper_is_located_there_with_the_spec_frames(tmp_path: Path) -> None:
    result = outcomes(
        tmp_path,
        spec("""
            local function check(n)
              assert.equal(1, n)
            end
            it("uses a helper", function()
              check(2)
            end)
        """),
    )
    o = result[0]
    assert (o.where, o.source) == ("spec/t_spec.lua:2", "assert.equal(1, n)")
    assert o.frames == [
        "spec/t_spec.lua:2: in upvalue 'check'",
        "spec/t_spec.lua:5: in function <spec/t_spec.lua:4>",
    ]


# -- misuse: a sentence that says what and where -----------------------------------------
@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        (
            "local p = ao_test.spawn{}\n",
            "spec/t_spec.lua:1",
            "ao_test: spawn works only while a test runs (in it, before_each or after_each),"
            " not when the file loads nor in a coroutine of your own",
        ),
        ("x = = 1\n", "spec/t_spec.lua:1", "unexpected symbol near '='"),
        (
            'describe("d", 42)\n',
            "spec/t_spec.lua:1",
            'describe("d", fn) needs a function, got number',
        ),
    ],
)
def test_a_broken_spec_file_fails_as_one_outcome_saying_where(
    tmp_path: Path, body: str, where: str, message: str
) -> None:
    result = run_suite(write_suite(tmp_path, spec(body)))
    assert [(o.name, o.status, o.where, o.message) for o in result.outcomes] == [
        ("(loading the file)", "failed", where, message)
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            'ao_test.spawn{ file = "p.lua" }',
            "ao_test.spawn: unknown option file (options: blueprints, data, files, module, "
            "name, owner, tags)",
        ),
        (
            'ao_test.spawn{ blueprints = { "tokn" } }',
            "spawn: no blueprint named 'tokn' (known: apm, arena, arns, chat, chatroom, htoken,"
            " patch-legacy-reply, staking, token, voting)",
        ),
        (
            'ao_test.spawn{ files = { "missing.lua" } }',
            "spawn: no file missing.lua (looked in spec, .)",
        ),
        (
            'ao_test.spawn{ files = { "bad.lua" } }',
            "spawn: loading bad.lua failed: bad.lua:2: syntax error near 'oops'",
        ),
        (
            'ao_test.spawn{ files = { "p.lua" } }:eval("return nope.x")',
            "Eval in p failed: [string \"aos\"]:1: attempt to index a nil value (global 'nope')",
        ),
        (
            'ao_test.advance("soon")',
            "Cron-Interval 'soon' is not N-unit (e.g. 10-minutes, 5-blocks)",
        ),
        ("ao_test.clock(1)", "the clock only moves forward: it is 1700000000000, not 1"),
        (
            'ao_test.spawn{ files = { "p.lua" } }:send("Balance")',
            "send needs a table of fields ({From = ..., Action = ...}), got string",
        ),  # fmt: skip
    ],
)
def test_a_wrong_call_fails_the_test_at_its_line_with_a_sentence(
    tmp_path: Path, call: str, message: str
) -> None:
    files = spec(f'it("calls", function()\n  {call}\nend)\n')
    files["p.lua"] = "Count = 0\n"
    files["bad.lua"] = "local ok = 1\nbroken oops\n"
    [o] = outcomes(tmp_path, files)
    assert (o.status, o.where, o.message) == ("failed", "spec/t_spec.lua:2", message)


def test_it_inside_a_test_is_refused(tmp_path: Path) -> None:
    [o] = outcomes(tmp_path, spec('it("a", function() it("b", function() end) end)'))
    assert o.message == "it() declares tests while the file loads; it cannot run inside a test"


# -- ao_test: processes, messages, the crank, time ----------------------------------------
PINGER = """
Handlers.add("Ping", "Ping", function(msg)
  Pings = (Pings or 0) + 1
  msg.reply({ Action = "Pong", Data = "pong " .. Pings })
end)
Handlers.add("Pong", "Pong", function(msg)
  Pongs = (Pongs or 0) + 1
  LastPong = msg.From
end)
Handlers.add("Start", "Start", function(msg)
  Send({ Target = msg.Peer, Action = "Ping" })
end)
"""


def run_one(tmp_path: Path, body: str, **files: str) -> Outcome:
    suite = spec(f'it("works", function()\n{body}\nend)\n')
    suite.update({f"{name}.lua": text for name, text in files.items()})
    [o] = run_suite(write_suite(tmp_path, suite)).outcomes
    return o


def test_two_processes_message_each_other_through_deliver(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local a = ao_test.spawn{ files = { "pinger.lua" }, name = "a" }
        local b = ao_test.spawn{ files = { "pinger.lua" }, name = "b" }
        assert.equal("a", a.name)
        local r = a:send{ From = "owner", Action = "Start", Peer = b }
        assert.equal(b.id, r.Messages[1].Target)
        assert.equal("Ping", r.Messages[1].Action)
        assert.sent{ From = a, Target = b, Action = "Ping" }
        assert.equal(nil, b:get("Pings"))
        assert.equal(2, ao_test.deliver())
        assert.equal(1, b:get("Pings"))
        assert.equal(b.id, a:get("LastPong"))
        assert.sent{ From = b, Target = a, Action = "Pong", Data = "pong 1" }
        assert.equal(0, ao_test.deliver())
        """,
        pinger=PINGER,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_a_message_from_a_process_handle_is_pushed_as_that_process(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local a = ao_test.spawn{ files = { "pinger.lua" } }
        local b = ao_test.spawn{ files = { "pinger.lua" } }
        b:send{ From = a, Action = "Pong" }
        assert.equal(a.id, b:get("LastPong"))
        -- An Eval from a process that is not the owner is no Eval: it lands in the Inbox.
        local r = b:send{ From = a, Action = "Eval", Data = "Pongs = 99" }
        assert.matches("New Message From", r.Output.data, nil, true)
        assert.equal(1, b:get("Pongs"))
        assert.equal(a.id, b:get("Inbox[#Inbox].From"))
        assert.equal(b:get("ao.authorities[1]"), b:get("Inbox[#Inbox].Owner"))
        """,
        pinger=PINGER,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_eval_get_and_dryrun_read_state_and_dryrun_changes_nothing(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local p = ao_test.spawn{ files = { "pinger.lua" } }
        assert.equal("2", p:eval("return 1 + 1"))
        p:eval("Tally = { a = 1, list = { 1, 2 } }")
        assert.same({ a = 1, list = { 1, 2 } }, p:get("Tally"))
        local r = p:dryrun{ From = "owner", Action = "Eval", Data = "Tally = 'gone'; return 7" }
        assert.equal("7", r.Output.data)
        assert.same({ a = 1, list = { 1, 2 } }, p:get("Tally"))
        local ping = p:dryrun{ From = "carol", Action = "Ping" }
        assert.equal("pong 1", ping.Messages[1].Data)
        assert.equal(nil, p:get("Pings"))
        local inbox = p:dryrun{ From = "owner", Action = "Eval", Data = "return #Inbox" }
        assert.equal("1", inbox.Output.data)
        """,
        pinger=PINGER,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_cron_ticks_fire_as_the_clock_moves(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local p = ao_test.spawn{ files = { "ticker.lua" }, tags = {
          { name = "Cron-Interval", value = "1-minute" },
          { name = "Cron-Tag-Action", value = "Tick" } } }
        assert.equal(0, #ao_test.advance(59999))
        local ticks = ao_test.advance(1)
        assert.equal(1, #ticks)
        assert.equal(1, p:get("Ticks"))
        assert.equal(3, #ao_test.advance("3-minutes"))
        assert.equal(4, p:get("Ticks"))
        assert.equal(1700000240000, p:get("LastTime"))
        ao_test.clock(1700000000000 + 10 * 60000)
        assert.equal(10, p:get("Ticks"))
        assert.sent{ From = p, Target = "watcher", Action = "Ticked", Count = "10" }
        """,
        ticker="""
        Handlers.add("Tick", "Tick", function(msg)
          Ticks = (Ticks or 0) + 1
          LastTime = os.time()
          assert(msg.Cron, "a cron message")
          Send({ Target = "watcher", Action = "Ticked", Count = tostring(Ticks) })
        end)
        """,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_the_block_height_follows_the_clock_unless_pinned(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local p = ao_test.spawn{ files = { "h.lua" } }
        local first = ao_test.height()
        p:send{ From = "owner", Action = "H" }
        assert.equal(first, p:get("Height"))
        ao_test.advance("2-blocks")
        assert.equal(first + 2, ao_test.height())
        ao_test.height(42)
        p:send{ From = "owner", Action = "H" }
        assert.equal(42, p:get("Height"))
        """,
        h='Handlers.add("H", "H", function(msg) Height = msg["Block-Height"] end)\n',
    )
    assert o.status == "passed", report_text(Run([o]))


def test_a_process_spawns_a_child_and_gets_its_spawned_notice(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local f = ao_test.spawn{ files = { "factory.lua" } }
        f:send{ From = "owner", Action = "Make" }
        assert.equal(nil, f:get("Child"))
        assert.equal(2, ao_test.deliver())
        local child = f:get("Child")
        assert.equal(43, #child)
        assert.sent{ Target = f, Action = "Spawned", Process = child }
        """,
        factory="""
        Handlers.add("Make", "Make", function(msg)
          local spawned = Spawn(ao.env.Module.Id, { Data = "child", Kind = "worker" })
          Handlers.once("made", { Action = "Spawned" }, function(notice)
            Child = notice.Process
          end)
        end)
        """,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_a_handler_waiting_with_receive_resumes_on_delivery(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local w = ao_test.spawn{ files = { "waiter.lua" } }
        local p = ao_test.spawn{ files = { "pinger.lua" } }
        w:send{ From = "owner", Action = "Ask", Peer = p }
        assert.equal("waiting", w:get("State"))
        ao_test.deliver()
        assert.equal("pong 1", w:get("State"))
        """,
        waiter="""
        Handlers.add("Ask", "Ask", function(msg)
          State = "waiting"
          local answer = Send({ Target = msg.Peer, Action = "Ping" }).receive()
          State = answer.Data
        end)
        """,
        pinger=PINGER,
    )
    assert o.status == "passed", report_text(Run([o]))


def test_an_error_after_receive_shows_the_traceback_of_the_waiting_handler(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local w = ao_test.spawn{ files = { "waiter.lua" } }
        local p = ao_test.spawn{ files = { "pinger.lua" } }
        w:send{ From = "owner", Action = "Ask", Peer = p }
        ao_test.deliver()
        assert.equal("done", w:get("State"))
        """,
        waiter="""
        local function use(answer)
          return answer.Data + 1
        end
        Handlers.add("Ask", "Ask", function(msg)
          local answer = Send({ Target = msg.Peer, Action = "Ping" }).receive()
          State = use(answer)
        end)
        """,
        pinger=PINGER,
    )
    assert o.status == "failed"
    [h] = o.handler_errors
    assert (h.process, h.summary) == ("waiter", "Action = Pong from pinger")
    assert h.message == (
        "waiter.lua:2: attempt to perform arithmetic on a string value (field 'Data')"
    )
    assert h.frames == [
        "waiter.lua:2: in upvalue 'use'",
        "waiter.lua:6: in function <waiter.lua:4>",
    ]


def test_a_file_requires_its_local_modules_under_their_own_names(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local p = ao_test.spawn{ files = { "app/main.lua" } }
        assert.equal(5, p:get("Sum"))
        local r = p:send{ From = "owner", Action = "Break" }
        assert.equal("app/lib/math.lua:3: broken on purpose", ao_test.error_of(r))
        """,
        **{
            "app/main": 'local m = require("lib.math")\nSum = m.add(2, 3)\n'
            'Handlers.add("Break", "Break", function() m.broken() end)\n',
            "app/lib/math": "local M = {}\nfunction M.add(a, b) return a + b end\n"
            'function M.broken() error("broken on purpose") end\nreturn M\n',
        },
    )
    assert o.status == "passed", report_text(Run([o]))


def test_bytes_that_are_not_utf8_are_shown_escaped_and_sent_replaced(tmp_path: Path) -> None:
    o = run_one(
        tmp_path,
        """
        local p = ao_test.spawn{ files = { "pinger.lua" } }
        p:send{ From = "owner", Action = "Ping", Data = "\\255ok" }
        assert.equal("\\255", "\\254")
        """,
        pinger=PINGER,
    )
    assert (o.expected, o.actual) == ('"\\255"', '"\\254"')


def test_what_a_test_prints_is_kept_with_its_outcome(tmp_path: Path) -> None:
    result = run_suite(
        write_suite(
            tmp_path,
            spec("""
                it("prints and passes", function() print("quiet") end)
                it("prints and fails", function()
                  print("balance", 10, nil)
                  print({})
                  assert.equal(1, 2)
                end)
            """),
        )
    )
    quiet, loud = result.outcomes
    assert (quiet.status, quiet.output) == ("passed", "quiet")
    assert loud.output == "balance\t10\tnil\ntable: 0x00000001"
    assert "  printed:\n    balance\t10\tnil\n    table: 0x00000001\n" in report_text(result)


def test_a_file_that_does_not_compile_is_reported_with_its_line(tmp_path: Path) -> None:
    files = spec('describe("x", function()\n  it("a", function() end\nend)\n')
    files["spec/good_spec.lua"] = 'it("still runs", function() end)\n'
    result = run_suite(write_suite(tmp_path, files))
    assert report_text(result) == (
        "\n"
        "FAILED spec/t_spec.lua: (loading the file)\n"
        "  spec/t_spec.lua:3\n"
        "      end)\n"
        "  error: ')' expected (to close '(' at line 2) near 'end'\n"
        "\n"
        "1 passed, 1 failed\n"
    )


def test_coverage_counts_the_files_loaded_into_processes_only(tmp_path: Path) -> None:
    files = spec("""
        it("runs A", function()
          local p = ao_test.spawn{ blueprints = { "token" }, files = { "p.lua" } }
          p:send{ From = "owner", Action = "A" }
        end)
    """)
    files["p.lua"] = (
        'Handlers.add("A", "A", function()\n  X = 1\nend)\n'
        'Handlers.add("B", "B", function()\n  Y = 2\nend)\n'
    )
    cov = run_suite(write_suite(tmp_path, files), coverage=True).coverage
    assert cov is not None and list(cov.files) == ["p.lua"]  # no spec, no blueprint
    assert (sorted(cov.files["p.lua"].code), cov.files["p.lua"].missing) == ([1, 2, 4, 5], [5])
