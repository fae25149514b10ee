"""chatroom, staking and voting blueprints in a real process."""

from __future__ import annotations

import json

from tests.support.blueprint_process import OWNER, Proc, output_text, tags_of


def test_chatroom_register_broadcast_unregister() -> None:
    p = Proc()
    p.load_blueprint("chatroom")
    assert p.send("ALICE", Action="Register")["Messages"][0]["Data"] == "Registered."
    assert p.send("BOB", Action="Register")["Messages"][0]["Data"] == "Registered."
    assert p.send("ALICE", Action="Register")["Messages"][0]["Data"] == "Already registered."
    assert p.value("Members") == ["ALICE", "BOB"]

    r = p.send("ALICE", "hello room", Action="Broadcast")
    notices, reply = r["Messages"][:-1], r["Messages"][-1]
    assert [m["Target"] for m in notices] == ["ALICE", "BOB"]
    for m in notices:
        assert m["Data"] == "hello room"
        assert tags_of(m)["Action"] == "Broadcast-Notice"
    assert reply["Target"] == "ALICE" and reply["Data"] == "Broadcasted."

    assert p.send("BOB", Action="Unregister")["Messages"][0]["Data"] == "Unregistered"
    assert p.send("BOB", Action="Unregister")["Messages"][0]["Data"] == "Not registered"
    assert p.value("Members") == ["ALICE"]


def staked_process() -> Proc:
    p = Proc()
    p.load_blueprint("token")
    p.load_blueprint("staking")
    p.eval(f'Balances["{OWNER}"] = "1000"')
    return p


def test_staking_stake_unstake_and_release_after_the_delay() -> None:
    # aos's staking: the unstake is released at the height the stake became unstakable.
    p = staked_process()
    r = p.send(OWNER, Action="Stake", Quantity="400", height=2000)
    assert r["Messages"][0]["Data"] == "Successfully Staked 400"
    assert "Successfully Staked 400" in output_text(r)
    assert p.value("Balances")[OWNER] == "600"
    [reply] = p.send("ALICE", Action="Stakers")["Messages"]
    assert json.loads(reply["Data"]) == {OWNER: {"amount": "400", "unstake_at": 2670}}

    r = p.send(OWNER, Action="Unstake", Quantity="100", height=2010)
    assert r["Messages"][0]["Data"] == "Successfully unstaked 100"
    assert p.value("Stakers")[OWNER] == {"amount": "300", "unstake_at": 2670}
    assert p.value("Unstaking")[OWNER] == {"amount": "100", "release_at": 2670}

    # (every message, Evals included, moves the height on by one)
    p.send("ALICE", Action="Ping", height=2668)  # not yet, nor at the Eval below (2669)
    assert p.value("Balances")[OWNER] == "600"
    p.send("ALICE", Action="Ping", height=2670)  # any message releases matured unstakes
    assert p.value("Balances")[OWNER] == "700"
    assert p.value("Unstaking") == []  # empty table

    r = p.send(OWNER, Action="Stake", Quantity="5000")
    assert "Insufficient balance to stake" in r["Error"]
    r = p.send(OWNER, Action="Unstake", Quantity="301")
    assert "Insufficient staked amount" in r["Error"]


def test_voting_weights_by_stake_and_settles_at_the_deadline() -> None:
    # aos's voting adds numeric stakes (staking's amounts are strings, so set numbers here).
    p = staked_process()
    p.load_blueprint("voting")
    p.eval(f'Stakers["{OWNER}"] = {{amount = 400}}')
    p.send(OWNER, Action="Vote", Target="PROPOSAL-1", Side="yay", Deadline="10", height=3001)
    vote = p.value("Votes")["PROPOSAL-1"]
    assert vote == {"yay": 400, "nay": 0, "deadline": 3011}
    r = p.send(OWNER, Action="Vote", Target="PROPOSAL-1", Side="nay", Deadline="1", height=3002)
    assert "Error" not in r and p.value("Votes")["PROPOSAL-1"]["nay"] == 400
    p.eval(f'Stakers["{OWNER}"] = {{amount = 0}}')
    r = p.send(OWNER, Action="Vote", Target="P2", Side="yay", Deadline="1", height=3004)
    assert "No staked tokens to vote" in r["Error"]

    r = p.send("ALICE", Action="Ping", height=3011)
    assert "Handle Vote" not in output_text(r)  # a tie is not a win
    assert p.value("Votes") == []
