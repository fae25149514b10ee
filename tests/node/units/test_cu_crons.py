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
