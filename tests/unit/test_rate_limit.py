"""The client-frame token bucket: a burst of twice the rate, then the rate."""

from __future__ import annotations

from gateway.rate_limit import Budget, RateLimit


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


def test_a_budget_charges_socket_and_tenant_both_or_neither():
    clock = Clock()
    budget = Budget(per_socket=100, per_tenant=150, clock=clock)  # bursts of 200 and 300
    first, second = budget.socket(), budget.socket()
    assert budget.allow(first, "t", 200)
    assert not budget.allow(first, "t", 1)  # this socket's burst is spent
    assert not budget.allow(second, "t", 150)  # the tenant has 100 left: refused...
    assert budget.allow(second, "t", 100)  # ...and the socket was not charged for it
    assert budget.allow(second, "u", 100)  # another tenant's budget is its own
    assert not budget.allow(budget.socket(), "t", 1)
    clock.now += 1  # a second later: each refilled at its own rate
    assert budget.allow(first, "t", 100) and not budget.allow(first, "t", 1)
