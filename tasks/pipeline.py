"""The delivery pipeline: persist a batch, push it to the gateway, record what happened."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from celery import Task
from opentelemetry.trace import Span

from backend.core import bulkhead, metrics, redis_keys, tracing
from backend.core.logs import journey
from backend.notifications import dead_letters, deliveries, erasure, fairness
from backend.notifications.messages import PushItem, QueuedEntry
from backend.notifications.persist import (
    Persisted,
    RenderAccount,
    pending_pushes,
    persist_batch,
    record_push,
)
from backend.notifications.queues import DELIVER_BATCH
from tasks.app import app
from tasks.base import POISON, Failure, HeraldTask, classify, retries_left
from tasks.gateway_client import GATEWAY_UNREACHABLE, GatewayRefused
from tasks.runtime import Runtime, runtime

logger = logging.getLogger(__name__)

# Render time one tenant may use in one batch, in render budgets (HERALD_RENDER_TIMEOUT_SECONDS).
RENDER_SECONDS_PER_TENANT = 3


def offer_and_record(rt: Runtime, items: list[PushItem], task: Task | None = None
                     ) -> dict[str, bool]:
    """Offer to the gateway, then record attempts and schedule retries for offline readers.

    A push that fails ends as a recorded attempt with its reason and a retry row, like an
    offline reader: at once when the gateway refused it (4xx), and after Celery's own quick
    retries (``tasks.base``) when the gateway could not be reached.
    """
    error = None
    try:
        with metrics.BATCH_STAGES.labels(stage="push").time():
            outcomes = rt.gateway.offer(items)
    except GatewayRefused as exc:
        error = str(exc)
    except GATEWAY_UNREACHABLE as exc:
        if retries_left(task):
            raise
        error = f"gateway unreachable: {exc}"
    if error is not None:
        logger.warning("push of %d failed: %s", len(items), error)
        outcomes = dict.fromkeys((i.notification_id for i in items), False)
    _count_pushes(outcomes, error is not None)
    if outcomes:
        with metrics.BATCH_STAGES.labels(stage="record").time(), rt.db.session() as session:
            attempts = record_push(session, outcomes, error)
            deliveries.after_in_app(session, outcomes, attempts, rt.in_app_backoff,
                                    _pushed(items))
    return outcomes


def _count_pushes(outcomes: dict[str, bool], failed: bool) -> None:
    taken = sum(outcomes.values())
    metrics.PUSHES.labels(outcome="delivered").inc(taken)
    metrics.PUSHES.labels(outcome="failed" if failed else "offline").inc(len(outcomes) - taken)


def _pushed(items: list[PushItem]) -> list[deliveries.Pushed]:
    tenants = {t: uuid.UUID(t) for t in {i.tenant_id for i in items}}
    return [deliveries.Pushed(uuid.UUID(i.notification_id), tenants[i.tenant_id],
                              i.frame["priority"]) for i in items]


def _too_many_deliveries(rt: Runtime, task: Task) -> bool:
    """Counts starts of this message: a message that kills its worker every time must stop."""
    counter = redis_keys.task_deliveries(f"{task.request.id}:{task.request.retries}")
    with rt.redis.pipeline(transaction=False) as pipe:
        pipe.incr(counter)
        pipe.expire(counter, 86_400)
        starts, _ = pipe.execute()
    return int(starts) > rt.settings.max_deliveries


def _dead_letter(rt: Runtime, queued: QueuedEntry, reason: str) -> None:
    entry = queued.entry
    where = entry.unstorable()
    # An unstorable entry is kept as JSON text with its escapes (Redis cannot encode it).
    payload = json.dumps(entry.to_dict()) if where else entry.to_dict()
    tenant_id = None if where == "entry.tenant_id" else entry.tenant_id
    dead_letters.add(rt.redis, reason, payload, rt.settings.dead_letters_per_tenant,
                     tenant_id=tenant_id)
    metrics.DEAD_LETTERS.inc()


def _storable(rt: Runtime, batch: list[QueuedEntry]) -> list[QueuedEntry]:
    """The entries every store can hold; the others become dead letters at once, before
    they share a Redis call or a statement with anyone."""
    good = []
    for queued in batch:
        if (where := queued.unstorable()) is None:
            good.append(queued)
        else:
            logger.warning("entry %s: %s is not valid Unicode text; dead-lettered",
                           queued.stream_id, where)
            _dead_letter(rt, queued, f"could not persist: {where} is not valid Unicode text")
    return good


def _persist(rt: Runtime, batch: list[QueuedEntry], renders: dict[str, tuple[int, int]]
             ) -> Persisted:
    """Persist the batch within each tenant's render allowance; remember who ran out of
    render time (``fairness``), whatever became of the batch. ``renders`` gets the render
    times of traced notifications."""
    batch = _storable(rt, batch)
    erased = erasure.erased_before(rt.redis, [q.entry for q in batch])
    batch = [q for q in batch if q.entry.id not in erased]  # released all the same
    account = RenderAccount(RENDER_SECONDS_PER_TENANT * rt.settings.render_timeout_seconds,
                            fairness.demoted(rt.redis, (q.entry.tenant_id for q in batch)),
                            timings=renders)
    try:
        return _persist_isolating_poison(rt, batch, account)
    finally:
        if account.overran:
            fairness.record_overruns(rt.redis, account.overran)


def _persist_isolating_poison(rt: Runtime, batch: list[QueuedEntry], account: RenderAccount
                              ) -> Persisted:
    """Persist the batch; if it fails for a reason retrying cannot fix, persist it in halves
    down to the bad entries alone, so that only they become dead letters (then nothing
    waits for a reader's earlier notification)."""
    now = time.time()
    waits = {q.entry.id: after for q in batch if (after := q.waits_for(now))}
    try:
        with rt.db.session() as session:
            return persist_batch(session, [q.entry for q in batch], account, waits)
    except Exception as failure:
        if classify(failure) is not Failure.POISON:
            raise
        logger.exception("batch of %d failed; isolating the bad entries", len(batch))

    def persist(part: Sequence[QueuedEntry]) -> None:
        with rt.db.session() as session:
            persist_batch(session, [q.entry for q in part], account)

    bad = bulkhead.apart_sync(batch, persist, "entry of a batch", POISON)
    for queued, exc in bad:
        _dead_letter(rt, queued, f"could not persist: {exc!r}"[:2000])
    failed = {q.entry.id for q, _ in bad}
    with rt.db.session() as session:
        return Persisted(pending_pushes(session, [uuid.UUID(q.entry.id) for q in batch
                                                  if q.entry.id not in failed]), set())


def _release(rt: Runtime, batch: list[QueuedEntry]) -> None:
    """Persisted (or dead-lettered): the stream may now trim these entries."""
    by_lane: dict[str, list[str]] = defaultdict(list)
    for q in batch:
        by_lane[q.lane].append(q.stream_id)
    with rt.redis.pipeline(transaction=False) as pipe:
        for lane, stream_ids in by_lane.items():
            pipe.zrem(redis_keys.inflight(lane), *stream_ids)
            pipe.zrem(redis_keys.inflight_published(lane), *stream_ids)
        pipe.execute()


Traced = list[tuple[str, Span, Span]]  # per notification: its id, its span, its push span


def traced(items: list[PushItem], name: str, started: int, parents: dict[str, str | None],
           persisted: int | None = None, renders: dict[str, tuple[int, int]] | None = None
           ) -> tuple[list[PushItem], Traced]:
    """Each notification's part of a batch, in its own trace: a ``name`` span (delivery or
    retry) with the batch's stages, ``herald.persist`` (and ``herald.render`` in it) when it
    was stored here, then ``herald.push``. The push span travels with the item, so the
    gateway continues it; ``finish`` ends the spans after the push."""
    out, spans = [], []
    for item in items:
        nid = item.notification_id
        about = {"herald.notification_id": nid, "herald.tenant_id": item.tenant_id}
        span = tracing.start(name, parents.get(nid) or item.traceparent, started, about)
        if span is None:
            out.append(item)
            continue
        if persisted is not None:
            persist = tracing.child("herald.persist", span, started, about)
            if renders and (render := renders.get(nid)):
                tracing.child("herald.render", persist, render[0], about).end(render[1])
            persist.end(persisted)
        push = tracing.child("herald.push", span, persisted or started, about)
        out.append(item._replace(traceparent=tracing.traceparent_of(push)))
        spans.append((nid, span, push))
    return out, spans


def finish(spans: Traced, outcomes: dict[str, bool]) -> None:
    for notification_id, span, push in spans:
        push.set_attribute("herald.delivered", outcomes.get(notification_id, False))
        push.end()
        span.end()


# How soon entries waiting for their reader's earlier notification (stored by another worker
# process at this moment, as a rule) are tried again.
WAIT_FOR_EARLIER_SECONDS = 0.05


def _wait_for_earlier(task: Task, waiting: list[QueuedEntry], batch: list[QueuedEntry]
                      ) -> list[QueuedEntry]:
    """Publish the waiting entries again, shortly, on this task's queue (they stay in flight);
    returns the rest of the batch, to release."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    task.app.send_task(DELIVER_BATCH, args=[[q.to_dict() for q in waiting]], queue=queue,
                       countdown=WAIT_FOR_EARLIER_SECONDS)
    logger.info("%d entries wait for their readers' earlier notifications", len(waiting))
    metrics.WAITED_FOR_EARLIER.inc(len(waiting))
    held = {q.entry.id for q in waiting}
    return [q for q in batch if q.entry.id not in held]


@app.task(name=DELIVER_BATCH, bind=True, base=HeraldTask)
def deliver_batch(self: Task, batch: list[dict[str, Any]]) -> int:
    """Persist, push and record one batch of stream entries; safe to run more than once."""
    rt = runtime()
    queued = [QueuedEntry.from_dict(q) for q in batch]
    if _too_many_deliveries(rt, self):
        for q in queued:
            dead_letters.add(rt.redis, "batch started too many times (worker lost?)",
                             q.entry.to_dict(), rt.settings.dead_letters_per_tenant)
        metrics.DEAD_LETTERS.inc(len(queued))
        _release(rt, queued)
        return 0
    started, renders = tracing.now(), dict[str, tuple[int, int]]()
    with metrics.BATCH_STAGES.labels(stage="persist").time():
        items, waiting = _persist(rt, queued, renders)
    for priority, stored in Counter(i.frame["priority"] for i in items).items():
        metrics.STORED.labels(priority=priority).inc(stored)
    if waiting:
        queued = _wait_for_earlier(self, [q for q in queued if q.entry.id in waiting], queued)
    _release(rt, queued)
    spans: Traced = []
    if tracing.on():
        items, spans = traced(items, "herald.deliver", started,
                              {q.entry.id: q.trace for q in queued}, tracing.now(), renders)
    outcomes = offer_and_record(rt, items, self)
    finish(spans, outcomes)
    for delivered in (True, False):
        journey(logger, "pushed: a socket took it" if delivered
                else "pushed: reader offline, retry scheduled",
                ((i.tenant_id, i.notification_id) for i in items
                 if outcomes.get(i.notification_id, False) is delivered))
    logger.info("batch of %d: %d pushed, %d delivered", len(queued), len(items),
                sum(outcomes.values()))
    return len(items)
