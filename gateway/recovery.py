"""What a socket opens on (the reader's row and inbox summary) and the pages it is replayed,
many sockets in one call each, and whether a reconnecting client's history can be replayed
in full (Centrifugo's recovery)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from backend.notifications import inbox, lifecycle
from backend.notifications.frames import StoredFrame
from backend.notifications.inbox import PageKey, ReaderKey, ReaderSummary
from backend.tenants.readers import create_readers


def load_readers(session: Session, keys: Sequence[ReaderKey]) -> dict[ReaderKey, ReaderSummary]:
    """Readers' rows and summaries: one statement for readers seen before; those never seen
    are created by one more per tenant (and read again if another node made them meanwhile)."""
    found = inbox.reader_summaries(session, keys)
    new: dict[uuid.UUID, list[str]] = defaultdict(list)
    for tenant_id, external_id in keys:
        if (tenant_id, external_id) not in found:
            new[tenant_id].append(external_id)
    for tenant_id, external_ids in new.items():
        made = create_readers(session, tenant_id, external_ids, returning=True)
        for row in made:  # new: nothing stored for them yet
            found[(tenant_id, row.external_id)] = ReaderSummary(
                row.id, 0, row.epoch, 0, inbox.Counts(0, 0, 0), None)
    if missing := [key for key in keys if key not in found]:
        found |= inbox.reader_summaries(session, missing)  # made meanwhile
    return found


REPLAY_PAGE = 500


def replay_pages(session: Session, keys: Sequence[PageKey]
                 ) -> dict[PageKey, list[StoredFrame]]:
    """Pages of stored frames for many sockets at once (each key: reader row id, since,
    until); a replayed notification counts as delivered, like a push."""
    pages = inbox.pages_after_seq(session, keys, REPLAY_PAGE)
    lifecycle.mark_delivered(session, [n.id for page in pages.values() for n in page])
    return {key: [inbox.frame(n) for n in page] for key, page in pages.items()}


def recoverable(state: ReaderSummary, since: int | None, epoch: str | None) -> bool:
    """Is everything after ``since`` still stored, in the same epoch? Otherwise the client
    must reload its inbox over REST (``recovered: false``)."""
    if since is None or since < 0 or since > state.last_seq:
        return False
    if epoch is not None and epoch != state.epoch:
        return False
    if since == state.last_seq:
        return True
    return state.oldest_seq is not None and state.oldest_seq <= since + 1
