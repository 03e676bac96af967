"""In-app retries and fallbacks join the bridge's scheduling: a dispatch hands due rows out
high first, then tenant by tenant in turn (weighted as the bridge weighs them), so one
tenant's thousands of due retries never push another tenant's few to a later tick.

The rows are due in 2100 and claimed "as of" then, on the real PostgreSQL: the stack's own
beat, dispatching as of now, never sees them. The claims run in a transaction that sets every
other tenant's rows aside (those other tests leave due, which a claim as of 2100 would take)
and is rolled back."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from backend.db.models import Delivery, WebhookEvent
from backend.notifications import deliveries, queues, webhook_events
from backend.notifications.lifecycle import Channel
from tests.support.db import session_scope

AS_OF = datetime(2100, 1, 1, tzinfo=UTC)
LEASE = 300.0


def _due(tenant: uuid.UUID, count: int, oldest: timedelta, priority: str = "normal",
         channel: str = Channel.IN_APP) -> list[uuid.UUID]:
    """``count`` due rows of ``tenant``, the first ``oldest`` before AS_OF, a second apart."""
    ids = [uuid.uuid4() for _ in range(count)]
    with session_scope() as session:
        session.add_all(Delivery(notification_id=nid, tenant_id=tenant, priority=priority,
                                 step=0, channel=channel, attempt=1,
                                 due_at=AS_OF - oldest + timedelta(seconds=i))
                        for i, nid in enumerate(ids))
    return ids


@contextmanager
def _alone(*tenants: uuid.UUID) -> Iterator[Session]:
    """A transaction in which only ``tenants`` have due rows and webhook events; rolled
    back at the end, leases and all (the rows set aside are back)."""
    with session_scope() as session:
        session.execute(delete(Delivery).where(Delivery.tenant_id.not_in(tenants)))
        session.execute(delete(WebhookEvent).where(WebhookEvent.tenant_id.not_in(tenants)))
        try:
            yield session
        finally:
            session.rollback()


def _claim(session: Session, limit: int, retry_rows: dict[str, int] | None = None,
           weights: dict[str, float] | None = None) -> list[Delivery]:
    return deliveries.claim_due(session, limit, LEASE, retry_rows, weights, now=AS_OF)


def _forget(*tenants: uuid.UUID) -> None:
    with session_scope() as session:
        session.execute(delete(Delivery).where(Delivery.tenant_id.in_(tenants)))
        session.execute(delete(WebhookEvent).where(WebhookEvent.tenant_id.in_(tenants)))


def test_a_quiet_tenants_few_retries_go_in_the_first_claim(base_env):  # noqa: ANN001
    """A has 600 retries due for an hour; B's 3 came due a minute ago. The next dispatch
    (100 rows) takes B's 3 with A's oldest, not 100 of A's."""
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    try:
        theirs = _due(busy, 600, timedelta(hours=1))
        mine = _due(quiet, 3, timedelta(minutes=1))
        with _alone(busy, quiet) as session:
            claimed = [(r.notification_id, r.tenant_id) for r in _claim(session, 100)]
            # Claimed rows are leased: the next dispatch takes the next ones, none twice.
            again = {r.notification_id for r in _claim(session, 100)}
        assert {nid for nid, _ in claimed} >= set(mine)
        assert Counter(tenant for _, tenant in claimed) == {busy: 97, quiet: 3}
        # The busy tenant's own rows still go oldest first.
        assert [nid for nid, tenant in claimed if tenant == busy] == theirs[:97]
        assert not again & {nid for nid, _ in claimed}
    finally:
        _forget(busy, quiet)


def test_tenants_take_turns_by_weight(base_env):  # noqa: ANN001
    heavy, light = uuid.uuid4(), uuid.uuid4()
    try:
        _due(heavy, 100, timedelta(hours=2))
        _due(light, 100, timedelta(hours=1))
        with _alone(heavy, light) as session:
            claimed = Counter(r.tenant_id for r in _claim(
                session, 40, weights={str(heavy): 3.0, "not-a-tenant": 9.0}))
        assert claimed == {heavy: 30, light: 10}
    finally:
        _forget(heavy, light)


def test_high_first_then_fallbacks_then_retries_as_their_queue_has_room(base_env):  # noqa: ANN001
    """High fallbacks and retries before every tenant's normal ones, however old those are;
    in a priority, fallback sends before in-app retries; and no more retries than their
    queue takes now (the rest stay due rows, for a later tick)."""
    one, other = uuid.uuid4(), uuid.uuid4()
    try:
        old_email = _due(one, 50, timedelta(hours=5), channel=Channel.EMAIL)
        urgent = _due(other, 5, timedelta(seconds=30), priority="high", channel=Channel.SLACK)
        urgent_retry = _due(other, 2, timedelta(seconds=10), priority="high")
        normal_retries = _due(other, 20, timedelta(hours=3))
        with _alone(one, other) as session:
            claimed = [r.notification_id for r in _claim(
                session, 60, retry_rows={queues.DEFAULT: 10, queues.LOW: 4})]
            more = [r.notification_id for r in _claim(session, 60, retry_rows={queues.LOW: 4})]
            none = _claim(session, 60, retry_rows={queues.LOW: 0})
        assert claimed[:7] == urgent + urgent_retry
        assert claimed[7:57] == old_email
        assert claimed[57:] == normal_retries[:3]  # the limit, before the queue's room of 4
        assert more == normal_retries[3:7]
        assert none == []
    finally:
        _forget(one, other)


def test_webhook_events_are_claimed_tenant_by_tenant(base_env, tenant):  # noqa: ANN001
    """Events of a tenant with a thousand due (a flood of status changes) and of one with
    two: the next dispatch of 20 carries both of the quiet tenant's."""
    from backend.db.models import Webhook

    busy, quiet = uuid.uuid4(), uuid.uuid4()
    with session_scope() as session:
        hook = Webhook(id=uuid.uuid4(), tenant_id=uuid.UUID(tenant.tenant_id),
                       url="https://example.invalid/h",
                       secret="s", events=["notification.delivered"])
        session.add(hook)
        session.flush()
        hook_id = hook.id
        for owner, count, oldest in ((busy, 1000, timedelta(hours=1)),
                                     (quiet, 2, timedelta(minutes=1))):
            session.add_all(WebhookEvent(
                id=uuid.uuid4(), webhook_id=hook_id, tenant_id=owner,
                type="notification.delivered", data={}, created_at=AS_OF - oldest,
                next_at=AS_OF - oldest + timedelta(seconds=i), attempts=0)
                for i in range(count))
    try:
        with _alone(busy, quiet) as session:
            ids = webhook_events.claim_due(session, 20, LEASE, now=AS_OF)
            owners = Counter(session.get(WebhookEvent, i).tenant_id for i in ids)
        assert owners == {busy: 18, quiet: 2}
    finally:
        _forget(busy, quiet)
