"""Retention's arithmetic: which weeks may be dropped whole, and where a week ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend.db.partitions import Partition
from backend.notifications.retention import Retention


def test_weeks_are_dropped_only_past_the_longest_retention():
    assert Retention(90).longest == 90
    assert Retention(90, {"a": 30, "b": 400}).longest == 400
    assert Retention(90, {"a": 30}).longest == 90


def test_a_day_belongs_to_the_partition_of_its_week_from_monday_utc():
    week = Partition.of(date(2026, 12, 31))  # a Thursday
    assert (week.name, week.start) == ("notifications_p20261228", date(2026, 12, 28))
    assert week.end == datetime(2027, 1, 4, tzinfo=UTC)
    assert Partition.of(date(2026, 12, 28)) == week


def test_every_tenant_is_under_exactly_one_rule():
    rules = Retention(90, {"3f0e2c4a-8b1d-4e6f-9a2b-7c5d3e1f0a9b": 30}).expired(
        datetime(2026, 11, 29, tzinfo=UTC))
    assert len(rules) == 2
    assert "NOT IN" in str(rules[1]).upper()
