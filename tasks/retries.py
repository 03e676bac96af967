"""In-app retries: push again the notifications whose reader was away."""

from __future__ import annotations

import uuid

from celery import Task
from sqlalchemy import select

from backend.core import tracing
from backend.db.models import Notification
from backend.notifications import deliveries
from backend.notifications.lifecycle import by_ids
from backend.notifications.persist import pending_pushes
from backend.notifications.queues import RETRY_IN_APP
from tasks.app import app
from tasks.base import HeraldTask
from tasks.pipeline import Traced, finish, offer_and_record, traced
from tasks.runtime import runtime


@app.task(name=RETRY_IN_APP, bind=True, base=HeraldTask)
def retry_in_app(self: Task, notification_ids: list[str]) -> int:
    rt = runtime()
    started = tracing.now()
    ids = [uuid.UUID(i) for i in notification_ids]
    with rt.db.session() as session:
        items = pending_pushes(session, ids)
        waiting = {uuid.UUID(item.notification_id) for item in items}
        # Delivered by replay or read meanwhile: nothing more to do for those.
        stored = session.scalars(select(Notification.id).where(by_ids(ids)))
        deliveries.finish(session, [nid for nid in stored if nid not in waiting])
    spans: Traced = []
    if tracing.on():
        items, spans = traced(items, "herald.retry", started, {})
    finish(spans, offer_and_record(rt, items, self))
    return len(items)
