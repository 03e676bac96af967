"""The delivery pipeline: persist a batch, push it to the gateway, record what happened."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.exc import OperationalError

from backend.db import session_scope
from backend.store import persist_batch, record_push
from tasks import push, queues
from tasks.app import app

logger = logging.getLogger(__name__)

# Infrastructure briefly away: Celery retries with exponential backoff and jitter.
TRANSIENT = (OperationalError, httpx.TransportError, httpx.HTTPStatusError)


@app.task(
    name=queues.DELIVER_BATCH, autoretry_for=TRANSIENT, retry_backoff=True,
    retry_backoff_max=30, retry_jitter=True, max_retries=20,
)
def deliver_batch(entries: list[dict[str, Any]]) -> int:
    """Persist, push and record one batch of stream entries; safe to run more than once."""
    with session_scope() as session:
        items = persist_batch(session, entries)
    outcomes = push.push(items)
    with session_scope() as session:
        record_push(session, outcomes)
    logger.info("batch of %d: %d pushed, %d delivered", len(entries), len(items),
                sum(outcomes.values()))
    return len(items)
