"""Token buckets: ``rate`` a second, bursts of twice that; for one socket's client frames
(``RateLimit``), for each reader's REST inbox requests on this node (``PerKey``), and for the
database work of one socket's and one tenant's frames (``Budget``)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RateLimit:
    __slots__ = ("rate", "capacity", "clock", "tokens", "at")

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.capacity, self.clock = rate, rate * 2, clock
        self.tokens, self.at = self.capacity, clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def can(self, cost: float = 1) -> bool:
        self._refill()
        return self.tokens >= cost

    def allow(self, cost: float = 1) -> bool:
        if not self.can(cost):
            return False
        self.tokens -= cost
        return True


class PerKey:
    """A bucket per key (a reader), the least recently used dropped past ``keep`` keys: one
    reader polling in a loop is refused (429) before it slows anyone else's inbox."""

    def __init__(self, rate: float, keep: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.keep, self.clock = rate, keep, clock
        self.buckets: OrderedDict[Hashable, RateLimit] = OrderedDict()

    def bucket(self, key: Hashable) -> RateLimit:
        bucket = self.buckets.pop(key, None) or RateLimit(self.rate, self.clock)
        self.buckets[key] = bucket
        if len(self.buckets) > self.keep:
            self.buckets.popitem(last=False)
        return bucket

    def retry_after(self, key: Hashable) -> float | None:
        """None when ``key`` may go on; else the seconds until it may."""
        return None if self.bucket(key).allow() else 1 / self.rate


class Budget:
    """The database work client frames may ask for, per socket and per tenant on this node:
    one tenant's clients flooding state changes or acks by id are refused past theirs, and
    the others' frames are applied as before."""

    def __init__(self, per_socket: float, per_tenant: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_socket, self.clock = per_socket, clock
        self.tenants = PerKey(per_tenant, keep=10_000, clock=clock)

    def socket(self) -> RateLimit:
        return RateLimit(self.per_socket, self.clock)

    def allow(self, socket: RateLimit, tenant: Hashable, cost: float) -> bool:
        """Both can afford ``cost``: both pay it; otherwise neither does."""
        shared = self.tenants.bucket(tenant)
        if not (socket.can(cost) and shared.can(cost)):
            return False
        socket.tokens -= cost
        shared.tokens -= cost
        return True
