"""Digest emails: one email per period listing a reader's unread notifications, in the
reader's language, instead of one email each."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.channels import ChannelError, TransientError, email
from backend.config import get_settings
from backend.db import session_scope
from backend.i18n import gettext, is_rtl, negotiation_chain, ngettext
from backend.models import DeliveryAttempt, Notification, Tenant, User
from tasks import queues
from tasks.app import app
from tasks.fallbacks import DIGEST_QUEUED

logger = logging.getLogger(__name__)


def compose_digest(locale: str, titles: list[str]) -> tuple[str, str, str]:
    """Subject, text and HTML of a digest, with Herald's own strings translated."""
    subject = ngettext(locale, "You have %(num)d unread notification",
                       "You have %(num)d unread notifications", len(titles))
    heading = gettext(locale, "Your notifications")
    footer = gettext(locale, "Open your inbox to read them.")
    text = "\n".join([heading, "", *(f"- {t}" for t in titles), "", footer])
    direction = "rtl" if is_rtl(locale) else "ltr"
    items = "".join(f"<li>{html.escape(t)}</li>" for t in titles)
    body = (f'<!doctype html><html lang="{locale}" dir="{direction}"><body dir="{direction}">'
            f"<h1>{html.escape(heading)}</h1><ul>{items}</ul><p>{html.escape(footer)}</p>"
            "</body></html>")
    return subject, text, body


def _send_one(session: Session, user: User, now: datetime) -> int:
    waiting = list(session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.status_reason == DIGEST_QUEUED,
                                   Notification.digested_at.is_(None),
                                   Notification.read_at.is_(None))
        .order_by(Notification.seq)))
    if not waiting:
        user.digest_next_at = None
        return 0
    tenant = session.get(Tenant, user.tenant_id)
    locale = negotiation_chain(user.locale, tenant.default_locale)[0]
    subject, text, body = compose_digest(locale, [n.title for n in waiting])
    settings = get_settings()
    message = email.Email(to=user.email, subject=subject, text=text, html=body,
                          message_id=f"<digest-{user.id}-{int(now.timestamp())}@herald>")
    try:
        email.send(settings.smtp_url, settings.email_from, message)
    except TransientError:
        user.digest_next_at = now + timedelta(seconds=60)
        raise
    except ChannelError as exc:
        for n in waiting:
            n.status, n.status_reason = "failed", f"digest: {exc}"
        user.digest_next_at = None
        return 0
    for n in waiting:
        n.digested_at, n.status, n.status_reason = now, "fallback_sent", None
        session.add(DeliveryAttempt(notification_id=n.id, channel="email", attempt=1,
                                    outcome="sent", error=None))
    user.digest_next_at = None  # the next queued email starts the next period
    return len(waiting)


@app.task(name=queues.SEND_DIGESTS)
def send_digests() -> int:
    now = datetime.now(UTC)
    sent = 0
    with session_scope() as session:
        users = session.scalars(
            select(User).where(User.digest_next_at <= now).order_by(User.digest_next_at)
            .limit(100).with_for_update(skip_locked=True)).all()
        for user in users:
            try:
                sent += _send_one(session, user, now)
            except TransientError:
                logger.warning("digest for %s deferred: SMTP unavailable", user.external_id)
    return sent
