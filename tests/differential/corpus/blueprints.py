"""Each blueprint's whole flow: loaded by Eval (as `.load-blueprint` sends it), then driven
by the messages a user and other processes send.

`flows(source)` builds one scenario per blueprint from a function giving each blueprint's
source: SCENARIOS uses ours (lua/blueprints/), so the suite checks that our blueprints
behave the same in the real module and in our runtime; record_blueprints.py uses aos's
own blueprint sources to record what they do in the real module, the expectation that
test_blueprints.py holds ours to.
"""

from __future__ import annotations

from collections.abc import Callable

from aos.luafiles import blueprint_dir
from tests.differential.harness import PROCESS_ID, Scenario

ALICE = "ALICE" + "a" * 38
BOB = "BOB" + "b" * 40
CAROL = "CAROL" + "c" * 38
ROOM = "6I1JBBc9SOMtqFxlX7OoYgsMh7QeZk2fFwUCHTUqshg"
ROUTER = "8MGp9kOU4JYxAlPT1AyL7O3cedd97y-w8X4ciBsf_Xo"
ARNS = "TyduW6spZTr3gkdIsdktduJhgtilaR_ex5JukK8gI9o"
ORBIT = "8aE3_6NJ_MU_q3fbhz2S6dA8PKQOSCe95Gt7suQ3j7U"
APM = "RLvG3tclmALLBCrwc17NqzNFqZCrUf3-RKZ5v8VRHiU"
TOKEN = "PAYTOKEN" + "p" * 35

# Against aos's own blueprints (test_blueprints.py): the README keys of what may differ.
# Positions in a blueprint's own code are lines of its source (all flows); htoken's whole
# flow differs (aos's is for hyper-aos).
FIXTURE_RULES = {"*": "blueprint-lines", "blueprint-htoken": "htoken-hyper"}

NAMES = [
    "token",
    "chatroom",
    "voting",
    "staking",
    "chat",
    "arena",
    "arns",
    "apm",
    "patch-legacy-reply",
    "htoken",
]


def ours(name: str) -> str:
    return (blueprint_dir() / f"{name}.lua").read_text(encoding="utf-8")


def _token(s: Scenario) -> None:
    s.send({"Action": "Info"})
    s.send({"Action": "Balance"})
    s.send({"Action": "Balance", "Target": ALICE})
    s.send({"Action": "Balances"})
    s.send({"Action": "Transfer", "Recipient": ALICE, "Quantity": "1000"})
    s.send({"Action": "Transfer", "Recipient": ALICE, "Quantity": "5", "X-Note": "hi"})
    s.send({"Action": "Balance", "Recipient": ALICE})
    s.send({"Action": "Transfer", "Recipient": BOB, "Quantity": "10"}, owner=ALICE)
    s.from_process(ALICE, {"Action": "Transfer", "Recipient": BOB, "Quantity": "7"})
    s.from_process(BOB, {"Action": "Transfer", "Recipient": ALICE, "Quantity": "999999"})
    s.send({"Action": "Transfer", "Recipient": BOB, "Quantity": "1", "Cast": "true"})
    s.send({"Action": "Mint", "Quantity": "500"})
    s.from_process(ALICE, {"Action": "Mint", "Quantity": "5"})
    s.send({"Action": "Mint", "Quantity": "abc"})
    s.send({"Action": "Total-Supply"})
    s.send({"Action": "Burn", "Quantity": "100"})
    s.send({"Action": "Balances"})
    s.eval("return Balances[ao.id]")


def _chatroom(s: Scenario) -> None:
    s.from_process(ALICE, {"Action": "Register", "Nickname": "alice"})
    s.from_process(BOB, {"Action": "Register", "Nickname": "bob"})
    s.from_process(ALICE, {"Action": "Broadcast"}, "hello room")
    s.from_process(CAROL, {"Action": "Broadcast"}, "not a member")
    s.from_process(BOB, {"Action": "Unregister"})
    s.from_process(ALICE, {"Action": "Broadcast"}, "anyone?")
    s.eval("return #Members")


