"""Every read and write of notifications: persisting batches, replay, read state.

Shared by the worker (persist, record outcomes) and the gateway (replay, read, inbox).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from backend import compose, deliveries, preferences
from backend.deliveries import IN_APP
from backend.models import DeliveryAttempt, Notification, Tenant, User
from backend.readers import ensure_readers

PENDING = "persisted"  # stored, not yet taken by any socket
OPTED_OUT = "the reader opted out of every channel of this notification"


def frame(n: Notification) -> dict[str, Any]:
    """The ``notification`` frame a socket receives, also used by the REST inbox."""
    return {
        "type": "notification", "id": str(n.id), "seq": n.seq, "title": n.title, "body": n.body,
        "category": n.category, "priority": n.priority, "data": n.data,
        "created_at": n.created_at.isoformat(), "read": n.read_at is not None,
    }


class _Templates:
    """Newest template versions per key, looked up once per batch."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session, self.tenant_id, self.cache = session, tenant_id, {}

    def get(self, key: str | None) -> dict | None:
        if key is None:
            return None
        if key not in self.cache:
            self.cache[key] = compose.latest_versions(self.session, self.tenant_id, key)
        return self.cache[key]


def _row(entry: dict[str, Any], tenant: Tenant, reader: User, templates: _Templates
         ) -> tuple[dict[str, Any], str | None]:
    rendered = compose.in_app(entry, reader, tenant.default_locale, templates.get(
        entry.get("template")))
    prefs = preferences.effective(tenant, reader)
    channels = [c for c in entry["channels"] if prefs.allows(entry.get("category"), c)]
    reader.last_seq += 1
    return {
        "id": uuid.UUID(entry["id"]), "group_id": uuid.UUID(entry["group_id"]),
        "tenant_id": tenant.id, "user_id": reader.id, "seq": reader.last_seq,
        "category": entry.get("category"), "priority": entry["priority"],
        "template": entry.get("template"), "template_id": rendered.template_id,
        "title": rendered.title, "body": rendered.body, "data": entry.get("data") or {},
        "channels": channels, "locale": rendered.locale,
        "idempotency_key": entry.get("idempotency_key"),
        "status": PENDING if channels else "failed",
        "status_reason": None if channels else OPTED_OUT,
        "created_at": datetime.fromisoformat(entry["created_at"]),
    }, rendered.error


def _new_rows(session: Session, entries: list[dict[str, Any]]) -> tuple[list[dict], list[tuple]]:
    """Rows for entries not stored yet, with seqs handed out under the readers' row locks."""
    by_tenant: dict[str, list[dict]] = defaultdict(list)
    for entry in {e["id"]: e for e in entries}.values():
        by_tenant[entry["tenant_id"]].append(entry)
    rows, errors = [], []
    for tenant_id, group in sorted(by_tenant.items()):
        tenant = session.get(Tenant, uuid.UUID(tenant_id))
        if tenant is None:
            raise ValueError(f"unknown tenant {tenant_id}")
        # Lock first, then look for existing ids: a concurrent duplicate waits on the lock and
        # then sees our rows, so no seq is ever handed out twice or skipped.
        readers = ensure_readers(session, tenant.id, (e["recipient"] for e in group), lock=True)
        ids = [uuid.UUID(e["id"]) for e in group]
        existing = set(session.scalars(select(Notification.id).where(Notification.id.in_(ids))))
        templates = _Templates(session, tenant.id)
        for entry in sorted(group, key=lambda e: e["id"]):
            if uuid.UUID(entry["id"]) in existing:
                continue
            row, error = _row(entry, tenant, readers[entry["recipient"]], templates)
            rows.append(row)
            if error:
                errors.append((row["id"], error))
    return rows, errors


