"""The token blueprint in a real process: the scripted flow of issue 4, message by message."""

from __future__ import annotations

import json

import pytest

from tests.support.blueprint_process import OWNER, PID, Proc, output_text, tags_of

INITIAL = str(10000 * 10**12)


@pytest.fixture
def token() -> Proc:
    p = Proc(name="Thomas")
    p.load_blueprint("token")
    return p


def balances(p: Proc) -> dict[str, str]:
    return dict(p.value("Balances"))


def test_loading_sets_up_state_and_inherits_the_process_name(token: Proc) -> None:
    assert balances(token) == {PID: INITIAL}
    assert token.value("{Name, Ticker, Denomination, TotalSupply}") == [
        "Thomas",
        "PNTS",
        12,
        INITIAL,
    ]
    # loading again keeps the state and replaces the handlers in place
    before = token.value("#Handlers.list")
    token.load_blueprint("token")
    assert token.value("#Handlers.list") == before
    assert balances(token) == {PID: INITIAL}


def test_info_replies_with_the_token_parameters(token: Proc) -> None:
    r = token.send("ALICE", Action="Info", Reference="7")
    [reply] = r["Messages"]
    assert reply["Target"] == "ALICE"
    tags = tags_of(reply)
    assert (tags["Name"], tags["Ticker"], tags["Denomination"]) == ("Thomas", "PNTS", "12")
    assert tags["Logo"]
    assert tags["X-Reference"] == "7"  # a reply, so request/response code can match it


def test_balance_of_sender_recipient_and_target(token: Proc) -> None:
    [reply] = token.send("ALICE", Action="Balance")["Messages"]
    assert reply["Data"] == "0"
    assert tags_of(reply)["Account"] == "ALICE"
    assert tags_of(reply)["Ticker"] == "PNTS"
    [reply] = token.send("ALICE", Action="Balance", Recipient=PID)["Messages"]
    assert reply["Data"] == INITIAL == tags_of(reply)["Balance"]
    assert tags_of(reply)["Account"] == PID
    [reply] = token.send("ALICE", Action="Balance", Target=PID)["Messages"]
    assert reply["Data"] == INITIAL


def test_balances_replies_json(token: Proc) -> None:
    [reply] = token.send("ALICE", Action="Balances")["Messages"]
    assert json.loads(reply["Data"]) == {PID: INITIAL}


def test_the_scripted_flow(token: Proc) -> None:
    # As in aos's token, only the process itself may mint (a message from its own id).
    r = token.send(PID, Action="Mint", Quantity="1000")
    assert "Error" not in r
    [reply] = r["Messages"]
    assert reply["Target"] == PID and "Successfully minted" in reply["Data"]
    assert balances(token)[PID] == str(int(INITIAL) + 1000)
    assert token.value("TotalSupply") == str(int(INITIAL) + 1000)

    # Mint by anyone else, the owner included: Mint-Error, nothing changes
    for who in ("MALLORY", OWNER):
        [reply] = token.send(who, Action="Mint", Quantity="5")["Messages"]
        tags = tags_of(reply)
        assert reply["Target"] == who
        assert tags["Action"] == "Mint-Error" and "Only the Process Id can mint" in tags["Error"]
    assert "MALLORY" not in balances(token)

    # Transfer with funds: Debit-Notice to the sender, Credit-Notice to the recipient, X- tags
    token.send(PID, Action="Transfer", Recipient=OWNER, Quantity="1000")
    r = token.send(OWNER, Action="Transfer", Recipient="BOB", Quantity="300", X_Order="42")
    assert "Error" not in r
    debit, credit = r["Messages"]
    assert debit["Target"] == OWNER
    dt = tags_of(debit)
    assert dt["Action"] == "Debit-Notice"
    assert dt["Recipient"] == "BOB" and dt["Quantity"] == "300" and dt["X-Order"] == "42"
    assert "You transferred" in debit["Data"] and "BOB" in debit["Data"]
    assert credit["Target"] == "BOB"
    ct = tags_of(credit)
    assert ct["Action"] == "Credit-Notice"
    assert ct["Sender"] == OWNER and ct["Quantity"] == "300" and ct["X-Order"] == "42"
    assert "You received" in credit["Data"] and OWNER in credit["Data"]
    assert balances(token)[OWNER] == "700"
    assert balances(token)["BOB"] == "300"

    # Transfer without the funds: Transfer-Error naming the message, balances unchanged
    r = token.send("BOB", Action="Transfer", Recipient="CAROL", Quantity="301")
    [reply] = r["Messages"]
    tags = tags_of(reply)
    assert reply["Target"] == "BOB"
    assert tags["Action"] == "Transfer-Error"
    assert tags["Error"] == "Insufficient Balance!"
    assert tags["Message-Id"] == f"MSG_{token.count:040d}"
    assert balances(token)["BOB"] == "300"
    assert balances(token)["CAROL"] == "0"  # aos's token opens the account first

    # Total-Supply
    [reply] = token.send("ALICE", Action="Total-Supply")["Messages"]
    assert tags_of(reply)["Action"] == "Total-Supply"
    assert reply["Data"] == str(int(INITIAL) + 1000)


def test_transfer_with_cast_sends_no_notices(token: Proc) -> None:
    r = token.send(PID, Action="Transfer", Recipient="BOB", Quantity="4", Cast="true")
    assert r["Messages"] == []
    assert balances(token)["BOB"] == "4"


def test_big_quantities_use_256_bit_arithmetic(token: Proc) -> None:
    big = str(10**40)
    token.send(PID, Action="Mint", Quantity=big)
    token.send(PID, Action="Transfer", Recipient="BOB", Quantity=str(10**40 - 1))
    assert balances(token)[PID] == str(int(INITIAL) + 1)
    assert balances(token)["BOB"] == str(10**40 - 1)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"Recipient": "BOB", "Quantity": "1.5"}, '[string ".bint"]:787: value cannot be'),
        ({"Recipient": "BOB", "Quantity": "-3"}, "Quantity must be greater than 0"),
        ({"Recipient": "BOB", "Quantity": "0"}, "Quantity must be greater than 0"),
        ({"Recipient": "BOB"}, "Quantity is required!"),
        ({"Quantity": "1"}, "Recipient is required!"),
    ],
)
def test_bad_transfers_end_in_an_error_and_change_nothing(
    token: Proc, tags: dict[str, str], message: str
) -> None:
    r = token.handle(token.message(PID, {"Action": "Transfer", **tags}))
    assert message in r["Error"]
    assert balances(token) == {PID: INITIAL}


def test_burn(token: Proc) -> None:
    [reply] = token.send(PID, Action="Burn", Quantity="4")["Messages"]
    assert "Successfully burned" in reply["Data"]
    assert balances(token)[PID] == str(int(INITIAL) - 4)
    assert token.value("TotalSupply") == str(int(INITIAL) - 4)
    r = token.handle(token.message("BOB", {"Action": "Burn", "Quantity": "7"}))
    assert "Error" in r  # BOB has no balance: aos's bint(nil) fails


def test_unrelated_messages_fall_through_to_the_inbox(token: Proc) -> None:
    r = token.send("ALICE", Action="Hello")
    assert "New Message From" in output_text(r)
