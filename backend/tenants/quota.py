"""Each tenant's quota on the service API, counted in notifications (a fan-out to 100 readers
costs 100): ``burst`` within any window of ``burst / rate`` seconds, kept in Redis so that
every API process shares one count. Built on ``limits``' sliding-window counter."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.strategies import SlidingWindowCounterRateLimiter

from backend.core.config import Settings
from backend.core.errors import TooLarge, TooManyRequests
from backend.core.redis import limits_storage


class Quota:
    def __init__(self, settings: Settings) -> None:
        redis_url, _ = settings.require_urls()
        self.limiter = SlidingWindowCounterRateLimiter(limits_storage(redis_url))
        self.settings = settings

    def _item(self, tenant_id: str) -> tuple[RateLimitItemPerSecond, int]:
        override = self.settings.tenant_rate_overrides.get(tenant_id, {})
        rate = override.get("rate_per_second", self.settings.tenant_rate_per_second)
        burst = int(override.get("burst", self.settings.tenant_burst))
        return RateLimitItemPerSecond(burst, max(1, math.ceil(burst / rate)),
                                      namespace="herald:quota"), burst

    def ensure_open(self, tenant_id: str) -> None:
        """Refuse at once a tenant with nothing left, before its body is even validated: a
        flood of refused requests then costs the API almost nothing."""
        item, _ = self._item(tenant_id)
        if not self.limiter.test(item, tenant_id):
            self._refuse(item, tenant_id)

    def take(self, tenant_id: str, notifications: int, fanned: int = 0) -> None:
        """Spend ``notifications`` from the tenant's quota, or refuse the whole request.

        ``fanned`` notifications go to topics' subscribers: a topic bigger than the burst may
        still be sent, and then spends the whole burst."""
        item, burst = self._item(tenant_id)
        notifications += min(fanned, max(0, burst - notifications))
        if notifications > burst:
            raise TooLarge(f"{notifications} notifications in one request can never fit the "
                           f"tenant's burst of {burst} (HERALD_TENANT_BURST)")
        if not self.limiter.hit(item, tenant_id, cost=notifications):
            self._refuse(item, tenant_id)

    def _refuse(self, item: RateLimitItemPerSecond, tenant_id: str) -> None:
        stats = self.limiter.get_window_stats(item, tenant_id)
        raise TooManyRequests(
            f"tenant quota exceeded: {item.amount} notifications per {item.multiples} s "
            f"(HERALD_TENANT_RATE_PER_SECOND, HERALD_TENANT_BURST); {stats.remaining} left now",
            retry_after=max(stats.reset_time - time.time(), 1.0))
