"""Issue 12, point 2, through a real `aos serve`: 50 messages of 8 MiB from a stranger.

The node stays up and no OS process of it aborts (the supervisor, the evaluating process and
the HTTP worker keep their ids), the stranger gets a 429 once the process's quota is full, and
the owner's next `1 + 1` answers. The quota holds by itself: it counts the messages that wait
to be evaluated, so it does not depend on how fast, or whether, they are evaluated.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aos.wallet import Ed25519Signer
from tests.support.ao import Ao
from tests.support.serving import Served, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MIB = 2**20


def descendants(pid: int) -> set[int]:
    """The ids of every process below `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except OSError:
                continue
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serving(tmp_path / "node") as server:
        yield server


def test_fifty_messages_of_8_mib_from_a_stranger(served: Served) -> None:
    assert served.proc is not None
    with httpx.Client(base_url=served.url, timeout=120) as http:
        owner = Ao(http)
        pid = owner.spawn()
        assert owner.value(pid, "return 1 + 1") == "2"
        family = descendants(served.proc.pid)
        assert len(family) >= 2  # the evaluating process and the HTTP worker
        stranger = Ao(http, Ed25519Signer.generate())
        blob = "z" * (8 * MIB)
        statuses = []
        for _ in range(50):
            item = stranger.message_item(pid, blob, action="Junk")
            r = http.post("/mu", content=item.to_bytes())
            statuses.append(r.status_code)
            assert r.status_code in (202, 429), r.text[:300]
            if r.status_code == 429:
                assert "its owner" in r.json()["error"]
        accepted = statuses.count(202)
        print(f"\n{accepted} of 50 messages of 8 MiB accepted, then 429")
        assert 202 in statuses and 429 in statuses
        # Refused once the share is full; let in again only while the memory figure (which
        # includes the keeper's checkpoint copy inside the Lua state, aos.log.keeper, and so
        # falls when one is let go) leaves room, never beyond the share.
        assert statuses.index(429) <= accepted
        assert accepted * 8 <= 128, accepted  # half of the 256 MiB cap, at most
        assert owner.value(pid, "return 1 + 1") == "2"
        assert owner.value(pid, "return #Inbox") == str(accepted + 1)
    assert served.proc.poll() is None
    assert descendants(served.proc.pid) >= family, "an OS process of the node ended"
    log = served.log.read_text()
    assert "PANIC" not in log and "Traceback" not in log
