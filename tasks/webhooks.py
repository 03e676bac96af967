"""Posting delivery-webhook events to the product's backend, signed; the rules are
``backend.notifications.webhook_events``."""

from __future__ import annotations

import logging
import uuid

import httpx

from backend.channels.webhooks import RefusedWebhook, WebhookPolicy, post
from backend.notifications import webhook_events
from backend.notifications.queues import SEND_EVENTS
from tasks.app import app
from tasks.base import HeraldTask
from tasks.runtime import runtime

logger = logging.getLogger(__name__)

EVENTS_PER_TASK = 20


def _attempt(policy: WebhookPolicy, out: webhook_events.Outgoing) -> tuple[int | None, str | None]:
    """The answer's status, or why there was none."""
    try:
        answer = post(policy, out.url, out.body, out.headers)
    except RefusedWebhook as exc:
        return None, str(exc)
    except TimeoutError:
        return None, (f"no answer within {policy.timeout_seconds:g} s "
                      "(HERALD_WEBHOOK_TIMEOUT_SECONDS)")
    except (httpx.TransportError, OSError) as exc:
        return None, f"unreachable: {type(exc).__name__}"
    said = None if 200 <= answer.status < 300 else f"answered {answer.status} {answer.reason}"
    return answer.status, said


@app.task(name=SEND_EVENTS, base=HeraldTask)
def send_events(event_ids: list[str]) -> int:
    """Post each event once; every attempt is recorded, failures come back after a backoff."""
    rt = runtime()
    policy, retry = rt.events, rt.events_backoff()
    delivered = 0
    for event_id in map(uuid.UUID, event_ids):
        with rt.db.session() as session:
            out = webhook_events.outgoing(session, event_id)
        if out is None:
            continue
        status, error = _attempt(policy, out)
        with rt.db.session() as session:
            webhook_events.record(session, event_id, status, error, retry)
        delivered += error is None
        if error:
            logger.warning("webhook event %s: %s", event_id, error)
    return delivered
