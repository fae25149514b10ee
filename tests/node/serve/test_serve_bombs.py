"""Bombs and a memory flood through a real `aos serve`: every one ends as an Error result, no
OS process of the server aborts, the owner's next `1 + 1` answers, and `aos verify` then
verifies the process from its data directory (the watchdog's stop included, as quarantined)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aos.log.verdicts import STOPPED_ERROR
from aos.verify.verifier import verify_store
from aos.wallet import Ed25519Signer
from tests.support.ao import Ao
from tests.support.bombs import BOMBS, UNCOUNTABLE
from tests.support.bombs import LIMIT as EMBEDDED_LIMIT
from tests.support.bombs import MEMORY as EMBEDDED_MEMORY
from tests.support.serving import Served, serving

LIMIT = r"instruction limit exceeded \(100000000 instructions\)"

# (Lua code, what the Error must match): a sample of the classes of tests/runtime/test_bombs.py,
# under the node's own limits.
SAMPLE = [
    ('string.rep("", 1e15)', LIMIT),
    ("local t = {} for i = 1, 1e6 do table.insert(t, 1, i) end", LIMIT),
    (
        "local t = {} for i = 1, 1e5 do t[i] = tostring((i * 7919) % 1000003) end "
        "while true do table.sort(t) end",
        LIMIT,
    ),
    ('local f = string.rep("%c", 1e4) while true do os.date(f) end', LIMIT),
    (
        'local s = string.rep("a", 40) return s:find(string.rep("a?", 40) .. string.rep("a", 40))',
        LIMIT,
    ),
    ('while true do string.format("%99.99f", 1e308) end', LIMIT),
    (
        'local big = {} for i = 1, 1e4 do big[i] = "x" end '
        'local m = {Target = "x", Data = "y", Tags = {}, Big = big} '
        "for i = 1, 1e4 do ao.outbox.Messages[i] = m end",
        LIMIT,
    ),
    # aos 2.0.6's json decoder, as ours, has no depth limit
    ("return require('json').decode(string.rep('[', 1e6))", f"{LIMIT}|stack overflow"),
    # no count weighs this one: the watchdog (8 s here, above any counted bomb on a loaded
    # machine) stops it, and it is quarantined
    ("Marked = true local s = '' for i = 1, 1e9 do s = s .. 'x' end", re.escape(STOPPED_ERROR)),
]


@pytest.fixture
def served(node_dir: Path, tmp_path: Path) -> Iterator[Served]:
    with serving(node_dir, env={"AOS_WATCHDOG": "8"}, log_dir=tmp_path) as server:
        yield server


@pytest.fixture
def watched(node_dir: Path, tmp_path: Path) -> Iterator[Served]:
    with serving(node_dir, env={"AOS_WATCHDOG": "1"}, log_dir=tmp_path) as server:
        yield server


def assert_unharmed(server: Served) -> None:
    assert server.proc is not None and server.proc.poll() is None
    assert "PANIC" not in server.log.read_text(errors="replace")


@pytest.mark.e2e
@pytest.mark.slow
def test_bombs_through_aos_serve_then_verify(served: Served, node_dir: Path) -> None:
    with httpx.Client(base_url=served.url, timeout=120) as http:
        ao = Ao(http)
        pid = ao.spawn()
        assert ao.value(pid, "Before = 1 return Before") == "1"
        for code, expected in SAMPLE:
            start = time.monotonic()
            result = ao.eval(pid, code)
            assert time.monotonic() - start < 60, code
            assert re.search(expected, result.get("Error") or ""), (code, result.get("Error"))
            assert ao.value(pid, "return 1 + 1") == "2"
        # the stopped message left nothing behind; the rest of the state is there
        assert ao.value(pid, "return tostring(Marked) .. Before") == "nil1"
    assert_unharmed(served)
    served.stop()
    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
    assert list(report.verdicts.values()) == [STOPPED_ERROR]


@pytest.mark.e2e
@pytest.mark.slow
def test_fifty_messages_of_8_mib_from_a_stranger(served: Served, node_dir: Path) -> None:
    with httpx.Client(base_url=served.url, timeout=120) as http:
        owner = Ao(http)
        pid = owner.spawn()
        assert owner.value(pid, "return 1 + 1") == "2"
        stranger = Ao(http, Ed25519Signer.generate())
        data = "x" * (8 * 2**20)
        ids = []
        for _ in range(50):
            item = stranger.message_item(pid, data, action="Note")
            r = http.post("/mu", content=item.to_bytes())
            # the admission quota (another part of issue 12) may refuse some with a 4xx
            assert r.status_code < 500, r.text
            if r.status_code == 202:
                ids.append(item.id)
        outcomes = [("Error" in owner.result(pid, mid)) for mid in ids]
        assert owner.value(pid, "return 1 + 1") == "2"
    assert_unharmed(served)
    if len(ids) == 50:
        # about 31 fit in 256 MiB; the others end with the memory limit, not a crash
        assert not outcomes[0] and outcomes[-1]
    served.stop()
    report = verify_store(node_dir, pid)
    assert report.ok, report.problem


# Every bomb of tests/runtime/test_bombs.py, under the node's instruction limit, in a process
# spawned with the embedded tests' 64 MiB; a 1 s watchdog. A counted bomb either reaches its
# counted Error first or, on a loaded machine, is stopped by the watchdog (quarantined): both
# are an Error, and verify must take either. The exact Error of each is tests/runtime's.
SERVE_MEMORY = re.escape("memory limit exceeded (64 MiB)")
ALL_BOMBS = [
    (name, code, expected.replace(EMBEDDED_LIMIT, LIMIT).replace(EMBEDDED_MEMORY, SERVE_MEMORY))
    for name, code, expected in BOMBS
] + [(name, code, re.escape(STOPPED_ERROR)) for name, code in UNCOUNTABLE]
SLOWEST_SECONDS = 10.0  # a bound that only catches a hang; the times are printed


@pytest.mark.e2e
@pytest.mark.slow
def test_every_bomb_through_aos_serve_then_verify(watched: Served, node_dir: Path) -> None:
    times: dict[str, float] = {}
    stopped = 0
    with httpx.Client(base_url=watched.url, timeout=120) as http:
        ao = Ao(http)
        pid = ao.spawn(tags=[("Memory-Limit", "64-mb")])
        assert ao.value(pid, "Before = 1 return Before") == "1"
        for name, code, expected in ALL_BOMBS:
            start = time.monotonic()
            result = ao.eval(pid, code)
            times[name] = time.monotonic() - start
            error = result.get("Error") or ""
            # the state around a message takes some of the 64 MiB: a bomb near the cap
            # may reach the memory limit first
            either = f"{expected}|{SERVE_MEMORY}|{re.escape(STOPPED_ERROR)}"
            assert re.search(either, error), (name, error)
            stopped += error == STOPPED_ERROR
            assert times[name] < SLOWEST_SECONDS, (name, times[name])
            assert ao.value(pid, "return 1 + 1") == "2", name
        assert ao.value(pid, "return Before") == "1"
    assert_unharmed(watched)
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:5]
    print(f"{len(times)} bombs through aos serve; slowest: {slowest}")
    watched.stop()
    report = verify_store(node_dir, pid)
    assert report.ok, report.problem
    # each watchdog stop is a verdict the replay followed (an uncountable bomb may reach the
    # memory cap before the watchdog, a counted one on a loaded machine the watchdog first)
    assert len(report.verdicts) == stopped
    assert set(report.verdicts.values()) <= {STOPPED_ERROR}
