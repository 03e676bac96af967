"""Periodic work that celery beat sends every second: due retries, scheduled and recurring
sends, and stream trimming. Each claims its rows with ``FOR UPDATE SKIP LOCKED``, so two
runs at once never hand out the same row."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Schedule, ScheduledSend
from backend.notifications import (
    deliveries,
    fanout,
    live,
    queues,
    retention,
    states,
    stream,
    topics,
    webhook_events,
)
from backend.notifications.intake import build_entries
from backend.notifications.lifecycle import Channel
from backend.notifications.messages import StreamEntry
from backend.notifications.schedules import next_run
from backend.notifications.schemas import NotificationCreate
from tasks.app import app
from tasks.base import Failure, PeriodicTask, classify
from tasks.fallbacks import SENDERS
from tasks.retries import retry_in_app
from tasks.runtime import Runtime, runtime
from tasks.webhooks import EVENTS_PER_TASK, send_events

logger = logging.getLogger(__name__)

@app.task(name=queues.DISPATCH_DUE, base=PeriodicTask)
def dispatch_due() -> int:
    """Hand due delivery rows to tasks: in-app retries in batches, fallbacks one by one;
    high first and tenants in turn, and retries only while their queue has room."""
    rt = runtime()
    size = rt.settings.batch_size
    retry_rows = {queue: batches * size for queue, batches in _retry_rooms(rt).items()}
    with rt.db.session() as session:
        rows = deliveries.claim_due(session, rt.settings.dispatch_batch,
                                    rt.settings.dispatch_lease_seconds, retry_rows,
                                    rt.settings.tenant_weights)
        due = [(str(r.notification_id), r.channel, r.priority) for r in rows]
    # Published after the commit: a failed publish leaves the rows leased, and they come back.
    in_app: dict[str, list[str]] = defaultdict(list)
    for nid, channel, priority in due:
        if channel == Channel.IN_APP:
            in_app[queues.RETRY_QUEUE[priority]].append(nid)
        else:
            SENDERS[channel].apply_async(args=[nid], queue=queues.FALLBACK)
    for queue, ids in in_app.items():
        for start in range(0, len(ids), size):
            retry_in_app.apply_async(args=[ids[start:start + size]], queue=queue)
    return len(due)


def _retry_rooms(rt: Runtime) -> dict[str, int]:
    """Batches of retries each retry queue takes now, from how many messages it holds."""
    retry_queues = list(dict.fromkeys(queues.RETRY_QUEUE.values()))
    with rt.redis.pipeline(transaction=False) as pipe:
        for queue in retry_queues:
            pipe.llen(queue)
        depths = pipe.execute()
    return {queue: deliveries.retry_room(int(depth), rt.settings.bridge_queued_batches)
            for queue, depth in zip(retry_queues, depths, strict=True)}


@app.task(name=queues.SEND_SCHEDULED, base=PeriodicTask)
def send_scheduled() -> int:
    """Move requests whose ``send_at`` has come into the ingest stream."""
    rt = runtime()
    with rt.db.session() as session:
        rows = session.scalars(
            select(ScheduledSend)
            .where(ScheduledSend.enqueued_at.is_(None),
                   ScheduledSend.due_at <= datetime.now(UTC))
            .order_by(ScheduledSend.due_at).limit(rt.settings.dispatch_batch)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            # The key makes a repeat after a crash between XADD and commit enqueue nothing.
            rt.ingest.enqueue(str(row.tenant_id), [StreamEntry.from_dict(e) for e in row.entries],
                              row.answer, f"scheduled:{row.id}")
            row.enqueued_at = datetime.now(UTC)
    return len(rows)


@app.task(name=queues.RUN_SCHEDULES, base=PeriodicTask)
def run_schedules() -> int:
    """Send each recurring schedule that is due, once per due time. A schedule that cannot
    run fails alone (rolled back to its savepoint, marked failed with the reason)."""
    rt = runtime()
    now = datetime.now(UTC)
    with rt.db.session() as session:
        schedules = session.scalars(
            select(Schedule)
            .where(Schedule.deleted_at.is_(None), Schedule.failed_at.is_(None),
                   Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at).limit(rt.settings.dispatch_batch)
            .with_for_update(skip_locked=True)
        ).all()
        for schedule in schedules:
            try:
                with session.begin_nested():
                    _run_once(rt, session, schedule, now)
            except Exception as exc:  # noqa: BLE001 - one schedule's fault is its own
                if classify(exc) is Failure.TRANSIENT:
                    raise  # PostgreSQL or Redis away, or the tick out of time: not the schedule's
                logger.warning("schedule %s failed: %s", schedule.id, exc)
                schedule.failed_at = now
                schedule.failure_reason = f"{type(exc).__name__}: {exc}"[:500]
    return len(schedules)


def _run_once(rt: Runtime, session: Session, schedule: Schedule, now: datetime) -> None:
    request = NotificationCreate.model_validate(schedule.notification)
    key = f"schedule:{schedule.id}:{schedule.next_run_at.isoformat()}"
    # Missed runs (beat was down) are skipped, not sent in a burst.
    following = next_run(schedule.cron, schedule.timezone, max(now, schedule.next_run_at))
    if request.topic is not None:
        topics.accept_send(session, schedule.tenant_id,
                           request.model_copy(update={"idempotency_key": key}))
    else:
        entries, answer = build_entries(schedule.tenant_id, request)
        rt.ingest.enqueue(str(schedule.tenant_id), entries, answer, key)
    schedule.runs += 1
    schedule.next_run_at = following


# Chunks of ``fanout.CHUNK`` subscribers one tick appends per topic send: 100,000 readers a
# tick, and a bigger topic goes on at the next tick.
FAN_OUT_CHUNKS_PER_TICK = 100


@app.task(name=queues.FAN_OUT_TOPICS, base=PeriodicTask)
def fan_out_topics() -> int:
    """Append due topic sends' notifications to the ingest stream, a chunk at a time."""
    rt = runtime()
    with rt.db.session() as session:
        return sum(fanout.advance(session, rt.ingest, send, FAN_OUT_CHUNKS_PER_TICK)
                   for send in fanout.claim_due(session, 10))


