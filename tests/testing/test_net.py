"""aos.testing.Net, the Python face of `aos test`: real processes, the messenger's rules, the
crank, the clock, read-only reads, tracebacks and coverage replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import aos.testing.net as net_module
from aos.testing import MU, Net, TestNetError
from tests.support.specs import ROOT, write_suite

TOKEN = ROOT / "examples" / "token" / "token.lua"

ECHO = """
Handlers.add("Echo", "Echo", function(msg)
  Seen = { From = msg.From, Owner = msg.Owner, FromProcess = msg.Tags["From-Process"],
    ForwardedBy = msg["Forwarded-By"], PushedFor = msg.Tags["Pushed-For"], Data = msg.Data,
    Nonce = msg.Nonce, Time = msg.Timestamp, Height = msg["Block-Height"],
    ContentType = msg.Tags["Content-Type"], Type = msg.Tags.Type }
  msg.reply({ Action = "Echoed", Data = msg.Data })
end)
Handlers.add("Relay", "Relay", function(msg)
  Send({ Target = msg.To, Action = "Echo", Data = "relayed" })
end)
Handlers.add("Loop", "Loop", function(msg)
  Send({ Target = msg.From, Action = "Loop" })
end)
"""


@pytest.fixture
def net(tmp_path: Path) -> Any:
    write_suite(tmp_path, {"echo.lua": ECHO})
    n = Net(search=[tmp_path])
    yield n
    n.close()


def minted(net: Net) -> Any:
    token = net.spawn(files=[str(TOKEN)], owner="owner")
    token.send(From="owner", Action="Mint", Recipient="alice", Quantity="100")
    return token


def test_a_token_transfer_from_python(net: Net) -> None:
    token = minted(net)
    result = token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="30")
    assert "Error" not in result
    assert token.get("Balances") == {"alice": 70, "bob": 30}
    notice = net.expect_sent(Target="bob", Action="Credit-Notice", Quantity="30")
    assert (notice["From"], notice["Sender"], notice["Data"]) == (token.id, "alice", " ")
    with pytest.raises(AssertionError) as failed:
        net.expect_sent(Target="bob", Action="Credit-Notice", Quantity="31")
    assert str(failed.value) == (
        'no message matches {Action = "Credit-Notice", Quantity = "31", Target = "bob"}; '
        "sent (3):\n"
        '  token → owner: Action = "Minted", Quantity = "100"\n'
        '  token → alice: Action = "Debit-Notice", Quantity = "30"\n'
        '  token → bob: Action = "Credit-Notice", Quantity = "30"'
    )


def test_a_users_message_is_built_as_the_shells_client_builds_one(net: Net) -> None:
    echo = net.spawn(files=["echo.lua"], owner="owner")
    echo.send(From="alice", Action="Echo")
    seen = echo.get("Seen")
    assert seen["From"] == seen["Owner"] == "alice"
    assert (seen["Data"], seen["ContentType"], seen["Type"]) == (" ", "text/plain", "Message")
    assert (seen["Time"], seen["Nonce"]) == (net_module.START_MS, 2)
    assert "FromProcess" not in seen and "ForwardedBy" not in seen


def test_a_delivered_message_carries_the_messengers_tags_and_is_trusted(net: Net) -> None:
    a = net.spawn(files=["echo.lua"], owner="owner", name="a")
    b = net.spawn(files=["echo.lua"], owner="owner", name="b")
    a.send(From="owner", Action="Relay", To=b.id)
    assert net.deliver() == 2  # the Echo to b, then b's reply to a
    seen = b.get("Seen")
    assert (seen["From"], seen["FromProcess"], seen["Owner"], seen["ForwardedBy"]) == (
        a.id,
        a.id,
        MU,
        MU,
    )
    assert seen["Data"] == "relayed" and seen["PushedFor"]
    # b trusts it: the spawn named the messenger as an Authority, as the shell's does.
    assert b.eval("return #Inbox") == "1"  # only the spawn message, nothing untrusted


def test_deliver_steps_and_stops_a_messaging_loop(
    net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = net.spawn(files=["echo.lua"], owner="owner", name="a")
    b = net.spawn(files=["echo.lua"], owner="owner", name="b")
    b.send(From=a, Action="Loop")
    assert net.deliver(3) == 3
    monkeypatch.setattr(net_module, "MAX_DELIVERIES", 20)
    with pytest.raises(TestNetError) as loop:
        net.deliver()
    assert str(loop.value) == (
        "deliver: still delivering after 20 messages; the processes keep messaging each other "
        "(use deliver(n) to step through a loop)"
    )


def test_dry_runs_read_without_changing_state(net: Net) -> None:
    token = minted(net)
    before = token.get("Balances")
    result = token.dryrun(From="owner", Action="Eval", Data="Balances = {}; return 'wiped'")
    assert result["Output"]["data"] == "wiped"
    assert token.get("Balances") == before == {"alice": 100}
    assert token.dryrun(From="alice", Action="Balance")["Messages"][0]["Data"] == "100"


def test_dry_runs_between_messages_change_no_result_and_no_state_byte(tmp_path: Path) -> None:
    # A dry-run is undone when the process is used next (aos.log.keeper, later=True): the
    # results, the failed message's rollback and the state's bytes must not show it.
    def scenario(reads: bool) -> tuple[list[Any], bytes]:
        n = Net()
        token = minted(n)
        results: list[Any] = []
        for i in range(6):
            if reads:
                token.dryrun(From="owner", Action="Eval", Data=f"Balances.mallory = {i}; X = {i}")
                token.get("Balances")
            if i == 3:  # a failing message right after a dry-run: rolled back to before it
                results.append(token.send(From="owner", Action="Eval", Data="Y = 1; error('no')"))
            results.append(
                token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="1")
            )
        results.append(token.eval("return tostring(X) .. tostring(Y)"))
        state = token.evaluator.keeper.snapshot()
        n.close()
        return results, state

    plain, with_reads = scenario(False), scenario(True)
    assert with_reads[0] == plain[0]
    assert plain[0][-1] == "nilnil"
    assert with_reads[1] == plain[1]


def test_reads_take_a_checkpoint_only_when_a_replay_would_cost_more(net: Net) -> None:
    token = minted(net)
    keeper = token.evaluator.keeper
    keeper._cost = 1e9  # as if a checkpoint cost more than replaying what came since
    token.get("Balances")
    assert keeper.checkpoints == 0
    for _ in range(3):
        token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="1")
    keeper._cost = 1e-9  # as if a checkpoint cost nothing: one is taken before the read
    assert token.get("Balances.bob") == 3 and keeper.checkpoints == 1
    # Nothing new since: later reads need no other checkpoint.
    assert [token.get("Balances.bob") for _ in range(4)] == [3] * 4
    assert keeper.checkpoints == 1


def test_eval_returns_what_the_prompt_shows_and_raises_on_an_error(net: Net) -> None:
    token = minted(net)
    assert token.eval("return TotalSupply") == "100"
    assert token.eval("return Balances") == "{\n   alice = 100\n}"
    with pytest.raises(TestNetError) as failed:
        token.eval("return nope.x")
    assert str(failed.value) == (
        "Eval in token failed: [string \"aos\"]:1: attempt to index a nil value (global 'nope')"
    )


def test_a_handler_error_is_recorded_with_its_traceback_in_the_users_file(net: Net) -> None:
    token = minted(net)
    result = token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="0")
    assert "Error" in result
    [err] = net.errors
    where = f"{net_module.display_path(TOKEN)}"
    assert err.summary == "Action = Transfer from alice"
    assert err.message == f"{where}:27: Quantity must be a whole number above 0, got 0"
    assert net.traceback(err) == [
        f"{where}:27: in upvalue 'quantity'",
        f"{where}:60: in function <{where}:58>",
    ]


def test_the_clock_fires_crons_in_time_order_across_processes(net: Net) -> None:
    ticker = """
    Handlers.add("Tick", "Tick", function(msg)
      Send({ Target = "log", Action = "Ticked", Who = Name, At = tostring(os.time()) })
    end)
    """
    folder = Path(net.search[0])
    (folder / "ticker.lua").write_text(ticker, encoding="utf-8")
    crons = [{"name": "Cron-Interval", "value": "2-minutes"}, {"name": "Cron-Tag-Action",
              "value": "Tick"}]  # fmt: skip
    net.spawn(files=["ticker.lua"], tags=[{"name": "Name", "value": "slow"}, *crons])
    fast = [{"name": "Name", "value": "fast"}, crons[0] | {"value": "1-minute"}, crons[1]]
    net.spawn(files=["ticker.lua"], tags=fast)
    assert len(net.advance("4-minutes")) == 6
    order = [(m["Who"], int(m["At"]) - net_module.START_MS) for m in net.sent]
    assert order == [
        ("fast", 60_000),
        ("slow", 120_000),
        ("fast", 120_000),
        ("fast", 180_000),
        ("slow", 240_000),
        ("fast", 240_000),
    ]


def test_the_same_test_gives_the_same_results_and_ids(tmp_path: Path) -> None:
    def scenario() -> list[Any]:
        n = Net()
        token = minted(n)
        results = [token.send(From="alice", Action="Transfer", Recipient="bob", Quantity="1")]
        results.append(token.dryrun(From="bob", Action="Balance"))
        out = [token.id, results, n.sent]
        n.close()
        return out

    assert scenario() == scenario()


def test_coverage_replays_change_no_result(net: Net) -> None:
    def run(cover: bool) -> tuple[list[Any], dict[str, set[int]]]:
        n = Net()
        token = minted(n)
        results = []
        for q in ("1", "1000", "x"):
            results.append(token.send(From="alice", Action="Transfer", Recipient="bob", Quantity=q))
            if cover:
                n.lines_run(token)
        results.append(token.dryrun(From="bob", Action="Balance"))
        lines = n.lines_run(token) if cover else {}
        n.close()
        return results, lines

    plain, _ = run(False)
    covered, lines = run(True)
    assert plain == covered  # GasUsed included
    [(chunk, run_lines)] = lines.items()
    assert chunk == "@" + net_module.display_path(TOKEN)
    assert {25, 26, 27, 38, 62, 73, 79} <= run_lines  # the error path, move, Mint
    assert 45 not in run_lines  # Info was never sent


def test_spawn_errors_say_what_and_where(net: Net) -> None:
    with pytest.raises(TestNetError, match=r"^spawn: no file nowhere.lua \(looked in "):
        net.spawn(files=["nowhere.lua"])
    with pytest.raises(TestNetError, match=r"^spawn: no blueprint named 'tokn' \(known: apm, "):
        net.spawn(blueprints=["tokn"])
    with pytest.raises(TestNetError, match=r"^send: Target \S+ is not echo: a message goes to"):
        net.spawn(files=["echo.lua"]).send(From="alice", Target="someone", Action="Echo")
    with pytest.raises(TestNetError, match=r"^the clock only moves forward"):
        net.set_clock(0)


def test_blueprints_load_as_load_blueprint_does(net: Net) -> None:
    token = net.spawn(blueprints=["token"], owner="alice")
    info = token.send(From="bob", Action="Info")["Messages"][0]
    assert {t["name"]: t["value"] for t in info["Tags"]}["Ticker"] == "PNTS"
