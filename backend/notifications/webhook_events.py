"""Signed delivery webhooks: events about a tenant's notifications, POSTed to its backend.

The rows are written by a trigger (``herald_webhook_events``, migration 0010) in the same
transaction as the status change they report, so an event is never lost nor invented. Beat
claims due ones with a lease, a task posts each, signed like Stripe's:

    Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A non-2xx answer (or none) is retried with backoff, always with the same event ``id``: the
receiver drops repeats by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from backend.core.errors import NotFound
from backend.db import leases
from backend.db.models import Webhook, WebhookAttempt, WebhookEvent
from backend.notifications.backoff import Backoff
from backend.notifications.schemas import EventAttemptPublic, EventPublic
from backend.tenants import caps


def create(session: Session, tenant_id: uuid.UUID, url: str, events: list[str], most: int
           ) -> Webhook:
    caps.make_room(session, Webhook.tenant_id, tenant_id, most, "webhooks",
                   "HERALD_MAX_WEBHOOKS_PER_TENANT")
    hook = Webhook(id=uuid.uuid4(), tenant_id=tenant_id, url=url, events=list(events),
                   secret="whsec_" + secrets.token_urlsafe(32))
    session.add(hook)
    session.flush()
    session.refresh(hook)
    return hook


def find(session: Session, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook:
    hook = session.scalar(select(Webhook).where(Webhook.id == webhook_id,
                                                Webhook.tenant_id == tenant_id))
    if hook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return hook


def body(event: WebhookEvent) -> bytes:
    return json.dumps({"id": str(event.id), "type": event.type,
                       "created_at": event.created_at.isoformat(), "data": event.data},
                      separators=(",", ":")).encode()


def signature(secret: str, raw: bytes, at: int | None = None) -> str:
    """The ``Herald-Signature`` header of ``raw`` sent at unix time ``at``."""
    t = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@dataclass(frozen=True)
class Outgoing:
    event_id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    body: bytes
    headers: dict[str, str]


def claim_due(session: Session, limit: int, lease_seconds: float,
              weights: Mapping[str, float] | None = None, now: datetime | None = None
              ) -> list[uuid.UUID]:
    """Due events no other dispatcher holds, tenants in turn, leased so that nobody takes
    them again soon."""
    events = leases.claim(session, WebhookEvent, WebhookEvent.next_at, WebhookEvent.id, limit,
                          lease_seconds, WebhookEvent.delivered_at.is_(None),
                          WebhookEvent.failed_at.is_(None), tenant=WebhookEvent.tenant_id,
                          weights=weights, now=now)
    return [e.id for e in events]


def outgoing(session: Session, event_id: uuid.UUID) -> Outgoing | None:
    """The signed request for an event still owed (None once delivered, failed or gone)."""
    row = session.execute(select(WebhookEvent, Webhook).join(Webhook)
                          .where(WebhookEvent.id == event_id)).one_or_none()
    if row is None:
        return None
    event, hook = row.tuple()
    if event.delivered_at or event.failed_at:
        return None
    raw = body(event)
    return Outgoing(event.id, event.tenant_id, hook.url, raw,
                    {"Herald-Signature": signature(hook.secret, raw),
                     "Herald-Event-Id": str(event.id)})


@dataclass(frozen=True)
class Attempt:
    """What one post of an event came to: the answer's status (None: no answer), why it
    failed, and whether that can never change (a refused address, a 4xx but 408/429)."""

    status: int | None
    error: str | None
    permanent: bool = False


def record(session: Session, event_id: uuid.UUID, attempt: Attempt, backoff: Backoff) -> None:
    """One attempt: delivered on a 2xx; otherwise again after a backoff, or given up (at
    once when retrying cannot help)."""
    event = session.get(WebhookEvent, event_id, with_for_update=True)
    if event is None or event.delivered_at or event.failed_at:
        return
    session.add(WebhookAttempt(event_id=event_id, status=attempt.status, error=attempt.error))
    event.attempts += 1
    now = datetime.now(UTC)
    if attempt.error is None:
        event.delivered_at, event.next_at = now, None
    elif attempt.permanent or event.attempts >= backoff.max_attempts:
        event.failed_at, event.next_at = now, None
    else:
        event.next_at = now + timedelta(seconds=backoff.delay(event.attempts))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _cursor(event: WebhookEvent) -> str:
    """Exact to the microsecond (PostgreSQL's precision): no float in between."""
    return f"{(event.created_at - EPOCH) // MICROSECOND}.{event.id}"


def page(session: Session, hook: Webhook, cursor: str | None, limit: int) -> tuple[
        list[EventPublic], str | None]:
    """Events of a webhook, newest first, each with its attempts."""
    query = select(WebhookEvent).where(WebhookEvent.webhook_id == hook.id)
    if cursor:
        micros, _, last = cursor.partition(".")
        at = EPOCH + int(micros) * MICROSECOND
        query = query.where(tuple_(WebhookEvent.created_at, WebhookEvent.id)
                            < tuple_(at, uuid.UUID(last)))
    events = list(session.scalars(query.order_by(WebhookEvent.created_at.desc(),
                                                 WebhookEvent.id.desc()).limit(limit)))
    attempts: dict[uuid.UUID, list[EventAttemptPublic]] = {e.id: [] for e in events}
    for a in session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.event_id.in_(list(attempts))).order_by(WebhookAttempt.id)):
        attempts[a.event_id].append(EventAttemptPublic.model_validate(a))
    items = [EventPublic(id=e.id, type=e.type, created_at=e.created_at, data=e.data,
                         delivered_at=e.delivered_at, failed_at=e.failed_at, next_at=e.next_at,
                         attempts=attempts[e.id]) for e in events]
    return items, _cursor(events[-1]) if len(events) == limit else None