def persist_batch(session: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store a batch idempotently; returns push items for every one not yet taken by a socket.

    Runs again safely after a crash at any point: stored ids are skipped, and the ones
    stored but never pushed are pushed again. Notifications without the in-app channel
    start their chain of fallback channels instead.
    """
    rows, errors = _new_rows(session, entries)
    if rows:
        session.execute(insert(Notification).values(rows).on_conflict_do_nothing())
    for nid, error in errors:
        session.add(DeliveryAttempt(notification_id=nid, channel="render", attempt=1,
                                    outcome="error", error=error))
    session.flush()
    skipping_in_app = [r["id"] for r in rows if r["channels"] and r["channels"][0] != IN_APP]
    if skipping_in_app:
        deliveries.start(session, session.scalars(
            select(Notification).where(Notification.id.in_(skipping_in_app))))
    return pending_pushes(session, [uuid.UUID(e["id"]) for e in entries])


def pending_pushes(session: Session, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Push items for those of ``ids`` that are in-app and not yet taken by any socket."""
    pending = session.execute(
        select(Notification, User.external_id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids), Notification.status == PENDING,
               Notification.channels[0].astext == IN_APP)
        .order_by(Notification.user_id, Notification.seq)
    ).all()
    return [
        {"tenant_id": str(n.tenant_id), "user_id": ext, "notification": frame(n)}
        for n, ext in pending
    ]


def record_push(session: Session, outcomes: dict[str, bool]) -> dict[uuid.UUID, int]:
    """One in-app attempt row per notification; delivered ones change status.

    Returns how many in-app attempts each notification has had, this one included.
    """
    ids = [uuid.UUID(i) for i in outcomes]
    counts = dict(session.execute(
        select(DeliveryAttempt.notification_id, func.count())
        .where(DeliveryAttempt.notification_id.in_(ids), DeliveryAttempt.channel == IN_APP)
        .group_by(DeliveryAttempt.notification_id)
    ).all())
    made = {nid: counts.get(nid, 0) + 1 for nid in ids}
    session.add_all(
        DeliveryAttempt(notification_id=nid, channel=IN_APP, attempt=made[nid],
                        outcome="delivered" if outcomes[str(nid)] else "offline")
        for nid in ids
    )
    delivered = [nid for nid in ids if outcomes[str(nid)]]
    if delivered:
        mark_delivered(session, delivered)
    return made


def mark_delivered(session: Session, ids: Sequence[uuid.UUID], user_id: int | None = None) -> None:
    query = (
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(status="delivered", delivered_at=func.coalesce(Notification.delivered_at,
                                                               func.now()))
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    session.execute(query)


def mark_read(session: Session, user_id: int, ids: Iterable[uuid.UUID] | None) -> list[str]:
    """Mark the reader's notifications read (all when ``ids`` is None); returns those changed."""
    now = datetime.now(UTC)
    query = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now, status="read",
                delivered_at=func.coalesce(Notification.delivered_at, now))
        .returning(Notification.id)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return [str(i) for i in session.scalars(query)]


def owned_by(session: Session, user_id: int, notification_id: uuid.UUID) -> bool:
    return session.scalar(
        select(func.count()).where(Notification.id == notification_id,
                                   Notification.user_id == user_id)
    ) == 1


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def after_seq(session: Session, user_id: int, since: int, limit: int,
              until: int | None = None) -> list[Notification]:
    """The reader's notifications with seq in (since, until], in seq order."""
    query = select(Notification).where(Notification.user_id == user_id, Notification.seq > since)
    if until is not None:
        query = query.where(Notification.seq <= until)
    return list(session.scalars(query.order_by(Notification.seq).limit(limit)))


def oldest_seq(session: Session, user_id: int) -> int | None:
    return session.scalar(select(func.min(Notification.seq)).where(Notification.user_id == user_id))


def inbox(session: Session, user_id: int, limit: int, before: int | None,
          unread_only: bool) -> list[Notification]:
    """Newest first; ``before`` is a seq cursor from the previous page."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before is not None:
        query = query.where(Notification.seq < before)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.seq.desc()).limit(limit)))
