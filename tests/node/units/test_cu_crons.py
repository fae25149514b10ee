"""Crons through the compute unit's HTTP routes: `/cron`, and ticks up to now."""

from __future__ import annotations

import base64
import json
import time

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


def test_what_a_cron_handler_sends_is_delivered(ao: Ao) -> None:
    # A tick's outbox descends from no user message, so it has no Pushed-For; it used to be
    # dropped for the empty tag (docs/compat.md §5 item 13, the cron Send that "stays silent").
    pid = ao.spawn(
        data="Handlers.add('tick', 'Tick', function() Send({Target = ao.id, Action = 'Tock'}) end)",
        tags=[("On-Boot", "Data"), ("Cron-Interval", "1-second"), ("Cron-Tag-Action", "Tick")],
    )
    ao.result(pid, pid)
    ao.http.post(f"/mu/monitor/{pid}", content=b"monitor")
    count = "local n = 0; for _, m in ipairs(Inbox) do if m.Action == 'Tock' then n = n + 1 end end"
    deadline = time.monotonic() + 20
    tocks = 0
    while time.monotonic() < deadline and not tocks:
        time.sleep(0.5)
        tocks = int(ao.peek(pid, count + " return n"))
    assert tocks >= 1
    tock = ao.peek(
        pid, "local m = Inbox[#Inbox]; return m.Action .. ' ' .. tostring(m['Pushed-For'])"
    )
    assert tock == "Tock nil"
