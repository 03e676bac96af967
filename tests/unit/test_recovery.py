"""Whether a reconnecting client's history can be replayed in full."""

from __future__ import annotations

import pytest

from backend.notifications.inbox import Counts, ReaderSummary
from gateway.recovery import recoverable

STATE = ReaderSummary(row_id=1, last_seq=10, epoch="e1", counts=Counts(1, 3, 0), oldest_seq=4,
                      last_change=2)


@pytest.mark.parametrize("since, epoch, expected", [
    (10, "e1", True),    # holds everything
    (3, "e1", True),     # missing 4..10, all still stored
    (2, None, False),    # 3 is gone (retention)
    (5, "e2", False),    # the history was reset: offsets are void
    (11, "e1", False),   # ahead of the server: not ours
    (None, "e1", False), # a first connection loads over REST
    (-1, None, False),
])
def test_recoverable(since: int | None, epoch: str | None, expected: bool):
    assert recoverable(STATE, since, epoch) is expected


def test_an_empty_history_recovers_only_from_its_end():
    empty = ReaderSummary(row_id=1, last_seq=0, epoch="e", counts=Counts(0, 0, 0),
                          oldest_seq=None, last_change=0)
    assert recoverable(empty, 0, "e")
