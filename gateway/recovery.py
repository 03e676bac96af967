"""Whether a reconnecting client's history can be replayed in full (Centrifugo's recovery)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from backend.notifications import inbox
from backend.tenants.readers import ensure_readers


def load_reader(session: Session, tenant_id: uuid.UUID, external_id: str
                ) -> inbox.ReaderSummary:
    """The reader's row and inbox summary, one statement for a reader seen before (what a
    socket opens on); created on first sight."""
    found = inbox.reader_summary(session, tenant_id, external_id)
    if found is not None:
        return found
    user = ensure_readers(session, tenant_id, [external_id])[external_id]
    if user.last_seq == 0:  # nothing stored for them yet (a worker may have made the row)
        return inbox.ReaderSummary(user.id, 0, user.epoch, user.last_change,
                                   inbox.Counts(0, 0, 0), None)
    found = inbox.reader_summary(session, tenant_id, external_id)
    assert found is not None  # it exists
    return found


def recoverable(state: inbox.ReaderSummary, since: int | None, epoch: str | None) -> bool:
    """Is everything after ``since`` still stored, in the same epoch? Otherwise the client
    must reload its inbox over REST (``recovered: false``)."""
    if since is None or since < 0 or since > state.last_seq:
        return False
    if epoch is not None and epoch != state.epoch:
        return False
    if since == state.last_seq:
        return True
    return state.oldest_seq is not None and state.oldest_seq <= since + 1
