"""Retention: a week past every tenant's retention is dropped as a whole partition, with the
attempts of its notifications, and a reader whose history was cut is told so on reconnect."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select, text, update

from backend.db import partitions
from backend.db.models import DeliveryAttempt, Notification
from tests.support.api import send
from tests.support.db import session_scope
from tests.support.harness import wait_until
from tests.support.sockets import connect, token_for
from tests.support.stack import Stack, TenantKeys

AGE = timedelta(days=200)  # past the default 90 days


def _partition_exists(name: str) -> bool:
    with session_scope() as session:
        return session.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})


def _count(model, *where) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_an_expired_day_is_dropped_and_the_reader_reloads(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    token = token_for(stack.api_url, tenant.secret_key, "old-timer")
    sock = await connect(stack.ws_url, tenant.publishable_key, token, since=0)
    ids = []
    for title in ("First", "Second", "Third"):
        ids.append(send(api, "old-timer", title)["id"])
        await sock.next_of("notification")
    await sock.close()
    old = [uuid.UUID(i) for i in ids[:2]]
    wait_until(lambda: _count(DeliveryAttempt, DeliveryAttempt.notification_id.in_(old)) == 2,
               what="the attempts recorded")

    # Two of them as if sent 200 days ago, in the partition of their week.
    with session_scope() as session:
        made = {partitions.create(session, (at - AGE).date()) for at in session.scalars(
            select(Notification.created_at).where(Notification.id.in_(old)))}
        session.execute(update(Notification).where(Notification.id.in_(old))
                        .values(created_at=Notification.created_at - AGE))
    names = [p.name for p in made if p is not None]
    assert names
    assert all(_partition_exists(n) for n in names)

    wait_until(lambda: not any(_partition_exists(n) for n in names), timeout=60,
               what="the expired week dropped by beat")
    assert _count(Notification, Notification.id.in_(old)) == 0
    assert _count(DeliveryAttempt, DeliveryAttempt.notification_id.in_(old)) == 0
    assert _count(Notification, Notification.id == uuid.UUID(ids[2])) == 1

    cut = await connect(stack.ws_url, tenant.publishable_key, token, since=1)
    assert cut.welcome["recovered"] is False  # seq 2 is gone: reload over REST
    await cut.close()
    whole = await connect(stack.ws_url, tenant.publishable_key, token, since=2)
    assert whole.welcome["recovered"] is True
    await whole.close()


def test_a_tenants_shorter_retention_deletes_inside_a_day_others_keep(
    stack: Stack, tenant: TenantKeys, api: httpx.Client
):
    """Retention applied on the real database: the tenant keeping 30 days loses its 60-day-old
    row; another tenant's row of the same day stays, and so does the day's partition."""
    from backend.notifications.retention import Retention, apply
    from tests.support.db import new_tenant

    other = new_tenant()
    other_api = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": other.secret_key})
    mine, theirs = send(api, "short", "Mine")["id"], send(other_api, "long", "Theirs")["id"]
    both = [uuid.UUID(mine), uuid.UUID(theirs)]
    wait_until(lambda: _count(Notification, Notification.id.in_(both)) == 2, what="stored")
    age = timedelta(days=60)
    with session_scope() as session:
        for at in session.scalars(select(Notification.created_at)
                                  .where(Notification.id.in_(both))):
            assert partitions.create(session, (at - age).date()) is not None
        session.execute(update(Notification).where(Notification.id.in_(both))
                        .values(created_at=Notification.created_at - age))
    with session_scope() as session:
        done = apply(session, Retention(90, {tenant.tenant_id: 30}))
    assert done.partitions_dropped == 0 and done.notifications_removed == 1
    assert _count(Notification, Notification.id == uuid.UUID(mine)) == 0
    assert _count(Notification, Notification.id == uuid.UUID(theirs)) == 1