def _voting(s: Scenario) -> None:
    s.eval(f"Balances = {{['{ALICE}'] = '100', ['{BOB}'] = '50'}}; return 'ok'")
    s.eval(f"Stakers = {{['{ALICE}'] = {{amount = 100}}, ['{BOB}'] = {{amount = 30}}}}; return 1")
    s.from_process(
        ALICE, {"Action": "Vote", "Side": "yay", "Target": "PROPOSAL1", "Deadline": "10"}
    )
    s.from_process(BOB, {"Action": "Vote", "Side": "nay", "Target": "PROPOSAL1", "Deadline": "10"})
    s.eval("return Votes['PROPOSAL1'].yay + Votes['PROPOSAL1'].nay")
    s.eval(f"Stakers['{CAROL}'] = {{amount = '5'}}; return 1")
    s.from_process(CAROL, {"Action": "Vote", "Side": "yay", "Target": "P2", "Deadline": "1"})
    s.send({"Action": "Tick"}, height=99_999_999)
    s.eval("return Votes['PROPOSAL1'] == nil")


def _staking(s: Scenario) -> None:
    s.eval(f"Balances = {{['{ALICE}'] = '100', ['{BOB}'] = '50'}}; return 'ok'")
    s.from_process(ALICE, {"Action": "Stake", "Quantity": "40", "UnstakeDelay": "5"})
    s.from_process(BOB, {"Action": "Stake", "Quantity": "500", "UnstakeDelay": "5"})
    s.send({"Action": "Stakers"})
    s.from_process(ALICE, {"Action": "Unstake", "Quantity": "10"})
    s.from_process(BOB, {"Action": "Unstake", "Quantity": "10"})
    s.send({"Action": "Tick"}, height=99_999_999)
    s.eval(f"return Balances['{ALICE}']")
    s.send({"Action": "Stakers"})


def _chat(s: Scenario) -> None:
    s.eval("return List()")
    s.from_process(
        ROUTER, {"Action": "Room-List", "Room-Dev": ROOM, "Room-Fun": "FUNROOM" + "f" * 36}
    )
    s.eval("return Join('Fun', 'me')")
    s.eval("return Say('hello there', 'Fun')")
    s.eval("return Say('again')")
    s.from_process(
        "FUNROOM" + "f" * 36,
        {"Action": "Broadcasted", "Broadcaster": PROCESS_ID, "Nickname": "me"},
        "hello there",
    )
    s.from_process(ROOM, {"Action": "Broadcasted", "Broadcaster": ALICE, "Nickname": "alice"}, "hi")
    s.eval("return Tip()")
    s.eval("return Replay(2, 'Dev')")
    s.eval("return Replay()")
    s.eval("return Leave('Fun')")
    s.eval("DevChat.Confirmations = false; return Say('quiet')")
    s.eval("return DevChat.findRoom('Dev')")


def _arena(s: Scenario) -> None:
    s.eval(f"PaymentToken = '{TOKEN}'; return PaymentToken")
    s.from_process(ALICE, {"Action": "Register"})
    s.from_process(BOB, {"Action": "Register"})
    s.from_process(CAROL, {"Action": "Register", "Mode": "Listen"})
    s.from_process(TOKEN, {"Action": "Credit-Notice", "Sender": ALICE, "Quantity": "1000"})
    s.from_process(TOKEN, {"Action": "Credit-Notice", "Sender": BOB, "Quantity": "1000"})
    s.from_process(TOKEN, {"Action": "Credit-Notice", "Sender": CAROL, "Quantity": "1"})
    s.send({"Action": "GetGameState"})
    s.send({"Action": "Tick"})
    s.from_process(ALICE, {"Action": "Noop"}, timestamp=1_720_000_000_000 + 10 * 60 * 1000)
    s.eval("return GameMode")
    s.send({"Action": "Tick"}, timestamp=1_720_000_000_000 + 11 * 60 * 1000)
    s.eval(f"eliminatePlayer('{BOB}', '{ALICE}'); return GameMode")
    s.from_process(BOB, {"Action": "Unregister"})
    s.from_process(ALICE, {"Action": "AddBet", "Reason": "AddBet", "Quantity": "50"})
    s.send({"Action": "RequestTokens"})
    s.eval("return #Listeners")


