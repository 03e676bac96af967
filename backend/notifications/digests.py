"""Digest emails: one email per period listing a reader's unread notifications, in the
reader's language, instead of one email each."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.channels import email
from backend.channels.base import ChannelError, TransientError
from backend.core import metrics
from backend.db.models import DeliveryAttempt, Notification, Tenant, User
from backend.db.session import Database
from backend.notifications import lifecycle
from backend.notifications.lifecycle import Channel, Outcome, Status
from backend.templates.digest import compose_digest
from backend.templates.i18n import negotiation_chain

logger = logging.getLogger(__name__)


def _waiting(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.reader_id == user.id,
                                   Notification.digest_queued_at.is_not(None),
                                   Notification.digested_at.is_(None),
                                   Notification.read_at.is_(None),
                                   Notification.deleted_at.is_(None))  # not retracted
        .order_by(Notification.seq)))


def _send_one(session: Session, user: User, now: datetime, channel: email.EmailChannel) -> int:
    waiting = _waiting(session, user)
    if not waiting:
        user.digest_next_at = None
        return 0
    tenant = session.get_one(Tenant, user.tenant_id)
    locale = negotiation_chain(user.locale, tenant.default_locale)[0]
    subject, text, body = compose_digest(locale, [n.title for n in waiting])
    message = email.Email(to=user.email, subject=subject, text=text, html=body,
                          message_id=f"<digest-{user.id}-{int(now.timestamp())}@herald>")
    try:
        channel.send(message)
    except TransientError:
        user.digest_next_at = now + timedelta(seconds=60)
        raise
    except ChannelError as exc:
        for n in waiting:
            if lifecycle.try_move(n, Status.FAILED, f"digest: {exc}"):
                metrics.FAILED.labels(priority=n.priority).inc()
        metrics.FALLBACKS.labels(channel="digest", outcome=Outcome.FAILED).inc()
        user.digest_next_at = None
        return 0
    for n in waiting:
        n.digested_at = now
        lifecycle.try_move(n, Status.FALLBACK_SENT)
        session.add(DeliveryAttempt(notification_id=n.id, channel=Channel.EMAIL, attempt=1,
                                    outcome=Outcome.SENT, error=None))
    user.digest_next_at = None  # the next queued email starts the next period
    metrics.FALLBACKS.labels(channel="digest", outcome=Outcome.SENT).inc()
    return len(waiting)


def send_due(db: Database, channel: email.EmailChannel) -> int:
    """Send every digest whose period has ended; an SMTP outage defers, never drops."""
    now = datetime.now(UTC)
    sent = 0
    with db.session() as session:
        users = session.scalars(
            select(User).where(User.digest_next_at <= now).order_by(User.digest_next_at)
            .limit(100).with_for_update(skip_locked=True)).all()
        for user in users:
            try:
                sent += _send_one(session, user, now, channel)
            except TransientError:
                logger.warning("digest for %s deferred: SMTP unavailable", user.external_id)
    return sent
