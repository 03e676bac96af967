"""A part that keeps dying: 5 unexpected exits within 60 s."""

from __future__ import annotations

from backend.cli.fatal_listener import CrashLoop


def test_five_deaths_within_the_window_is_a_crash_loop():
    loop = CrashLoop(deaths=5, window=60)
    assert [loop.died("worker", t) for t in (0, 10, 20, 30, 40)] == [False] * 4 + [True]


def test_deaths_spread_out_are_ordinary_crashes():
    loop = CrashLoop(deaths=5, window=60)
    assert not any(loop.died("worker", t) for t in range(0, 600, 20))


def test_each_part_is_counted_on_its_own():
    loop = CrashLoop(deaths=2, window=60)
    assert not loop.died("api", 0) and not loop.died("worker", 1)
    assert loop.died("api", 2)
