"""Quiet hours in the reader's time zone, within a day and across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time

from backend.notifications.preferences import Preferences


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 28, hour, minute, tzinfo=UTC)


def test_no_quiet_hours_means_never_quiet():
    assert Preferences().quiet_until("UTC", at(3)) is None


def test_window_within_a_day_ends_at_its_end():
    prefs = Preferences(quiet_start=time(13), quiet_end=time(14))
    assert prefs.quiet_until("UTC", at(13, 30)) == at(14)
    assert prefs.quiet_until("UTC", at(14)) is None
    assert prefs.quiet_until("UTC", at(12, 59)) is None


def test_window_across_midnight_ends_the_next_morning():
    prefs = Preferences(quiet_start=time(22), quiet_end=time(7))
    assert prefs.quiet_until("UTC", at(23)) == datetime(2026, 11, 29, 7, tzinfo=UTC)
    assert prefs.quiet_until("UTC", at(3)) == at(7)
    assert prefs.quiet_until("UTC", at(12)) is None


def test_window_is_read_in_the_readers_time_zone():
    prefs = Preferences(quiet_start=time(22), quiet_end=time(7))
    # 21:30 UTC is 06:30 in Tokyo: quiet until 07:00 Tokyo, 22:00 UTC.
    assert prefs.quiet_until("Asia/Tokyo", at(21, 30)) == at(22)


def test_required_categories_ignore_opt_outs():
    prefs = Preferences(categories={"*": {"email": False}, "news": {"slack": False}},
                        required=frozenset({"security"}))
    assert not prefs.allows("news", "email") and not prefs.allows("news", "slack")
    assert prefs.allows("news", "in_app")
    assert prefs.allows("security", "email")
