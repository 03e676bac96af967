"""In-app retries: push again the notifications whose reader was away."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend import deliveries
from backend.db import session_scope
from backend.models import Notification
from backend.store import pending_pushes
from tasks import queues
from tasks.app import app
from tasks.pipeline import AUTORETRY, push_and_record


@app.task(name=queues.RETRY_IN_APP, **AUTORETRY)
def retry_in_app(notification_ids: list[str]) -> int:
    ids = [uuid.UUID(i) for i in notification_ids]
    with session_scope() as session:
        items = pending_pushes(session, ids)
        waiting = {item["notification"]["id"] for item in items}
        # Delivered by replay or read meanwhile: nothing more to do for those.
        for n in session.scalars(select(Notification).where(Notification.id.in_(ids))):
            if str(n.id) not in waiting:
                deliveries.finish(session, n.id)
    push_and_record(items)
    return len(items)
