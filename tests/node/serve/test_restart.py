"""Issue 12, point 2 (node side), through a real `aos serve`: the evaluating process is started
again when it dies, and a message during which it keeps dying is quarantined.

The test ends the evaluating process with SIGKILL while it runs one slow message (it finds the
OS process in the flight file, aos.node.units.quarantine), three times: what a message that
crashes its evaluator does, without depending on a particular crash. The supervisor starts
the evaluator again each time; the third restart quarantines the message, whose result is
then the quarantine Error, and the process goes on answering.
"""

from __future__ import annotations

import os
import signal
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aos.node.units.quarantine import FLIGHT_FILE, SLOTS
from tests.support.ao import Ao
from tests.support.serving import Served, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SLOW = "local n = 0 for i = 1, 60000000 do end return 'done'"  # ~60M instructions
_SLOT = 160
_HEAD = struct.Struct("<BIqq")


def running(data: Path, pid: str) -> list[tuple[int, int]]:
    """(OS pid, ordinate) of every flight slot that says `pid` is being evaluated (read
    without clearing anything: the next evaluator must find it)."""
    raw = (data / FLIGHT_FILE).read_bytes()
    found = []
    for slot in range(SLOTS):
        base = slot * _SLOT
        state, os_pid, _, ordinate = _HEAD.unpack_from(raw, base)
        at = base + _HEAD.size
        name = raw[at + 1 : at + 1 + raw[at]].decode(errors="replace")
        if state == 1 and name == pid:
            found.append((os_pid, ordinate))
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serving(tmp_path / "node") as server:
        yield server


def test_an_evaluator_that_keeps_dying_on_a_message_quarantines_it(served: Served) -> None:
    assert served.data_dir is not None and served.proc is not None
    with httpx.Client(base_url=served.url, timeout=60) as http:
        owner = Ao(http)
        pid = owner.spawn()
        assert owner.value(pid, "return 1 + 1") == "2"
        mid = owner.send(pid, SLOW)
        tags = http.get(f"/su/{mid}", params={"process-id": pid}).json()["assignment"]["tags"]
        nonce = int(next(t["value"] for t in tags if t["name"] == "Nonce"))
        killed: list[int] = []
        deadline = time.monotonic() + 120
        while len(killed) < 3 and time.monotonic() < deadline:
            for os_pid, ordinate in running(served.data_dir, pid):
                if ordinate == nonce and os_pid not in killed:
                    os.kill(os_pid, signal.SIGKILL)
                    killed.append(os_pid)
            time.sleep(0.002)
        assert len(killed) == 3, f"the evaluator ran the message {len(killed)} times"
        result: dict[str, object] = {}
        while time.monotonic() < deadline:
            r = http.get(f"/cu/result/{mid}", params={"process-id": pid})
            if r.status_code == 200:
                result = r.json()
                break
            assert r.status_code == 503, r.text  # not evaluated yet: retry
            time.sleep(0.5)
        assert result.get("Error") == "quarantined: this message ended its evaluator 3 times"
        assert owner.value(pid, "return 1 + 1") == "2"
    assert served.proc.poll() is None  # the supervisor itself never went down
    log = served.log.read_text()
    assert log.count("starting it again") == 3 and "quarantined" in log
