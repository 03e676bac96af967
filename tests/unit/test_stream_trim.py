"""Where the ingest stream may be trimmed: below the oldest entry not yet persisted."""

from __future__ import annotations

from backend.notifications.stream import trim_floor


def test_everything_read_and_persisted_keeps_only_what_comes_next():
    assert trim_floor("100-3", None, []) == "100-4"


def test_a_pending_entry_holds_the_floor():
    assert trim_floor("200-0", "150-2", []) == "150-2"


def test_an_in_flight_entry_holds_the_floor_even_below_pending_ones():
    assert trim_floor("200-0", "150-2", ["120-5", "120-1"]) == "120-1"


def test_an_in_flight_entry_above_the_floor_changes_nothing():
    assert trim_floor("100-0", None, ["300-0"]) == "100-1"
