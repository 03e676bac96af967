"""Cron arithmetic for recurring sends."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter


def next_run(cron: str, timezone: str, after: datetime) -> datetime:
    """The next time ``cron`` fires after ``after``, read in the schedule's own time zone."""
    local = after.astimezone(ZoneInfo(timezone))
    return croniter(cron, local).get_next(datetime).astimezone(UTC)
