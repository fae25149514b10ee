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
        assert tags_of(m)["Broadcaster"] == "ALICE"
    assert reply["Target"] == "ALICE" and reply["Data"] == "Broadcasted."

    assert p.send("BOB", Action="Unregister")["Messages"][0]["Data"] == "Unregistered"
    assert p.send("BOB", Action="Unregister")["Messages"][0]["Data"] == "Not registered"
    assert p.value("Members") == ["ALICE"]


def staked_process() -> Proc:
    p = Proc()
    p.load_blueprint("token")
    p.load_blueprint("staking")
    p.send(OWNER, Action="Mint", Quantity="1000")
    return p


def test_staking_stake_unstake_and_release_after_the_delay() -> None:
    p = staked_process()
    r = p.send(OWNER, Action="Stake", Quantity="400", height=2000)
    assert r["Messages"][0]["Data"] == "Successfully Staked 400"
    assert p.value("Balances")[OWNER] == "600"
    [reply] = p.send("ALICE", Action="Stakers")["Messages"]
    assert json.loads(reply["Data"]) == {OWNER: {"amount": "400"}}

    r = p.send(OWNER, Action="Unstake", Quantity="100", height=2010)
    assert r["Messages"][0]["Data"] == "Successfully unstaked 100"
    assert p.value("Stakers")[OWNER] == {"amount": "300"}
    assert p.value("Unstaking")[OWNER] == {"amount": "100", "release_at": 2680}

    # (every message, Evals included, moves the height on by one)
    p.send("ALICE", Action="Ping", height=2678)  # not yet, nor at the Eval below (2679)
    assert p.value("Balances")[OWNER] == "600"
    p.send("ALICE", Action="Ping", height=2680)  # any message releases matured unstakes
    assert p.value("Balances")[OWNER] == "700"
    assert p.value("Unstaking") == []  # empty table

    r = p.send(OWNER, Action="Stake", Quantity="5000")
    assert "insufficient balance" in r["Error"]
    r = p.send(OWNER, Action="Unstake", Quantity="301")
    assert "insufficient staked amount" in r["Error"]


def test_voting_weights_by_stake_and_settles_at_the_deadline() -> None:
    p = staked_process()
    p.load_blueprint("voting")
    p.send(OWNER, Action="Stake", Quantity="400", height=3000)
    r = p.send(OWNER, Action="Vote", Target="PROPOSAL-1", Side="yay", Deadline="10", height=3001)
    assert r["Messages"][0]["Data"] == "Voted yay for PROPOSAL-1"
    vote = p.value("Votes")["PROPOSAL-1"]
    assert vote["yay"] == "400" and vote["nay"] == "0" and vote["deadline"] == 3011

    r = p.send(OWNER, Action="Vote", Target="PROPOSAL-1", Side="nay", height=3002)
    assert "already voted yay" in r["Error"]
    r = p.send("ALICE", Action="Vote", Target="PROPOSAL-1", Side="yay", height=3003)
    assert "no staked tokens" in r["Error"]
    r = p.send(OWNER, Action="Vote", Target="P2", Side="maybe", Deadline="1", height=3004)
    assert "must be yay or nay" in r["Error"]

    r = p.send("ALICE", Action="Ping", height=3011)
    assert "Handle Vote: PROPOSAL-1 passed (yay 400, nay 0)" in output_text(r)
    assert p.value("Votes") == []
