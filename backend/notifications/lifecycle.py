"""A notification's lifecycle: its statuses, and the one place that moves it between them.

Every status write goes through ``move`` (one loaded row) or ``transition`` (an UPDATE over
many rows, which only touches rows whose current status may move to the new one). Why a
notification is where it is (``status_reason``) is data passed along, never a state flag.

    accepted ──▶ persisted ──▶ delivered ──▶ read
     (stream)        │  ╲           ▲          ▲
                     │   ╲──────────┘          │
                     ├──▶ fallback_sent ───────┤
                     └──▶ failed ──────────────┘   (read: from any stored status)

``scheduled`` and ``accepted`` are not rows: they are answered from the scheduled-send table
and from Redis while the notification is on its way to PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    any_,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from backend.core.errors import HeraldError
from backend.db.arrays import array_text, bound_array, unnested
from backend.db.models import Notification


class Status(StrEnum):
    SCHEDULED = "scheduled"
    ACCEPTED = "accepted"
    PERSISTED = "persisted"  # stored, not yet taken by any socket
    DELIVERED = "delivered"
    READ = "read"
    FALLBACK_SENT = "fallback_sent"
    FAILED = "failed"
    # A topic send's own (never a notification's): its fan-out under way, then done.
    FANNING_OUT = "fanning_out"
    FANNED_OUT = "fanned_out"


class Outcome(StrEnum):
    """What one delivery attempt came to (``delivery_attempts.outcome``)."""

    DELIVERED = "delivered"  # a socket took it
    OFFLINE = "offline"  # no socket of the reader's was open
    SENDING = "sending"  # recorded before a fallback send leaves
    SENT = "sent"
    ERROR = "error"  # transient: tried again later
    FAILED = "failed"  # permanent
    SKIPPED = "skipped"
    DEFERRED = "deferred"  # quiet hours
    DIGEST = "digest"  # waits for the reader's digest email


class Channel(StrEnum):
    IN_APP = "in_app"
    WEB_PUSH = "web_push"
    EMAIL = "email"
    SLACK = "slack"


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


# The chain of a notification that names none; for a reader with a Web Push subscription, the
# browser's own notification comes between the inbox and email.
DEFAULT_CHANNELS = (Channel.IN_APP, Channel.EMAIL)
DEFAULT_WITH_PUSH = (Channel.IN_APP, Channel.WEB_PUSH, Channel.EMAIL)


def chain(named: list[str], reader_has_push: bool) -> list[str]:
    """The channels a notification goes through: as named, or the default chain with
    ``web_push`` for a reader who subscribed (naming exactly the default is the default)."""
    if reader_has_push and tuple(named) == DEFAULT_CHANNELS:
        return list(DEFAULT_WITH_PUSH)
    return list(named)


# Attempt rows of a template that could not be rendered carry this instead of a channel.
RENDER_STEP = "render"

# Where each status may go next. A status missing as a key is not a stored one.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PERSISTED: frozenset({Status.DELIVERED, Status.READ, Status.FALLBACK_SENT,
                                 Status.FAILED}),
    Status.DELIVERED: frozenset({Status.READ}),
    Status.FALLBACK_SENT: frozenset({Status.READ}),
    Status.FAILED: frozenset({Status.READ}),
    Status.READ: frozenset(),
}
# The first stored status: persisted, or failed when nothing may reach the reader.
INITIAL = frozenset({Status.PERSISTED, Status.FAILED})
# Nothing more to deliver.
DONE = frozenset({Status.DELIVERED, Status.READ, Status.FALLBACK_SENT})

OPTED_OUT = "the reader opted out of every channel of this notification"


class IllegalTransition(HeraldError, ValueError):
    """A status change the lifecycle does not allow."""


def allowed(current: str, new: Status) -> bool:
    return new in TRANSITIONS.get(Status(current), frozenset())


def sources(new: Status) -> list[Status]:
    """Every status that may move to ``new``."""
    return [status for status, targets in TRANSITIONS.items() if new in targets]


def initial(channels: Sequence[str]) -> tuple[Status, str | None]:
    """Status and reason of a row being stored with the channels its reader allows."""
    return (Status.PERSISTED, None) if channels else (Status.FAILED, OPTED_OUT)


# How far a notification's created_at may be from the time in its UUIDv7 id: both are taken
# together when it is made (the API's intake, a schedule's run, a topic's fan-out).
ID_TIME_MARGIN = timedelta(hours=1)


def _id_time(nid: uuid.UUID) -> datetime | None:
    """When a UUIDv7 was made (None for another kind of id: a client may send any)."""
    if nid.version != 7:
        return None
    try:
        return datetime.fromtimestamp((nid.int >> 80) / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def by_ids(ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """``id = ANY(ids)``, with the created_at window their UUIDv7 times give: notifications
    is partitioned by week of created_at, and this lets PostgreSQL look in those weeks only
    (and plan for them only: 24 ms against 0.2 ms over 90 partitions, measured). The ids are
    one array parameter, not an IN list: SQLAlchemy renders a placeholder for each of those
    and the driver adapts each id (2 µs apiece, hundreds per batch or replay)."""
    ids = list(ids)
    found = [_id_time(i) for i in ids]
    times = [t for t in found if t is not None]
    any_id = Notification.id == any_(bound_array(Notification.id.type, value=array_text(ids)))
    if not ids or len(times) < len(found) or max(times).year >= 9999 or min(times).year < 2:
        return any_id  # no window to give: every week is looked in
    return and_(any_id, Notification.created_at.between(min(times) - ID_TIME_MARGIN,
                                                        max(times) + ID_TIME_MARGIN))


def by_id(session: Session, nid: uuid.UUID) -> Notification | None:
    """One notification by id (its key is (id, created_at): ``session.get`` needs both)."""
    return session.scalar(select(Notification).where(by_ids([nid])))


def move(n: Notification, new: Status, reason: str | None = None) -> None:
    """Move one loaded notification; an illegal move raises (it would hide a bug)."""
    if not allowed(n.status, new):
        raise IllegalTransition(f"notification {n.id}: {n.status} -> {new} is not allowed")
    n.status, n.status_reason = new, reason


def try_move(n: Notification, new: Status, reason: str | None = None) -> bool:
    """Move one loaded notification if its status allows; a step that lost a race (the
    reader read it meanwhile) leaves it where it is."""
    if not allowed(n.status, new):
        return False
    move(n, new, reason)
    return True


def transition(session: Session, new: Status, *where: ColumnElement[bool],
               params: dict[str, object] | None = None, synchronize: bool = True,
               **values: object) -> list[uuid.UUID]:
    """Move every notification matching ``where`` whose status allows it to ``new``; returns
    the ids that moved. The one UPDATE behind every bulk status change (``params``: values
    of bound parameters in ``where``). ``synchronize=False`` leaves notifications already
    loaded in the session as they were loaded (searching them costs a replay a tenth)."""
    query = (update(Notification)
             .where(Notification.status.in_(sources(new)), *where)
             .values(status=new, status_reason=None, **values)
             .returning(Notification.id))
    options = {} if synchronize else {"synchronize_session": False}
    return list(session.scalars(query, params, execution_options=options))


def _delivered_at(now: object) -> ColumnElement[datetime]:
    """The first time a socket took it: later deliveries do not move it."""
    return func.coalesce(Notification.delivered_at, now)


def mark_delivered(session: Session, ids: Sequence[uuid.UUID],
                   reader_row_id: int | None = None) -> list[uuid.UUID]:
    """A socket took them (push, replay or the client's ack). Notifications loaded in the
    session keep the status they were loaded with: a status a socket's taking moves is read
    by nobody in the same session (a push's and a replay's session end here)."""
    if not ids:
        return []
    where: list[ColumnElement[bool]] = [by_ids(ids)]
    if reader_row_id is not None:
        where.append(Notification.reader_id == reader_row_id)
    return transition(session, Status.DELIVERED, *where, synchronize=False,
                      delivered_at=_delivered_at(func.now()))


# The readers' acknowledged ranges.
_ACKED = unnested("acked", reader_id=BigInteger(), after=BigInteger(), through=BigInteger())


def mark_delivered_through(session: Session, acked: dict[int, tuple[int, int]],
                           oldest: datetime) -> list[uuid.UUID]:
    """Cumulative acknowledgements of many readers in one UPDATE: each reader (row id) was
    shown every seq ``after < seq <= through``, none created before ``oldest``."""
    if not acked:
        return []
    readers, afters, throughs = zip(*sorted((reader, after, through)
                                            for reader, (after, through) in acked.items()),
                                    strict=True)
    return transition(session, Status.DELIVERED, Notification.reader_id == _ACKED.c.reader_id,
                      Notification.seq > _ACKED.c.after, Notification.seq <= _ACKED.c.through,
                      Notification.created_at >= oldest - ID_TIME_MARGIN,
                      params={"reader_ids": list(readers), "afters": list(afters),
                              "throughs": list(throughs)},
                      delivered_at=_delivered_at(func.now()))


# The readers' notifications acknowledged by id.
_ACKED_IDS = unnested("acked_ids", reader_id=BigInteger(), id=Notification.id.type)


def mark_delivered_by_ids(session: Session, acked: Mapping[int, Iterable[uuid.UUID]]
                          ) -> list[uuid.UUID]:
    """Acknowledgements by id of many readers (row id → ids) in one UPDATE; an id that is
    not that reader's changes nothing."""
    pairs = sorted((reader, nid) for reader, ids in acked.items() for nid in ids)
    if not pairs:
        return []
    readers, ids = zip(*pairs, strict=True)
    return transition(session, Status.DELIVERED, by_ids(ids),
                      Notification.id == _ACKED_IDS.c.id,
                      Notification.reader_id == _ACKED_IDS.c.reader_id,
                      params={"reader_ids": array_text(readers), "ids": array_text(ids)},
                      delivered_at=_delivered_at(func.now()))


def mark_read(session: Session, reader_row_id: int, ids: Iterable[uuid.UUID] | None
              ) -> list[str]:
    """Mark the reader's notifications read (all when ``ids`` is None); returns those changed."""
    now = datetime.now(UTC)
    where: list[ColumnElement[bool]] = [Notification.reader_id == reader_row_id,
                                        Notification.read_at.is_(None)]
    if ids is not None:
        where.append(by_ids(ids))
    moved = transition(session, Status.READ, *where, read_at=now, delivered_at=_delivered_at(now))
    return [str(i) for i in moved]


def send_counts(session: Session, tenant_id: uuid.UUID, send_id: uuid.UUID) -> dict[str, int]:
    """How many of a send's notifications (its id: the 202's) stand at each status."""
    return {str(status): int(count) for status, count in session.execute(
        select(Notification.status, func.count())
        .where(Notification.tenant_id == tenant_id, Notification.group_id == send_id)
        .group_by(Notification.status)).tuples()}
