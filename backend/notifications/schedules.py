"""Cron arithmetic for recurring sends, and what makes a cron acceptable: it runs at all,
within a horizon, and never more often than a minimum interval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

SAMPLED_RUNS = 20  # consecutive runs looked at for the shortest interval


def check_fields(cron: str) -> str:
    """Five fields (minute hour day month weekday), or six with seconds last; valid."""
    fields = cron.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"give five fields (minute hour day month weekday) or six with "
                         f"seconds last; got {len(fields)}")
    if not croniter.is_valid(cron):
        raise ValueError(f"not a valid cron expression: {cron!r}")
    return cron


def _runs(cron: str, timezone: str, after: datetime) -> Iterator[datetime]:
    """The times ``cron`` fires after ``after`` (UTC), read in the schedule's own time zone."""
    runs = croniter(cron, after.astimezone(ZoneInfo(timezone)))
    while True:
        yield runs.get_next(datetime).astimezone(UTC)


def next_run(cron: str, timezone: str, after: datetime) -> datetime:
    """The next time ``cron`` fires after ``after``, read in the schedule's own time zone."""
    return next(_runs(cron, timezone, after))


def first_run(cron: str, timezone: str, now: datetime, min_interval_seconds: float,
              horizon_days: int) -> datetime:
    """The first run of an acceptable cron; ValueError says why one is not."""
    check_fields(cron)
    try:
        times = list(islice(_runs(cron, timezone, now), SAMPLED_RUNS))
    except CroniterBadDateError:
        times = []
    except CroniterBadCronError as exc:
        raise ValueError(f"not a valid cron expression: {exc}") from exc
    if not times or times[0] - now > timedelta(days=horizon_days):
        raise ValueError(f"{cron!r} never runs within the next {horizon_days} days")
    shortest = min((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))
    if shortest < min_interval_seconds:
        raise ValueError(f"{cron!r} runs every {shortest:g} s; schedules run at most once per "
                         f"{min_interval_seconds:g} s (HERALD_SCHEDULE_MIN_INTERVAL_SECONDS)")
    return times[0]
