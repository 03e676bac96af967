"""The client-frame token bucket: a burst of twice the rate, then the rate."""

from __future__ import annotations

from gateway.rate_limit import RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate():
    clock = Clock()
    limit = RateLimit(10, clock)
    assert sum(limit.allow() for _ in range(25)) == 20  # burst: twice the rate
    clock.now += 0.5
    assert sum(limit.allow() for _ in range(10)) == 5
    clock.now += 100
    assert sum(limit.allow() for _ in range(100)) == 20  # never more than the burst
