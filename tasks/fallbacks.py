"""Fallback channels: Slack and email, each with its own retries kept as rows.

Every send is recorded before and after: an attempt row says "sending" (committed) before
the message leaves, and "sent" after, so a retry never sends again what was sent, except
across a crash in the send itself.
"""

from __future__ import annotations

import html
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from backend import deliveries
from backend.channels import NoAddress, PermanentError, TransientError, email, slack
from backend.config import get_settings
from backend.db import session_scope
from backend.models import Delivery, DeliveryAttempt, Notification, User
from tasks import policy, queues
from tasks.app import app
from tasks.pipeline import AUTORETRY

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    notification_id: uuid.UUID
    title: str
    body: str
    user: User


def _slack(message: Message) -> None:
    text = f"*{message.title}*\n{message.body}".strip()
    slack.send(message.user.slack_webhook_url, text)


def _email(message: Message) -> None:
    settings = get_settings()
    body_html = html.escape(message.body).replace("\n", "<br>")
    mail = email.Email(
        to=message.user.email, subject=message.title, text=message.body,
        html=f"<html><body><h1>{html.escape(message.title)}</h1><p>{body_html}</p></body></html>",
        message_id=f"<{message.notification_id}@herald>",
    )
    email.send(settings.smtp_url, settings.email_from, mail)


def _begin(nid: uuid.UUID, channel: str) -> tuple[Message, int, int] | None:
    """Check the send is still wanted and record it as "sending"; None when it is not."""
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
        record = DeliveryAttempt(notification_id=nid, channel=channel,
                                 attempt=row.attempt + 1, outcome="sending")
        session.add(record)
        session.flush()
        user = session.get(User, n.user_id)
        session.expunge(user)
        return Message(nid, n.title, n.body, user), record.id, row.step


def _finish(nid: uuid.UUID, record_id: int, step: int, outcome: str, error: str | None,
            retry_in: float | None) -> None:
    with session_scope() as session:
        record = session.get(DeliveryAttempt, record_id)
        record.outcome, record.error = outcome, error
        n = session.get(Notification, nid)
        if outcome == "sent" and n.status not in ("read",):
            n.status, n.status_reason = "fallback_sent", None
        if retry_in is not None:
            deliveries.set_step(session, n, step, record.attempt, retry_in)
        else:
            deliveries.advance(session, n, step)


def run(nid: uuid.UUID, channel: str, send: Callable[[Message], None]) -> str:
    begun = _begin(nid, channel)
    if begun is None:
        return "skipped"
    message, record_id, step = begun
    backoff = policy.fallback()
    try:
        send(message)
    except NoAddress as exc:
        outcome, error, retry_in = "skipped", str(exc), None
    except PermanentError as exc:
        outcome, error, retry_in = "failed", str(exc), None
    except TransientError as exc:
        with session_scope() as session:
            attempt = session.get(DeliveryAttempt, record_id).attempt
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
    return run(uuid.UUID(notification_id), "slack", _slack)


@app.task(name=queues.FALLBACK_EMAIL, **AUTORETRY)
def send_email(notification_id: str) -> str:
    return run(uuid.UUID(notification_id), "email", _email)


SENDERS = {"slack": send_slack, "email": send_email}
