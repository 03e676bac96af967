"""The delivery pipeline: persist a batch, push it to the gateway, record what happened."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from celery import Task
from sqlalchemy.exc import DBAPIError, OperationalError

from backend import dead_letters, deliveries, keys
from backend.config import get_settings
from backend.db import session_scope
from backend.redis_client import get_redis
from backend.store import pending_pushes, persist_batch, record_push
from tasks import policy, push, queues
from tasks.app import app

logger = logging.getLogger(__name__)

# Infrastructure briefly away: Celery retries with exponential backoff and jitter.
TRANSIENT = (OperationalError, httpx.TransportError, httpx.HTTPStatusError)
AUTORETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 30,
             "retry_jitter": True, "max_retries": 20}


def push_and_record(items: list[dict[str, Any]]) -> dict[str, bool]:
    """Push to the gateway, then record attempts and schedule retries for offline readers."""
    outcomes = push.push(items)
    if outcomes:
        with session_scope() as session:
            attempts = record_push(session, outcomes)
            deliveries.after_in_app(session, outcomes, attempts, policy.in_app)
    return outcomes


def _too_many_deliveries(task: Task) -> bool:
    """Counts starts of this message: a message that kills its worker every time must stop."""
    counter = keys.task_deliveries(f"{task.request.id}:{task.request.retries}")
    client = get_redis()
    starts = client.incr(counter)
    client.expire(counter, 86_400)
    return starts > get_settings().max_deliveries


def _persist_isolating_poison(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Persist the batch; if it fails for a reason retrying cannot fix, persist entries one by
    one so that only the bad ones become dead letters."""
    try:
        with session_scope() as session:
            return persist_batch(session, entries)
    except OperationalError:
        raise
    except (DBAPIError, ValueError, KeyError, TypeError):
        logger.exception("batch of %d failed; isolating the bad entries", len(entries))
    good = []
    for entry in entries:
        try:
            with session_scope() as session:
                persist_batch(session, [entry])
            good.append(entry)
        except OperationalError:
            raise
        except (DBAPIError, ValueError, KeyError, TypeError) as exc:
            dead_letters.add(get_redis(), f"could not persist: {exc!r}"[:2000], entry)
    with session_scope() as session:
        return pending_pushes(session, [uuid.UUID(e["id"]) for e in good])


def _release(entries: list[dict[str, Any]]) -> None:
    """Persisted (or dead-lettered): the stream may now trim these entries."""
    ids = [e["_entry"] for e in entries if "_entry" in e]
    if ids:
        get_redis().zrem(keys.INFLIGHT, *ids)


@app.task(name=queues.DELIVER_BATCH, bind=True, **AUTORETRY)
def deliver_batch(self: Task, entries: list[dict[str, Any]]) -> int:
    """Persist, push and record one batch of stream entries; safe to run more than once."""
    if _too_many_deliveries(self):
        for entry in entries:
            dead_letters.add(get_redis(), "batch started too many times (worker lost?)", entry)
        _release(entries)
        return 0
    items = _persist_isolating_poison(entries)
    _release(entries)
    outcomes = push_and_record(items)
    logger.info("batch of %d: %d pushed, %d delivered", len(entries), len(items),
                sum(outcomes.values()))
    return len(items)
