"""A reader's inbox as the gateway reads it: frames, replay after a seq or a change, pages,
counts.

The inbox shows what is neither retracted, archived nor snoozed; the badge counts unseen
(the bell was not opened since), as Novu and Knock do, and ``unread`` what was not read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    DateTime,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Session, aliased

from backend.db.arrays import unnested
from backend.db.models import Notification, User
from backend.notifications.frames import CountsFrame, DeletedFrame, NotificationFrame, UnreadFrame
from backend.notifications.lifecycle import by_ids

State = Literal["inbox", "unseen", "unread", "archived", "all"]
At = datetime | BindParameter[datetime]  # now, or a parameter for it in a prepared statement


class Stored(Protocol):
    """What a frame is made of: a loaded row, or the values of one just inserted."""

    id: uuid.UUID
    seq: int
    title: str
    body: str
    category: str | None
    priority: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    seen_at: datetime | None
    archived_at: datetime | None
    snoozed_until: datetime | None
    deleted_at: datetime | None
    change: int


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def frame(n: Stored, kind: Literal["notification", "updated"] = "notification"
          ) -> NotificationFrame | DeletedFrame:
    """The frame a socket receives for a notification (``updated`` after an edit or state
    change), also used by the REST inbox; a retracted one is a ``deleted`` frame."""
    if n.deleted_at is not None:
        return {"type": "deleted", "id": str(n.id), "seq": n.seq, "change": n.change}
    return notification_frame(n, kind)


def notification_frame(n: Stored, kind: Literal["notification", "updated"] = "notification"
                       ) -> NotificationFrame:
    """The frame of a notification that is not retracted."""
    return {
        "type": kind, "id": str(n.id), "seq": n.seq, "title": n.title, "body": n.body,
        "category": n.category, "priority": n.priority, "data": n.data,
        "created_at": n.created_at.isoformat(), "read": n.read_at is not None,
        "seen": n.seen_at is not None, "archived": n.archived_at is not None,
        "snoozed_until": _iso(n.snoozed_until), "change": n.change,
    }


def _visible(now: At) -> ColumnElement[bool]:
    return and_(Notification.deleted_at.is_(None), Notification.archived_at.is_(None),
                or_(Notification.snoozed_until.is_(None), Notification.snoozed_until <= now))


def _in_state(state: State, now: At) -> ColumnElement[bool]:
    kept = Notification.deleted_at.is_(None)
    return {
        "inbox": _visible(now),
        "unseen": and_(_visible(now), Notification.seen_at.is_(None)),
        "unread": and_(_visible(now), Notification.read_at.is_(None)),
        "archived": and_(kept, Notification.archived_at.is_not(None)),
        "all": kept,
    }[state]


def owned_by(session: Session, reader_row_id: int, notification_id: uuid.UUID) -> bool:
    return session.scalar(
        select(func.count()).where(by_ids([notification_id]),
                                   Notification.reader_id == reader_row_id,
                                   Notification.deleted_at.is_(None))
    ) == 1


@dataclass(frozen=True)
class Counts:
    unseen: int
    unread: int
    archived: int

    def frames(self) -> list[UnreadFrame | CountsFrame]:
        """``unread`` (what older clients know) and ``counts``."""
        return [{"type": "unread", "count": self.unread},
                {"type": "counts", "unseen": self.unseen, "unread": self.unread,
                 "archived": self.archived}]


COUNTED: tuple[State, ...] = ("unseen", "unread", "archived")


def counts_of(session: Session, reader_row_ids: list[int]) -> dict[int, Counts]:
    """Each reader's counts, in one statement however many readers."""
    now = datetime.now(UTC)
    rows = session.execute(
        select(Notification.reader_id, *(func.count().filter(_in_state(s, now)) for s in COUNTED))
        .where(Notification.reader_id.in_(reader_row_ids)).group_by(Notification.reader_id)).all()
    found = {r[0]: Counts(**dict(zip(COUNTED, r[1:], strict=True))) for r in rows}
    return {rid: found.get(rid, Counts(0, 0, 0)) for rid in reader_row_ids}


def counts(session: Session, reader_row_id: int) -> Counts:
    return counts_of(session, [reader_row_id])[reader_row_id]


@dataclass(frozen=True)
class ReaderSummary:
    row_id: int
    last_seq: int
    epoch: str
    last_change: int
    counts: Counts
    oldest_seq: int | None


ReaderKey = tuple[uuid.UUID, str]  # (tenant id, the product's user id)