@app.task(name=queues.WAKE_SNOOZED, base=PeriodicTask)
def wake_snoozed() -> int:
    """Bring back notifications whose snooze ended, and push them again to open tabs."""
    rt = runtime()
    with rt.db.session() as session:
        rows = states.wake_snoozed(session, rt.settings.dispatch_batch)
        messages = live.frames_for(session, rows)
    live.publish(rt.redis, messages)  # after the commit
    return len(rows)


@app.task(name=queues.DISPATCH_EVENTS, base=PeriodicTask)
def dispatch_events() -> int:
    """Hand due delivery-webhook events to tasks, on the fallback queue (outbound HTTP)."""
    rt = runtime()
    with rt.db.session() as session:
        ids = webhook_events.claim_due(session, rt.settings.dispatch_batch,
                                       rt.settings.dispatch_lease_seconds,
                                       rt.settings.tenant_weights)
    # Published after the commit: a failed publish leaves the events leased; they come back.
    for start in range(0, len(ids), EVENTS_PER_TASK):
        send_events.apply_async(args=[[str(i) for i in ids[start:start + EVENTS_PER_TASK]]],
                                queue=queues.FALLBACK)
    return len(ids)


@app.task(name=queues.APPLY_RETENTION, base=PeriodicTask)
def apply_retention() -> dict[str, int]:
    """Drop the days every tenant's retention has passed; delete what shorter ones expired."""
    rt = runtime()
    policy = retention.Retention(rt.settings.retention_days, rt.settings.retention_overrides)
    with rt.db.session() as session:
        done = retention.apply(session, policy)
    if done.partitions_dropped or done.notifications_removed:
        logger.info("retention: %d day(s) dropped, %d notification(s) removed",
                    done.partitions_dropped, done.notifications_removed)
    return vars(done)


@app.task(name=queues.TRIM_STREAM, base=PeriodicTask)
def trim_stream() -> int:
    rt = runtime()
    trimmed = stream.trim(rt.redis, rt.settings.ingest_partitions)
    if trimmed:
        logger.info("trimmed %d persisted entries from the ingest stream", trimmed)
    return trimmed
