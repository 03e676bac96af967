"""Readers' Web Push subscriptions, one per browser (device): stored from what
``PushManager.subscribe()`` gave herald.js, listed and removed by the reader, forgotten when
their push service says they are gone."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend.db.models import PushSubscription
from backend.tenants import vapid

# A reader's devices; past this the oldest goes (a browser that subscribes again and again
# must not grow a reader's fan-out without bound).
MAX_PER_READER = 20


def listing(session: Session, reader_row_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(PushSubscription).where(
        PushSubscription.reader_id == reader_row_id).order_by(PushSubscription.id))
    return [{"id": s.id, "endpoint": s.endpoint, "created_at": s.created_at.isoformat()}
            for s in rows]


def store(session: Session, reader_row_id: int, endpoint: str, p256dh: str, auth: str
          ) -> None:
    """Add (or refresh the keys of) this browser's subscription."""
    session.execute(insert(PushSubscription).values(
        reader_id=reader_row_id, endpoint=endpoint, p256dh=p256dh, auth=auth,
    ).on_conflict_do_update(constraint="push_subscriptions_reader_endpoint",
                            set_={"p256dh": p256dh, "auth": auth}))
    ids = session.scalars(select(PushSubscription.id).where(
        PushSubscription.reader_id == reader_row_id).order_by(PushSubscription.id.desc())
        .offset(MAX_PER_READER)).all()
    if ids:
        forget(session, list(ids))


def remove(session: Session, reader_row_id: int, endpoint: str | None) -> int:
    """One subscription by its endpoint, or all of the reader's; how many were removed."""
    query = delete(PushSubscription).where(PushSubscription.reader_id == reader_row_id)
    if endpoint is not None:
        query = query.where(PushSubscription.endpoint == endpoint)
    return len(session.scalars(query.returning(PushSubscription.id)).all())


def forget(session: Session, ids: list[int]) -> None:
    session.execute(delete(PushSubscription).where(PushSubscription.id.in_(ids)))


def public_key(session: Session, tenant_id: uuid.UUID) -> str:
    """The tenant's VAPID public key, the ``applicationServerKey`` browsers subscribe with."""
    return vapid.keys_of(session, tenant_id).public_key
