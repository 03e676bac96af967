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


def test_an_ids_time_is_when_it_was_made_so_lookups_can_name_their_days():
    from datetime import UTC, datetime

    from backend.notifications.lifecycle import ID_TIME_MARGIN, _id_time, by_ids
    from backend.notifications.messages import new_id

    before = datetime.now(UTC)
    made = new_id()
    after = datetime.now(UTC)
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= _id_time(made) <= after
    clause = str(by_ids([made]).compile(compile_kwargs={"literal_binds": True}))
    assert "created_at BETWEEN" in clause
    low = (_id_time(made) - ID_TIME_MARGIN).isoformat(sep=" ")[:16]
    assert low in clause


def test_ids_of_another_kind_get_no_window_and_no_error():
    import uuid

    from backend.notifications.lifecycle import by_ids

    for odd in (uuid.UUID("f88d3405-7874-13ee-b373-fa09de8db712"), uuid.uuid4(),
                uuid.UUID("ffffffff-ffff-7fff-bfff-ffffffffffff")):
        clause = str(by_ids([odd]).compile(compile_kwargs={"literal_binds": True}))
        assert "BETWEEN" not in clause