def _summaries_by_key() -> Select[Any]:
    """Built once, for any number of readers (their keys as two arrays unnested side by side;
    only the parameters differ from one call to the next)."""
    wanted = unnested("wanted", tenant_id=PG_UUID(as_uuid=True), external_id=String())
    now = bindparam("now", type_=DateTime(timezone=True))
    found = select(*(func.count().filter(_in_state(s, now)).label(s) for s in COUNTED),
                   func.min(Notification.seq).label("oldest")
                   ).where(Notification.reader_id == User.id).lateral("found")
    return (select(User.tenant_id, User.external_id, User.id, User.last_seq, User.epoch,
                   User.last_change, found)
            .join(wanted, and_(User.tenant_id == wanted.c.tenant_id,
                               User.external_id == wanted.c.external_id))
            .join(found, true()))


_SUMMARIES_BY_KEY = _summaries_by_key()


def reader_summaries(session: Session, keys: Sequence[ReaderKey]
                     ) -> dict[ReaderKey, ReaderSummary]:
    """Readers' rows and inbox summaries by the product's user ids, in one statement (what
    sockets open on); readers never seen are left out."""
    if not keys:
        return {}
    rows = session.execute(_SUMMARIES_BY_KEY, {
        "now": datetime.now(UTC), "tenant_ids": [t for t, _ in keys],
        "external_ids": [e for _, e in keys]})
    return {(row.tenant_id, row.external_id): ReaderSummary(
                row.id, row.last_seq, row.epoch, row.last_change,
                Counts(**{s: getattr(row, s) for s in COUNTED}), row.oldest)
            for row in rows}


def unread_count(session: Session, reader_row_id: int) -> int:
    return counts(session, reader_row_id).unread


PageKey = tuple[int, int, int | None]  # (reader row id, since, until)
_NO_END = 2**62  # an ``until`` of None: every seq after ``since``


def _pages_after_seq() -> Select[Any]:
    """Built once, for any number of readers: each one's page as a LATERAL subquery."""
    wanted = unnested("wanted", reader=BigInteger(), since=BigInteger(), until=BigInteger())
    page = (select(Notification)
            .where(Notification.reader_id == wanted.c.reader, Notification.seq > wanted.c.since,
                   Notification.seq <= wanted.c.until)
            .order_by(Notification.seq).limit(bindparam("limit")).lateral("page"))
    return (select(wanted.c.reader, wanted.c.since, wanted.c.until,
                   aliased(Notification, page))
            .join(page, true()).order_by(wanted.c.reader, page.c.seq))


_PAGES_AFTER_SEQ = _pages_after_seq()


def pages_after_seq(session: Session, keys: Sequence[PageKey], limit: int
                    ) -> dict[PageKey, list[Notification]]:
    """Each key's page (reader row id, since, until): up to ``limit`` of that reader's
    notifications with seq in (since, until], in seq order (retracted ones too: their
    ``deleted`` frames keep the client's seqs dense), for many readers in one statement; a
    key with nothing after ``since`` maps to an empty page."""
    pages: dict[PageKey, list[Notification]] = {key: [] for key in keys}
    if not keys:
        return pages
    ends = {(r, s, _NO_END if u is None else u): (r, s, u) for r, s, u in keys}
    rows = session.execute(_PAGES_AFTER_SEQ, {
        "readers": [k[0] for k in ends], "sinces": [k[1] for k in ends],
        "untils": [k[2] for k in ends], "limit": limit})
    for reader, since, until, notification in rows:
        pages[ends[(reader, since, until)]].append(notification)
    return pages


def changed_after(session: Session, reader_row_id: int, after: tuple[int, int],
                  through_seq: int, limit: int) -> list[Notification]:
    """Notifications up to ``through_seq`` changed after change number ``after[0]`` (and,
    within it, past seq ``after[1]``: one change may cover many rows), in change order: what
    a reconnecting client holds in an older version."""
    return list(session.scalars(
        select(Notification)
        .where(Notification.reader_id == reader_row_id,
               tuple_(Notification.change, Notification.seq) > tuple_(*after),
               Notification.change > 0, Notification.seq <= through_seq)
        .order_by(Notification.change, Notification.seq).limit(limit)))


def page(session: Session, reader_row_id: int, limit: int, before: int | None,
         state: State = "inbox") -> list[Notification]:
    """Newest first; ``before`` is a seq cursor from the previous page."""
    query = select(Notification).where(Notification.reader_id == reader_row_id,
                                       _in_state(state, datetime.now(UTC)))
    if before is not None:
        query = query.where(Notification.seq < before)
    return list(session.scalars(query.order_by(Notification.seq.desc()).limit(limit)))
