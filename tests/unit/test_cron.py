"""Cron next-run in the schedule's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.notifications.schedules import next_run


def test_next_run_is_read_in_the_schedules_time_zone():
    after = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    # 09:00 in Berlin (UTC+1 in November) is 08:00 UTC: the next one is tomorrow's.
    assert next_run("0 9 * * *", "Europe/Berlin", after) == datetime(2026, 11, 29, 8, 0,
                                                                      tzinfo=UTC)


def test_six_fields_fire_every_second():
    after = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert next_run("* * * * * *", "UTC", after) == datetime(2026, 11, 28, 12, 0, 1, tzinfo=UTC)


def test_daylight_saving_is_followed():
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    # Berlin moves to UTC+2 on 29 March 2026: 09:00 local is 07:00 UTC from then on.
    assert next_run("0 9 * * *", "Europe/Berlin", after) == datetime(2026, 3, 29, 7, 0,
                                                                     tzinfo=UTC)
