"""One step of a notification's fallback chain: a Web Push, Slack or email send, with its own
retries.

Every send is recorded before and after: an attempt row says "sending" (committed) before
the message leaves, and "sent" after, so a retry never sends again what was sent, except
across a crash in the send itself. Preferences are read at send time: an opt-out skips,
quiet hours defer to the end of the window, a digest reader's email waits for the digest
(and is not pushed each one).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.channels.base import Channel, NoAddress, PermanentError, TransientError
from backend.core import metrics
from backend.db.models import Delivery, DeliveryAttempt, Notification, Tenant, User
from backend.db.session import Database
from backend.notifications import deliveries, lifecycle, preferences
from backend.notifications.backoff import Backoff
from backend.notifications.lifecycle import Channel as ChannelName
from backend.notifications.lifecycle import Outcome, Status

logger = logging.getLogger(__name__)

DIGEST_WAIT = "waiting for the reader's email digest"
DIGEST_INSTEAD = "the reader takes an email digest instead"


@dataclass(frozen=True)
class Begun:
    """A send recorded as "sending": the message, and where the chain stands."""

    message: Any
    attempt_row_id: int
    step: int
    attempt: int


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str | None = None
    retry_in: float | None = None  # seconds until the next attempt; None: the step is over


def _note(session: Session, nid: uuid.UUID, channel: str, attempt: int, outcome: Outcome,
          error: str | None = None) -> DeliveryAttempt:
    record = DeliveryAttempt(notification_id=nid, channel=channel, attempt=attempt,
                             outcome=outcome, error=error)
    session.add(record)
    session.flush()
    return record


def _held_back(session: Session, n: Notification, row: Delivery, user: User,
               digest_periods: dict[str, float]) -> bool:
    """Apply the reader's preferences as they are now; True when nothing is sent now."""
    prefs = preferences.effective(session.get_one(Tenant, n.tenant_id), user)
    if not prefs.allows(n.category, row.channel):
        _note(session, n.id, row.channel, row.attempt, Outcome.SKIPPED, "reader opted out")
        deliveries.advance(session, n, row.step)
        return True
    until = prefs.quiet_until(user.timezone)
    if until is not None:
        _note(session, n.id, row.channel, row.attempt, Outcome.DEFERRED,
              f"quiet hours until {until.isoformat()}")
        delay = (until - datetime.now(UTC)).total_seconds()
        deliveries.set_step(session, n, row.step, row.attempt, max(delay, 0))
        return True
    if row.channel == ChannelName.WEB_PUSH and prefs.digest != "off":
        # A reader who asked for a digest asked not to be interrupted by each one.
        _note(session, n.id, row.channel, row.attempt, Outcome.SKIPPED, DIGEST_INSTEAD)
        deliveries.advance(session, n, row.step)
        return True
    if row.channel == ChannelName.EMAIL and prefs.digest != "off":
        _note(session, n.id, row.channel, row.attempt, Outcome.DIGEST, DIGEST_WAIT)
        now = datetime.now(UTC)
        n.digest_queued_at = now
        period = digest_periods.get(prefs.digest, 86_400)
        user.digest_next_at = user.digest_next_at or now + timedelta(seconds=period)
        deliveries.finish(session, [n.id])
        return True
    return False


def _already_sent(session: Session, nid: uuid.UUID, channel: str) -> bool:
    return session.scalar(select(DeliveryAttempt.id).where(
        DeliveryAttempt.notification_id == nid, DeliveryAttempt.channel == channel,
        DeliveryAttempt.outcome == Outcome.SENT)) is not None


def begin(session: Session, nid: uuid.UUID, channel: Channel,
          digest_periods: dict[str, float]) -> Begun | None:
    """Check the send is still wanted and record it as "sending"; None when it is not."""
    n, row = lifecycle.by_id(session, nid), session.get(Delivery, nid)
    if n is None or row is None or row.channel != channel.name:
        return None  # a stale message: the chain moved on
    if n.read_at is not None or n.deleted_at is not None:  # read, or retracted meanwhile
        deliveries.finish(session, [nid])
        return None
    if _already_sent(session, nid, channel.name):
        deliveries.advance(session, n, row.step)
        return None
    user = session.get_one(User, n.reader_id)
    if _held_back(session, n, row, user, digest_periods):
        return None
    message = channel.compose(session, n, user)
    record = _note(session, nid, channel.name, row.attempt + 1, Outcome.SENDING)
    return Begun(message, record.id, row.step, record.attempt)


def send(channel: Channel, begun: Begun, backoff: Backoff) -> Result:
    """Send once, outside any transaction; what happened decides the chain's next move."""
    try:
        channel.send(begun.message)
    except NoAddress as exc:
        return Result(Outcome.SKIPPED, str(exc))
    except PermanentError as exc:
        return Result(Outcome.FAILED, str(exc))
    except TransientError as exc:
        if begun.attempt >= backoff.max_attempts:
            return Result(Outcome.ERROR, str(exc))
        return Result(Outcome.ERROR, str(exc),
                      max(backoff.delay(begun.attempt), exc.retry_after or 0))
    except Exception as exc:  # noqa: BLE001 - a bug or a bad message must end the step
        # Left to propagate, the attempt would stay "sending" and come back every lease.
        # Ids only: the message holds an address and a reader's text, never for the log.
        logger.error("%s send of attempt %s raised %s", channel.name, begun.attempt_row_id,
                     type(exc).__name__)
        logger.debug("the send's traceback", exc_info=True)
        return Result(Outcome.FAILED, f"could not send: {type(exc).__name__}: {exc}"[:500])
    return Result(Outcome.SENT)


def finish(session: Session, nid: uuid.UUID, begun: Begun, result: Result) -> None:
    record = session.get_one(DeliveryAttempt, begun.attempt_row_id)
    record.outcome, record.error = result.outcome, result.error
    n = lifecycle.by_id(session, nid)
    assert n is not None  # its delivery row was there when the step began
    if result.outcome == Outcome.SENT:
        lifecycle.try_move(n, Status.FALLBACK_SENT)
    if result.retry_in is not None:
        deliveries.set_step(session, n, begun.step, record.attempt, result.retry_in)
    else:
        deliveries.advance(session, n, begun.step)


def run(db: Database, nid: uuid.UUID, channel: Channel, backoff: Backoff,
        digest_periods: dict[str, float]) -> str:
    """Begin (committed), send, finish (committed): the whole step for one notification."""
    with db.session() as session:
        begun = begin(session, nid, channel, digest_periods)
    if begun is None:
        metrics.FALLBACKS.labels(channel=channel.name, outcome=Outcome.SKIPPED).inc()
        return Outcome.SKIPPED
    result = send(channel, begun, backoff)
    metrics.FALLBACKS.labels(channel=channel.name, outcome=result.outcome).inc()
    with db.session() as session:
        finish(session, nid, begun, result)
    logger.info("%s %s: %s%s", channel.name, nid, result.outcome,
                f" ({result.error})" if result.error else "",
                extra={"notification_id": str(nid)})
    return result.outcome
