"""The lifecycle table: every stored status, every move, allowed or refused."""

from __future__ import annotations

import uuid
from itertools import product

import pytest

from backend.db.models import Notification
from backend.notifications import lifecycle
from backend.notifications.lifecycle import TRANSITIONS, IllegalTransition, Status

STORED = list(TRANSITIONS)
EXPECTED = {
    (Status.PERSISTED, Status.DELIVERED), (Status.PERSISTED, Status.READ),
    (Status.PERSISTED, Status.FALLBACK_SENT), (Status.PERSISTED, Status.FAILED),
    (Status.DELIVERED, Status.READ), (Status.FALLBACK_SENT, Status.READ),
    (Status.FAILED, Status.READ),
}


def row(status: Status) -> Notification:
    return Notification(id=uuid.uuid4(), status=status, status_reason=None)


@pytest.mark.parametrize("current, new", list(product(STORED, Status)))
def test_every_move_in_the_table(current: Status, new: Status):
    n = row(current)
    if (current, new) in EXPECTED:
        lifecycle.move(n, new, "why")
        assert (n.status, n.status_reason) == (new, "why")
    else:
        with pytest.raises(IllegalTransition, match=f"{current} -> {new}"):
            lifecycle.move(n, new)
        assert n.status == current


def test_try_move_leaves_a_finished_notification_alone():
    n = row(Status.READ)
    assert not lifecycle.try_move(n, Status.FAILED, "too late")
    assert (n.status, n.status_reason) == (Status.READ, None)


def test_sources_are_the_inverse_of_the_table():
    assert set(lifecycle.sources(Status.READ)) == set(STORED) - {Status.READ}
    assert lifecycle.sources(Status.DELIVERED) == [Status.PERSISTED]


def test_a_notification_nobody_may_receive_starts_failed_with_its_reason():
    assert lifecycle.initial(["in_app"]) == (Status.PERSISTED, None)
    assert lifecycle.initial([]) == (Status.FAILED, lifecycle.OPTED_OUT)
