"""Retry and backoff policy, in one place, for every task that waits between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass

from backend.core.config import Settings


@dataclass(frozen=True)
class Backoff:
    base_seconds: float
    cap_seconds: float
    max_attempts: int

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based): exponential, capped,
        with "equal jitter" so retries of many readers spread out but never come early."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def in_app(settings: Settings, priority: str) -> Backoff:
    """The in-app retry policy of a priority: the defaults, with its overrides applied."""
    override = settings.retry_policies.get(priority, {})
    return Backoff(
        override.get("base_seconds", settings.retry_base_seconds),
        override.get("cap_seconds", settings.retry_cap_seconds),
        int(override.get("max_attempts", settings.retry_max_attempts)),
    )


def fallback(settings: Settings) -> Backoff:
    return Backoff(settings.fallback_base_seconds, settings.fallback_cap_seconds,
                   settings.fallback_max_attempts)


def events(settings: Settings) -> Backoff:
    """Delivery webhooks to the product's backend."""
    return Backoff(settings.event_retry_base_seconds, settings.event_retry_cap_seconds,
                   settings.event_max_attempts)
