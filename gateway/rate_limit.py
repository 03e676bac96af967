"""A token bucket for client frames: ``rate`` a second, bursts of twice that."""

from __future__ import annotations

import time
from collections.abc import Callable


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
