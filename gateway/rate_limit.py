"""Token buckets: ``rate`` a second, bursts of twice that; for one socket's client frames
(``RateLimit``), and for each reader's REST inbox requests on this node (``PerKey``)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RateLimit:
    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.capacity, self.clock = rate, rate * 2, clock
        self.tokens, self.at = self.capacity, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class PerKey:
    """A bucket per key (a reader), the least recently used dropped past ``keep`` keys: one
    reader polling in a loop is refused (429) before it slows anyone else's inbox."""

    def __init__(self, rate: float, keep: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.keep, self.clock = rate, keep, clock
        self.buckets: OrderedDict[Hashable, RateLimit] = OrderedDict()

    def retry_after(self, key: Hashable) -> float | None:
        """None when ``key`` may go on; else the seconds until it may."""
        bucket = self.buckets.pop(key, None) or RateLimit(self.rate, self.clock)
        self.buckets[key] = bucket
        if len(self.buckets) > self.keep:
            self.buckets.popitem(last=False)
        return None if bucket.allow() else 1 / self.rate
