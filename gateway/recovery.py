"""Whether a reconnecting client's history can be replayed in full (Centrifugo's recovery)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import User
from backend.notifications import inbox


@dataclass(frozen=True)
class ReaderState:
    last_seq: int
    epoch: str
    counts: inbox.Counts
    oldest_seq: int | None
    last_change: int


def load_state(session: Session, reader_row_id: int) -> ReaderState:
    """Two statements: the reader's row, and its inbox summary (a socket opens on these)."""
    user = session.execute(select(User.last_seq, User.epoch, User.last_change)
                           .where(User.id == reader_row_id)).one()
    counts, oldest = inbox.summary(session, reader_row_id)
    return ReaderState(user.last_seq, user.epoch, counts, oldest, user.last_change)


def recoverable(state: ReaderState, since: int | None, epoch: str | None) -> bool:
    """Is everything after ``since`` still stored, in the same epoch? Otherwise the client
    must reload its inbox over REST (``recovered: false``)."""
    if since is None or since < 0 or since > state.last_seq:
        return False
    if epoch is not None and epoch != state.epoch:
        return False
    if since == state.last_seq:
        return True
    return state.oldest_seq is not None and state.oldest_seq <= since + 1