def _arns(s: Scenario) -> None:
    s.eval("return ARNS.resolve('Example')")
    s.eval("return ARNS.data('example')")
    s.eval("return ARNS.owner('example')")
    s.eval("return ARNS.id('example')")
    s.from_process(
        ARNS,
        {"Action": "Record-Resolved", "Name": "example"},
        '{"processId":"ANTPROCESS' + "x" * 33 + '","contractTxId":"CONTRACT' + "y" * 35 + '"}',
    )
    s.from_process(
        "ANTPROCESS" + "x" * 33,
        {"Action": "Info-Notice", "ProcessOwner": ALICE},
        '{"records":{"@":{"transactionId":"TXROOT"},"docs":{"transactionId":"TXDOCS"}}}',
    )
    s.from_process(
        ORBIT,
        {"Action": "Receive-data-feed"},
        '{"contractTxId":"CONTRACT' + "y" * 35 + '","state":{"owner":"' + BOB + '","records":{}}}',
    )
    s.eval("return ARNS.data('example')")
    s.eval("return ARNS.data('docs_example')")
    s.eval("return ARNS.data('none_example')")
    s.eval("return ARNS.owner('example')")
    s.eval("return ARNS.id('example')")
    s.eval("return splitIntoTwoNames('a_b_c')")
    s.from_process(ORBIT, {"Action": "Receive-data-feed"}, '{"contractTxId":"UNKNOWN"}')
    s.eval("return ARNS.clear")
    s.eval("return fetchJsonDataFromOrbit('')")


def _apm(s: Scenario) -> None:
    s.eval("return #Handlers.list")
    hexed = "7072696e74282268656c6c6f2066726f6d2061706d2229"  # print("hello from apm")
    s.from_process(
        APM, {"Action": "APM.UpdateResponse", "Result": "success", "Version": "1.2.3"}, hexed
    )
    s.eval("return Hexencode('ab')")
    s.eval("return Hexdecode('6162')")
    s.eval("HandleRun(function() error('boom') end, {Action = 'X', From = 'Y'})")


def _patch(s: Scenario) -> None:
    s.eval("return Handlers.list[1].name")
    s.eval("Handlers.add('r', 'R', function(m) m.reply({Data = 'answer'}) end)")
    s.send({"Action": "R", "Reference": "3"})
    s.from_process(ALICE, {"Action": "R", "X-Reference": "9", "Reply-To": BOB})


def _htoken(s: Scenario) -> None:
    s.send({"Action": "Info"})
    s.send({"Action": "info"})
    s.send({"Action": "Balance"})
    s.send({"Action": "Balances"})
    s.send({"Action": "Transfer", "Recipient": ALICE, "Quantity": "1000"})
    s.from_process(ALICE, {"Action": "Transfer", "Recipient": BOB, "Quantity": "99999"})
    s.send({"Action": "Mint", "Quantity": "10"})
    s.send({"Action": "Total-Supply"})
    s.send({"Action": "Burn", "Quantity": "10"})


FLOWS: dict[str, Callable[[Scenario], None]] = {
    "token": _token,
    "chatroom": _chatroom,
    "voting": _voting,
    "staking": _staking,
    "chat": _chat,
    "arena": _arena,
    "arns": _arns,
    "apm": _apm,
    "patch-legacy-reply": _patch,
    "htoken": _htoken,
}


def flows(source: Callable[[str], str]) -> list[Scenario]:
    out = []
    for name in NAMES:
        s = Scenario(f"blueprint-{name}")
        s.eval(source(name))
        s.steps[-1].label = f"load {name}"
        FLOWS[name](s)
        out.append(s)
    return out


SCENARIOS: list[Scenario] = flows(ours)
