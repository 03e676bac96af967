"""Retry delays: exponential, capped, with equal jitter (never early, never past the cap)."""

from __future__ import annotations

import pytest

from backend.core.config import Settings
from backend.notifications.backoff import Backoff, fallback, in_app


@pytest.mark.parametrize("attempt, ceiling", [(1, 10), (2, 20), (3, 40), (4, 80), (8, 100)])
def test_delay_is_between_half_and_all_of_the_capped_exponential(attempt: int, ceiling: float):
    policy = Backoff(base_seconds=10, cap_seconds=100, max_attempts=10)
    delays = [policy.delay(attempt) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert max(delays) - min(delays) > 0  # jittered: many readers do not retry in step


def test_priority_overrides_apply_on_top_of_the_defaults():
    settings = Settings(retry_base_seconds=30, retry_max_attempts=5,
                        retry_policies={"high": {"base_seconds": 2, "max_attempts": 8}})
    assert in_app(settings, "high") == Backoff(2, settings.retry_cap_seconds, 8)
    assert in_app(settings, "low") == Backoff(30, settings.retry_cap_seconds, 5)
    assert fallback(settings).max_attempts == settings.fallback_max_attempts
