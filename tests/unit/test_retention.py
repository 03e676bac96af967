"""Retention's arithmetic: which days may be dropped whole, and where a day ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from backend.db.partitions import Partition
from backend.notifications.retention import Retention


def test_days_are_dropped_only_past_the_longest_retention():
    assert Retention(90).longest == 90
    assert Retention(90, {"a": 30, "b": 400}).longest == 400
    assert Retention(90, {"a": 30}).longest == 90


def test_a_days_partition_ends_at_the_next_utc_midnight():
    assert Partition("notifications_p20261231", date(2026, 12, 31)).end == datetime(
        2027, 1, 1, tzinfo=UTC)


def test_every_tenant_is_under_exactly_one_rule():
    rules = Retention(90, {"3f0e2c4a-8b1d-4e6f-9a2b-7c5d3e1f0a9b": 30}).expired(
        datetime(2026, 11, 29, tzinfo=UTC))
    assert len(rules) == 2
    assert "NOT IN" in str(rules[1]).upper()
