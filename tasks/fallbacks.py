"""Fallback sends (Web Push, Slack, email), one task per channel; the step itself is
``backend.notifications.fallback``."""

from __future__ import annotations

import random
import uuid

from celery import Task

from backend.core import tracing
from backend.notifications import fallback, lifecycle
from backend.notifications.lifecycle import Channel
from backend.notifications.queues import FALLBACK_EMAIL, FALLBACK_SLACK, FALLBACK_WEB_PUSH
from tasks.app import app
from tasks.base import HeraldTask
from tasks.runtime import Runtime, runtime

PUT_OFF_SECONDS = 1.0  # a send whose tenant has its share in flight: tried again after this


def _tenant_of(rt: Runtime, nid: uuid.UUID) -> tuple[str, str | None]:
    """The notification's tenant, and the trace it was sent in (if tracing was on)."""
    with rt.db.session() as session:
        n = lifecycle.by_id(session, nid)
        return (str(n.tenant_id), n.traceparent) if n is not None else ("", None)


def _run(task: Task, notification_id: str, channel: Channel) -> str:
    rt = runtime()
    nid = uuid.UUID(notification_id)
    tenant_id, traceparent = _tenant_of(rt, nid)
    with rt.slots.held(tenant_id) as free:
        if not free:  # put off, not waited for in a thread the other tenants need
            raise task.retry(countdown=PUT_OFF_SECONDS * (1 + random.random()),
                             max_retries=None)
        with tracing.span(f"herald.fallback.{channel.value}", traceparent,
                          {"herald.notification_id": notification_id,
                           "herald.tenant_id": tenant_id}) as span:
            outcome = fallback.run(rt.db, nid, rt.channels[channel], rt.fallback_backoff(),
                                   rt.settings.digest_periods)
            if span is not None:
                span.set_attribute("herald.outcome", outcome)
            return outcome


@app.task(name=FALLBACK_SLACK, base=HeraldTask, bind=True)
def send_slack(self: Task, notification_id: str) -> str:
    return _run(self, notification_id, Channel.SLACK)


@app.task(name=FALLBACK_EMAIL, base=HeraldTask, bind=True)
def send_email(self: Task, notification_id: str) -> str:
    return _run(self, notification_id, Channel.EMAIL)


@app.task(name=FALLBACK_WEB_PUSH, base=HeraldTask, bind=True)
def send_web_push(self: Task, notification_id: str) -> str:
    return _run(self, notification_id, Channel.WEB_PUSH)


SENDERS: dict[str, Task] = {Channel.SLACK: send_slack, Channel.EMAIL: send_email,
                            Channel.WEB_PUSH: send_web_push}
