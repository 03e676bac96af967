"""Telling a reader's open sockets about a change made outside the gateway (an edit or a
retraction through the API, a snooze that ended in beat).

Published once on the channel every gateway node listens on, after the change committed. A
node that misses it (restarting, cut off from Redis) leaves its clients no worse off: they
get the change from its number when they reconnect (``changes``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core import redis_keys
from backend.db.models import Notification, User
from backend.notifications import inbox
from backend.notifications.frames import ServerFrame
from backend.notifications.messages import LiveFrames


def frames_for(session: Session, rows: Iterable[Notification], with_counts: bool = True
               ) -> list[LiveFrames]:
    """Each changed row's frame (``updated``, or ``deleted``), grouped by reader, with each
    reader's new counts unless the change cannot move them (an edit of the text)."""
    by_reader: dict[int, list[ServerFrame]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.reader_id, r.change, r.seq)):
        by_reader[row.reader_id].append(inbox.frame(row, "updated"))
    if not by_reader:
        return []
    counted = inbox.counts_of(session, list(by_reader)) if with_counts else {}
    readers = session.execute(select(User.id, User.tenant_id, User.external_id)
                              .where(User.id.in_(by_reader))).all()
    return [LiveFrames(str(tenant_id), external_id,
                       [*by_reader[rid], *(counted[rid].frames() if with_counts else [])])
            for rid, tenant_id, external_id in readers]


def publish(client: redis.Redis, messages: list[LiveFrames]) -> None:
    if not messages:
        return
    with client.pipeline(transaction=False) as pipe:
        for message in messages:
            pipe.publish(redis_keys.GATEWAY_LIVE_CHANNEL, message.encode())
        pipe.execute()
