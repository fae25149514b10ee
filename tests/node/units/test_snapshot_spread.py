"""Which snapshots a process keeps: the newest, and older ones spread over its log."""

from __future__ import annotations

import random

from aos.node.units.states import (
    KEEP,
    KEEP_NEWEST,
    MAX_KEEP,
    SNAPSHOT_BUDGET,
    keep_count,
    spread_out,
)


def keep_saving(saves: list[int]) -> list[int]:
    """The nonces kept after each save is followed by a prune, as ProcessStates does."""
    kept: list[int] = []
    for nonce in saves:
        kept.append(nonce)
        dropped = spread_out(kept, KEEP, KEEP_NEWEST)
        kept = [n for n in kept if n not in dropped]
    return kept


def longest_replay(kept: list[int], head: int) -> int:
    """The most messages a dry-run at some nonce <= head replays after its snapshot."""
    points = [-1, *kept, head]
    return max(b - a for a, b in zip(points, points[1:], strict=False))


def test_steady_saves_over_100000_messages_leave_no_long_replay() -> None:
    kept = keep_saving(list(range(499, 100_000, 500)))
    assert len(kept) == KEEP
    assert kept[-KEEP_NEWEST:] == [98_499, 98_999, 99_499, 99_999]
    # Evenly spread, the 20 older ones would be 5,000 apart; allow 1.6x for the greedy way.
    assert longest_replay(kept, 100_000) <= 1.6 * 100_000 / (KEEP - KEEP_NEWEST)


def test_irregular_saves_still_spread() -> None:
    rng = random.Random(7)
    nonce, saves = 0, []
    for _ in range(400):
        nonce += rng.choice([50, 200, 500, 1000, 3000])
        saves.append(nonce)
    kept = keep_saving(saves)
    assert len(kept) == KEEP and kept[-1] == saves[-1]
    assert longest_replay(kept, nonce) <= 2.5 * nonce / (KEEP - KEEP_NEWEST)


def test_nothing_is_dropped_below_the_limit() -> None:
    assert spread_out([1, 2, 3], KEEP, KEEP_NEWEST) == []
    assert spread_out(list(range(KEEP)), KEEP, KEEP_NEWEST) == []


def test_a_small_state_keeps_more_snapshots_within_the_budget() -> None:
    assert keep_count(0) == KEEP
    assert keep_count(2**20) == KEEP  # 1 MiB: four would fit, KEEP stay anyway
    assert keep_count(35_000) == MAX_KEEP
    assert keep_count(SNAPSHOT_BUDGET // 50) == 50
    # With MAX_KEEP kept, steady saves leave replays of about 1/92 of the log (the greedy
    # way doubles gaps: within 2.5x), under half of what KEEP leaves.
    kept: list[int] = []
    for nonce in range(499, 100_000, 500):
        kept.append(nonce)
        dropped = spread_out(kept, MAX_KEEP, KEEP_NEWEST)
        kept = [n for n in kept if n not in dropped]
    assert len(kept) == MAX_KEEP
    longest = longest_replay(kept, 100_000)
    assert longest <= 2.5 * 100_000 / (MAX_KEEP - KEEP_NEWEST)
    assert longest <= longest_replay(keep_saving(list(range(499, 100_000, 500))), 100_000) / 2
