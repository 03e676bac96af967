"""Changing stored notifications after the fact (edits, retractions, inbox states), each
change numbered per reader.

Every change takes the reader's next change number (``users.last_change``) and stamps it on
the rows it changed (``notifications.change``). A client remembers the highest number it has
applied; on reconnect it gets every row changed after it (``inbox.changed_after``), so what
happened while it was away reaches it like a live frame would have.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, column, select, update, values
from sqlalchemy.orm import Session

from backend.db.models import Notification, User


def apply(session: Session, where: list[ColumnElement[bool]], **new: Any) -> list[Notification]:
    """Set ``new`` on the notifications matching ``where``; returns them as changed."""
    readers = sorted(set(session.scalars(select(Notification.reader_id).where(*where))))
    if not readers:
        return []
    # Readers are locked in id order, as the worker does when it hands out seqs: no deadlock.
    session.execute(select(User.id).where(User.id.in_(readers)).order_by(User.id)
                    .with_for_update())
    numbers = session.execute(
        update(User).where(User.id.in_(readers)).values(last_change=User.last_change + 1)
        .returning(User.id, User.last_change)).tuples().all()
    numbered = values(column("reader_id", BigInteger), column("change", BigInteger),
                      name="numbered").data(sorted(numbers))
    return list(session.scalars(
        update(Notification)
        .where(*where, Notification.reader_id == numbered.c.reader_id)
        .values(change=numbered.c.change, **new)
        .returning(Notification),
        # Rows already loaded in this session take the new values, not their old ones.
        execution_options={"synchronize_session": False, "populate_existing": True}))
