"""How many batches of in-app retries a dispatch adds to a queue the bridge also fills."""

from __future__ import annotations

import pytest

from backend.notifications.deliveries import retry_room


@pytest.mark.parametrize(("depth", "room"), [
    (0, 4), (1, 3), (3, 1),  # filled as the bridge fills it
    (4, 1), (7, 1),  # full of first deliveries: retries slowed to a batch a tick, not stopped
    (8, 0), (50, 0),  # nothing is draining it: nothing more
])
def test_retries_fill_a_queue_as_the_bridge_does(depth: int, room: int):
    assert retry_room(depth, queued_batches=4) == room


def test_one_queued_batch_still_lets_one_retry_batch_through():
    assert retry_room(0, 1) == 1 and retry_room(1, 1) == 1 and retry_room(2, 1) == 0
