"""How long notifications are kept: ``HERALD_RETENTION_DAYS``, or a tenant's own
(``HERALD_RETENTION_OVERRIDES``).

Whole weeks older than every retention are dropped as partitions (cheap, whatever their
size); what expired inside weeks still kept (the rest of a week, or a tenant's shorter
retention) is deleted in batches. Either
way a reader whose history was cut is told ``recovered: false`` on reconnect (the oldest seq
left is past what it holds) and reloads its inbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select, tuple_
from sqlalchemy.orm import Session

from backend.db import partitions
from backend.db.models import Delivery, DeliveryAttempt, Notification

WEEKS_AHEAD = 2  # partitions made in advance, so that a week never starts without its own
DELETE_BATCH = 5000


@dataclass(frozen=True)
class Retention:
    days: int
    overrides: dict[str, int] = field(default_factory=dict)  # tenant id -> days

    @property
    def longest(self) -> int:
        return max([self.days, *self.overrides.values()])

    def expired(self, now: datetime) -> list[ColumnElement[bool]]:
        """Per retention, the rows it expires (tenants with their own, then everyone else)."""
        own = [uuid.UUID(t) for t in self.overrides]
        rules = [and_(Notification.tenant_id == uuid.UUID(t),
                      Notification.created_at < now - timedelta(days=d))
                 for t, d in self.overrides.items()]
        rules.append(and_(Notification.tenant_id.not_in(own) if own else True,
                          Notification.created_at < now - timedelta(days=self.days)))
        return rules


@dataclass
class Applied:
    partitions_dropped: int = 0
    notifications_removed: int = 0
    partitions_made: int = 0


def _delete(session: Session, where: ColumnElement[bool]) -> int:
    """One batch of expired rows, with their attempts and pending deliveries."""
    keys = session.execute(select(Notification.id, Notification.created_at).where(where)
                           .limit(DELETE_BATCH)).all()
    if not keys:
        return 0
    ids = [k.id for k in keys]
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.notification_id.in_(ids)))
    session.execute(delete(Delivery).where(Delivery.notification_id.in_(ids)))
    session.execute(delete(Notification).where(
        tuple_(Notification.id, Notification.created_at).in_([tuple(k) for k in keys])))
    return len(keys)


def apply(session: Session, retention: Retention, now: datetime | None = None) -> Applied:
    """Make the coming weeks' partitions, drop expired ones, delete the rest that expired."""
    now = now or datetime.now(UTC)
    done = Applied()
    for offset in range(WEEKS_AHEAD + 1):
        made = partitions.create(session, (now + offset * partitions.WEEK).date())
        done.partitions_made += made is not None
    horizon = now - timedelta(days=retention.longest)
    for partition in partitions.weekly(session):
        if partition.end <= horizon:
            done.notifications_removed += partitions.drop(session, partition)
            done.partitions_dropped += 1
    for rule in retention.expired(now):
        done.notifications_removed += _delete(session, rule)
    return done
