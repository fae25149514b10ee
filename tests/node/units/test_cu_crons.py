"""Crons through the compute unit's HTTP routes: `/cron`, and ticks up to now."""

from __future__ import annotations

import base64
import json
import time

from aos.dataitem import create
from tests.support.ao import Ao

CRON_CODE = (
    "Handlers.add('cron', function(m) return m.Action == 'Tick' end,"
    " function(m) Ticks = (Ticks or 0) + 1; Last = m.Timestamp end)"
)


def test_cron_endpoint_and_monitor_tick_crons_up_to_now(ao: Ao) -> None:
    pid = ao.spawn(
        data=CRON_CODE,
        tags=[
            ("On-Boot", "Data"),
            ("Cron-Interval", "200-milliseconds"),
            ("Cron-Tag-Action", "Tick"),
        ],
    )
    ao.result(pid, pid)
    time.sleep(1.6)  # crons are evaluated up to one second ago (cu.CRON_SAFETY_MS)
    crons = ao.http.get(f"/cu/cron/{pid}").json()
    assert len(crons["edges"]) >= 2
    keys = [json.loads(base64.b64decode(e["cursor"]))["cron"] for e in crons["edges"]]
    assert set(keys) == {"0-200-milliseconds"}
    ticks = int(ao.value(pid, "return Ticks"))
    assert ticks >= len(crons["edges"])
    # the crons and the Eval are in /results, in time order
    results = ao.http.get(f"/cu/results/{pid}", params={"limit": 100}).json()["edges"]
    stamps = [json.loads(base64.b64decode(e["cursor"]))["timestamp"] for e in results]
    assert stamps == sorted(stamps)


def test_what_a_cron_handler_sends_reaches_its_target(ao: Ao) -> None:
    """Issue 12, point 11: a tick answers no message, so the push of its outbox has no
    Pushed-For; the messenger used to write it empty and then could not sign the item
    (docs/compat.md §5 item 13, the cron Send that "stays silent")."""
    target = ao.spawn(tags=[("Authority", ao.node_address)])
    ao.value(
        target,
        "Handlers.add('beat', function(m) return m.Action == 'Beat' end,"
        " function(m) Beats = (Beats or 0) + 1; BeatFrom = m.From end)",
    )
    sender = ao.spawn(
        data=(
            "Handlers.add('cron', function(m) return m.Action == 'Tick' end,"
            f" function(m) Send({{ Target = '{target}', Action = 'Beat' }}) end)"
        ),
        tags=[
            ("On-Boot", "Data"),
            ("Cron-Interval", "200-milliseconds"),
            ("Cron-Tag-Action", "Tick"),
        ],  # fmt: skip
    )
    ao.result(sender, sender)
    monitor = create(signer=ao.signer, data=" ", target=sender)
    assert ao.http.post(f"/mu/monitor/{sender}", content=monitor.to_bytes()).status_code == 200
    deadline = time.monotonic() + 20
    beats = "nil"
    while time.monotonic() < deadline and beats in ("nil", "0"):
        time.sleep(0.3)
        ao.drain()
        beats = ao.value(target, "return tostring(Beats)")
    assert beats not in ("nil", "0"), "no cron message arrived"
    assert ao.value(target, "return BeatFrom") == sender
    pushed = [e["node"]["message"] for e in ao.http.get(f"/su/{target}").json()["edges"]
              if e["node"]["message"]["owner"]["address"] == ao.node_address]  # fmt: skip
    names = [t["name"] for t in pushed[0]["tags"]]
    assert "Pushed-For" not in names and names.count("From-Process") == 1
