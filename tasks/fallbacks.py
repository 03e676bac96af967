"""Fallback sends, one task per channel; the step itself is ``backend.notifications.fallback``."""

from __future__ import annotations

import uuid

from celery import Task

from backend.notifications import fallback
from backend.notifications.lifecycle import Channel
from backend.notifications.queues import FALLBACK_EMAIL, FALLBACK_SLACK
from tasks.app import app
from tasks.base import HeraldTask
from tasks.runtime import runtime


def _run(notification_id: str, channel: Channel) -> str:
    rt = runtime()
    return fallback.run(rt.db, uuid.UUID(notification_id), rt.channels[channel],
                        rt.fallback_backoff(), rt.settings.digest_periods)


@app.task(name=FALLBACK_SLACK, base=HeraldTask)
def send_slack(notification_id: str) -> str:
    return _run(notification_id, Channel.SLACK)


@app.task(name=FALLBACK_EMAIL, base=HeraldTask)
def send_email(notification_id: str) -> str:
    return _run(notification_id, Channel.EMAIL)


SENDERS: dict[str, Task] = {Channel.SLACK: send_slack, Channel.EMAIL: send_email}
