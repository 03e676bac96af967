"""Fallback channels: Slack and email, each with its own retries kept as rows.

Every send is recorded before and after: an attempt row says "sending" (committed) before
the message leaves, and "sent" after, so a retry never sends again what was sent, except
across a crash in the send itself. Preferences are read at send time: an opt-out skips,
quiet hours defer to the end of the window, a digest reader's email waits for the digest.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import compose, deliveries, preferences
from backend.channels import NoAddress, PermanentError, TransientError, email, slack
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Delivery, DeliveryAttempt, Notification, Tenant, User
from tasks import policy, queues
from tasks.app import app
from tasks.pipeline import AUTORETRY

logger = logging.getLogger(__name__)

DIGEST_QUEUED = "queued for the email digest"


def _slack_payload(session: Session, n: Notification, user: User) -> tuple[str | None, str]:
    return user.slack_webhook_url, compose.slack(session, n, user)


def _email_payload(session: Session, n: Notification, user: User) -> email.Email:
    text = compose.email(session, n, user)
    return email.Email(to=user.email, subject=text.subject, text=text.text, html=text.html,
                       message_id=f"<{n.id}@herald>")


def _send_slack(payload: tuple[str | None, str]) -> None:
    slack.send(*payload)


def _send_email(payload: email.Email) -> None:
    settings = get_settings()
    email.send(settings.smtp_url, settings.email_from, payload)


CHANNELS: dict[str, tuple[Callable[..., Any], Callable[[Any], None]]] = {
    "slack": (_slack_payload, _send_slack),
    "email": (_email_payload, _send_email),
}


def _note(session: Session, nid: uuid.UUID, channel: str, attempt: int, outcome: str,
          error: str | None = None) -> DeliveryAttempt:
    record = DeliveryAttempt(notification_id=nid, channel=channel, attempt=attempt,
                             outcome=outcome, error=error)
    session.add(record)
    session.flush()
    return record


def _held_back(session: Session, n: Notification, row: Delivery, user: User) -> bool:
    """Apply the reader's preferences as they are now; True when nothing is sent now."""
    prefs = preferences.effective(session.get(Tenant, n.tenant_id), user)
    if not prefs.allows(n.category, row.channel):
        _note(session, n.id, row.channel, row.attempt, "skipped", "reader opted out")
        deliveries.advance(session, n, row.step)
        return True
    until = prefs.quiet_until(user.timezone)
    if until is not None:
        _note(session, n.id, row.channel, row.attempt, "deferred",
              f"quiet hours until {until.isoformat()}")
        delay = (until - datetime.now(UTC)).total_seconds()
        deliveries.set_step(session, n, row.step, row.attempt, max(delay, 0))
        return True
    if row.channel == "email" and prefs.digest != "off":
        _note(session, n.id, "email", row.attempt, "digest", DIGEST_QUEUED)
        n.status_reason = DIGEST_QUEUED
        period = get_settings().digest_periods.get(prefs.digest, 86_400)
        user.digest_next_at = user.digest_next_at or datetime.now(UTC) + timedelta(seconds=period)
        deliveries.finish(session, n.id)
        return True
    return False


def _begin(nid: uuid.UUID, channel: str) -> tuple[Any, int, int, int] | None:
    """Check the send is still wanted and record it as "sending"; None when it is not.

    Returns the payload, the attempt row's id, the chain step and the attempt number.
    """
    with session_scope() as session:
        n, row = session.get(Notification, nid), session.get(Delivery, nid)
        if n is None or row is None or row.channel != channel:
            return None  # a stale message: the chain moved on
        if n.read_at is not None:
            deliveries.finish(session, nid)
            return None
        sent = session.scalar(select(DeliveryAttempt.id).where(
            DeliveryAttempt.notification_id == nid, DeliveryAttempt.channel == channel,
            DeliveryAttempt.outcome == "sent"))
        if sent is not None:
            deliveries.advance(session, n, row.step)
            return None
        user = session.get(User, n.user_id)
        if _held_back(session, n, row, user):
            return None
        payload = CHANNELS[channel][0](session, n, user)
        record = _note(session, nid, channel, row.attempt + 1, "sending")
        return payload, record.id, row.step, record.attempt


def _finish(nid: uuid.UUID, record_id: int, step: int, outcome: str, error: str | None,
            retry_in: float | None) -> None:
    with session_scope() as session:
        record = session.get(DeliveryAttempt, record_id)
        record.outcome, record.error = outcome, error
        n = session.get(Notification, nid)
        if outcome == "sent" and n.status != "read":
            n.status, n.status_reason = "fallback_sent", None
        if retry_in is not None:
            deliveries.set_step(session, n, step, record.attempt, retry_in)
        else:
            deliveries.advance(session, n, step)


def run(nid: uuid.UUID, channel: str) -> str:
    begun = _begin(nid, channel)
    if begun is None:
        return "skipped"
    payload, record_id, step, attempt = begun
    backoff = policy.fallback()
    try:
        CHANNELS[channel][1](payload)
    except NoAddress as exc:
        outcome, error, retry_in = "skipped", str(exc), None
    except PermanentError as exc:
        outcome, error, retry_in = "failed", str(exc), None
    except TransientError as exc:
        outcome, error = "error", str(exc)
        retry_in = (max(backoff.delay(attempt), exc.retry_after or 0)
                    if attempt < backoff.max_attempts else None)
    else:
        outcome, error, retry_in = "sent", None, None
    _finish(nid, record_id, step, outcome, error, retry_in)
    logger.info("%s %s: %s%s", channel, nid, outcome, f" ({error})" if error else "")
    return outcome


@app.task(name=queues.FALLBACK_SLACK, **AUTORETRY)
def send_slack(notification_id: str) -> str:
    return run(uuid.UUID(notification_id), "slack")


@app.task(name=queues.FALLBACK_EMAIL, **AUTORETRY)
def send_email(notification_id: str) -> str:
    return run(uuid.UUID(notification_id), "email")


SENDERS = {"slack": send_slack, "email": send_email}
